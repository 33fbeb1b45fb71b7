"""The javascript grader on synthetic sandbox results: plans carry no expected value, records are judged strictly, and
each kind of failure tells the learner (visible examples only) what went wrong, in French, Arabic and English."""
import json

import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from graders.javascript import parse_tap
from sandboxes.runner import SandboxResult, StepOutcome

SECRET = 918273645
HIDDEN_INPUT = 31337


@pytest.fixture
def spec():
    return ExerciseSpec.from_dict({
        "kind": "javascript", "files": ["solution.js"], "points": 10,
        "limits": {"wall_seconds": 4, "cpu_seconds": 4},
        "checks": [
            {"id": "example", "name": {"fr": "Exemple", "en": "Example"}, "call": {"function": "add", "args": [1, 2]},
             "expect": 3, "hidden": False},
            {"id": "adds", "name": "Adds", "call": {"function": "add", "args": [HIDDEN_INPUT, 2]}, "expect": SECRET},
            {"id": "report", "name": "Report", "program": {"stdin": "7 8\n"}, "expect_stdout": "moyenne : 7.50\n",
             "compare": "numeric", "tolerance": 0.01, "weight": 2},
        ],
        "public_tests": {"add.test.js": "require('node:test')('adds', () => {});\n"},
    })


@pytest.fixture
def grader():
    return get_grader("javascript")


def result(*steps, status="completed"):
    return SandboxResult(status=status, steps=list(steps), container_id="c", warm=True)


def record(check_id, **fields):
    return json.dumps({"id": check_id, **fields}) + "\n"


def visible(records="", **kwargs):
    return StepOutcome(name="calls", exit_code=0, records=records, hidden=False, **kwargs)


def hidden(records="", **kwargs):
    return StepOutcome(name="hidden-calls", exit_code=0, records=records, **kwargs)


def program(stdout="moyenne : 7.50\n", exit_code=0, **kwargs):
    return StepOutcome(name="program:report", exit_code=exit_code, stdout=stdout, **kwargs)


def judged(grader, spec, *steps, status="completed"):
    return grader.judge(spec, grader.plan(spec, {"solution.js": "module.exports = {}"}), result(*steps, status=status))


def by_id(grade):
    return {c.id: c for c in grade.checks}


ALL_GOOD = (visible(record("example", value=3)), hidden(record("adds", value=SECRET)), program())


def test_the_registry_knows_the_kind(grader):
    assert (grader.kind, grader.image, grader.public_test_glob) == ("javascript", "node", "*.test.js")


def test_plan_carries_no_expected_value_and_no_hidden_input_in_a_visible_step(spec, grader):
    plan = grader.plan(spec, {"solution.js": "module.exports = {}"})
    assert str(SECRET) not in json.dumps(plan.job()) + json.dumps(plan.hidden_job("n"))
    assert "7.50" not in json.dumps(plan.steps)
    assert [(s["name"], s["action"], s["hidden"]) for s in plan.steps] == [
        ("calls", "calls", False), ("hidden-calls", "calls", True), ("program:report", "program", True)]
    assert str(HIDDEN_INPUT) not in json.dumps(plan.job())  # the visible phase's message
    calls = json.loads(plan.steps[1]["stdin"])
    assert calls == {"module": "solution.js", "call_timeout_ms": 1000, "load_timeout_ms": 4000,
                     "calls": [{"id": "adds", "function": "add", "args": [HIDDEN_INPUT, 2]}]}
    # The step's wall time covers each call's own limit: a loop in one call leaves time for the next ones.
    assert plan.steps[1]["timeout"] == 2 * 4 + 1.0


def test_without_a_visible_example_a_visible_step_checks_the_syntax(spec, grader):
    spec.checks = [c for c in spec.checks if c["id"] != "example"]
    plan = grader.plan(spec, {"solution.js": ""})
    assert plan.steps[0] == {"name": "check", "action": "check", "hidden": False, "args": {"paths": ["solution.js"]}}


def test_practice_plan_runs_the_public_tests_next_to_the_learners_file(spec, grader):
    plan = grader.plan(spec, {"solution.js": "module.exports = {}"}, practice=True)
    assert set(plan.files) == {"solution.js", "add.test.js"}
    assert plan.steps == [{"name": "public", "action": "node-test", "args": {"paths": ["add.test.js"]},
                           "hidden": False}]


@pytest.mark.parametrize("change, problem", [
    (lambda s: s.files.__setitem__(0, "solution.py"), "not a valid JavaScript file name"),
    (lambda s: s.checks[0]["call"].__setitem__("kwargs", {"a": 1}), "no keyword arguments"),
    (lambda s: s.checks[0]["call"].__setitem__("function", "a-b"), "JavaScript identifier"),
    (lambda s: s.checks[2].__setitem__("compare", "fuzzy"), "compare must be one of"),
    (lambda s: s.checks[2].update(compare="regex", pattern="(unclosed"), "not a valid regular expression"),
    (lambda s: s.checks[2].update(compare="regex", pattern=r"average \d+"), "does not match the pattern"),
    (lambda s: s.checks[2].update(pattern="x"), "pattern goes with compare: regex"),
    (lambda s: s.checks[1].__setitem__("tolerance", -1), "tolerance must be a number >= 0"),
    (lambda s: s.options.__setitem__("call_timeout_seconds", 60), "call_timeout_seconds"),
    (lambda s: s.options.__setitem__("viewport", 3), "unknown option"),
    (lambda s: s.public_tests.__setitem__("test_add.py", ""), "must be named <name>.test.js"),
    (lambda s: s.checks.__delitem__(slice(1, 3)), "at least one hidden check"),
])
def test_validate_names_each_problem(spec, grader, change, problem):
    assert grader.validate(spec) == []
    change(spec)
    assert any(problem in text for text in grader.validate(spec)), grader.validate(spec)


def test_all_good_passes_with_full_marks(spec, grader):
    grade = judged(grader, spec, *ALL_GOOD)
    assert (grade.verdict, grade.score) == (Verdict.PASSED, 10)


def test_wrong_hidden_value_fails_without_a_message(spec, grader):
    grade = judged(grader, spec, ALL_GOOD[0], hidden(record("adds", value=SECRET + 1)), ALL_GOOD[2])
    assert (grade.verdict, grade.score) == (Verdict.FAILED, 7.5)
    assert (by_id(grade)["adds"].status, by_id(grade)["adds"].message) == ("failed", "")
    assert str(SECRET) not in json.dumps(grade.feedback())


@pytest.mark.parametrize("fields, status, verdict, english", [
    ({"value": 4}, "failed", Verdict.FAILED, "add(1, 2) returned 4, expected 3"),
    ({"kind": "undefined", "error": "the function returned undefined"}, "failed", Verdict.FAILED,
     "add(1, 2) returned undefined: did you forget `return`?"),
    ({"kind": "not_plain", "error": "not plain data: result.x is a getter", "detail": "a getter"}, "failed",
     Verdict.FAILED, "add(1, 2) returned a value that is not plain JSON data (not plain data: result.x is a getter)"),
    ({"kind": "thrown", "error": "TypeError: nope",
      "traceback": "TypeError: nope\n    at add (/work/sub/solution.js:1:9)"},
     "error", Verdict.RUNTIME_ERROR, "add(1, 2) threw an error: TypeError: nope\nTypeError: nope\n    at add"),
    ({"kind": "import", "error": "SyntaxError: Unexpected token '}'", "traceback": "/work/sub/solution.js:2"},
     "error", Verdict.RUNTIME_ERROR, "Loading solution.js failed: SyntaxError: Unexpected token '}'"),
    ({"kind": "no_function", "error": "add is not an exported function"}, "error", Verdict.RUNTIME_ERROR,
     "solution.js exports no function add: add it to module.exports = { add }"),
    ({"kind": "timeout", "error": "timeout"}, "timeout", Verdict.TIME_LIMIT, "add(1, 2) did not answer within 1 s"),
])
def test_each_kind_of_record_gets_its_status_and_message(spec, grader, fields, status, verdict, english):
    grade = judged(grader, spec, visible(record("example", **fields)), *ALL_GOOD[1:])
    example = by_id(grade)["example"]
    assert (example.status, grade.verdict) == (status, verdict)
    assert example.message["en"].startswith(english)
    assert set(example.message) == {"fr", "ar", "en"} and example.message["fr"] != example.message["en"]


def test_the_same_error_in_a_hidden_call_shows_nothing(spec, grader):
    grade = judged(grader, spec, ALL_GOOD[0], hidden(record("adds", kind="thrown", error=f"Error: {HIDDEN_INPUT}",
                                                            traceback=f"at {HIDDEN_INPUT}")), ALL_GOOD[2])
    assert (grade.verdict, by_id(grade)["adds"].status) == (Verdict.RUNTIME_ERROR, "error")
    assert str(HIDDEN_INPUT) not in json.dumps(grade.feedback())
    assert grade.message == ""


def test_console_output_of_a_failing_example_is_shown_but_never_a_hidden_calls(spec, grader):
    grade = judged(grader, spec, visible(record("example", value=0), stdout="debug: a=1\n"),
                   hidden(record("adds", value=0), stdout=f"leak {HIDDEN_INPUT}\n"), ALL_GOOD[2])
    assert by_id(grade)["example"].details == {"console": "debug: a=1\n"}
    assert by_id(grade)["adds"].details == {}
    assert str(HIDDEN_INPUT) not in json.dumps(grade.feedback())


@pytest.mark.parametrize("records, reason", [
    ("", "missing"),
    (record("adds", value=SECRET) * 2, "duplicate"),  # a forged copy of a right one still fails
    (record("adds", value=SECRET) + record("zzz", value=1), "result for an unknown check"),
    ("not json\n" + record("adds", value=SECRET), "malformed result line 1"),
    (record("adds", value=SECRET, passed=True), "malformed"),
])
def test_missing_duplicate_extra_or_malformed_records_fail(spec, grader, records, reason):
    grade = judged(grader, spec, ALL_GOOD[0], hidden(records), ALL_GOOD[2])
    assert (by_id(grade)["adds"].passed, by_id(grade)["adds"].status) == (False, "missing")
    assert grade.diagnostics["outputs"]["adds"].startswith(reason)
    assert grade.verdict == Verdict.RUNTIME_ERROR and grade.score == 7.5


@pytest.mark.parametrize("stdout, passed", [
    ("moyenne : 7.5\n", True), ("moyenne : 7.51\n", True), ("moyenne : 7.52\n", False), ("Moyenne : 7.50\n", False),
])
def test_program_numeric_compare(spec, grader, stdout, passed):
    grade = judged(grader, spec, *ALL_GOOD[:2], program(stdout))
    assert by_id(grade)["report"].passed is passed


def test_visible_program_explains_a_wrong_output_with_how_it_is_compared(spec, grader):
    spec.checks[2]["hidden"] = False
    grade = judged(grader, spec, *ALL_GOOD[:2], program("moyenne : 9\n", hidden=False))
    message = by_id(grade)["report"].message
    assert message["en"] == ("Input:\n7 8\n\nExpected output (numbers within 0.01):\nmoyenne : 7.50\n\n"
                             "Your output:\nmoyenne : 9\n")
    assert "(nombres à 0.01 près)" in message["fr"] and "(الأعداد بفارق 0.01)" in message["ar"]


def test_visible_program_error_shows_nodes_report(spec, grader):
    spec.checks[2]["hidden"] = False
    stderr = "/work/sub/solution.js:3\n  x(\n  ^\n\nReferenceError: x is not defined\n    at Object.<anonymous>\n"
    grade = judged(grader, spec, *ALL_GOOD[:2], program("", exit_code=1, stderr=stderr, hidden=False))
    assert (grade.verdict, grade.message) == (Verdict.RUNTIME_ERROR, "ReferenceError: x is not defined")
    assert "ReferenceError: x is not defined" in by_id(grade)["report"].message["fr"]


@pytest.mark.parametrize("flags, verdict", [
    ({"timed_out": True}, Verdict.TIME_LIMIT), ({"oom_killed": True}, Verdict.MEMORY_LIMIT),
    ({"output_exceeded": True}, Verdict.OUTPUT_LIMIT), ({"pids_exhausted": True, "oom_killed": True},
                                                        Verdict.PROCESS_LIMIT),
])
def test_limits_of_the_hidden_calls_name_the_verdict(spec, grader, flags, verdict):
    killed = StepOutcome(name="hidden-calls", exit_code=None, signal=9, **flags)
    grade = judged(grader, spec, ALL_GOOD[0], killed, ALL_GOOD[2])
    assert grade.verdict == verdict


def test_a_run_that_did_not_complete_shows_nothing(spec, grader):
    grade = judged(grader, spec, *[StepOutcome(name=s.name, missing=True) for s in ALL_GOOD], status="bad_frame")
    assert (grade.verdict, grade.score) == (Verdict.RUNTIME_ERROR, 0)
    assert all(c.message == "" for c in grade.checks)


TAP = """\
TAP version 13
# debug output of the learner
# Subtest: adds small numbers
not ok 1 - adds small numbers
  ---
  duration_ms: 4.1
  location: '/work/sub/add.test.js:4:1'
  failureType: 'testCodeFailure'
  error: |-
    Expected values to be strictly equal:

    -1 !== 3

  code: 'ERR_ASSERTION'
  ...
# Subtest: adds zero
ok 2 - adds zero
  ---
  duration_ms: 0.6
  ...
# Subtest: group
    # Subtest: nested ok
    ok 1 - nested ok
      ---
      duration_ms: 0.1
      ...
    # Subtest: later
    ok 2 - later # SKIP not yet
      ---
      duration_ms: 0.1
      ...
    1..2
ok 3 - group
  ---
  duration_ms: 3.9
  type: 'suite'
  ...
# Subtest: it''s quoted
not ok 4 - it''s quoted
  ---
  error: 'it''s wrong'
  ...
1..4
"""


def test_tap_report_becomes_one_feedback_per_test():
    tests = parse_tap(TAP)
    assert [(t.name, t.status, t.passed) for t in tests] == [
        ("adds small numbers", "failed", False), ("adds zero", "passed", True),
        ("group > nested ok", "passed", True), ("group > later", "skipped", False),
        ("it''s quoted", "failed", False)]
    assert tests[0].message == "Expected values to be strictly equal:\n\n-1 !== 3\n/work/sub/add.test.js:4:1"
    assert tests[4].message == "it's wrong"


def test_practice_verdict_and_no_score(spec, grader):
    plan = grader.plan(spec, {"solution.js": ""}, practice=True)
    failing = grader.judge(spec, plan, result(StepOutcome(name="public", exit_code=1, records=TAP, hidden=False)))
    assert (failing.verdict, failing.score, failing.checks) == (Verdict.FAILED, 0, [])
    passing = TAP.replace("not ok 1", "ok 1").replace("not ok 4", "ok 4")
    good = grader.judge(spec, plan, result(StepOutcome(name="public", exit_code=0, records=passing, hidden=False)))
    assert good.verdict == Verdict.PASSED  # a skipped test does not fail the run
    empty = grader.judge(spec, plan, result(StepOutcome(name="public", exit_code=1, stderr="SyntaxError: x",
                                                        hidden=False)))
    assert [(t.name, t.status, t.message) for t in empty.public_tests] == [("node --test", "error", "SyntaxError: x")]
