/* Progressive enhancement only: every page works without this file.
   - search as you type: a search box with data-suggest fills its <datalist> with the names of matching items
     (the browser shows them as the box's own suggestions, which keyboards and screen readers already know). */
(function () {
  "use strict";
  var WAIT_MS = 200;
  function suggest(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var form = input.form;
    var timer = null;
    var asked = "";
    if (!list || !window.fetch) { return; }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var q = input.value.trim();
        if (!q || q === asked) { return; }
        asked = q;
        var region = form && form.elements.region ? form.elements.region.value : "";
        var url = input.dataset.suggest + "?q=" + encodeURIComponent(q) + "&region=" + encodeURIComponent(region);
        window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (resp) { return resp.ok ? resp.json() : { items: [] }; })
          .then(function (body) {
            if (q !== asked) { return; } /* a later keystroke asked again meanwhile */
            while (list.firstChild) { list.removeChild(list.firstChild); }
            (body.items || []).forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.name;
              list.appendChild(option);
            });
          })
          .catch(function () { /* no suggestions: the search itself still works */ });
      }, WAIT_MS);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest][list]"), suggest);
  });
})();
