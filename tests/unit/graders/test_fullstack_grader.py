"""The fullstack grader on plain data: what an instructor is told about a wrong definition, what each container is
sent (never an expectation, hidden values only in the hidden phase), and how the two parts' grades combine."""
import json
from dataclasses import replace

import pytest

from graders import get_grader
from graders.base import CheckFeedback, ExerciseSpec, GradeResult, Verdict
from graders.fullstack import PROBER_START_SECONDS, FullstackGrader
from tests.hostile.fullstack_support import SPEC, SPEC_DATA, notes_app

GRADER = get_grader("fullstack")


def spec_with(**changes) -> ExerciseSpec:
    return ExerciseSpec.from_dict({**SPEC_DATA, **changes})


def problems(**changes) -> str:
    return "\n".join(GRADER.validate(spec_with(**changes)))


def test_the_notes_exercise_is_valid():
    assert GRADER.validate(SPEC) == []


@pytest.mark.parametrize("checks, expected", [
    ([c for c in SPEC_DATA["checks"] if "steps" in c], "page checks and HTTP checks"),
    ([c for c in SPEC_DATA["checks"] if "steps" not in c], "page checks and HTTP checks"),
    ([c for c in SPEC_DATA["checks"] if c.get("hidden") is False], "at least one hidden check"),
    ([{**c, "hidden": True} for c in SPEC_DATA["checks"]], "at least one visible example"),
    (SPEC_DATA["checks"] + [SPEC_DATA["checks"][0]], "duplicate id 'example-add'"),
    ([*SPEC_DATA["checks"], {"id": "plain-setup", "name": "x", "selector": "h1", "count": 1,
                             "setup": [{"request": {"method": "GET", "path": "/"}}]}],
     "generate and setup go with actions"),
    ([*SPEC_DATA["checks"], {"id": "setup-json", "name": "x", "actions": [{"reload": True}], "selector": "h1",
                             "count": 1, "setup": [{"request": {"method": "GET", "path": "/"},
                                                    "expect": {"json": {}}}]}],
     "setup requests take request and expect: {status: ...} only"),
    ([*SPEC_DATA["checks"], {"id": "setup-bad", "name": "x", "actions": [{"reload": True}], "selector": "h1",
                             "count": 1, "setup": [{"request": {"method": "TRACE", "path": "/"}}]}],
     "method must be one of"),
])
def test_wrong_checks_are_named(checks, expected):
    assert expected in problems(checks=checks)


def test_wrong_options_are_named():
    assert "options: unknown colour" in problems(options={**SPEC_DATA["options"], "colour": "red"})
    assert "options.page" in problems(options={**SPEC_DATA["options"], "page": "index.html"})
    assert "options.entry" in problems(options={**SPEC_DATA["options"], "entry": "server.py"})
    assert "options.viewports" in problems(options={k: v for k, v in SPEC_DATA["options"].items()
                                                    if k != "viewports"})
    assert "runc only" in problems(runtime="runsc")


def test_web_page_kind_refuses_the_fullstack_keys():
    options = {"viewports": SPEC_DATA["options"]["viewports"]}
    spec = ExerciseSpec.from_dict({"kind": "web-page", "files": ["index.html"], "options": options,
                                   "limits": {"memory_mb": 512, "pids": 128, "nofile": 512, "tmpfs_mb": 32},
                                   "checks": [{**SPEC_DATA["checks"][1], "hidden": True}]})
    assert any("generate and setup are the fullstack kind's" in p for p in get_grader("web-page").validate(spec))


def test_plan_sends_the_browser_its_server_and_nothing_to_judge_with():
    plan = GRADER.plan(SPEC, {"app.py": notes_app()})
    assert (plan.image, plan.prober.image, sorted(plan.files)) == ("service", "web", ["app.py"])
    visible_page, visible_probe, hidden_page, hidden_probe = plan.prober.steps
    assert [s["action"] for s in plan.prober.steps] == ["page", "probe", "page", "probe"]
    assert visible_page["args"]["server"] == {"port": 5000, "ready_seconds": 3, "path": "/"}
    sent = json.dumps([plan.job(), plan.prober.job(), plan.prober.hidden_job("n"), plan.hidden_job("n")])
    assert '"expect"' not in sent and "{{note}}" not in sent  # expectations and placeholders stay here
    # The server runs as long as the browser's and the prober's steps of its phase together, and the start of the
    # browser's container (cold, after the server's).
    serve = plan.steps[0]
    assert serve["timeout"] == visible_page["timeout"] + visible_probe["timeout"] + PROBER_START_SECONDS
    # A setup's generated value is typed, sent and expected as the same text.
    value = plan.trusted["values"]["example-listed"]["text"]
    listed = visible_page["args"]["viewports"][0]["sessions"][1]
    assert listed["setup"] == [{"method": "POST", "path": "/api/notes", "json": {"text": value}}]
    assert plan.trusted["typed"]["example-listed"] == {"text": value}
    assert len(value) == 12 and value not in json.dumps(hidden_page)


def test_practice_plan_is_the_visible_phase_only():
    plan = GRADER.plan(SPEC, {"app.py": notes_app()}, practice=True)
    assert [s["hidden"] for s in plan.prober.steps + plan.steps] == [False, False, False]


def feedback(check_id, passed, hidden=False):
    return CheckFeedback(id=check_id, name="x", passed=passed, hidden=hidden, status="passed" if passed else "failed")


@pytest.mark.parametrize("page, http, expected", [
    (Verdict.PASSED, Verdict.PASSED, Verdict.PASSED),
    (Verdict.FAILED, Verdict.PASSED, Verdict.FAILED),
    (Verdict.PASSED, Verdict.RUNTIME_ERROR, Verdict.RUNTIME_ERROR),
    (Verdict.TIME_LIMIT, Verdict.RUNTIME_ERROR, Verdict.TIME_LIMIT),
    (Verdict.MEMORY_LIMIT, Verdict.PROCESS_LIMIT, Verdict.PROCESS_LIMIT),
    (Verdict.FAILED, Verdict.GRADING_ERROR, Verdict.GRADING_ERROR),
])
def test_the_grade_takes_the_verdict_the_learner_should_see_first(monkeypatch, page, http, expected):
    from graders import fullstack
    from sandboxes.runner import SandboxResult

    page_ids = [c["id"] for c in SPEC.checks if "steps" not in c]
    http_ids = [c["id"] for c in SPEC.checks if "steps" in c]
    parts = {
        "web": GradeResult(verdict=page, score=0, max_score=10,
                           checks=[feedback(i, page is Verdict.PASSED, i != page_ids[0]) for i in page_ids]),
        "http": GradeResult(verdict=http, score=0, max_score=10,
                            checks=[feedback(i, http is Verdict.PASSED, i != http_ids[0]) for i in http_ids]),
    }
    monkeypatch.setattr(fullstack.WEB, "evaluate", lambda *a: parts["web"])
    monkeypatch.setattr(fullstack.HTTP, "evaluate", lambda *a: parts["http"])
    monkeypatch.setattr(FullstackGrader, "_judge_setups", staticmethod(lambda *a: None))
    plan = GRADER.plan(SPEC, {"app.py": ""})
    result = SandboxResult(status="completed", steps=[], container_id="c", warm=False)
    grade = GRADER.evaluate(replace(SPEC), plan, result)
    assert grade.verdict == expected
    assert [c.id for c in grade.checks] == [c["id"] for c in SPEC.checks]  # in the exercise's order
    passed = sum(1 for c in grade.checks if c.passed)
    assert grade.score == (0 if expected is Verdict.GRADING_ERROR else round(10 * passed / len(SPEC.checks), 2))
