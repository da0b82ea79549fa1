// Mail templates: the preview follows the subject, intro and footer as the operator
// types. The server renders it (/admin/mail-templates/<kind>/preview.json) exactly as it
// would render the mail; a template that does not render shows its error on the field.
// Without this script the Preview button does the same with a page load.
(function () {
  "use strict";
  var FIELDS = ["subject", "intro", "footer"];
  function liveError(input) {
    var box = input.parentElement.querySelector("[data-live-error]");
    if (!box) {
      box = document.createElement("p");
      box.className = "error";
      box.setAttribute("role", "alert");
      box.setAttribute("data-live-error", "");
      input.parentElement.appendChild(box);
    }
    return box;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-mail-template-form]");
    var section = document.getElementById("mail-preview");
    if (!form || !section) { return; }
    var url = form.getAttribute("data-preview-url");
    var subject = section.querySelector("[data-preview-subject]");
    var text = section.querySelector("[data-preview-text]");
    var frame = section.querySelector("[data-preview-html]");
    var timer = null, asked = 0;
    function refresh() {
      asked += 1;
      var mine = asked;
      var query = new URLSearchParams();
      FIELDS.forEach(function (name) { query.append(name, form.elements[name].value); });
      fetch(url + "?" + query.toString(), { credentials: "same-origin",
                                             headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          if (mine !== asked) { return; }
          var errors = answer.errors || {};
          FIELDS.forEach(function (name) {
            var box = liveError(form.elements[name]);
            box.textContent = errors[name] || "";
            box.hidden = !errors[name];
          });
          if (answer.errors) { section.classList.add("stale"); return; }
          section.classList.remove("stale");
          if (subject) { subject.textContent = answer.subject; }
          if (text) { text.textContent = answer.text; }
          if (frame && frame.getAttribute("src") !== answer.html_url) { frame.setAttribute("src", answer.html_url); }
        })
        .catch(function () {});
    }
    FIELDS.forEach(function (name) {
      form.elements[name].addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(refresh, 300);
      });
    });
  });
})();
