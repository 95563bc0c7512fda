// Staff pages: print buttons and confirmations. No third-party code.
(function () {
  "use strict";
  // Folded lists (pupils not shown yet, audit trails) print unfolded.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) { d.open = true; d.dataset.printOpened = "1"; });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-print-opened]").forEach(function (d) { d.open = false; delete d.dataset.printOpened; });
  });
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (event) {
      if (!window.confirm(b.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
