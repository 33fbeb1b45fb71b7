"""Machinery of the javascript kind's hostile cases: the conftest's (runner, runtimes, secrets, report), with the
JavaScriptGrader, a Node submission, and learner-facing messages that are {fr, ar, en} mappings.

`JsHostile.check(code, ...)` grades a submission and asserts what every case must: the verdict, the score, inert
text within caps, no hidden input in what the learner sees, no container left, and a benign submission graded right
after that still gets full marks.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import docker
import pytest
from markupsafe import escape

from graders.base import ExerciseSpec, GradeResult, Verdict
from graders.javascript import JavaScriptGrader
from sandboxes.limits import validate_limits
from sandboxes.runner import SandboxPlan, SandboxResult, SandboxRunner

from .conftest import (BIG_A, BIG_B, BIG_SUM, CONTROL, HIDDEN_INPUTS, POINTS, PROGRAM_STDIN, PROGRAM_SUM, REPORT,
                       SECRETS, assert_hides_hidden_inputs, describe)

# The four checks weigh the same (the conftest's shares): the visible example, two hidden calls, the hidden program.
ONE_CHECK, TWO_CHECKS, THREE_CHECKS = round(POINTS / 4, 2), round(POINTS / 2, 2), round(POINTS * 3 / 4, 2)

BENIGN = """\
function add(a, b) {
  return a + b;
}
module.exports = { add };
if (require.main === module) {
  const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);
  console.log(add(a, b));
}
"""
# The benign program's main part, for cases that only change `add` (or add code before it).
MAIN = BENIGN[BENIGN.index("module.exports"):]

PUBLIC_TEST = """\
const test = require('node:test');
const assert = require('node:assert');
const { add } = require('./solution.js');

test('adds small numbers', () => {
  assert.strictEqual(add(1, 2), 3);
});
"""


def make_spec(runtime: str, call_seconds: float = 0.5, **limits) -> ExerciseSpec:
    return ExerciseSpec(
        kind="javascript",
        files=["solution.js"],
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
        public_tests={"add.test.js": PUBLIC_TEST},
        # Node's heap and threads need more than Python's; gVisor's start-up more wall time.
        limits=validate_limits({"wall_seconds": 2.0, "cpu_seconds": 2, "memory_mb": 256, "pids": 64,
                                "output_kb": 16, **limits}),
        options={"call_timeout_seconds": call_seconds},
        runtime=runtime,
        points=POINTS,
        uuid="hostile-javascript",
    )


def texts_of(message) -> list[str]:
    return list(message.values()) if isinstance(message, dict) else [message]


def assert_inert(grade: GradeResult) -> None:
    """Stored text is plain `str` (never markup), without control characters, within its caps; hidden checks carry
    no message nor details."""
    assert type(grade.message) is str and len(grade.message) <= 500
    texts = [grade.message]
    for check in grade.checks + grade.public_tests:
        if check.hidden:
            assert (check.message, check.details) == ("", {})
        for text in texts_of(check.message):
            assert len(text) <= 2000
            texts.append(text)
        texts += [check.id, check.status, *texts_of(check.name), *[str(v) for v in check.details.values()]]
    texts += [str(v) for v in grade.diagnostics.get("outputs", {}).values()]
    texts += [str(v) for v in grade.diagnostics.get("stderr", {}).values()]
    for text in texts:
        assert type(text) is str and not hasattr(text, "__html__")
        assert not CONTROL.search(text), f"control character in {text[:200]!r}"
        assert "<" not in str(escape(text))
    json.dumps(grade.feedback())


@dataclass
class JsHostile:
    runner: SandboxRunner
    docker_client: docker.DockerClient
    runtime: str
    spec: ExerciseSpec
    grader: JavaScriptGrader
    case: str = ""

    def plan(self, code: str, practice: bool = False) -> SandboxPlan:
        plan = self.grader.plan(self.spec, {"solution.js": code}, practice=practice)
        job = plan.job()
        job["files"] = {name: text for name, text in job["files"].items() if name != "solution.js"}
        hidden_job = json.dumps(plan.hidden_job("n"))
        assert not any(secret in json.dumps(job) + hidden_job for secret in SECRETS), "an expected value leaked"
        if plan.hidden_job("n"):
            assert not any(value in json.dumps(job) for value in HIDDEN_INPUTS), "a hidden input in the visible job"
        return plan

    def run(self, plan: SandboxPlan) -> tuple[GradeResult, SandboxResult]:
        result = self.runner.run(plan)
        return self.grader.judge(self.spec, plan, result), result

    def assert_gone(self, result: SandboxResult) -> None:
        self.runner.flush()
        with pytest.raises(docker.errors.NotFound):
            self.docker_client.containers.get(result.container_id)

    def assert_benign_passes(self) -> None:
        grade, result = self.run(self.plan(BENIGN))
        assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade, result)
        self.assert_gone(result)

    def check(self, code: str, verdict, score=0.0, practice: bool = False) -> tuple[GradeResult, SandboxResult]:
        """`verdict`: a Verdict, a set of them, or {runtime: either}; `score`: a number, a set, or None."""
        started = time.monotonic()
        grade, result = self.run(self.plan(code, practice=practice))
        REPORT.append({"case": self.case, "runtime": self.runtime, "verdict": grade.verdict.value,
                       "score": grade.score, "status": result.status, "warm": result.warm,
                       "seconds": round(time.monotonic() - started, 2),
                       "program_output": str(grade.diagnostics.get("outputs", {}).get("program", ""))[:300]})
        expected = verdict.get(self.runtime) if isinstance(verdict, dict) else verdict
        allowed = expected if isinstance(expected, (set, frozenset)) else {expected}
        assert grade.verdict in allowed, describe(grade, result)
        assert grade.verdict not in (Verdict.PASSED, Verdict.GRADING_ERROR)
        if score is not None:
            assert grade.score in (score if isinstance(score, set) else {score}), describe(grade, result)
        if not practice:
            assert grade.score < grade.max_score
        assert_inert(grade)
        assert_hides_hidden_inputs(grade)
        self.assert_gone(result)
        self.assert_benign_passes()
        return grade, result
