/* Attendance pages. The roster: one tap marks a learner (fetch, the form posts as usual without JavaScript) and the
   list polls the server, so self check-ins show up. The check-in code: a new QR code and typed code every few
   seconds. The printable roster: its print button. */
(function () {
  "use strict";
  var POLL_MS = 4000;

  function show(item, status, source) {
    item.querySelectorAll("button.mark").forEach(function (button) {
      var on = button.value === status;
      button.classList.toggle("current", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    var badge = item.querySelector(".mark-source");
    badge.textContent = source === "self" ? badge.dataset.selfLabel : "";
  }

  var roster = document.querySelector(".mark-roster");
  if (roster) {
    var error = document.querySelector(".mark-error");
    roster.addEventListener("submit", function (event) {
      var form = event.target, button = event.submitter;
      if (!button || !window.fetch) { return; }
      event.preventDefault();
      var data = new FormData(form);
      data.set("status", button.value);
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
                           headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (answer) {
          if (!answer.ok) { error.textContent = answer.body.error || answer.body.message; error.hidden = false; return; }
          error.hidden = true;
          show(form.closest("li"), answer.body.status, answer.body.source);
        })
        .catch(function () { form.submit(); });  // the network hiccuped: the plain form post, then the page
    });
    setInterval(function () {
      fetch(roster.dataset.pollUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) { return; }
          roster.querySelectorAll("li[data-learner]").forEach(function (item) {
            var mark = body.marks[item.dataset.learner];
            show(item, mark ? mark.status : null, mark ? mark.source : null);
          });
        })
        .catch(function () {});
    }, POLL_MS);
  }

  var code = document.querySelector(".check-in-code");
  if (code) {
    setInterval(function () {
      fetch(code.dataset.codeUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) { return; }
          code.querySelector("img.qr").src = body.qr;
          code.querySelector(".typed-code").textContent = body.code;
        })
        .catch(function () {});
    }, POLL_MS);
  }

  var print = document.querySelector("[data-print]");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
