/* Progressive enhancement only: every page works without this file.
   - a form is sent once: its submit buttons are disabled after the first submit (the server is safe anyway);
   - an upload form shows its progress (asked by script, the server answers where to go next as JSON);
   - a page with an error summary moves focus to it, so screen readers announce the errors. */
(function () {
  "use strict";
  function onSubmit(event) {
    var form = event.target;
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    if (form.hasAttribute("data-upload") && window.XMLHttpRequest && window.FormData) {
      var fileInput = form.querySelector("input[type=file]");
      if (fileInput && fileInput.files && fileInput.files.length) {
        event.preventDefault();
        upload(form);
      }
    }
    form.dataset.sent = "1";
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit], button:not([type])"), function (b) {
      window.setTimeout(function () { b.disabled = true; }, 0);
    });
  }
  function upload(form) {
    var bar = form.querySelector("progress");
    if (!bar) {
      bar = document.createElement("progress");
      bar.className = "upload-progress";
      bar.max = 100; bar.value = 0;
      bar.setAttribute("aria-label", "上传进度");
      form.appendChild(bar);
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
    });
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.addEventListener("load", function () {
      var next = null;
      try { next = JSON.parse(xhr.responseText).location; } catch (e) { next = null; }
      window.location.assign(next || window.location.href);
    });
    xhr.addEventListener("error", function () { window.location.reload(); });
    xhr.send(new FormData(form));
  }
  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  });
})();
