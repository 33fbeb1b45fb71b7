// Exercise page workspace: one tab per submitted file, and for web pages a live preview of the learner's page.
// The preview is written into /preview-frame, an iframe sandboxed without same-origin rights whose policy lets it
// load nothing from anywhere: the learner's CSS and JS are inlined into index.html here, in the browser.
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  if (!form) return;

  // --- tabs -------------------------------------------------------------------------------------------
  var tabList = form.querySelector(".file-tabs");
  if (tabList) {
    var tabs = Array.prototype.slice.call(tabList.querySelectorAll("[data-tab]"));
    var select = function (tab) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      });
    };
    tabs.forEach(function (tab, index) {
      tab.addEventListener("click", function () { select(tab); });
      tab.addEventListener("keydown", function (event) {  // arrow keys move between tabs (WAI-ARIA tabs pattern)
        var step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (!step) return;
        var next = tabs[(index + step + tabs.length) % tabs.length];
        select(next);
        next.focus();
        event.preventDefault();
      });
    });
    tabList.hidden = false;
    form.classList.add("tabbed");
    select(tabs[0]);
  }

  // --- live preview -----------------------------------------------------------------------------------
  var preview = document.getElementById("preview");
  if (!preview) return;
  var frame = document.getElementById("preview-frame");
  var javascriptOn = preview.dataset.javascript === "true";

  function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function files() {
    var out = {};
    form.querySelectorAll("textarea[data-file]").forEach(function (t) { out[t.dataset.file] = t.value; });
    return out;
  }

  // index.html with its own style sheets and scripts inlined where it links them.
  function compose(all) {
    var html = all["index.html"] || "";
    Object.keys(all).forEach(function (name) {
      var quoted = "[\"']?(?:\\./)?" + escapeRegExp(name) + "[\"']?";
      if (/\.css$/i.test(name)) {
        var css = all[name].replace(/<\/style/gi, "<\\/style");
        html = html.replace(new RegExp("<link\\b[^>]*\\bhref=" + quoted + "[^>]*>", "gi"),
                            function () { return "<style>" + css + "</style>"; });
      } else if (/\.m?js$/i.test(name)) {
        var js = all[name].replace(/<\/script/gi, "<\\/script");
        html = html.replace(new RegExp("<script\\b[^>]*\\bsrc=" + quoted + "[^>]*>\\s*</script>", "gi"),
                            function () { return "<script>" + js + "</script>"; });
      }
    });
    if (!javascriptOn) {  // as the grader runs this exercise: scripts off (a second policy only adds limits)
      var guard = "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\">";
      html = /<head\b[^>]*>/i.test(html) ? html.replace(/<head\b[^>]*>/i, function (m) { return m + guard; })
                                          : guard + html;
    }
    return html;
  }

  var pending = null;
  frame.addEventListener("load", function () {
    if (pending === null) return;
    frame.contentWindow.postMessage({ type: "lms-preview", html: pending }, "*");  // an opaque origin: "*"
    pending = null;
  });
  function refresh() {
    pending = compose(files());
    frame.src = preview.dataset.frameUrl + "?t=" + Date.now();  // a fresh document each time: no state left
  }
  var timer = null;
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  refresh();
})();
