// Email settings: show only the chosen provider's section. Without this script every
// section shows, each saying which provider it is for; the server ignores the others.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var choices = document.querySelectorAll("input[type=radio][name=provider]");
    var sections = document.querySelectorAll("[data-provider-section]");
    if (!choices.length || !sections.length) { return; }
    function chosen() {
      for (var i = 0; i < choices.length; i++) {
        if (choices[i].checked) { return choices[i].value; }
      }
      return null;
    }
    function show() {
      var provider = chosen();
      sections.forEach(function (section) {
        // A section the server marked wrong stays in view, chosen or not.
        var wrong = section.querySelector(".has-error") !== null;
        section.hidden = !wrong && section.getAttribute("data-provider-section") !== provider;
      });
    }
    choices.forEach(function (choice) { choice.addEventListener("change", show); });
    show();
  });
})();
