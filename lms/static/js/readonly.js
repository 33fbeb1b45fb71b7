// Show submitted code and public tests with the read-only editor (left to right, highlighted).
document.querySelectorAll("pre[data-read-only-code]").forEach(function (pre) {
  if (window.LMSEditor) {
    var holder = document.createElement("div");
    pre.replaceWith(holder);
    window.LMSEditor.createReadOnly(holder, pre.textContent, { language: pre.dataset.language || "text" });
  }
});
