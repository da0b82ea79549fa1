// Live views in the admin: elements with data-poll-url refresh themselves from JSON.
(function () {
  "use strict";
  function poll(el) {
    var url = el.getAttribute("data-poll-url");
    var every = parseInt(el.getAttribute("data-poll-every") || "1000", 10);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        document.dispatchEvent(new CustomEvent("statusmail:poll", { detail: { el: el, data: data } }));
        if (!data.done) { setTimeout(function () { poll(el); }, every); }
      })
      .catch(function () { setTimeout(function () { poll(el); }, every * 3); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll-url]").forEach(poll);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  });
})();
