// A quiz's form: the answers are kept as answers.json in a hidden file field (textarea[data-file]) that the page's
// submission script sends, rebuilt on every change and once more on submit. The same shape as the server builds
// from the form without JavaScript (lms/quizzes/services.answers_from_form).
(function () {
  "use strict";
  var quiz = document.getElementById("quiz");
  if (!quiz) return;
  var form = quiz.closest("form");
  var file = document.createElement("textarea");
  file.hidden = true;
  file.name = "file:answers.json";
  file.setAttribute("data-file", "answers.json");
  quiz.appendChild(file);

  function answerOf(fieldset) {
    var name = "q:" + fieldset.getAttribute("data-question");
    var type = fieldset.getAttribute("data-type");
    var fields = Array.prototype.filter.call(fieldset.querySelectorAll("input, select"),
                                             function (f) { return f.name === name || f.hasAttribute("data-part"); });
    if (type === "single") {
      var checked = fields.filter(function (f) { return f.checked; })[0];
      return checked ? checked.value : null;
    }
    if (type === "multiple") {
      var ticked = fields.filter(function (f) { return f.checked; }).map(function (f) { return f.value; });
      return ticked.length ? ticked : null;
    }
    if (type === "short" || type === "numerical") {
      var text = fields.length ? fields[0].value.trim() : "";
      return text || null;
    }
    var parts = {}, any = false;  // matching, ordering, cloze: one field per part
    fields.forEach(function (f) {
      var value = f.value.trim();
      if (value) { parts[f.getAttribute("data-part")] = value; any = true; }
    });
    return any ? parts : null;
  }

  function sync() {
    var answers = {};
    quiz.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
      var answer = answerOf(fieldset);
      if (answer !== null) answers[fieldset.getAttribute("data-question")] = answer;
    });
    file.value = JSON.stringify(answers);
  }

  form.addEventListener("input", sync);
  form.addEventListener("change", sync);
  form.addEventListener("submit", sync);  // registered before the submission script's own listener
  sync();
})();
