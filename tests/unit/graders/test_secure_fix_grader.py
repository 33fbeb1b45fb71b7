"""The secure-fix grader on plain data: roles validated, a plan that carries requests only (no role, no
expectation), and the judge on synthetic prober records: an attack counts only when the application still works,
so a "fix" that deletes the feature scores nothing for its blocked attacks."""
import json

import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from sandboxes.runner import SandboxResult, StepOutcome
from tests.unit.graders.test_http_service_grader import FakeServer, run

NAME = {"fr": "Recherche", "ar": "بحث", "en": "Search"}


def search(check_id, hidden, q, expect):
    return {"id": check_id, "name": NAME, "hidden": hidden, "generate": {"secret": "hex:16"}, "steps": [
        {"request": {"method": "POST", "path": "/api/notes", "json": {"text": "{{secret}}"}},
         "expect": {"status": 201}},
        {"request": {"method": "POST", "path": "/api/search", "json": {"q": q}}, "expect": expect}]}


CHECKS = [
    {**search("example-search", False, "{{secret}}", {"status": 200, "body_contains": "{{secret}}"}), "role": "feature"},
    {**search("example-attack", False, "' OR 1=1 --", {"status": [200, 400], "body_excludes": "{{secret}}"}),
     "role": "attack"},
    {**search("search", True, "{{secret}}", {"status": 200, "body_contains": "{{secret}}"}), "role": "feature"},
    {**search("union", True, "' UNION SELECT text FROM notes --", {"status": [200, 400],
                                                                  "body_excludes": "{{secret}}"}), "role": "attack",
     "weight": 2},
]


def make_spec(checks=CHECKS):
    return ExerciseSpec.from_dict({"kind": "secure-fix", "files": ["app.py"], "points": 10,
                                   "options": {"entry": "app.py", "port": 5000}, "checks": checks})


@pytest.fixture
def grader():
    return get_grader("secure-fix")


def notes_app(injectable=False, search_works=True):
    """A notes API: every note is stored; a search finds the notes holding q (all of them if `injectable` and q
    is an injection), or nothing at all when the feature was deleted."""
    notes = []

    def answer(method, path, sent):
        headers = {"content-type": "application/json"}
        if path == "/api/notes":
            notes.append(sent["text"])
            return 201, {"id": len(notes)}, headers
        if not search_works:
            return 200, {"notes": []}, headers
        q = sent["q"]
        found = notes if injectable and "'" in q else [n for n in notes if q in n]
        return 200, {"notes": found}, headers

    return answer


def statuses(result):
    return {c.id: c.status for c in result.checks}


def test_the_bundled_shape_is_valid(grader):
    assert grader.validate(make_spec()) == []


@pytest.mark.parametrize("checks, problem", [
    ([{**c, "role": "defence"} if c["id"] == "union" else c for c in CHECKS], "role must be one of feature, attack"),
    ([{k: v for k, v in c.items() if k != "role"} if c["id"] == "search" else c for c in CHECKS], "role must be"),
    ([c for c in CHECKS if c["id"] != "union"], "at least one hidden attack check"),
    ([{**c, "role": "attack"} for c in CHECKS], "at least one hidden feature check"),
    ([c for c in CHECKS if c["hidden"]], "at least one visible example"),
])
def test_roles_are_validated(grader, checks, problem):
    assert any(problem in p for p in grader.validate(make_spec(checks))), grader.validate(make_spec(checks))


def test_the_plan_sends_requests_only(grader):
    plan = grader.plan(make_spec(), {"app.py": "app"})
    sent = json.dumps([plan.job(), plan.prober.job(), plan.hidden_job("n"), plan.prober.hidden_job("n")])
    for word in ('"role"', '"attack"', '"feature"', '"expect"', "body_excludes", "body_contains"):
        assert word not in sent
    assert "UNION SELECT" in sent  # the requests themselves are there


def test_the_fixed_app_gets_full_marks(grader):
    result, _ = run(grader, make_spec(), notes_app())
    assert (result.verdict, result.score) == (Verdict.PASSED, 10), statuses(result)


def test_the_vulnerable_app_fails_its_attacks_and_passes_its_features(grader):
    result, _ = run(grader, make_spec(), notes_app(injectable=True))
    assert result.verdict == Verdict.FAILED and result.score == 4.0  # the features: 2 of 5 weights
    assert statuses(result) == {"example-search": "passed", "example-attack": "failed", "search": "passed",
                                "union": "failed"}
    attack = result.checks[1]
    assert attack.message["en"] == "POST /api/search: the answer gives away the planted secret."


def test_a_fix_that_deletes_the_feature_scores_nothing_for_its_blocked_attacks(grader):
    result, _ = run(grader, make_spec(), notes_app(search_works=False))
    assert (result.verdict, result.score) == (Verdict.FAILED, 0.0)
    assert set(statuses(result).values()) == {"failed"}
    attack = result.checks[1]
    assert attack.message["en"].startswith("The attack was blocked, but the fix broke the application")
    assert set(attack.message) == {"fr", "ar", "en"}
    hidden_attack = result.checks[3]
    assert hidden_attack.hidden and hidden_attack.to_dict()["message"] == ""


def test_a_practice_run_gates_its_visible_attack_on_its_visible_features(grader):
    spec = make_spec()
    plan = grader.plan(spec, {"app.py": "app"}, practice=True)
    assert len(plan.prober.steps) == 1
    server = FakeServer(notes_app(search_works=False))
    probe = plan.prober.steps[0]
    result = SandboxResult(status="completed", container_id="c", warm=True, steps=[
        StepOutcome(name="serve", hidden=False, exit_code=0),
        StepOutcome(name=probe["name"], hidden=False, exit_code=0, records=server.records(probe))])
    grade = grader.judge(spec, plan, result)
    assert {c.id: c.status for c in grade.public_tests} == {"example-search": "failed", "example-attack": "failed"}
    assert grade.score == 0.0
