// Pupil pages: read-aloud. "Read to me" reads the whole screen; a speaker button beside a choice,
// prompt, answer or name reads just that. The browser's own speech synthesis speaks when it has a
// voice for the page's language; otherwise the pre-made audio files (flask content audio, or a
// school's own recordings) play, one per sentence. No third-party code.
(function () {
  "use strict";
  var lang = (document.documentElement.getAttribute("lang") || "en").toLowerCase();
  var primary = lang.split("-")[0];
  var synth = ("speechSynthesis" in window && typeof SpeechSynthesisUtterance !== "undefined")
    ? window.speechSynthesis : null;
  var audio = null;
  var queue = [];
  var active = null; // the button that started what is playing now

  function clean(text) { return (text || "").replace(/\s+/g, " ").trim(); }

  function textOf(el) {
    if (!el || el.closest("[hidden]")) { return ""; }
    return clean(el.getAttribute("data-say-text") || el.textContent);
  }

  // A voice for this language? An empty list means the browser has not said (it may still speak).
  function hasVoice() {
    if (!synth) { return false; }
    var voices = synth.getVoices ? synth.getVoices() : [];
    if (!voices || !voices.length) { return true; }
    return voices.some(function (v) { return (v.lang || "").toLowerCase().replace("_", "-").split("-")[0] === primary; });
  }

  function audioUrl(text) {
    return "/audio/" + encodeURIComponent(primary) + "?text=" + encodeURIComponent(text);
  }

  function finished() {
    queue = [];
    if (active) { setPressed(active, false); }
    active = null;
  }

  function stop() {
    if (synth) { synth.cancel(); }
    if (audio) { audio.onended = audio.onerror = null; audio.pause(); audio = null; }
    finished();
  }

  function playNext() {
    if (!queue.length) { audio = null; finished(); return; }
    audio = new Audio(audioUrl(queue.shift()));
    audio.onended = playNext;
    audio.onerror = playNext; // no file for this sentence: go on with the next
    var started = audio.play();
    if (started && started.catch) { started.catch(function () { playNext(); }); }
  }

  function playAudio(parts) {
    queue = parts.slice();
    playNext();
  }

  // Speak ``parts`` (a list of sentences); fall back to the audio files when there is no voice.
  function say(parts, button) {
    stop();
    parts = parts.filter(Boolean);
    if (!parts.length) { return; }
    active = button || null;
    if (active) { setPressed(active, true); }
    if (!hasVoice()) { playAudio(parts); return; }
    var utterance = new SpeechSynthesisUtterance(parts.join(". "));
    utterance.lang = lang;
    utterance.rate = 0.9; // a little slower for young listeners
    utterance.onend = finished;
    utterance.onerror = function (event) {
      // The browser could not speak this language after all: the audio files take over.
      if (event && (event.error === "language-unavailable" || event.error === "voice-unavailable" ||
                    event.error === "synthesis-unavailable" || event.error === "synthesis-failed")) {
        playAudio(parts);
      } else { finished(); }
    };
    synth.speak(utterance);
  }

  function setPressed(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    var label = button.querySelector(".read-aloud__label");
    if (label && button.dataset.stopLabel) {
      label.textContent = on ? button.dataset.stopLabel : button.dataset.startLabel;
    }
  }

  function toggle(button, parts) {
    if (active === button) { stop(); return; }
    say(parts, button);
  }

  // "Read to me": every [data-read] in the page, in order.
  var pageButton = document.querySelector("[data-read-aloud]");
  if (pageButton) {
    pageButton.hidden = false;
    pageButton.setAttribute("aria-pressed", "false");
    pageButton.addEventListener("click", function () {
      var parts = [];
      document.querySelectorAll("main [data-read]").forEach(function (el) { parts.push(textOf(el)); });
      toggle(pageButton, parts);
    });
  }

  // Speaker buttons: data-say holds the ids of what they read.
  document.querySelectorAll("[data-say]").forEach(function (button) {
    button.hidden = false;
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function (event) {
      event.preventDefault();
      event.stopPropagation();
      var parts = button.getAttribute("data-say").split(/\s+/).map(function (id) {
        return textOf(document.getElementById(id));
      });
      toggle(button, parts);
    });
  });

  window.addEventListener("pagehide", stop);
  window.pupilSpeech = { say: say, stop: stop };
})();

// Put-in-order: after each tap the page comes back at #order; focus goes to the next choice, not
// back to the top of the page.
(function () {
  "use strict";
  if (window.location.hash !== "#order") { return; }
  var focusNext = function () {
    var next = document.querySelector("#order button");
    if (next && document.activeElement !== next) { next.focus(); }
  };
  focusNext();
  window.addEventListener("load", focusNext); // after the browser has moved to #order
})();
