/* widget.js - the sioc support chat on any web site, with one tag:
 *
 *   <script src="https://support.example.com/widget.js" async></script>
 *
 * It adds a floating "Chat with us" button; the button opens a panel holding an iframe of
 * <origin of this script>/support?embed=1 (the chat runs in the iframe, on sioc's own origin, so
 * the host page needs no CORS and never sees the visitor's token). Options, as attributes of the
 * script tag: data-label="Help" (the button's text), data-position="left" (default right),
 * data-color="#1f5fd1" (the button's colour), data-open="1" (opened at load).
 * Plain ES5, no build step; served as a static file of the web app. */
(function () {
  "use strict";
  if (window.__siocWidget) return;
  window.__siocWidget = true;
  var script = document.currentScript || (function () {
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) if (/\/widget\.js(\?|$)/.test(all[i].src)) return all[i];
    return null;
  })();
  var origin = script ? new URL(script.src, location.href).origin : location.origin;
  var data = (script && script.dataset) || {};
  var side = data.position === "left" ? "left" : "right";
  var color = data.color || "#1f5fd1";
  var label = data.label || "Chat with us";

  var css =
    ".sioc-w-btn{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;display:flex;align-items:center;gap:8px;" +
    "padding:12px 18px;border:0;border-radius:999px;background:" + color + ";color:#fff;font:600 15px/1 system-ui,sans-serif;" +
    "box-shadow:0 6px 20px rgba(0,0,0,.25);cursor:pointer}" +
    ".sioc-w-btn:focus-visible{outline:3px solid #000;outline-offset:3px}" +
    ".sioc-w-panel{position:fixed;bottom:84px;" + side + ":20px;z-index:2147483000;width:380px;height:600px;" +
    "max-width:calc(100vw - 24px);max-height:calc(100vh - 104px);border-radius:14px;overflow:hidden;" +
    "box-shadow:0 12px 40px rgba(0,0,0,.3);background:#fff;display:none}" +
    ".sioc-w-panel[data-open]{display:block}" +
    ".sioc-w-panel iframe{width:100%;height:100%;border:0;display:block}" +
    "@media (max-width:480px){.sioc-w-panel{inset:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}}";
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  var panel = document.createElement("div");
  panel.className = "sioc-w-panel";
  panel.id = "sioc-support-panel";
  var frame = null;

  var btn = document.createElement("button");
  btn.type = "button";
  btn.className = "sioc-w-btn";
  btn.setAttribute("aria-controls", panel.id);
  btn.setAttribute("aria-expanded", "false");
  btn.setAttribute("aria-label", "Open support chat");
  btn.innerHTML = '<span aria-hidden="true">\uD83D\uDCAC</span><span></span>';
  btn.lastChild.textContent = label;

  function setOpen(open) {
    if (open && !frame) {
      frame = document.createElement("iframe");
      frame.title = "Support chat";
      frame.src = origin + "/support?embed=1";
      frame.setAttribute("allow", "clipboard-write");
      panel.appendChild(frame);
    }
    if (open) panel.setAttribute("data-open", "");
    else panel.removeAttribute("data-open");
    btn.setAttribute("aria-expanded", open ? "true" : "false");
    btn.setAttribute("aria-label", open ? "Close support chat" : "Open support chat");
    if (open && frame) frame.focus();
  }
  btn.addEventListener("click", function () {
    setOpen(!panel.hasAttribute("data-open"));
  });
  window.addEventListener("message", function (e) {
    if (e.origin === origin && e.data && e.data.type === "sioc-widget:close") {
      setOpen(false);
      btn.focus();
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && panel.hasAttribute("data-open")) setOpen(false);
  });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(btn);
    if (data.open === "1") setOpen(true);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
