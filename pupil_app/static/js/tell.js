// "Tell an adult" and "Hide this page", on every pupil page. No third-party code.
//
// 1. "Hide this page" covers the screen at once with a calm screen (no network needed).
// 2. On the "Tell an adult" screens, every choice and every word is also kept in this browser's
//    storage until the server says the message is saved, so nothing a child chose is lost.
// 3. "Send" goes by fetch: if saving fails, the child stays on the same page with their words,
//    sees a calm message, and "Try again" sends the same message (same key: never twice).
// 4. On any pupil page of the same session, a message that was never confirmed saved is sent again.
// 5. Nothing stays on the device after the child's session: the copy is tagged with the session and
//    removed on "I've finished", on any page of another session and on any signed-out page (so
//    after an idle sign-out too). The server has what the child chose, and the DSL gets it.
(function () {
  "use strict";

  var STORE = "tell-adult:v1";
  var FIELDS = ["feeling", "what", "about", "location", "talk_to", "words"];
  var bar = document.querySelector("header[data-pupil]");
  var SESSION = bar ? (bar.getAttribute("data-tell-session") || "") : "";

  function clearAll() {
    try { window.localStorage.removeItem(STORE); } catch (e) { /* storage off */ }
  }
  var signOut = document.querySelector("form[data-sign-out]");
  if (signOut) { signOut.addEventListener("submit", clearAll); }
  // First of all: drop whatever another session (or no session) left here.
  (function () {
    if (!SESSION) { clearAll(); return; }
    var all = readStore();
    var kept = {};
    Object.keys(all).forEach(function (key) {
      var entry = all[key];
      if (entry && typeof entry === "object" && entry.session === SESSION) { kept[key] = entry; }
    });
    writeStore(kept);
  })();

  function readStore() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "{}") || {}; } catch (e) { return {}; }
  }
  function writeStore(all) {
    try {
      if (Object.keys(all).length) { window.localStorage.setItem(STORE, JSON.stringify(all)); }
      else { window.localStorage.removeItem(STORE); }
    } catch (e) { /* storage full or off */ }
  }
  function update(token, change) {
    var all = readStore();
    var entry = all[token] || { answers: {}, created: Date.now() };
    entry.session = SESSION;
    change(entry);
    entry.updated = Date.now();
    all[token] = entry;
    writeStore(all);
    return entry;
  }
  function forget(token) {
    var all = readStore();
    delete all[token];
    writeStore(all);
  }
  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  // ---- 1. Hide this page ---------------------------------------------------------------
  var cover = document.getElementById("calm-cover");
  var hideLink = document.querySelector("[data-hide-page]");
  if (cover && hideLink) {
    var hiddenBehind = [];
    var pageTitle = null;
    var showCover = function () {
      if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
      hiddenBehind = [];
      Array.prototype.forEach.call(document.body.children, function (el) {
        if (el !== cover && el.tagName !== "SCRIPT" && !el.inert) {
          el.inert = true;
          el.setAttribute("aria-hidden", "true");
          hiddenBehind.push(el);
        }
      });
      document.documentElement.classList.add("is-covered");
      // The tab's title would still say what was on the screen: show the cover's words instead.
      pageTitle = document.title;
      document.title = (cover.querySelector("h2") || {}).textContent || "";
      cover.hidden = false;
      var title = cover.querySelector("h2");
      if (title) { title.focus(); }
    };
    var hideCover = function () {
      if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
      cover.hidden = true;
      if (pageTitle !== null) { document.title = pageTitle; pageTitle = null; }
      document.documentElement.classList.remove("is-covered");
      hiddenBehind.forEach(function (el) { el.inert = false; el.removeAttribute("aria-hidden"); });
      hideLink.focus();
    };
    hideLink.addEventListener("click", function (event) { event.preventDefault(); showCover(); });
    cover.querySelector("[data-calm-show]").addEventListener("click", hideCover);
    var readButton = cover.querySelector("[data-calm-read-aloud]");
    if (readButton && window.speechSynthesis && typeof SpeechSynthesisUtterance !== "undefined") {
      readButton.hidden = false;
      readButton.addEventListener("click", function () {
        var text = Array.prototype.map.call(cover.querySelectorAll("[data-calm-read]"), function (el) {
          return el.textContent.replace(/\s+/g, " ").trim();
        }).join(". ");
        var utterance = new SpeechSynthesisUtterance(text);
        utterance.lang = document.documentElement.getAttribute("lang") || "en";
        utterance.rate = 0.9;
        window.speechSynthesis.cancel();
        window.speechSynthesis.speak(utterance);
      });
    }
  }

  // ---- 2. The message screens: keep every choice in the browser too -----------------------
  var flow = document.querySelector("[data-tell-flow]");
  var token = flow ? flow.dataset.token : null;
  if (flow) {
    update(token, function (entry) { entry.url = flow.dataset.sendUrl; });
    flow.querySelectorAll("button[data-field]").forEach(function (button) {
      button.addEventListener("click", function () {
        update(token, function (entry) {
          if (button.name === "skip") { delete entry.answers[button.dataset.field]; }
          else { entry.answers[button.dataset.field] = button.value; }
        });
      });
    });
    var words = flow.querySelector("[data-tell-words]");
    if (words) {
      var kept = (readStore()[token] || { answers: {} }).answers.words;
      if (!words.value && kept) { words.value = kept; } // the server did not get them: put them back
      var keepWords = function () { update(token, function (entry) { entry.answers.words = words.value; }); };
      words.addEventListener("input", keepWords);
      words.form.addEventListener("submit", keepWords);
    }
  }

  // ---- 3. Send, and try again without losing anything ------------------------------------
  function post(url, formData) {
    return window.fetch(url, {
      method: "POST", body: formData, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        return { code: response.status, body: body };
      }, function () { return { code: response.status, body: {} }; });
    });
  }

  var sendForm = document.querySelector("form[data-tell-send]");
  if (sendForm && token) {
    var button = sendForm.querySelector("[data-tell-send-button]");
    var label = sendForm.querySelector("[data-tell-send-label]");
    var failedBox = flow.querySelector("[data-tell-failed]");
    var failedText = flow.querySelector("[data-tell-failed-text]");
    var showProblem = function (message) {
      failedText.textContent = message;
      failedBox.hidden = false;
      failedBox.scrollIntoView({ block: "center" });
    };
    sendForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) { return; } // a double tap sends once (and the key makes it safe anyway)
      var data = new FormData(sendForm);
      update(token, function (entry) {
        FIELDS.forEach(function (name) {
          var value = data.get(name);
          if (value) { entry.answers[name] = value; } else { delete entry.answers[name]; }
        });
        entry.send = true;
      });
      button.disabled = true;
      label.textContent = button.dataset.sendingLabel;
      post(sendForm.action, data).then(function (result) {
        if (result.body.status === "saved") {
          forget(token);
          window.location.assign(result.body.thanks_url);
          return;
        }
        if (result.body.status === "invalid") { // the child needs to change something first
          update(token, function (entry) { entry.send = false; });
        }
        showProblem(result.body.message || flow.dataset.failedMessage);
        button.disabled = false;
        label.textContent = button.dataset.retryLabel;
      }, function () {
        showProblem(flow.dataset.failedMessage);
        button.disabled = false;
        label.textContent = button.dataset.retryLabel;
      });
    });
  }

  // ---- 4. Any pupil page: send again what was never confirmed saved -----------------------
  var saved = document.querySelector("[data-tell-saved]");
  if (saved) { forget(saved.dataset.tellSaved); }
  var all = readStore();
  Object.keys(all).forEach(function (key) {
    var entry = all[key];
    if (key === token || !entry.send || !entry.url) { return; }
    var data = new FormData();
    data.append("csrf_token", csrfToken());
    FIELDS.forEach(function (name) { data.append(name, entry.answers[name] || ""); });
    post(entry.url, data).then(function (result) {
      var status = result.body.status;
      if (status === "saved") {
        forget(key);
        var main = document.getElementById("main");
        if (main && result.body.message) {
          var note = document.createElement("p");
          note.className = "notice";
          note.setAttribute("role", "status");
          note.setAttribute("data-read", "");
          note.textContent = result.body.message;
          main.insertBefore(note, main.firstChild);
        }
      } else if (status === "done") {
        forget(key); // sent already (another child's message on a shared device): no copy stays here
      } else if (status === "signed_out" || status === "unknown") {
        forget(key); // the session has ended: the server delivered what it had; nothing stays here
      }
    }, function () { /* offline: try on the next page */ });
  });
})();
