// Sizes statusmail's subscribe widget to its content. Include it on the page that embeds
//   <iframe src="https://status.example.com/widget" data-statusmail-widget …></iframe>
// Only a frame's own content, from the origin of that frame's src, may set its height.
(function () {
  "use strict";
  var MIN_HEIGHT = 80, MAX_HEIGHT = 2000;
  function frames() { return document.querySelectorAll("iframe[data-statusmail-widget]"); }
  function originOf(frame) {
    try { return new URL(frame.getAttribute("src"), document.baseURI).origin; } catch (e) { return null; }
  }
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "statusmail:widget-height" || typeof data.height !== "number") { return; }
    var list = frames();
    for (var i = 0; i < list.length; i++) {
      var frame = list[i];
      if (frame.contentWindow === event.source && originOf(frame) === event.origin) {
        var height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.ceil(data.height)));
        frame.style.height = height + "px";
        return;
      }
    }
  });
  function askFrames() {
    var list = frames();
    for (var i = 0; i < list.length; i++) {
      var origin = originOf(list[i]);
      if (origin && list[i].contentWindow) {
        list[i].contentWindow.postMessage({ type: "statusmail:widget-size?" }, origin);
      }
    }
  }
  // A frame that loaded before this script ran has already reported: ask it again.
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", askFrames); } else { askFrames(); }
  window.addEventListener("load", askFrames);
})();
