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
    // Widths come from data-percent: the Content-Security-Policy forbids style="" attributes.
    document.querySelectorAll("[data-percent]").forEach(function (bar) {
      bar.style.width = bar.getAttribute("data-percent") + "%";
    });
    document.querySelectorAll("[data-poll-url]").forEach(poll);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  });
})();

// Delivery log: a notice's progress card follows the JSON its data-poll-url returns.
(function () {
  "use strict";
  function seconds(value) {
    if (value === null || value === undefined) { return "—"; }
    if (value < 60) { return value.toFixed(1) + " s"; }
    return Math.floor(value / 60) + " min " + Math.floor(value % 60) + " s";
  }
  document.addEventListener("statusmail:poll", function (e) {
    var card = e.detail.el, data = e.detail.data;
    if (!card.hasAttribute("data-delivery-progress")) { return; }
    function set(name, text) {
      card.querySelectorAll('[data-field="' + name + '"]').forEach(function (n) { n.textContent = text; });
    }
    set("percent", Math.floor(data.percent));
    set("total", data.total);
    set("state", data.display_state.replace(/_/g, " "));
    set("expanded", Math.floor(data.expanded_percent));
    set("rate", (data.rate_per_sec || 0).toFixed(1));
    set("duration", seconds(data.duration_sec));
    card.querySelectorAll('[data-field="bar"]').forEach(function (bar) { bar.style.width = data.percent + "%"; });
    card.querySelectorAll('[role="progressbar"]').forEach(function (bar) { bar.setAttribute("aria-valuenow", Math.floor(data.percent)); });
    card.querySelectorAll("[data-count]").forEach(function (cell) {
      cell.textContent = data.counts[cell.getAttribute("data-count")] || 0;
    });
    // Finished, expanded, paused/resumed elsewhere, or waiting for other retries: reload
    // for the final figures, the lists and buttons.
    if (data.done || data.display_state !== card.getAttribute("data-state") ||
        data.next_attempt_at !== card.getAttribute("data-next-attempt")) { window.location.reload(); }
  });
})();

// Test send: show the state while waiting; reload for the server's answer once there is one.
(function () {
  "use strict";
  document.addEventListener("statusmail:poll", function (e) {
    var card = e.detail.el, data = e.detail.data;
    if (!card.hasAttribute("data-test-send")) { return; }
    if (data.done || data.state !== card.getAttribute("data-state")) { window.location.reload(); return; }
    var stalled = card.querySelector('[data-field="stalled"]');
    if (stalled) {
      stalled.textContent = data.stalled ? data.stalled.message : "";
      stalled.hidden = !data.stalled;
    }
  });
})();

// Subscriber export/import: follow the job's progress; reload for the download or result.
(function () {
  "use strict";
  document.addEventListener("statusmail:poll", function (e) {
    var card = e.detail.el, data = e.detail.data;
    if (!card.hasAttribute("data-transfer-progress")) { return; }
    if (data.done) { window.location.reload(); return; }
    card.querySelectorAll('[data-field="state"]').forEach(function (n) { n.textContent = data.state; });
    card.querySelectorAll('[data-field="phase"]').forEach(function (n) { n.textContent = data.phase || ""; });
    card.querySelectorAll('[data-field="rows_done"]').forEach(function (n) { n.textContent = data.rows_done || 0; });
    card.querySelectorAll('[data-field="bar"]').forEach(function (bar) { bar.style.width = data.percent + "%"; });
    card.querySelectorAll('[role="progressbar"]').forEach(function (bar) { bar.setAttribute("aria-valuenow", Math.floor(data.percent)); });
  });
})();

// Audience preview: "This notifies N subscribers (…)" next to a button that sends a notice,
// asked again from /admin/audience.json whenever the form's components or "notify" change.
(function () {
  "use strict";
  function componentIds(form) {
    var ids = [];
    form.querySelectorAll('select[name^="component_"]').forEach(function (select) {
      if (select.value) { ids.push(select.name.slice("component_".length)); }
    });
    form.querySelectorAll('input[name="component_ids"]:checked').forEach(function (box) {
      ids.push(box.value);
    });
    return ids;
  }
  function follow(el, form) {
    var sentence = el.querySelector("[data-audience-sentence]");
    var asked = 0;
    function refresh() {
      var notify = form.querySelector('input[type="checkbox"][name="notify"]');
      asked += 1;
      var mine = asked;
      if (notify && !notify.checked) {
        sentence.textContent = "Nobody will be mailed: \u201cNotify subscribers\u201d is off.";
        return;
      }
      var url = new URL(el.getAttribute("data-audience-url"), window.location.href);
      if (el.hasAttribute("data-audience-live")) {
        url.searchParams.delete("component");
        componentIds(form).forEach(function (id) { url.searchParams.append("component", id); });
      }
      if (el.hasAttribute("data-audience-stages")) {
        // A maintenance form: which of its stages (announce, remind, start, complete) send.
        url.searchParams.delete("stage");
        form.querySelectorAll('input[type="checkbox"][name^="notify_"]:checked').forEach(function (box) {
          url.searchParams.append("stage", box.name.slice("notify_".length));
        });
        var minutes = form.querySelector('input[name="reminder_minutes"]');
        url.searchParams.set("reminder_minutes", minutes && /^\d+$/.test(minutes.value) ? minutes.value : "0");
      }
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) { if (mine === asked) { sentence.textContent = data.sentence; } })
        .catch(function () {
          if (mine === asked) { sentence.textContent = "The audience could not be counted just now; change a field to ask again."; }
        });
    }
    form.addEventListener("change", refresh);
    refresh();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-audience]").forEach(function (el) {
      var form = el.closest("form");
      if (form) { follow(el, form); }
    });
    // The server-side preview button is for browsers without scripts.
    document.querySelectorAll("[data-no-js-only]").forEach(function (el) { el.hidden = true; });
  });
})();

// Markdown fields: how the message will read on the status page and in the mail, rendered
// and sanitised by the server (/admin/markdown-preview) as the operator types.
(function () {
  "use strict";
  function follow(area, url) {
    var form = area.closest("form");
    var token = (form && form.querySelector('input[name="csrf_token"]'))
      || document.querySelector('input[name="csrf_token"]');
    var box = document.createElement("div");
    box.className = "markdown-preview";
    box.setAttribute("aria-live", "polite");
    var title = document.createElement("p");
    title.className = "help";
    title.textContent = "Preview";
    var body = document.createElement("div");
    body.className = "markdown";
    box.appendChild(title);
    box.appendChild(body);
    box.hidden = true;
    area.insertAdjacentElement("afterend", box);
    var timer = null, asked = 0;
    function refresh() {
      asked += 1;
      var mine = asked;
      if (!area.value.trim()) { box.hidden = true; return; }
      var data = new URLSearchParams();
      data.append("text", area.value);
      if (token) { data.append("csrf_token", token.value); }
      fetch(url, { method: "POST", body: data, credentials: "same-origin",
                   headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          if (mine !== asked) { return; }
          if (answer.html !== undefined) { body.innerHTML = answer.html; }  // sanitised by nh3
          else { body.textContent = answer.error || "No preview just now."; }
          box.hidden = false;
        })
        .catch(function () { if (mine === asked) { body.textContent = "No preview just now."; box.hidden = false; } });
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    refresh();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var meta = document.querySelector('meta[name="statusmail-markdown-preview"]');
    if (!meta) { return; }
    document.querySelectorAll("textarea[data-markdown-preview]").forEach(function (area) {
      follow(area, meta.getAttribute("content"));
    });
  });
})();
