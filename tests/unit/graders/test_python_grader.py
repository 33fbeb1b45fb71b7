"""The Python grader on synthetic sandbox results: plans carry no expected value, judging is strict."""
import json

import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from sandboxes.runner import SandboxResult, StepOutcome

SECRET = 918273645


@pytest.fixture
def spec():
    return ExerciseSpec.from_dict({
        "kind": "python", "files": ["solution.py"], "points": 10,
        "checks": [
            {"id": "adds", "name": {"fr": "Additionne", "en": "Adds"}, "call": {"function": "add", "args": [1, 2]},
             "expect": SECRET},
            {"id": "echo", "name": "Echo", "program": {"stdin": "hello\n"}, "expect_stdout": "HELLO\n", "weight": 3},
        ],
        "public_tests": {"test_add.py": "from solution import add\ndef test_add():\n    assert add(1, 2) == 3\n"},
    })


@pytest.fixture
def grader():
    return get_grader("python")


def graded_plan(spec, grader):
    return grader.plan(spec, {"solution.py": "def add(a, b): return a + b"})


def result(*steps, status="completed"):
    return SandboxResult(status=status, steps=list(steps), container_id="c", warm=True)


def calls(records="", **kwargs):
    return StepOutcome(name="hidden-calls", exit_code=0, records=records, **kwargs)


def program(stdout="", exit_code=0, **kwargs):
    return StepOutcome(name="program:echo", exit_code=exit_code, stdout=stdout, **kwargs)


def public(records=""):
    return StepOutcome(name="public", exit_code=0, records=records)


def record(check_id, **fields):
    return json.dumps({"id": check_id, **fields}) + "\n"


def test_plan_never_carries_expected_values(spec, grader):
    plan = grader.plan(spec, {"solution.py": "def add(a, b): return a + b"})
    serialized = json.dumps(plan.job())
    assert str(SECRET) not in serialized and "HELLO" not in serialized
    # A graded run pays no pytest; without a visible example, a visible step compiles the files.
    assert [(s["name"], s["hidden"]) for s in plan.steps] == [
        ("compile", False), ("hidden-calls", True), ("program:echo", True)]
    assert str(SECRET) not in json.dumps(plan.job()) and "HELLO" not in json.dumps(plan.hidden_job("n"))
    assert set(plan.files) == {"solution.py"}


def test_practice_plan_runs_only_the_public_tests(spec, grader):
    plan = grader.plan(spec, {"solution.py": "def add(a, b): return a + b"}, practice=True)
    assert [s["action"] for s in plan.steps] == ["pytest"]
    assert set(plan.files) == {"solution.py", "tests/test_add.py"}
    assert str(SECRET) not in json.dumps(plan.job())


def test_all_correct_passes_with_full_marks(spec, grader):
    grade = grader.judge(spec, graded_plan(spec, grader), result(calls(record("adds", value=SECRET)), program("HELLO\n")))
    assert grade.verdict == Verdict.PASSED
    assert grade.score == 10.0


def test_wrong_value_fails_and_names_the_check(spec, grader):
    grade = grader.judge(spec, graded_plan(spec, grader), result(calls(record("adds", value=3)), program("HELLO\n")))
    assert grade.verdict == Verdict.FAILED
    assert grade.score == 7.5  # weights 1 and 3
    failed = [c for c in grade.checks if not c.passed]
    assert [c.id for c in failed] == ["adds"] and failed[0].message == ""


def test_feedback_for_hidden_checks_has_no_expected_value(spec, grader):
    grade = grader.judge(spec, graded_plan(spec, grader), result(calls(record("adds", value=3)), program("nope\n")))
    assert str(SECRET) not in json.dumps(grade.feedback()) and "HELLO" not in json.dumps(grade.feedback())


def test_exit_code_zero_with_no_records_proves_nothing(spec, grader):
    grade = grader.judge(spec, graded_plan(spec, grader), result(calls(""), program("HELLO\n")))
    adds = next(c for c in grade.checks if c.id == "adds")
    assert not adds.passed and adds.status == "missing"
    assert grade.score == 7.5


def test_forged_record_for_unknown_id_fails_the_step(spec, grader):
    forged = record("adds", value=SECRET) + record("bonus", value=1)
    grade = grader.judge(spec, graded_plan(spec, grader), result(calls(forged), program("HELLO\n")))
    assert not next(c for c in grade.checks if c.id == "adds").passed


def test_time_limit_verdict_from_a_program_step(spec, grader):
    grade = grader.judge(spec, graded_plan(spec, grader), result(calls(record("adds", value=SECRET)),
                                            program("", exit_code=None, signal=9, timed_out=True), public()))
    assert grade.verdict == Verdict.TIME_LIMIT
    assert grade.score == 2.5


@pytest.mark.parametrize("flags, verdict", [
    ({"oom_killed": True, "signal": 9, "exit_code": None}, Verdict.MEMORY_LIMIT),
    ({"output_exceeded": True, "signal": 9, "exit_code": None}, Verdict.OUTPUT_LIMIT),
    ({"pids_exhausted": True, "exit_code": 1}, Verdict.PROCESS_LIMIT),
    ({"signal": 24, "exit_code": None}, Verdict.TIME_LIMIT),  # SIGXCPU: the CPU-time limit
])
def test_limit_verdicts(spec, grader, flags, verdict):
    grade = grader.judge(spec, graded_plan(spec, grader), result(calls(record("adds", value=SECRET)), program("", **flags)))
    assert grade.verdict == verdict


def test_a_syntax_error_is_shown_from_the_visible_compile_step(spec, grader):
    compiled = StepOutcome(name="compile", exit_code=1, hidden=False,
                           stderr='  File "/work/sub/solution.py", line 1\nSyntaxError: invalid syntax\n')
    failing = record("adds", error="import failed: SyntaxError: invalid syntax", traceback="...")
    grade = grader.judge(spec, graded_plan(spec, grader), result(compiled, calls(failing), program("", exit_code=1)))
    assert grade.verdict == Verdict.RUNTIME_ERROR and grade.message == "SyntaxError: invalid syntax"


def test_runtime_error_in_hidden_checks_gives_only_the_verdict(spec, grader):
    failing = StepOutcome(name="hidden-calls", exit_code=1, stderr="Traceback...\nValueError: 918273645\n",
                          records=record("adds", error=f"import failed: ValueError: {SECRET}", traceback="..."))
    grade = grader.judge(spec, graded_plan(spec, grader), result(failing, program("HELLO\n")))
    assert grade.verdict == Verdict.RUNTIME_ERROR and grade.message == ""
    assert str(SECRET) not in json.dumps(grade.feedback())
    assert str(SECRET) in json.dumps(grade.diagnostics)  # staff still see it


@pytest.mark.parametrize("status, oom, verdict", [
    ("crashed", False, Verdict.RUNTIME_ERROR),
    ("crashed", True, Verdict.MEMORY_LIMIT),
    ("wall_timeout", False, Verdict.TIME_LIMIT),
    ("output_overflow", False, Verdict.OUTPUT_LIMIT),
    ("bad_frame", False, Verdict.RUNTIME_ERROR),
])
def test_sandbox_level_outcomes_score_nothing(spec, grader, status, oom, verdict):
    missing = [StepOutcome(name=n, missing=True) for n in ("calls", "program:echo")]
    sandbox = SandboxResult(status=status, steps=missing, container_id="c", warm=False, oom_killed=oom)
    grade = grader.judge(spec, graded_plan(spec, grader), sandbox)
    assert grade.verdict == verdict and grade.score == 0


def test_practice_run_reports_public_tests_and_scores_nothing(spec, grader):
    plan = grader.plan(spec, {"solution.py": "x"}, practice=True)
    passing = public(json.dumps({"id": "tests/test_add.py::test_add", "outcome": "passed", "message": ""}))
    grade = grader.judge(spec, plan, result(passing))
    assert grade.verdict == Verdict.PASSED and grade.score == 0 and grade.checks == []
    assert [t.name for t in grade.public_tests] == ["test_add"]
    failing = public(json.dumps({"id": "tests/test_add.py::test_add", "outcome": "failed", "message": "assert 2 == 3"}))
    grade = grader.judge(spec, plan, result(failing))
    assert grade.verdict == Verdict.FAILED and grade.public_tests[0].message == "assert 2 == 3"


EXAMPLE_SPEC = {
    "kind": "python", "files": ["solution.py"],
    "checks": [{"id": "example", "name": "Example", "call": {"function": "add", "args": [2, 3]}, "expect": 5,
                "hidden": False},
               {"id": "example-program", "name": "Example program", "program": {"stdin": "2 3\n"},
                "expect_stdout": "5\n", "hidden": False},
               {"id": "secret", "name": "Secret", "call": {"function": "add", "args": [4, SECRET]}, "expect": 8},
               {"id": "secret-program", "name": "Secret program", "program": {"stdin": f"4 {SECRET}\n"},
                "expect_stdout": "8\n"}]}


def visible_calls(records="", **kwargs):
    return StepOutcome(name="calls", exit_code=0, records=records, hidden=False, **kwargs)


def test_visible_examples_run_in_a_phase_without_hidden_inputs(grader):
    spec = ExerciseSpec.from_dict(EXAMPLE_SPEC)
    plan = grader.plan(spec, {"solution.py": "x"})
    assert [(s["name"], s["hidden"]) for s in plan.steps] == [
        ("calls", False), ("program:example-program", False), ("hidden-calls", True), ("program:secret-program", True)]
    assert [[s["name"] for s in phase] for phase in plan.phases()] == [
        ["calls", "program:example-program"], ["hidden-calls", "program:secret-program"]]
    first, second = json.dumps(plan.job()), json.dumps(plan.hidden_job("n"))
    assert str(SECRET) not in first and '"phases": 2' in first
    assert str(SECRET) in second and "[2, 3]" not in second


def test_visible_example_check_explains_the_failure(grader):
    spec = ExerciseSpec.from_dict(EXAMPLE_SPEC)
    grade = grader.judge(spec, grader.plan(spec, {"solution.py": "x"}),
                         result(visible_calls(record("example", value=6)), calls(record("secret", value=9))))
    example, secret = grade.checks[0], grade.checks[2]
    assert not example.hidden and example.message == "add(2, 3) returned 6, expected 5"
    assert secret.hidden and secret.message == ""


def test_visible_example_errors_show_the_traceback_and_hidden_ones_nothing(grader):
    spec = ExerciseSpec.from_dict(EXAMPLE_SPEC)
    traceback = 'Traceback (most recent call last):\n  File "/work/sub/solution.py", line 2, in add\nValueError: 2\n'
    program_error = 'Traceback (most recent call last):\n  File "/work/sub/solution.py", line 5\nEOFError: no\n'
    grade = grader.judge(spec, grader.plan(spec, {"solution.py": "x"}), result(
        visible_calls(record("example", error="ValueError: 2", traceback=traceback)),
        StepOutcome(name="program:example-program", exit_code=1, stderr=program_error, hidden=False),
        calls(record("secret", error=f"ValueError: {SECRET}", traceback=f"ValueError: {SECRET}\n")),
        StepOutcome(name="program:secret-program", exit_code=1, stderr=f"ValueError: {SECRET}\n")))
    statuses = {c.id: (c.status, c.message) for c in grade.checks}
    assert statuses == {"example": ("error", traceback), "example-program": ("error", program_error),
                        "secret": ("error", ""), "secret-program": ("error", "")}
    assert grade.verdict == Verdict.RUNTIME_ERROR and grade.message == "ValueError: 2"
    assert str(SECRET) not in json.dumps(grade.feedback())


def test_a_runtime_error_only_in_the_hidden_phase_has_no_message(grader):
    spec = ExerciseSpec.from_dict(EXAMPLE_SPEC)
    grade = grader.judge(spec, grader.plan(spec, {"solution.py": "x"}), result(
        visible_calls(record("example", value=5)),
        StepOutcome(name="program:example-program", exit_code=0, stdout="5\n", hidden=False),
        calls(record("secret", error=f"ValueError: {SECRET}")),
        StepOutcome(name="program:secret-program", exit_code=1, stderr=f"Traceback\nValueError: {SECRET}\n")))
    assert grade.verdict == Verdict.RUNTIME_ERROR and grade.message == "" and grade.score == 5.0


@pytest.mark.parametrize("change, words", [
    ({"files": []}, "at least one submitted file"),
    ({"checks": []}, "at least one hidden check"),
    ({"checks": [{"id": "Bad Id", "name": "x", "call": {"function": "f"}, "expect": 1}]}, "id must match"),
    ({"checks": [{"id": "a", "name": "x", "call": {"function": "f"}}]}, "expect is required"),
    ({"checks": [{"id": "a", "name": "x", "program": {}, "expect_stdout": "1", "compare": "fuzzy"}]}, "compare"),
    ({"checks": [{"id": "a", "name": "x", "call": {"function": "f"}, "expect": 1, "program": {}}]}, "exactly one"),
    ({"checks": [{"id": "a", "name": "x", "call": {"function": "f"}, "expect": 1},
                 {"id": "a", "name": "x", "call": {"function": "f"}, "expect": 1}]}, "duplicate"),
])
def test_validate_explains_bad_definitions(grader, change, words):
    data = {"kind": "python", "files": ["solution.py"],
            "checks": [{"id": "a", "name": "x", "call": {"function": "f"}, "expect": 1}], **change}
    problems = grader.validate(ExerciseSpec.from_dict(data))
    assert any(words in p for p in problems), problems
