// Teach mode: one slide at a time on the class whiteboard. Arrow keys, Page Up/Down (what
// presentation clickers send) and Space move; R reveals the answer; N shows the teacher notes;
// F goes full screen. The slide number lives in the address (#slide-3) so a reload keeps the place.
(function () {
  "use strict";
  var deck = document.querySelector("[data-deck]");
  if (!deck) { return; }
  var slides = Array.prototype.slice.call(deck.querySelectorAll("[data-slide]"));
  var count = document.querySelector("[data-count]");
  var notesButton = document.querySelector("[data-notes]");
  var current = 0;
  var notesShown = false;

  function show(n, focus) {
    current = Math.max(0, Math.min(slides.length - 1, n));
    slides.forEach(function (slide, i) { slide.hidden = i !== current; });
    count.textContent = deck.getAttribute("data-of-label")
      .replace("{n}", current + 1).replace("{t}", slides.length);
    if (window.history && history.replaceState) { history.replaceState(null, "", "#slide-" + (current + 1)); }
    if (focus !== false) { slides[current].focus({preventScroll: true}); }
    window.scrollTo(0, 0);
  }

  function reveal() {
    var slide = slides[current];
    var button = slide.querySelector("[data-reveal]");
    if (!button) { return; }
    slide.classList.add("is-revealed");
    slide.querySelectorAll("[data-answer]").forEach(function (el) { el.hidden = false; });
    button.hidden = true;
  }

  function toggleNotes() {
    notesShown = !notesShown;
    deck.querySelectorAll("[data-teacher-notes]").forEach(function (el) { el.hidden = !notesShown; });
    notesButton.setAttribute("aria-pressed", notesShown ? "true" : "false");
  }

  function fullScreen() {
    var root = document.documentElement;
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else if (root.requestFullscreen) { root.requestFullscreen().catch(function () {}); }
  }

  document.body.classList.add("teach--js");
  var start = /^#slide-(\d+)$/.exec(window.location.hash);
  show(start ? parseInt(start[1], 10) - 1 : 0, false);

  window.addEventListener("hashchange", function () {
    var m = /^#slide-(\d+)$/.exec(window.location.hash);
    if (m && parseInt(m[1], 10) - 1 !== current) { show(parseInt(m[1], 10) - 1); }
  });
  document.querySelector("[data-next]").addEventListener("click", function () { show(current + 1); });
  document.querySelector("[data-prev]").addEventListener("click", function () { show(current - 1); });
  document.querySelector("[data-fullscreen]").addEventListener("click", fullScreen);
  notesButton.addEventListener("click", toggleNotes);
  deck.querySelectorAll("[data-reveal]").forEach(function (b) { b.addEventListener("click", reveal); });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") { return; }
    var key = event.key;
    if (key === "ArrowRight" || key === "ArrowDown" || key === "PageDown" || (key === " " && tag !== "button")) {
      show(current + 1);
    } else if (key === "ArrowLeft" || key === "ArrowUp" || key === "PageUp") {
      show(current - 1);
    } else if (key === "Home") {
      show(0);
    } else if (key === "End") {
      show(slides.length - 1);
    } else if (key === "r" || key === "R") {
      reveal();
    } else if (key === "n" || key === "N") {
      toggleNotes();
    } else if (key === "f" || key === "F") {
      fullScreen();
    } else {
      return;
    }
    event.preventDefault();
  });
})();
