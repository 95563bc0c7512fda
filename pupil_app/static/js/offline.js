// Every device: the service worker that keeps lessons going offline, and a clean hand-over when a
// child taps "I've finished". No third-party code.
(function () {
  "use strict";
  var TELL_STORE = "tell-adult:v1"; // tell.js keeps a message here until the server has it

  function unsentMessages() {
    try { return Object.keys(JSON.parse(window.localStorage.getItem(TELL_STORE) || "{}") || {}).length; }
    catch (e) { return 0; }
  }

  // "I've finished": the server clears this device's caches and storage (Clear-Site-Data) only
  // when nothing is waiting to be sent, so a child's message is never wiped before it arrives.
  document.querySelectorAll("form[data-sign-out]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var field = form.querySelector("[data-unsent]");
      if (field) { field.value = String(unsentMessages()); }
    });
  });

  var back = document.querySelector("[data-offline-back]");
  if (back) { back.addEventListener("click", function () { window.history.back(); }); }

  if (!("serviceWorker" in navigator) || !window.caches) { return; }
  // Only a signed-in pupil's device keeps lessons; staff and sign-in pages leave no worker behind.
  if (!document.querySelector(".pupil-bar[data-pupil]")) { return; }
  // The worker says when this lesson's screens and pictures are all kept (a lesson can now go offline).
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.kept) { document.documentElement.setAttribute("data-lesson-kept", ""); }
  });
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    if (registration.active && !navigator.serviceWorker.controller) {
      registration.active.postMessage({ claim: true });
    }
    var nav = document.querySelector("[data-offline-keep]");
    if (nav && registration.active) {
      var urls = nav.getAttribute("data-offline-keep").split(/\s+/).filter(Boolean);
      registration.active.postMessage({ keep: urls });
    }
  }).catch(function () { /* no worker: lessons need the network, as before */ });
})();
