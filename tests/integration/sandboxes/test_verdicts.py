"""The Python grader through the real sandbox (fresh Docker containers): the verdicts a learner meets first."""
import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from tests.conftest import sandbox_containers

SPEC = {
    "kind": "python", "files": ["solution.py"], "points": 10,
    "limits": {"wall_seconds": 2, "cpu_seconds": 2, "memory_mb": 64, "output_kb": 16},
    "checks": [
        {"id": "small", "name": "Small numbers", "call": {"function": "add", "args": [2, 3]}, "expect": 5},
        {"id": "negative", "name": "Negative numbers", "call": {"function": "add", "args": [-2, -3]}, "expect": -5},
        {"id": "program", "name": "Reads stdin", "program": {"stdin": "4 5\n"}, "expect_stdout": "9\n"},
    ],
    "public_tests": {"test_add.py": "from solution import add\n\ndef test_add():\n    assert add(1, 1) == 2\n"},
}
CORRECT = ("def add(a, b):\n    return a + b\n\nif __name__ == '__main__':\n"
           "    a, b = map(int, input().split())\n    print(add(a, b))\n")


@pytest.fixture
def grade(runner, docker_client):
    spec = ExerciseSpec.from_dict(SPEC)
    grader = get_grader("python")

    def run(code: str):
        plan = grader.plan(spec, {"solution.py": code})
        result = runner.run(plan)
        runner.flush()
        # Whatever happened, the container that ran the code is gone.
        assert all(c.id != result.container_id for c in sandbox_containers(docker_client))
        return grader.judge(spec, plan, result)

    return run


def test_correct_solution_passes(grade):
    result = grade(CORRECT)
    assert result.verdict == Verdict.PASSED
    assert result.score == 10


@pytest.mark.parametrize("code, verdict, passed", [
    (CORRECT, Verdict.PASSED, [True]),
    (CORRECT.replace("return a + b", "return a - b"), Verdict.FAILED, [False]),
])
def test_practice_run_of_the_public_tests(runner, code, verdict, passed):
    spec = ExerciseSpec.from_dict(SPEC)
    grader = get_grader("python")
    plan = grader.plan(spec, {"solution.py": code}, practice=True)
    result = grader.judge(spec, plan, runner.run(plan))
    assert result.verdict == verdict and result.score == 0 and result.checks == []
    assert [t.passed for t in result.public_tests] == passed
    assert [t.name for t in result.public_tests] == ["test_add"]
    if not passed[0]:
        assert "assert 0 == 2" in result.public_tests[0].message  # pytest's own explanation


def test_wrong_solution_fails_and_names_the_failing_check(grade):
    result = grade(CORRECT.replace("return a + b", "return abs(a) + abs(b)"))
    assert result.verdict == Verdict.FAILED
    assert [c.id for c in result.checks if not c.passed] == ["negative"]
    assert 0 < result.score < 10


def test_infinite_loop_gets_the_time_limit(grade):
    result = grade("def add(a, b):\n    while True:\n        pass\n")
    assert result.verdict == Verdict.TIME_LIMIT
    assert result.score == 0


def test_sleeping_program_is_caught_by_the_wall_clock(grade):
    result = grade("import time\ndef add(a, b):\n    time.sleep(60)\n")
    assert result.verdict == Verdict.TIME_LIMIT


def test_memory_hog_gets_the_memory_limit(grade):
    result = grade("def add(a, b):\n    hog = []\n    while True:\n        hog.append(bytearray(10**6))\n")
    assert result.verdict == Verdict.MEMORY_LIMIT
    assert result.score == 0


def test_print_flood_gets_the_output_limit(grade):
    result = grade(CORRECT.replace("    print(add(a, b))", "    while True:\n        print('spam' * 100)"))
    assert result.verdict == Verdict.OUTPUT_LIMIT


def test_syntax_error_is_a_runtime_error_with_the_reason(grade):
    result = grade("def add(a, b)\n    return a + b\n")
    assert result.verdict == Verdict.RUNTIME_ERROR
    assert "SyntaxError" in result.message
    assert result.score == 0


def test_fork_bomb_gets_too_many_processes(grade):
    result = grade("import os\ndef add(a, b):\n    while True:\n        os.fork()\n")
    assert result.verdict in (Verdict.PROCESS_LIMIT, Verdict.TIME_LIMIT, Verdict.MEMORY_LIMIT)
    assert result.verdict == Verdict.PROCESS_LIMIT


def test_no_sandbox_container_left_after_the_runs(runner, docker_client, grade):
    grade(CORRECT)
    runner.flush()
    left = docker_client.containers.list(all=True, filters={"label": f"lms.owner={runner.owner}"}, ignore_removed=True)
    assert left == []


def test_a_cold_container_is_labelled_with_the_plan_and_its_owner(runner, docker_client):
    spec = ExerciseSpec.from_dict(SPEC)
    plan = get_grader("python").plan(spec, {"solution.py": "import time\ndef add(a, b):\n    time.sleep(3)\n"})
    plan.labels = {"lms.submission": "4242"}
    seen = {}

    def look():
        import time
        for _ in range(100):
            found = docker_client.containers.list(filters={"label": "lms.submission=4242"}, ignore_removed=True)
            if found:
                seen.update(found[0].labels)
                return
            time.sleep(0.05)

    import threading
    watcher = threading.Thread(target=look)
    watcher.start()
    runner.run(plan)
    watcher.join()
    assert seen["lms.owner"] == runner.owner and seen["lms.sandbox"] == "1" and seen["lms.scope"] == "tests"


def test_a_visible_example_runs_first_and_shows_its_traceback(runner):
    """The example's call runs in the visible phase (hidden checks after it, in another process); its error comes
    with the traceback of the learner's code, the hidden checks' with nothing."""
    example = {"id": "example", "name": "Example", "call": {"function": "add", "args": [1, 1]}, "expect": 2,
               "hidden": False}
    spec = ExerciseSpec.from_dict({**SPEC, "checks": [example, *SPEC["checks"]]})
    grader = get_grader("python")
    code = "def add(a, b):\n    return check(a) + b\n\ndef check(a):\n    raise ValueError(f'no {a}')\n"
    plan = grader.plan(spec, {"solution.py": code})
    sandbox = runner.run(plan)
    result = grader.judge(spec, plan, sandbox)
    assert [(step.name, step.hidden) for step in sandbox.steps] == [
        ("calls", False), ("hidden-calls", True), ("program:program", True)]
    assert result.verdict == Verdict.RUNTIME_ERROR and result.message == "ValueError: no 1"
    shown = {c.id: c.message for c in result.checks}
    assert shown["example"].startswith("Traceback (most recent call last):\n")
    assert "line 2, in add" in shown["example"] and "in check" in shown["example"]
    assert shown["example"].endswith("ValueError: no 1\n")
    assert shown["small"] == shown["negative"] == shown["program"] == ""
    assert "no -2" in result.diagnostics["outputs"]["negative"]  # for staff


def test_a_container_the_engine_stops_is_the_platforms_failure_not_a_crash(runner, docker_client):
    """`docker stop` (what a daemon restart does to every container) ends the sandbox like a crash would, but the
    engine logs it: a grading error to retry, never the learner's runtime error. The learner's own kill is not."""
    import threading
    import time
    import uuid

    from sandboxes.container import SandboxError

    spec = ExerciseSpec.from_dict(SPEC)
    grader = get_grader("python")
    slow = "import time\ntime.sleep(1.5)\n" + CORRECT
    plan = grader.plan(spec, {"solution.py": slow})
    plan.labels = {"lms.test": uuid.uuid4().hex}

    def stop_it():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = docker_client.containers.list(filters={"label": f"lms.test={plan.labels['lms.test']}"})
            if found:
                time.sleep(0.3)
                found[0].stop(timeout=0)
                return
            time.sleep(0.05)

    stopper = threading.Thread(target=stop_it)
    stopper.start()
    with pytest.raises(SandboxError, match="engine stopped"):
        runner.run(plan)
    stopper.join()
    suicide = grader.plan(spec, {"solution.py": "import os\nos.kill(os.getppid(), 9)\n"})
    killed = grader.judge(spec, suicide, runner.run(suicide))
    assert killed.verdict == Verdict.RUNTIME_ERROR  # learner code killing the entry process is theirs to fix
