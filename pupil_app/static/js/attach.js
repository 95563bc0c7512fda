// Concern attachments: paste a screenshot (Ctrl+V) or drop a file onto the form. No third-party code.
(function () {
  "use strict";
  var script = document.currentScript;
  var form = document.querySelector("[data-attach]");
  if (!form) { return; }
  var input = form.querySelector("input[type=file]");
  var chosen = form.querySelector("[data-attach-chosen]");

  function take(files, pasted) {
    if (!files || !files.length) { return false; }
    var dt = new DataTransfer();
    var file = files[0];
    if (pasted && !file.name.replace(/^image\.\w+$/, "")) {
      file = new File([file], "screenshot-" + new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-") + ".png",
                      { type: file.type });
    }
    dt.items.add(file);
    input.files = dt.files;
    chosen.textContent = pasted ? (script.dataset.pasted + " (" + file.name + ")") : file.name;
    return true;
  }

  document.addEventListener("paste", function (event) {
    var data = event.clipboardData;
    if (!data || !data.files || !data.files.length) { return; }
    if (take(data.files, true)) { event.preventDefault(); input.focus(); }
  });
  form.addEventListener("dragover", function (event) { event.preventDefault(); form.classList.add("attach-form--over"); });
  form.addEventListener("dragleave", function () { form.classList.remove("attach-form--over"); });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    form.classList.remove("attach-form--over");
    take(event.dataTransfer && event.dataTransfer.files, false);
  });
  input.addEventListener("change", function () { chosen.textContent = ""; });
})();
