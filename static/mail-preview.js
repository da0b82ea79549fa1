// Captured mail: the HTML part's frame grows to the whole mail, footer included. The
// frame is sandboxed without scripts but same-origin, so this page can measure it.
// Without this script the frame keeps a tall fixed height and the page links the part
// on its own.
(function () {
  "use strict";
  function fit(frame) {
    var doc;
    try { doc = frame.contentDocument; } catch (e) { return; }
    if (!doc || !doc.documentElement) { return; }
    frame.style.height = "0px";  // measure the content, not the frame it had
    var height = Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
    frame.style.height = (height + 2) + "px";
    frame.classList.add("fitted");
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("iframe[data-fit-content]").forEach(function (frame) {
      frame.addEventListener("load", function () { fit(frame); });
      var doc = frame.contentDocument;  // loaded before this ran: no load event will come
      if (doc && doc.URL !== "about:blank" && doc.readyState === "complete") { fit(frame); }
      var pending = null;
      window.addEventListener("resize", function () {
        if (pending) { window.cancelAnimationFrame(pending); }
        pending = window.requestAnimationFrame(function () { pending = null; fit(frame); });
      });
    });
  });
})();
