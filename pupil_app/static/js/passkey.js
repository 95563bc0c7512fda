// Passkeys (WebAuthn) for staff: create one, or sign in with one. No third-party code.
// The server sends its options as JSON with base64url strings; WebAuthn wants ArrayBuffers.
(function () {
  "use strict";

  function toBuffer(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) { return null; }
    var bytes = new Uint8Array(buffer);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBuffer(d.id) }); });
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false }; });
    });
  }

  function register(options) {
    var publicKey = Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
      excludeCredentials: descriptors(options.excludeCredentials)
    });
    return navigator.credentials.create({ publicKey: publicKey }).then(function (cred) {
      return {
        id: cred.id, rawId: toText(cred.rawId), type: cred.type,
        authenticatorAttachment: cred.authenticatorAttachment || undefined,
        clientExtensionResults: cred.getClientExtensionResults(),
        response: {
          clientDataJSON: toText(cred.response.clientDataJSON),
          attestationObject: toText(cred.response.attestationObject),
          transports: cred.response.getTransports ? cred.response.getTransports() : []
        }
      };
    });
  }

  function authenticate(options) {
    var publicKey = Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      allowCredentials: descriptors(options.allowCredentials)
    });
    return navigator.credentials.get({ publicKey: publicKey }).then(function (cred) {
      return {
        id: cred.id, rawId: toText(cred.rawId), type: cred.type,
        authenticatorAttachment: cred.authenticatorAttachment || undefined,
        clientExtensionResults: cred.getClientExtensionResults(),
        response: {
          clientDataJSON: toText(cred.response.clientDataJSON),
          authenticatorData: toText(cred.response.authenticatorData),
          signature: toText(cred.response.signature),
          userHandle: toText(cred.response.userHandle)
        }
      };
    });
  }

  document.querySelectorAll("[data-passkey]").forEach(function (button) {
    var status = document.getElementById(button.dataset.status);
    function say(text) { status.textContent = text; status.hidden = !text; }
    if (!window.PublicKeyCredential) {
      button.disabled = true;
      say(button.dataset.unsupported);
      return;
    }
    button.addEventListener("click", function () {
      var csrf = button.dataset.csrf;
      var nameInput = button.dataset.name ? document.getElementById(button.dataset.name) : null;
      var make = button.dataset.passkey === "register" ? register : authenticate;
      button.disabled = true;
      say("");
      post(button.dataset.options, csrf).then(make).then(function (credential) {
        return post(button.dataset.verify, csrf, { credential: credential, name: nameInput ? nameInput.value : "" });
      }).then(function (result) {
        if (result.ok && result.next) { window.location.assign(result.next); return; }
        say(result.message || button.dataset.failed);
        button.disabled = false;
      }).catch(function () {
        say(button.dataset.cancelled);
        button.disabled = false;
      });
    });
  });
})();
