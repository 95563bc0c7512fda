// Pupil pages: read-aloud with the browser's own speech synthesis. No third-party code.
(function () {
  "use strict";
  var button = document.querySelector("[data-read-aloud]");
  if (!button || !("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined") {
    return; // the button stays hidden where the browser cannot speak
  }
  var label = button.querySelector(".read-aloud__label");
  var lang = document.documentElement.getAttribute("lang") || "en";
  var speaking = false;

  function textToRead() {
    var parts = [];
    document.querySelectorAll("main [data-read]").forEach(function (el) {
      if (el.closest("[hidden]")) { return; }
      var text = (el.textContent || "").replace(/\s+/g, " ").trim();
      if (text) { parts.push(text); }
    });
    return parts.join(". ");
  }

  function setSpeaking(on) {
    speaking = on;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    if (label) { label.textContent = on ? button.dataset.stopLabel : button.dataset.startLabel; }
  }

  button.hidden = false;
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", function () {
    window.speechSynthesis.cancel();
    if (speaking) { setSpeaking(false); return; }
    var utterance = new SpeechSynthesisUtterance(textToRead());
    utterance.lang = lang;
    utterance.rate = 0.9; // a little slower for young listeners
    utterance.onend = function () { setSpeaking(false); };
    utterance.onerror = function () { setSpeaking(false); };
    setSpeaking(true);
    window.speechSynthesis.speak(utterance);
  });
  window.addEventListener("pagehide", function () { window.speechSynthesis.cancel(); });
})();
