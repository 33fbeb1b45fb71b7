"""A small fullstack exercise (a notes page and its JSON API), a server that passes it, and the grading of a
submission through the real FullstackGrader and runner, shared by the fullstack kind's integration and hostile
tests: the learner's Flask server in one container, Chromium and the HTTP prober in a second one sharing only its
network namespace."""
from __future__ import annotations

import json
from dataclasses import dataclass

import docker
import pytest

from graders.base import ExerciseSpec, GradeResult, Verdict
from graders.fullstack import FullstackGrader
from sandboxes.runner import SandboxPlan, SandboxResult, SandboxRunner

POINTS = 10.0
NAME = {"fr": "Vérification", "ar": "فحص", "en": "Check"}
SPEC_DATA = {
    "kind": "fullstack", "uuid": "fullstack-notes", "points": POINTS, "files": ["app.py"],
    "options": {"entry": "app.py", "port": 5000, "ready_seconds": 3, "request_timeout": 1.5,
                "viewports": [{"name": "desktop", "width": 1024, "height": 700},
                              {"name": "phone", "width": 390, "height": 700, "hidden": True}]},
    "limits": {"wall_seconds": 12, "cpu_seconds": 4, "memory_mb": 128, "pids": 32, "output_kb": 32},
    "checks": [
        {"id": "example-add", "name": NAME, "hidden": False,
         "actions": [{"type": {"into": "#t", "generate": "note"}}, {"click": "#add"}], "settle_ms": 200,
         "selector": "#notes li", "text": {"contains": "{{note}}"}},
        {"id": "example-listed", "name": NAME, "hidden": False, "generate": {"text": "hex:12"},
         "setup": [{"request": {"method": "POST", "path": "/api/notes", "json": {"text": "{{text}}"}},
                    "expect": {"status": 201}}],
         "actions": [{"reload": True}], "settle_ms": 200, "selector": "#notes", "text": {"contains": "{{text}}"}},
        {"id": "example-api", "name": NAME, "hidden": False, "steps": [
            {"request": {"method": "POST", "path": "/api/notes", "json": {"text": "Ada"}},
             "expect": {"status": 201, "json_contains": {"text": "Ada"}}, "capture": {"note": "id"}},
            {"request": {"method": "GET", "path": "/api/notes"},
             "expect": {"status": 200, "json_has_item": {"id": "{{note}}", "text": "Ada"}}}]},
        {"id": "reload-keeps", "name": NAME, "viewports": ["desktop", "phone"],
         "actions": [{"type": {"into": "#t", "generate": "note"}}, {"click": "#add"}, {"reload": True}],
         "settle_ms": 200, "selector": "#notes", "text": {"contains": "{{note}}"}},
        {"id": "restart-keeps", "name": NAME, "generate": {"secret": "hex:24"}, "steps": [
            {"request": {"method": "POST", "path": "/api/notes", "json": {"text": "{{secret}}"}},
             "expect": {"status": 201}},
            {"restart": True},
            {"request": {"method": "GET", "path": "/api/notes"},
             "expect": {"status": 200, "json_has_item": {"text": "{{secret}}"}}}]},
    ],
}
SPEC = ExerciseSpec.from_dict(SPEC_DATA)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Notes</title></head><body><main>
<h1>Notes</h1><form id="f"><label for="t">Note</label><input id="t"><button id="add">Add</button></form>
<ul id="notes"></ul></main><script>
const list = document.querySelector("#notes");
const show = (n) => { const li = document.createElement("li"); li.textContent = n.text; list.appendChild(li); };
fetch("/api/notes").then((r) => r.json()).then((notes) => notes.forEach(show));
document.querySelector("#f").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await fetch("/api/notes", {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: JSON.stringify({text: document.querySelector("#t").value})});
  show(await answer.json());
});
/*PAGE_EXTRA*/
</script></body></html>"""

SERVER = '''\
import json
import os

from flask import Flask, jsonify, request

app = Flask(__name__)
PAGE = PAGE_TEXT


def load():
    return json.load(open("notes.json")) if os.path.exists("notes.json") else []


@app.get("/")
def page():
    return PAGE


@app.get("/api/notes")
def notes():
    return jsonify(load())


@app.post("/api/notes")
def add():
    notes = load()
    note = {"id": len(notes) + 1, "text": request.get_json()["text"]}
    notes.append(note)
    json.dump(notes, open("notes.json", "w"))
    return jsonify(note), 201


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
'''


def notes_app(page_extra: str = "", page: str | None = None) -> str:
    """The server that passes SPEC; `page_extra`: script added to its page; `page`: another page."""
    return SERVER.replace("PAGE_TEXT", repr(page if page is not None else PAGE.replace("/*PAGE_EXTRA*/", page_extra)))


def hidden_values(plan: SandboxPlan) -> list[str]:
    """What the hidden checks type or send in this run (long enough to be found nowhere by chance)."""
    hidden = {c["id"] for c in SPEC.checks if c.get("hidden", True) is not False}
    found = [str(v) for check_id, values in plan.trusted["values"].items() if check_id in hidden
             for v in values.values()]
    found += [v for check_id, values in plan.trusted["typed"].items() if check_id in hidden for v in values.values()]
    return [value for value in found if len(value) >= 6]


@dataclass
class FullstackRun:
    runner: SandboxRunner
    docker_client: docker.DockerClient
    grader: FullstackGrader

    def grade(self, code: str, spec: ExerciseSpec = SPEC,
              practice: bool = False) -> tuple[GradeResult, SandboxPlan, SandboxResult]:
        assert self.grader.validate(spec) == []
        plan = self.grader.plan(spec, {"app.py": code}, practice=practice)
        visible = json.dumps([plan.job(), plan.prober.job()])
        assert not any(value in visible for value in hidden_values(plan))
        result = self.runner.run(plan)
        self.runner.flush()  # removal is asynchronous
        for container_id in filter(None, (result.container_id, result.prober_id)):
            with pytest.raises(docker.errors.NotFound):
                self.docker_client.containers.get(container_id)
        return self.grader.judge(spec, plan, result), plan, result

    def check(self, code: str, verdict: Verdict, score: float | None = None) -> GradeResult:
        """A hostile case: its verdict and score, nothing hidden shown, and the benign server passing after it."""
        grade, plan, result = self.grade(code)
        assert grade.verdict == verdict, describe(grade)
        if score is not None:
            assert grade.score == score, describe(grade)
        shown = json.dumps(grade.feedback(), ensure_ascii=False)
        assert not [value for value in hidden_values(plan) if value in shown]
        assert all(c.message == "" and c.details == {} for c in grade.checks if c.hidden)
        benign, _, _ = self.grade(notes_app())
        assert (benign.verdict, benign.score) == (Verdict.PASSED, POINTS), describe(benign)
        return grade


def describe(grade: GradeResult) -> str:
    return (f"verdict={grade.verdict} score={grade.score} message={grade.message!r} "
            f"checks={[(c.id, c.status, c.message) for c in grade.checks]} "
            f"diagnostics={json.dumps(grade.diagnostics, default=str)[:1500]}")
