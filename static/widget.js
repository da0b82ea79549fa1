// The subscribe widget tells the page that frames it how tall it is, so that the frame
// fits the form and, after sending, the longer "check your inbox" answer. A height is no
// secret: it goes to whichever page frames the widget (static/widget-embed.js listens).
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var reported = 0;
  function report(force) {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height && (force === true || height !== reported)) {
      reported = height;
      window.parent.postMessage({ type: "statusmail:widget-height", height: height }, "*");
    }
  }
  window.addEventListener("load", report);
  window.addEventListener("message", function (event) {
    // The embedding page asks again when its script started after this frame loaded.
    if (event.source === window.parent && event.data && event.data.type === "statusmail:widget-size?") {
      report(true);
    }
  });
  if (window.ResizeObserver) { new window.ResizeObserver(report).observe(document.documentElement); }
  report();
})();
