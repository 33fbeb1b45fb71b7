"""Machinery of the hostile http-service cases: one exercise (a visible example with a restart, hidden checks with
payloads generated per run), a benign Flask server that passes it, and `HttpHostile.check`, which grades a hostile
server through the real HttpServiceGrader and runner and asserts what every case must: the verdict, the score,
inert feedback, no hidden payload in anything the learner sees, both containers gone, and a benign submission
graded right after that still gets full marks."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import docker
import pytest

from graders.base import ExerciseSpec, GradeResult, Verdict
from graders.http_service import HttpServiceGrader
from sandboxes.runner import SandboxPlan, SandboxResult, SandboxRunner

POINTS = 9.0
ONE_CHECK = 3.0  # three checks of equal weight
SPEC = ExerciseSpec.from_dict({
    "kind": "http-service", "files": ["app.py"], "points": POINTS, "uuid": "hostile-http-service",
    "options": {"entry": "app.py", "port": 5000, "ready_seconds": 3, "request_timeout": 1.5},
    "limits": {"wall_seconds": 5, "cpu_seconds": 2, "memory_mb": 96, "pids": 24, "output_kb": 16},
    "checks": [
        {"id": "example", "name": {"fr": "Exemple", "ar": "مثال", "en": "Example"}, "hidden": False, "steps": [
            {"request": {"method": "POST", "path": "/api/items", "json": {"name": "Ada"}},
             "expect": {"status": 201, "json_contains": {"name": "Ada"}}, "capture": {"item": "id"}},
            {"restart": True},
            {"request": {"method": "GET", "path": "/api/items/{{item}}"},
             "expect": {"status": 200, "json": {"id": "{{item}}", "name": "Ada"}}},
        ]},
        {"id": "stored-secret", "name": "Stored", "generate": {"secret": "hex:24"}, "steps": [
            {"request": {"method": "POST", "path": "/api/items", "json": {"name": "{{secret}}"}},
             "expect": {"status": 201, "json_contains": {"name": "{{secret}}"}}, "capture": {"item": "id"}},
            {"restart": True},
            {"request": {"method": "GET", "path": "/api/items/{{item}}"},
             "expect": {"status": 200, "json_contains": {"name": "{{secret}}"}}},
        ]},
        {"id": "word", "name": "Word", "generate": {"name": "word", "tag": "hex:20"}, "steps": [
            {"request": {"method": "POST", "path": "/api/items", "json": {"name": "{{name}}{{tag}}"}},
             "expect": {"status": 201, "json_contains": {"name": "{{name}}{{tag}}"}}},
        ]},
    ],
})

BENIGN = '''\
import json
import os

from flask import Flask, jsonify, request

app = Flask(__name__)


def load():
    return json.load(open("items.json")) if os.path.exists("items.json") else []


@app.post("/api/items")
def create():
    items = load()
    item = {"id": len(items) + 1, "name": request.get_json()["name"]}
    items.append(item)
    json.dump(items, open("items.json", "w"))
    return jsonify(item), 201


@app.get("/api/items/<int:number>")
def read(number):
    for item in load():
        if item["id"] == number:
            return jsonify(item)
    return jsonify(error="no such item"), 404


if __name__ == "__main__":
    app.run(host=HOST, port=5000)
'''

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def benign(host: str = "127.0.0.1", prelude: str = "", routes: str = "") -> str:
    """The benign server, with code run at import (`prelude`) or more routes (`routes`) of a hostile case."""
    code = BENIGN.replace("HOST", repr(host)).replace('if __name__ == "__main__":', routes + '\n\nif __name__ == "__main__":')
    return prelude + "\n" + code


def hidden_values(plan: SandboxPlan) -> list[str]:
    """The payloads generated for the hidden checks of this run (long enough to be found nowhere by chance)."""
    hidden = {c["id"] for c in SPEC.checks if c.get("hidden", True)}
    return [str(v) for check_id, values in plan.trusted["values"].items() if check_id in hidden
            for v in values.values() if len(str(v)) >= 6]


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@dataclass
class HttpHostile:
    runner: SandboxRunner
    docker_client: docker.DockerClient
    grader: HttpServiceGrader

    def grade(self, code: str) -> tuple[GradeResult, SandboxPlan, SandboxResult]:
        plan = self.grader.plan(SPEC, {"app.py": code})
        # The expectations never leave the trusted side; the hidden payloads are only in the hidden messages.
        visible = json.dumps([plan.job(), plan.prober.job()])
        assert not any(value in visible for value in hidden_values(plan))
        assert '"expect"' not in visible + json.dumps([plan.hidden_job("n"), plan.prober.hidden_job("n")])
        result = self.runner.run(plan)
        return self.grader.judge(SPEC, plan, result), plan, result

    def assert_gone(self, result: SandboxResult) -> None:
        self.runner.flush()  # removal is asynchronous
        assert result.container_id
        for container_id in filter(None, (result.container_id, result.prober_id)):  # no prober if it could not join
            with pytest.raises(docker.errors.NotFound):
                self.docker_client.containers.get(container_id)

    def assert_benign_passes(self) -> None:
        grade, _, result = self.grade(benign())
        assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade, result)
        self.assert_gone(result)

    def check(self, code: str, verdict, score: float | set | None = 0.0
              ) -> tuple[GradeResult, SandboxPlan, SandboxResult]:
        grade, plan, result = self.grade(code)
        allowed = verdict if isinstance(verdict, (set, frozenset)) else {verdict}
        assert grade.verdict in allowed, describe(grade, result)
        assert grade.verdict != Verdict.GRADING_ERROR
        if score is not None:
            assert grade.score in (score if isinstance(score, set) else {score}), describe(grade, result)
        feedback = grade.feedback()
        shown = json.dumps(feedback, ensure_ascii=False)
        leaked = [value for value in hidden_values(plan) if value in shown]
        assert not leaked, f"hidden payloads {leaked} shown to the learner: {shown[:1500]}"
        for text in strings(feedback):
            assert not CONTROL.search(text), f"control character in {text[:200]!r}"
        assert len(grade.message) <= 500
        for check in grade.checks:
            if check.hidden:
                assert check.message == "" and check.details == {}
        self.assert_gone(result)
        self.assert_benign_passes()
        return grade, plan, result


def describe(grade: GradeResult, result: SandboxResult) -> str:
    steps = "; ".join(f"{s.name}: exit={s.exit_code} sig={s.signal} timeout={s.timed_out} out={s.output_exceeded} "
                      f"oom={s.oom_killed} pids={s.pids_exhausted} missing={s.missing} "
                      f"log={(s.stdout + s.stderr)[-300:]!r}" for s in result.steps if "serve" in s.name)
    return (f"verdict={grade.verdict} score={grade.score} message={grade.message!r} status={result.status} "
            f"checks={[(c.id, c.status, c.message) for c in grade.checks]} | {steps} "
            f"| diagnostics={result.diagnostics[-300:]!r} {grade.diagnostics.get('platform', '')}")
