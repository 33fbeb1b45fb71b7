"""The http-service kind through the real sandbox: the learner's server in one container, the trusted prober in a
second one sharing only its network namespace. What the learner sees: verdict, score, each check's status and
message, the visible checks' transcripts and the server's log."""
import json
from pathlib import Path

import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from lms.catalog.content import load_exercise
from sandboxes.runner import SandboxPlan
from tests.conftest import CONTENT_DIR, sandbox_containers

MODULE = CONTENT_DIR / "back-end" / "json-api"
EXERCISES = ["routes-json", "validation-json", "persistance-sqlite", "jeton-api", "routes-json-express"]

FLASK_APP = '''
import os
from flask import Flask, jsonify, request

app = Flask(__name__)
SEEN = os.path.exists("marker")  # a file left by an earlier start of this server
open("marker", "w").close()


@app.get("/api/seen")
def seen():
    return jsonify(seen=SEEN)


@app.post("/api/echo")
def echo():
    return jsonify(request.get_json()), 201


if __name__ == "__main__":
    app.run(host=HOST, port=5000)
'''

SPEC = {
    "kind": "http-service", "files": ["app.py"], "points": 10,
    "options": {"entry": "app.py", "port": 5000, "ready_seconds": 4, "request_timeout": 2},
    "limits": {"wall_seconds": 5, "cpu_seconds": 3, "memory_mb": 128, "output_kb": 16},
    "checks": [
        {"id": "first-start", "name": "First start", "hidden": False, "steps": [
            {"request": {"method": "GET", "path": "/api/seen"}, "expect": {"status": 200, "json": {"seen": False}}},
            {"request": {"method": "POST", "path": "/api/echo", "json": {"name": "Ada", "n": 7}},
             "expect": {"status": 201, "json": {"name": "Ada", "n": 7}, "headers": {"content-type": "json"}}},
            {"restart": True},
            {"request": {"method": "GET", "path": "/api/seen"}, "expect": {"status": 200, "json": {"seen": True}}},
        ]},
        # The hidden phase: a fresh server, started from the submitted files only.
        {"id": "fresh-folder", "name": "Fresh folder", "steps": [
            {"request": {"method": "GET", "path": "/api/seen"}, "expect": {"status": 200, "json": {"seen": False}}},
        ]},
        {"id": "echo-generated", "name": "Echo", "steps": [
            {"request": {"method": "POST", "path": "/api/echo", "json": {"name": "{{word}}", "age": "{{int:18-60}}"}},
             "expect": {"status": 201, "json": {"name": "{{word}}", "age": "{{int:18-60}}"}}},
        ]},
    ],
}


def flask_app(host: str = "127.0.0.1") -> str:
    return FLASK_APP.replace("HOST", repr(host))


@pytest.fixture
def grade(runner, docker_client):
    grader = get_grader("http-service")

    def run(files, spec: dict | None = None):
        spec = ExerciseSpec.from_dict(spec or SPEC)
        assert grader.validate(spec) == []
        plan = grader.plan(spec, files if isinstance(files, dict) else {"app.py": files})
        result = runner.run(plan)
        runner.flush()
        # Both containers are gone, whatever happened.
        assert result.prober_id and result.prober_id != result.container_id
        left = {c.id for c in sandbox_containers(docker_client)}
        assert result.container_id not in left and result.prober_id not in left
        return grader.judge(spec, plan, result), plan, result

    return run


@pytest.mark.parametrize("slug", EXERCISES)
def test_bundled_exercise_reference_full_marks_starter_less(runner, slug):
    exercise = load_exercise(MODULE / slug)
    spec = exercise.grading_spec()
    grader = get_grader(spec.kind)
    outcomes = {}
    for kind, files in (("solution", exercise.solution_files), ("starter", exercise.starter_files)):
        plan = grader.plan(spec, files)
        outcomes[kind] = grader.judge(spec, plan, runner.run(plan))
    solution, starter = outcomes["solution"], outcomes["starter"]
    assert (solution.verdict, solution.score) == (Verdict.PASSED, spec.points), [
        (c.id, c.status, c.message) for c in solution.checks]
    assert starter.verdict == Verdict.FAILED and 0 < starter.score < spec.points
    assert any(not c.passed for c in starter.checks if not c.hidden)  # the starter's failure is explained


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::", "localhost"])
def test_server_on_any_loopback_address_passes_with_its_transcript(grade, host):
    result, plan, _ = grade(flask_app(host))
    assert (result.verdict, result.score) == (Verdict.PASSED, 10), [(c.id, c.status, c.message)
                                                                     for c in result.checks]
    first = result.checks[0]
    transcript = first.details["transcript"]
    assert [x.get("restart") or (x["method"], x["path"], x["status"]) for x in transcript] == [
        ("GET", "/api/seen", 200), ("POST", "/api/echo", 201), True, ("GET", "/api/seen", 200)]
    assert json.loads(transcript[1]["request_body"]) == {"name": "Ada", "n": 7}
    assert json.loads(transcript[1]["response_body"]) == {"name": "Ada", "n": 7}
    assert "problem" not in transcript[0] and first.message == ""
    # Hidden checks: a name and pass/fail, nothing else.
    assert all(c.message == "" and c.details == {} for c in result.checks if c.hidden)


def test_generated_values_change_per_run_and_never_enter_the_visible_phase(grade):
    _, plan, result = grade(flask_app())
    word = plan.trusted["values"]["echo-generated"]["word"]
    _, second, _ = grade(flask_app())
    assert second.trusted["values"]["echo-generated"]["word"] != word
    assert word not in json.dumps(plan.job()) + json.dumps(plan.prober.job())
    assert word in json.dumps(plan.prober.hidden_job("n"))
    assert word not in result.step("serve").stdout + result.step("serve").stderr  # the visible server never saw it


def test_wrong_answer_names_the_request_and_shows_it(grade):
    code = flask_app().replace("return jsonify(request.get_json()), 201", "return jsonify(request.get_json())")
    result, _, _ = grade(code)
    assert result.verdict == Verdict.FAILED
    assert result.score == round(10 * 1 / 3, 2)  # the fresh-folder check still passes
    first = result.checks[0]
    assert first.status == "failed"
    assert first.message["en"] == "POST /api/echo: expected status 201, got 200."
    assert first.message["fr"] == "POST /api/echo : code de statut attendu 201, reçu 200."
    assert "201" in first.message["ar"] and "200" in first.message["ar"]
    assert first.details["transcript"][1]["problem"] == first.message
    assert "127.0.0.1" in first.details["server_log"]  # the server's request log, visible phase


def test_server_that_never_starts_gets_a_clear_message_and_its_log(grade):
    result, _, _ = grade("from flask import Flask\napp = Flask(__name__\n")
    assert (result.verdict, result.score) == (Verdict.RUNTIME_ERROR, 0)
    first = result.checks[0]
    assert first.status == "error"
    assert first.message["en"] == "Your server did not answer on port 5000 within 4 s."
    assert first.message["fr"] == "Votre serveur n'a pas répondu sur le port 5000 en 4 s."
    assert "SyntaxError" in first.details["server_log"]
    assert "SyntaxError" in result.message


def test_server_on_another_port_is_not_ready(grade):
    result, _, _ = grade(flask_app().replace("port=5000", "port=5001"))
    assert (result.verdict, result.score) == (Verdict.RUNTIME_ERROR, 0)
    assert result.checks[0].message["en"] == "Your server did not answer on port 5000 within 4 s."
    assert "5001" in result.checks[0].details["server_log"]


def test_slow_answers_hit_the_request_timeout(grade):
    code = flask_app().replace("def echo():\n", "def echo():\n    import time; time.sleep(3.5)\n")
    result, _, _ = grade(code)
    assert result.verdict == Verdict.TIME_LIMIT
    first = result.checks[0]
    assert first.status == "timeout"
    assert first.message["en"] == "POST /api/echo: no answer within 2 s."
    assert [c.passed for c in result.checks] == [False, True, False]


def test_output_flood_is_the_output_limit(grade):
    code = flask_app().replace("app = Flask(__name__)", "app = Flask(__name__)\nprint('x' * 100000)")
    result, _, _ = grade(code)
    assert (result.verdict, result.score) == (Verdict.OUTPUT_LIMIT, 0)


def test_express_server(grade):
    code = """
const express = require("express");
const app = express();
app.use(express.json());
app.get("/api/seen", (req, res) => res.json({ seen: false }));
app.post("/api/echo", (req, res) => res.status(201).json(req.body));
app.listen(5000, "localhost");
"""
    spec = {**SPEC, "files": ["server.js"], "options": {**SPEC["options"], "entry": "server.js"}}
    result, _, _ = grade({"server.js": code}, spec)
    # Its /api/seen never says true: only the check with the restart fails.
    assert [c.passed for c in result.checks] == [False, True, True]
    assert result.checks[0].message["en"] == ("GET /api/seen: expected the JSON body {\"seen\": true}, "
                                              "got {\"seen\": false}.")


def test_a_plan_with_a_prober_runs_under_runc_only():
    spec = ExerciseSpec.from_dict({**SPEC, "runtime": "runsc"})
    grader = get_grader("http-service")
    assert any("runc only" in problem for problem in grader.validate(spec))
    plan = grader.plan(spec, {"app.py": flask_app()})
    with pytest.raises(ValueError, match="runc only"):
        plan.check()


def test_the_prober_gets_no_learner_file_and_collects_none(runner):
    grader = get_grader("http-service")
    spec = ExerciseSpec.from_dict(SPEC)
    plan = grader.plan(spec, {"app.py": flask_app()})
    assert plan.prober.files == {}  # the learner's files go to the learner's container only
    plan.prober = SandboxPlan(**{**vars(plan.prober), "collect": ["app.py"]})
    with pytest.raises(ValueError, match="collects no file"):
        runner.run(plan)


def test_bundled_module_is_valid():
    for slug in EXERCISES:
        exercise = load_exercise(MODULE / slug)
        assert set(exercise.statements) == {"fr", "ar", "en"}
        assert Path(exercise.path, "tests", "hidden", "checks.yaml").is_file()


def test_practice_run_sends_the_examples_only(runner):
    from lms.catalog.checking import check_exercise

    exercise = load_exercise(MODULE / "persistance-sqlite")
    spec = exercise.grading_spec()
    grader = get_grader(spec.kind)
    assert exercise.public_tests == {"checks.yaml": (MODULE / "persistance-sqlite/tests/public/checks.yaml").read_text()}
    for files, verdict in ((exercise.solution_files, Verdict.PASSED), (exercise.starter_files, Verdict.FAILED)):
        plan = grader.plan(spec, files, practice=True)
        grade = grader.judge(spec, plan, runner.run(plan))
        assert (grade.verdict, grade.score, grade.checks) == (verdict, 0, [])
        assert [t.id for t in grade.public_tests] == ["example-create-read", "example-after-restart"]
        assert all(t.details["transcript"] for t in grade.public_tests)
    # What `flask lms check-content` runs: reference full marks (and its practice run passes), starter less.
    assert check_exercise(runner, exercise).problems == []
