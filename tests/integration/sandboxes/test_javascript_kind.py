"""The javascript kind through the real sandbox (fresh Docker containers of lms/sandbox-node): the verdicts a learner
meets, what each shows, and no container left behind."""
import docker
import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from lms.catalog.checking import check_exercise
from lms.catalog.content import load_exercise
from tests.conftest import CONTENT_DIR, sandbox_containers

LIMITS = {"wall_seconds": 3, "cpu_seconds": 2, "memory_mb": 256, "pids": 64, "output_kb": 16}
SPEC = {
    "kind": "javascript", "files": ["solution.js"], "points": 10, "limits": LIMITS,
    "options": {"call_timeout_seconds": 1.0},
    "checks": [
        {"id": "example", "name": {"fr": "Exemple", "en": "Example"}, "call": {"function": "add", "args": [1, 2]},
         "expect": 3, "hidden": False},
        {"id": "small", "name": "Small numbers", "call": {"function": "add", "args": [2, 3]}, "expect": 5},
        {"id": "negative", "name": "Negative numbers", "call": {"function": "add", "args": [-2, -3]}, "expect": -5},
        {"id": "program", "name": "Reads stdin", "program": {"stdin": "4 5\n"}, "expect_stdout": "9\n"},
    ],
    "public_tests": {"add.test.js": "const test = require('node:test');\nconst assert = require('node:assert');\n"
                                    "const { add } = require('./solution.js');\n"
                                    "test('adds small numbers', () => { assert.strictEqual(add(1, 1), 2); });\n"},
}
CORRECT = """\
function add(a, b) {
  return a + b;
}
module.exports = { add };
if (require.main === module) {
  const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);
  console.log(add(a, b));
}
"""


@pytest.fixture
def spec():
    return ExerciseSpec.from_dict(SPEC)


@pytest.fixture
def grade(runner, docker_client, spec):
    grader = get_grader("javascript")
    assert grader.validate(spec) == []

    def run(code: str, practice: bool = False, spec_=None):
        plan = grader.plan(spec_ or spec, {"solution.js": code}, practice=practice)
        result = runner.run(plan)
        runner.flush()
        # Whatever happened, the container that ran the code is gone.
        assert all(c.id != result.container_id for c in sandbox_containers(docker_client))
        return grader.judge(spec_ or spec, plan, result)

    return run


def statuses(result) -> dict:
    return {c.id: c.status for c in result.checks}


def test_reference_passes_with_full_marks(grade):
    result = grade(CORRECT)
    assert (result.verdict, result.score) == (Verdict.PASSED, 10)
    assert set(statuses(result).values()) == {"passed"}


def test_wrong_answer_fails_and_names_the_failing_checks(grade):
    result = grade(CORRECT.replace("return a + b", "return Math.abs(a) + Math.abs(b)"))
    assert result.verdict == Verdict.FAILED
    assert [c.id for c in result.checks if not c.passed] == ["negative"]
    assert result.score == 7.5
    negative = next(c for c in result.checks if c.id == "negative")
    assert negative.message == ""  # hidden: name and status only


def test_visible_example_explains_its_failure_in_three_languages(grade):
    result = grade(CORRECT.replace("return a + b", "return a * b"))
    example = next(c for c in result.checks if c.id == "example")
    assert example.status == "failed"
    assert example.message["en"] == "add(1, 2) returned 2, expected 3"
    assert example.message["fr"] == "add(1, 2) a renvoyé 2, attendu 3"
    assert "add(1, 2)" in example.message["ar"] and "أعادت" in example.message["ar"]


def test_returning_undefined_is_named(grade):
    result = grade("function add(a, b) { a + b; }\nmodule.exports = { add };\n")
    example = next(c for c in result.checks if c.id == "example")
    assert example.status == "failed" and "undefined" in example.message["en"] and "return" in example.message["en"]
    assert result.verdict == Verdict.FAILED and result.score == 0


def test_throw_at_import_is_a_runtime_error_with_the_learners_trace(grade):
    result = grade("throw new RangeError('bad start');\nmodule.exports = { add: (a, b) => a + b };\n")
    assert (result.verdict, result.score) == (Verdict.RUNTIME_ERROR, 0)
    assert result.message == "RangeError: bad start"
    example = next(c for c in result.checks if c.id == "example")
    assert "RangeError: bad start" in example.message["en"] and "/work/sub/solution.js:1" in example.message["en"]
    assert "node:internal" not in example.message["en"] and "/opt/lms" not in example.message["en"]


def test_syntax_error_shows_its_message(grade):
    result = grade("function add(a, b) {\n  return a +;\n}\nmodule.exports = { add };\n")
    assert (result.verdict, result.score) == (Verdict.RUNTIME_ERROR, 0)
    assert result.message.startswith("SyntaxError: Unexpected token")
    example = next(c for c in result.checks if c.id == "example")
    assert "solution.js:2" in example.message["fr"]


def test_syntax_error_without_visible_example_is_shown_by_the_check_step(grade, spec):
    hidden_only = ExerciseSpec.from_dict({**SPEC, "checks": [c for c in SPEC["checks"] if c["id"] != "example"]})
    result = grade("function add(a, b) {\n  return a +;\n}\nmodule.exports = { add };\n", spec_=hidden_only)
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert result.message.startswith("SyntaxError: Unexpected token")


def test_a_visible_program_that_crashes_shows_the_learners_trace_only(grade):
    visible_program = ExerciseSpec.from_dict({**SPEC, "checks": [
        {**c, "hidden": False} if c["id"] == "program" else c for c in SPEC["checks"]]})
    result = grade(CORRECT.replace("console.log(add(a, b));", "console.log(add(a, b));\n  notDefined();"),
                   spec_=visible_program)
    program = next(c for c in result.checks if c.id == "program")
    assert (result.verdict, program.status) == (Verdict.RUNTIME_ERROR, "error")
    assert result.message == "ReferenceError: notDefined is not defined"
    assert "at Object.<anonymous> (/work/sub/solution.js:8:" in program.message["en"]
    assert "exit code 1" in program.message["en"] and "node:internal" not in program.message["en"]


def test_infinite_loop_gets_the_time_limit_and_other_calls_still_run(grade):
    result = grade(CORRECT.replace("return a + b;", "while (a < 0) {}\n  return a + b;"))
    assert result.verdict == Verdict.TIME_LIMIT
    assert statuses(result) == {"example": "passed", "small": "passed", "negative": "timeout", "program": "passed"}
    assert result.score == 7.5


def test_memory_hog_gets_the_memory_limit(grade):
    result = grade("function add() { const hog = []; while (true) hog.push(Buffer.alloc(1 << 20, 1)); }\n"
                   "module.exports = { add };\n")
    assert (result.verdict, result.score) == (Verdict.MEMORY_LIMIT, 0)


def test_print_flood_gets_the_output_limit(grade):
    result = grade(CORRECT.replace("console.log(add(a, b));", "for (;;) console.log('spam'.repeat(100));"))
    assert result.verdict == Verdict.OUTPUT_LIMIT
    assert statuses(result)["program"] == "error"


def test_fork_bomb_gets_too_many_processes(grade):
    # stdio 'ignore': with pipes, each child costs the parent 6 descriptors and `nofile` stops the loop first.
    bomb = ("const { spawn } = require('child_process');\n"
            "function add() { for (;;) spawn('/bin/sleep', ['10'], { stdio: 'ignore' }); }\n"
            "module.exports = { add };\n")
    result = grade(bomb)
    assert (result.verdict, result.score) == (Verdict.PROCESS_LIMIT, 0)


def test_practice_run_reports_each_public_test(grade):
    passed = grade(CORRECT, practice=True)
    assert (passed.verdict, passed.score, passed.checks) == (Verdict.PASSED, 0, [])
    assert [(t.name, t.status) for t in passed.public_tests] == [("adds small numbers", "passed")]
    failed = grade(CORRECT.replace("return a + b", "return a - b"), practice=True)
    assert failed.verdict == Verdict.FAILED
    assert [(t.name, t.status) for t in failed.public_tests] == [("adds small numbers", "failed")]
    assert "0 !== 2" in failed.public_tests[0].message  # node's assert explains


def test_no_sandbox_container_left_after_the_runs(runner, docker_client, grade):
    grade(CORRECT)
    runner.flush()
    left = docker_client.containers.list(all=True, filters={"label": f"lms.owner={runner.owner}"}, ignore_removed=True)
    assert left == []


ENGINE_RUNTIMES = [name for name in ("runc", "runsc") if name in docker.from_env().info().get("Runtimes", {})]
BUNDLED = sorted(p.name for p in (CONTENT_DIR / "front-end" / "javascript-bases").iterdir() if p.is_dir())


@pytest.mark.parametrize("runtime", ENGINE_RUNTIMES)
@pytest.mark.parametrize("slug", BUNDLED)
def test_bundled_exercises_under_each_runtime(runner, slug, runtime):
    """The module's limits (256 MB, 64 processes) suffice for node under runc and gVisor: the reference gets full
    marks and passes its public tests, the starter gets less."""
    exercise = load_exercise(CONTENT_DIR / "front-end" / "javascript-bases" / slug)
    exercise.spec = {**exercise.spec, "runtime": runtime}
    check = check_exercise(runner, exercise)
    assert check.problems == [], check
    assert check.starter_score < check.max_score
