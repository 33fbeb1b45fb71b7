"""Machinery of the hostile-submission suite: every case is a real container run through the real PythonGrader.

One SandboxRunner with a small warm pool serves the whole session. The `runtime` fixture is parametrized over the
container runtimes the engine has (runc always, runsc when `docker info` lists it), so every case runs under each.
`hostile.check(code, ...)` grades a submission and asserts the verdict, the score, that the container which ran
it is gone, that no hidden check's input is anywhere in what the learner sees, and that a benign correct
submission graded right after still passes with full marks.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import docker
import pytest
from markupsafe import escape

from graders.base import ExerciseSpec, GradeResult, Verdict
from graders.python import PythonGrader
from sandboxes.limits import validate_limits
from sandboxes.runner import SandboxPlan, SandboxResult, SandboxRunner

PYTHON_IMAGE = os.environ.get("LMS_SANDBOX_PYTHON_IMAGE", "lms/sandbox-python:latest")
KNOWN_RUNTIMES = ("runc", "runsc")

# Hidden expected values, chosen so that they occur nowhere in the image (checked once by grepping it as root),
# nor in the job sent to the container (asserted by `grade`).
BIG_A, BIG_B, BIG_SUM = 500000000, 277000999, 777000999
PROGRAM_STDIN, PROGRAM_SUM = "8000000 675309\n", 8675309
SECRETS = (str(BIG_SUM), str(PROGRAM_SUM))
# Hidden checks' inputs: in the container only for the hidden phase, never in what the learner sees (`check`).
HIDDEN_INPUTS = (str(BIG_A), str(BIG_B), *PROGRAM_STDIN.split())
POINTS = 10.0
PRACTICE_WALL_SECONDS = 4.0  # the hostile spec's 1 s is the calls' limit; pytest's start alone nears it under load
# The four checks weigh the same: the visible example add(1, 2) (the public test's call, so the cases that spare
# the public test to stay within their wall limits spare it too), two hidden calls and the hidden program.
ONE_CHECK = round(POINTS / 4, 2)
TWO_CHECKS = round(POINTS / 2, 2)
THREE_CHECKS = round(POINTS * 3 / 4, 2)  # the three calls right, the program not

BENIGN = """\
def add(a, b):
    return a + b


if __name__ == "__main__":
    a, b = map(int, input().split())
    print(add(a, b))
"""

PUBLIC_TEST = """\
from solution import add


def test_add_small_numbers():
    assert add(1, 2) == 3
"""

# Learner-visible text must carry no control character but \n and \t (terminal escapes, NUL, CR, C1 CSI...) nor
# bidirectional override (text that reads backwards).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _engine_runtimes() -> list[str]:
    try:
        available = set(docker.from_env().info().get("Runtimes", {}))
    except docker.errors.DockerException as exc:  # the suite needs the engine: fail loudly, never skip
        raise RuntimeError(f"the hostile suite needs the Docker engine: {exc}") from exc
    return [name for name in KNOWN_RUNTIMES if name in available]


RUNTIMES = _engine_runtimes()


def make_spec(runtime: str, **limits) -> ExerciseSpec:
    """The hostile exercise: one function checked by a visible example and two hidden calls, one hidden program
    check, one public pytest test."""
    return ExerciseSpec(
        kind="python",
        files=["solution.py"],
        checks=[
            {"id": "add-example", "name": "example", "call": {"function": "add", "args": [1, 2]}, "expect": 3,
             "hidden": False},
            {"id": "add-big", "name": "big numbers", "call": {"function": "add", "args": [BIG_A, BIG_B]},
             "expect": BIG_SUM},
            {"id": "add-small", "name": "small numbers", "call": {"function": "add", "args": [2, 40]},
             "expect": 42},
            {"id": "program", "name": "program", "program": {"stdin": PROGRAM_STDIN},
             "expect_stdout": f"{PROGRAM_SUM}\n"},
        ],
        public_tests={"test_public.py": PUBLIC_TEST},
        limits=validate_limits({"wall_seconds": 1.0, "cpu_seconds": 1, **limits}),
        runtime=runtime,
        points=POINTS,
        uuid="hostile-suite",
    )


def pytest_collection_modifyitems(config, items):
    """The hostile suite takes minutes: marked slow, so `-m "not slow"` skips it locally (CI runs everything)."""
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", params=RUNTIMES)
def runtime(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def hostile_runner(docker_client):
    runner = SandboxRunner(docker_client, pool_size=2, images={"python": PYTHON_IMAGE}, scope="hostile-tests")
    yield runner
    runner.close()
    leftovers = docker_client.containers.list(all=True, filters={"label": f"lms.owner={runner.owner}"})
    assert leftovers == [], f"containers left behind: {[c.short_id for c in leftovers]}"


REPORT: list[dict] = []  # one row per graded hostile submission, written out at the end of the session


@dataclass
class Hostile:
    runner: SandboxRunner
    docker_client: docker.DockerClient
    runtime: str
    spec: ExerciseSpec
    grader: PythonGrader
    case: str = ""

    def plan(self, code: str, extra_files: dict[str, str] | None = None, spec: ExerciseSpec | None = None,
             practice: bool = False) -> SandboxPlan:
        plan = self.grader.plan(spec or self.spec, {"solution.py": code}, practice=practice)
        # Stray files the web layer would refuse: the sandbox must not care.
        plan.files.update(extra_files or {})
        # What the platform adds to the learner's files (calls, inputs, public tests) carries no expected value.
        job = plan.job()
        job["files"] = {name: text for name, text in job["files"].items()
                        if name != "solution.py" and name not in (extra_files or {})}
        hidden_job = json.dumps(plan.hidden_job("n"))
        assert not any(secret in json.dumps(job) + hidden_job for secret in SECRETS), "an expected value leaked"
        if plan.hidden_job("n"):  # the visible phase's message holds no hidden input
            assert not any(value in json.dumps(job) for value in HIDDEN_INPUTS), "a hidden input in the visible job"
        return plan

    def run(self, plan: SandboxPlan, spec: ExerciseSpec | None = None) -> tuple[GradeResult, SandboxResult]:
        result = self.runner.run(plan)
        return self.grader.judge(spec or self.spec, plan, result), result

    def grade(self, code: str, extra_files: dict[str, str] | None = None, spec: ExerciseSpec | None = None
              ) -> tuple[GradeResult, SandboxResult]:
        spec = spec or self.spec
        return self.run(self.plan(code, extra_files, spec), spec)

    def practice(self, code: str, extra_files: dict[str, str] | None = None) -> GradeResult:
        """A practice run (the public pytest tests): it scores nothing whatever happens inside. Its wall limit
        is PRACTICE_WALL_SECONDS: pytest alone takes 0.8 s to start under gVisor on a quiet machine."""
        spec = replace(self.spec, limits=replace(self.spec.limits, wall_seconds=PRACTICE_WALL_SECONDS))
        grade, result = self.run(self.plan(code, extra_files, spec, practice=True), spec)
        assert grade.score == 0 and grade.checks == []
        assert_inert(grade)
        self.assert_gone(result)
        return grade

    def assert_gone(self, result: SandboxResult) -> None:
        self.runner.flush()  # removal is asynchronous
        assert result.container_id
        with pytest.raises(docker.errors.NotFound):
            self.docker_client.containers.get(result.container_id)

    def assert_benign_passes(self) -> None:
        grade, result = self.grade(BENIGN)
        assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade, result)
        self.assert_gone(result)

    def check(self, code: str, verdict, score: float | set | None = 0.0, extra_files: dict[str, str] | None = None,
              spec: ExerciseSpec | None = None, collect: list[str] | None = None
              ) -> tuple[GradeResult, SandboxResult]:
        """Grade a hostile submission and assert everything every case must: the verdict (one Verdict, a set of
        acceptable ones, or {runtime: either}), the score, inert text within caps, no container left, and a benign
        submission graded right after that still gets full marks."""
        started = time.monotonic()
        plan = self.plan(code, extra_files, spec)
        plan.collect = list(collect or [])
        grade, result = self.run(plan, spec)
        REPORT.append({"case": self.case, "runtime": self.runtime, "verdict": grade.verdict.value,
                       "score": grade.score, "status": result.status, "warm": result.warm,
                       "seconds": round(time.monotonic() - started, 2),
                       "program_output": str(grade.diagnostics.get("outputs", {}).get("program", ""))[:300]})
        expected = verdict.get(self.runtime) if isinstance(verdict, dict) else verdict
        allowed = expected if isinstance(expected, (set, frozenset)) else {expected}
        assert grade.verdict in allowed, describe(grade, result)
        assert grade.verdict != Verdict.PASSED and grade.verdict != Verdict.GRADING_ERROR
        if score is not None:
            scores = score if isinstance(score, set) else {score}
            assert grade.score in scores, describe(grade, result)
        assert grade.score < grade.max_score
        assert_inert(grade)
        assert_hides_hidden_inputs(grade)
        self.assert_gone(result)
        self.assert_benign_passes()
        return grade, result


def describe(grade: GradeResult, result: SandboxResult) -> str:
    steps = "; ".join(f"{s.name}: exit={s.exit_code} sig={s.signal} timeout={s.timed_out} out={s.output_exceeded} "
                      f"oom={s.oom_killed} pids={s.pids_exhausted} missing={s.missing} "
                      f"stderr={s.stderr[-300:]!r} stdout={s.stdout[:200]!r}" for s in result.steps)
    return (f"verdict={grade.verdict} score={grade.score} message={grade.message!r} status={result.status} "
            f"checks={[(c.id, c.status) for c in grade.checks]} outputs={grade.diagnostics.get('outputs')} "
            f"| {steps} | diagnostics={result.diagnostics[-300:]!r}")


def learner_texts(grade: GradeResult) -> list[str]:
    """Every piece of text of a grade that is stored and shown (to the learner or to staff)."""
    texts = [grade.message]
    for feedback in grade.checks + grade.public_tests:
        texts += [feedback.id, feedback.status, feedback.message]
        texts += list(feedback.name.values()) if isinstance(feedback.name, dict) else [feedback.name]
    texts += [str(v) for v in grade.diagnostics.get("outputs", {}).values()]
    texts += [str(v) for v in grade.diagnostics.get("stderr", {}).values()]
    return texts


def assert_inert(grade: GradeResult) -> None:
    """Stored text is plain `str` (never markup), without control characters, within its caps."""
    assert len(grade.message) <= 500
    for feedback in grade.public_tests:
        assert len(feedback.message) <= 2000 and len(feedback.id) <= 300
    for check in grade.checks:
        assert (check.message == "") if check.hidden else (len(check.message) <= 2000)  # hidden: never why
    for text in learner_texts(grade):
        assert type(text) is str and not hasattr(text, "__html__")
        assert not CONTROL.search(text), f"control character in {text[:200]!r}"
        assert "<" not in str(escape(text))
    json.dumps(grade.feedback())  # storable as JSON as is


def assert_hides_hidden_inputs(grade: GradeResult) -> None:
    """What the learner sees (stored feedback: the checks' messages and the submission's message) holds none of
    the hidden checks' inputs, whatever the learner's code did with them."""
    shown = json.dumps(grade.feedback(), ensure_ascii=False)
    leaked = [value for value in HIDDEN_INPUTS if value in shown]
    assert not leaked, f"hidden inputs {leaked} shown to the learner: {shown[:1500]}"


@pytest.fixture(scope="session")
def hostile_spec(runtime) -> ExerciseSpec:
    return make_spec(runtime)


@pytest.fixture
def hostile(request, hostile_runner, docker_client, runtime, hostile_spec) -> Hostile:
    return Hostile(hostile_runner, docker_client, runtime, hostile_spec, PythonGrader(), request.node.name)


def pytest_terminal_summary(terminalreporter, config):
    """Write every hostile case's verdict and score to $LMS_VAR/hostile-report.json (listed with -v)."""
    if not REPORT:
        return
    folder = Path(os.environ.get("LMS_TEST_REPORTS") or os.environ.get("LMS_VAR", "var/test"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hostile-report.json").write_text(json.dumps(REPORT, indent=1))
    terminalreporter.write_line(f"hostile cases graded: {len(REPORT)} (report: {folder / 'hostile-report.json'})")
    if config.getoption("verbose") > 0:
        for row in REPORT:
            terminalreporter.write_line(f"  {row['case']:<75} {row['verdict']:<14} {row['score']:>5}  "
                                        f"{row['seconds']:>5}s {'warm' if row['warm'] else 'cold'}")


@pytest.fixture
def grade(hostile):
    """grade(code, extra_files=None) -> (GradeResult, SandboxResult)."""
    return hostile.grade
