// Exercise page: submit through the JSON API, then follow the submission live (queued -> running -> result).
// Everything the server sends is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  if (!form) return;
  var strings = JSON.parse(document.getElementById("lms-strings").textContent);
  var buttons = Array.prototype.slice.call(form.querySelectorAll("button[type=submit]"));
  var labels = buttons.map(function (b) { return b.textContent; });
  function busy(clicked) {
    buttons.forEach(function (b) { b.disabled = true; });
    if (clicked) clicked.textContent = strings.submitting;
  }
  function ready() {
    buttons.forEach(function (b, i) { b.disabled = false; b.textContent = labels[i]; });
  }
  var errorBox = document.getElementById("submit-error");
  var live = document.getElementById("live-result");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var POLL_MS = 50;  // pause between two long-polls
  var WAIT_S = 20;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function format(template, n) { return template.replace("{n}", n); }

  // Scores are floats: show them as the server-rendered pages do (Python's str(): 10.0, 7.5), not as 10.
  function number(x) { return typeof x === "number" && Number.isInteger(x) ? x.toFixed(1) : String(x); }
  function scoreText(data) { return number(data.score) + " / " + number(data.max_score); }

  function checkList(title, items, codeNames) {
    var frag = document.createDocumentFragment();
    if (!items || !items.length) return frag;
    frag.appendChild(el("h3", {}, title));
    var ul = el("ul", { "class": "checks" });
    items.forEach(function (c) {
      var li = el("li", { "class": c.passed ? "ok" : "ko" });
      li.appendChild(el("span", { "class": "mark" }, c.passed ? "✓" : "✗"));
      li.appendChild(el("span", codeNames ? { "class": "check-name", dir: "ltr" } : { "class": "check-name" }, c.name));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", { "class": "muted" }, c.status));
      if (c.hidden) li.appendChild(el("span", { "class": "muted" }, " (" + strings.hidden + ")"));
      if (c.message && !c.passed) li.appendChild(el("pre", { "class": "message", dir: "ltr" }, c.message));
      if (c.details && c.details.console) li.appendChild(el("pre", { "class": "message console", dir: "ltr" }, c.details.console));
      ["server_log", "target_log"].forEach(function (key) {  // the learner's server, or an exploit lab's target
        if (!(c.details && c.details[key])) return;
        var log = el("details", { "class": "server-log" });
        log.appendChild(el("summary", {}, strings[key]));
        log.appendChild(el("pre", { "class": "message", dir: "ltr" }, c.details[key]));
        li.appendChild(log);
      });
      if (c.details && c.details.transcript) li.appendChild(transcript(c.details.transcript, !c.passed));
      if (c.details && c.details.result_table) {
        var caption = c.details.table ? tableCaption(c.details.table) : strings.result_table;
        li.appendChild(resultTable(c.details.result_table, caption, !c.passed));
      }
      if (c.details && c.details.result_tables) {
        c.details.result_tables.forEach(function (t) { li.appendChild(resultTable(t, tableCaption(t.table), !c.passed)); });
        if (c.details.tables_more) li.appendChild(el("p", { "class": "muted" }, strings.more_tables));
      }
      ul.appendChild(li);
    });
    frag.appendChild(ul);
    return frag;
  }

  function bodyText(body) { return typeof body === "string" ? body : JSON.stringify(body, null, 2); }

  // The same markup as templates/submissions/_transcript.html.
  function transcript(exchanges, open) {
    var details = el("details", open ? { "class": "transcript", open: "" } : { "class": "transcript" });
    details.appendChild(el("summary", {}, strings.transcript));
    var list = el("ol", { "class": "exchanges", dir: "ltr" });
    exchanges.forEach(function (x) {
      var li = el("li", { "class": "exchange" });
      if (x.restart) {
        li.appendChild(el("span", { "class": "muted" }, strings.restarted));
      } else {
        li.appendChild(el("code", { "class": "request-line" }, x.method + " " + x.path));
        li.appendChild(document.createTextNode(" → "));
        li.appendChild(el("code", { "class": "status" }, x.status === null || x.status === undefined ? "—" : x.status));
        [x.request_body, x.response_body].forEach(function (body) {
          if (body !== undefined && body !== null && body !== "") li.appendChild(el("pre", { "class": "body" }, bodyText(body)));
        });
        if (x.problem) li.appendChild(el("p", { "class": "problem" }, x.problem));
      }
      list.appendChild(li);
    });
    details.appendChild(list);
    return details;
  }

  // The same markup as templates/submissions/_result_table.html.
  function cellText(value) {
    if (value === null || value === undefined) return "NULL";
    if (typeof value === "object") return "x'" + value.blob + "'";
    return String(value);
  }

  function tableCaption(name) { return strings.table_after.replace("{name}", name); }

  function resultTable(table, caption, open) {
    var details = el("details", open ? { "class": "result-table", open: "" } : { "class": "result-table" });
    details.appendChild(el("summary", {}, caption));
    var scroll = el("div", { "class": "table-scroll", dir: "ltr" });
    var grid = el("table", { "class": "rows" });
    var head = el("tr");
    (table.columns || []).forEach(function (name) { head.appendChild(el("th", { scope: "col" }, name)); });
    grid.appendChild(el("thead")).appendChild(head);
    var body = grid.appendChild(el("tbody"));
    (table.rows || []).forEach(function (row) {
      var tr = body.appendChild(el("tr"));
      row.forEach(function (value) { tr.appendChild(el("td", {}, cellText(value))); });
    });
    scroll.appendChild(grid);
    details.appendChild(scroll);
    if (table.more) details.appendChild(el("p", { "class": "muted" }, strings.more_rows));
    return details;
  }

  function artifacts(items) {
    var frag = document.createDocumentFragment();
    if (!items || !items.length) return frag;
    var figures = items[0].name.indexOf("figure-") === 0;  // a data analysis's figures, else screenshots
    frag.appendChild(el("h3", {}, figures ? strings.figures : strings.screenshots));
    var box = el("div", { "class": "artifacts" });
    items.forEach(function (a) {
      var figure = el("figure", { "class": "artifact" });
      var link = el("a", { href: a.url });
      link.appendChild(el("img", { src: a.url, alt: a.caption, loading: "lazy" }));
      figure.appendChild(link);
      figure.appendChild(el("figcaption", {}, a.caption));
      box.appendChild(figure);
    });
    frag.appendChild(box);
    return frag;
  }

  function render(data) {
    var key = data.verdict || data.status;
    var section = el("section", { "class": "result verdict-" + key, id: "result", "aria-live": "polite",
                                  "data-submission-id": data.id, "data-final": data.final ? "true" : "false" });
    var h2 = el("h2", { "class": "result-title" });
    h2.appendChild(el("span", { "class": "badge badge-" + key }, data.verdict_label || data.status_label));
    if (data.score !== null && data.score !== undefined) {
      h2.appendChild(el("span", { "class": "score", dir: "ltr" }, scoreText(data)));
    }
    section.appendChild(h2);
    if (!data.final) {
      var line = data.status_label;
      if (data.queue_position) line += " · " + format(strings.position, data.queue_position);
      if (data.retrying) line += " · " + format(strings.retrying, data.attempt);
      section.appendChild(el("p", { "class": "status-line" }, line));
    }
    if (data.message) section.appendChild(el("pre", { "class": "message", dir: "ltr" }, data.message));
    section.appendChild(artifacts(data.artifacts));
    section.appendChild(checkList(strings.graded_checks, data.checks, false));
    section.appendChild(checkList(strings.public_tests, data.public_tests, true));
    live.replaceChildren(section);
    updateRow(data);
  }

  function updateRow(data) {
    var table = document.getElementById("submissions-table");
    if (!table) return;
    var body = table.tBodies[0];
    var row = body.querySelector('tr[data-submission-id="' + data.id + '"]');
    var empty = body.querySelector(".empty-row");
    if (empty) empty.remove();
    if (!row) {
      row = el("tr", { "data-submission-id": data.id });
      var link = el("a", { href: form.dataset.detailUrl.replace(/0$/, data.id) }, data.id);
      var idCell = el("td"); idCell.appendChild(link);
      row.appendChild(idCell);
      row.appendChild(el("td", { dir: "ltr" }, data.created_at.replace("T", " ").slice(0, 19)));
      row.appendChild(el("td"));
      row.appendChild(el("td"));
      body.insertBefore(row, body.firstChild);
    }
    var key = data.verdict || data.status;
    row.cells[2].replaceChildren(el("span", { "class": "badge badge-" + key }, data.verdict_label || data.status_label));
    row.cells[3].replaceChildren();
    if (data.score !== null && data.score !== undefined) {
      row.cells[3].appendChild(el("span", { "class": "score", dir: "ltr" }, scoreText(data)));
    }
  }

  // Long-polling: the server answers as soon as the status changes (or after WAIT_S seconds).
  function poll(id, status) {
    var url = form.dataset.statusUrl.replace(/0$/, id) + "?wait=" + WAIT_S + (status ? "&status=" + status : "");
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        render(data);
        if (!data.final) setTimeout(function () { poll(id, data.status); }, POLL_MS);
        else ready();
      })
      .catch(function () {
        errorBox.textContent = strings.network;
        setTimeout(function () { errorBox.textContent = ""; poll(id); }, 1500);
      });
  }

  // The request's body: the typed-in files as JSON, or the uploaded notebook as multipart (the browser sets the
  // boundary, so no Content-Type of ours).
  function request(mode) {
    var headers = { "Accept": "application/json", "X-CSRFToken": csrf };
    var upload = form.querySelector("input[type=file][name=notebook]");
    if (upload) {
      var data = new FormData();
      data.append("notebook", upload.files[0]);
      data.append("mode", mode);
      return { method: "POST", credentials: "same-origin", headers: headers, body: data };
    }
    var files = {};
    form.querySelectorAll("textarea[data-file]").forEach(function (t) { files[t.dataset.file] = t.value; });
    headers["Content-Type"] = "application/json";
    return { method: "POST", credentials: "same-origin", headers: headers,
             body: JSON.stringify({ files: files, mode: mode }) };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.textContent = "";
    var clicked = event.submitter || document.getElementById("submit-button");
    var mode = clicked && clicked.value === "practice" ? "practice" : "graded";
    busy(clicked);
    fetch(form.dataset.apiUrl, request(mode)).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (!res.ok) {
        errorBox.textContent = res.data.message || res.data.error;
        ready();
        return;
      }
      render(res.data);
      poll(res.data.id, res.data.status);
    }).catch(function () {
      errorBox.textContent = strings.network;
      ready();
    });
  });

  var current = live.querySelector("#result");
  if (current && current.dataset.final === "false") poll(current.dataset.submissionId);
})();
