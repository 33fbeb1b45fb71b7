"""The fullstack kind through the real sandbox: the learner's server in the service image, Chromium and the HTTP
prober in the web image, sharing only its network namespace. What the learner sees: verdict, score, each check's
message, screenshots and transcripts of the visible checks."""
import json

import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from graders.fullstack import FullstackGrader
from lms.catalog.checking import check_exercise
from lms.catalog.content import load_exercise
from tests.conftest import CONTENT_DIR
from tests.hostile.fullstack_support import PAGE, POINTS, SPEC, SPEC_DATA, FullstackRun, describe, notes_app

MODULE = CONTENT_DIR / "fullstack" / "applications-web"
EXERCISES = ["taches-persistantes", "recherche-contacts", "connexion-session"]


@pytest.fixture
def fullstack(runner, docker_client) -> FullstackRun:
    return FullstackRun(runner, docker_client, FullstackGrader())


@pytest.mark.slow
@pytest.mark.parametrize("slug", EXERCISES)
def test_bundled_exercise_reference_full_marks_starter_less(runner, slug):
    exercise = load_exercise(MODULE / slug)
    assert set(exercise.statements) == {"fr", "ar", "en"}
    # check-content's own test: reference full marks, its practice run passing, starter less.
    assert check_exercise(runner, exercise).problems == []


def test_page_and_api_both_checked_and_shown(fullstack):
    grade, plan, result = fullstack.grade(notes_app())
    assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade)
    assert [c.id for c in grade.checks] == [c["id"] for c in SPEC.checks]
    # One container of the learner's (the service image, its files) and the browser's (the web image, no file).
    assert (plan.image, plan.prober.image, plan.prober.files) == ("service", "web", {})
    assert result.prober_id != result.container_id
    example_add, _, example_api = grade.checks[:3]
    assert example_add.details == {"artifact": "screenshot-desktop.jpeg"}
    assert [a.name for a in grade.artifacts] == ["screenshot-desktop.jpeg"]
    assert grade.artifacts[0].data.startswith(b"\xff\xd8\xff")
    assert [(x["method"], x["path"], x["status"]) for x in example_api.details["transcript"]] == [
        ("POST", "/api/notes", 201), ("GET", "/api/notes", 200)]
    # The browser's requests reached the learner's server: its log shows them.
    log = result.step("serve").stderr
    assert '"GET / HTTP/1.1" 200' in log and '"POST /api/notes HTTP/1.1" 201' in log


def test_reload_shows_what_only_the_page_kept(fullstack):
    # Notes added in the page only (no POST): they show at once, and are gone after a reload.
    forgetful = PAGE.replace('const answer = await fetch("/api/notes", {method: "POST"', 'const answer = {json: '
                             'async () => ({text: document.querySelector("#t").value})}; ({method: "POST"')
    forgetful = forgetful.replace("body: JSON.stringify({text: document.querySelector(\"#t\").value})});",
                                  "body: 0});")
    grade, _, _ = fullstack.grade(notes_app(page=forgetful))
    assert [c.id for c in grade.checks if not c.passed] == ["reload-keeps"], describe(grade)
    assert (grade.verdict, grade.score) == (Verdict.FAILED, 8.0)


def test_server_that_never_starts_names_it_on_both_sides(fullstack):
    grade, _, _ = fullstack.grade("import time\ntime.sleep(60)\n")
    assert (grade.verdict, grade.score) == (Verdict.RUNTIME_ERROR, 0), describe(grade)
    by_id = {c.id: c for c in grade.checks}
    assert by_id["example-add"].message["en"] == "The page could not be loaded: your server did not answer."
    assert by_id["example-add"].message["fr"] == "La page n'a pas pu être chargée : votre serveur n'a pas répondu."
    assert by_id["example-api"].message["en"] == "Your server did not answer on port 5000 within 3 s."


def test_a_failed_setup_request_is_named(fullstack):
    code = notes_app().replace("return jsonify(note), 201", "return jsonify(note)")
    grade, _, _ = fullstack.grade(code)
    listed = next(c for c in grade.checks if c.id == "example-listed")
    # The page lists the note (the server kept it), yet the check fails: its setup did not get its 201.
    assert not listed.passed
    assert listed.message["en"] == "POST /api/notes: expected status 201, got 200."
    assert grade.verdict == Verdict.FAILED


def test_generated_values_change_per_run_and_stay_out_of_the_visible_phase(fullstack):
    _, plan, result = fullstack.grade(notes_app())
    secret = plan.trusted["values"]["restart-keeps"]["secret"]
    typed = plan.trusted["typed"]["reload-keeps"]["note"]
    assert secret not in json.dumps([plan.job(), plan.prober.job()]) and typed not in json.dumps(plan.prober.job())
    assert secret in json.dumps(plan.prober.hidden_job("n")) and typed in json.dumps(plan.prober.hidden_job("n"))
    assert secret not in result.step("serve").stdout + result.step("serve").stderr
    _, second, _ = fullstack.grade(notes_app())
    assert second.trusted["values"]["restart-keeps"]["secret"] != secret


def test_practice_run_checks_the_examples_only(fullstack):
    grade, plan, _ = fullstack.grade(notes_app(), practice=True)
    assert (grade.verdict, grade.score, grade.checks) == (Verdict.PASSED, 0, [])
    assert [t.id for t in grade.public_tests] == ["example-add", "example-listed", "example-api"]
    assert all(not step["hidden"] for step in plan.prober.steps)


def test_a_plan_with_a_browser_prober_runs_under_runc_only():
    spec = ExerciseSpec.from_dict({**SPEC_DATA, "runtime": "runsc"})
    assert any("runc only" in problem for problem in get_grader("fullstack").validate(spec))
