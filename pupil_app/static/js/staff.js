// Staff pages: print buttons and confirmations. No third-party code.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (event) {
      if (!window.confirm(b.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
