"""The grader interface: (exercise, submitted files) -> sandbox plan, and (plan, sandbox result) -> grade.

A grader knows nothing of Flask, HTTP or the database. Expected values live in `ExerciseSpec.checks` on the
trusted side only; `plan()` must never copy them into the plan.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import ClassVar

from sandboxes.limits import DEFAULT_LIMITS, Limits, validate_limits
from sandboxes.runner import RUNTIME_RUNC, SandboxPlan, SandboxResult


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # wrong answer on at least one graded check
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    PROCESS_LIMIT = "process_limit"
    RUNTIME_ERROR = "runtime_error"
    GRADING_ERROR = "grading_error"  # the platform failed; never the learner's fault


# When several limits are hit, the one the learner should fix first.
LIMIT_PRECEDENCE = (Verdict.PROCESS_LIMIT, Verdict.MEMORY_LIMIT, Verdict.OUTPUT_LIMIT, Verdict.TIME_LIMIT)


class SpecError(ValueError):
    """An exercise definition is invalid (shown to the instructor at import and check time)."""


@dataclass
class ExerciseSpec:
    """Everything a grader needs about an exercise, as plain data (stored as JSON on the Exercise row)."""

    kind: str
    files: list[str]
    checks: list[dict]
    public_tests: dict[str, str] = field(default_factory=dict)
    limits: Limits = DEFAULT_LIMITS
    runtime: str = RUNTIME_RUNC
    image: str = ""
    scoring: str = "proportional"
    points: float = 10.0
    uuid: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> "ExerciseSpec":
        try:
            limits = validate_limits(data.get("limits"))
        except ValueError as exc:
            raise SpecError(str(exc)) from exc
        return cls(
            kind=data["kind"],
            files=list(data.get("files") or []),
            checks=list(data.get("checks") or []),
            public_tests=dict(data.get("public_tests") or {}),
            limits=limits,
            runtime=data.get("runtime") or RUNTIME_RUNC,
            image=data.get("image") or "",
            scoring=data.get("scoring") or "proportional",
            points=float(data.get("points", 10)),
            uuid=data.get("uuid", ""),
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["limits"] = self.limits.to_dict()
        return data


@dataclass
class CheckFeedback:
    id: str
    name: dict | str
    passed: bool
    hidden: bool
    status: str = ""  # passed, failed, error, timeout, missing, skipped
    message: str = ""  # never set for hidden checks
    weight: float = 1.0

    def to_dict(self) -> dict:
        return dict(vars(self))  # flat: no deep copy (dataclasses.asdict) on every check of every grade


@dataclass
class GradeResult:
    verdict: Verdict
    score: float
    max_score: float
    checks: list[CheckFeedback]  # graded checks, visible (public examples) or hidden
    public_tests: list[CheckFeedback] = field(default_factory=list)  # a practice run's pytest results
    message: str = ""  # a short learner-facing detail (e.g. the runtime error's last line)
    diagnostics: dict = field(default_factory=dict)  # for staff only: outputs of hidden checks, stderr

    def feedback(self) -> dict:
        """What the learner may see."""
        return {"checks": [c.to_dict() for c in self.checks],
                "public_tests": [t.to_dict() for t in self.public_tests],
                "message": self.message}


class Grader(ABC):
    kind: ClassVar[str]
    image: ClassVar[str]  # logical image name, mapped to a Docker tag by the runner

    @abstractmethod
    def validate(self, spec: ExerciseSpec) -> list[str]:
        """Problems with the exercise definition, in words an instructor understands."""

    @abstractmethod
    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        """What to run for these submitted files. Must not carry any expected value. `practice`: a run of the
        public tests only, which informs the learner and grades nothing."""

    def supports_practice(self, spec: ExerciseSpec) -> bool:
        """Whether this exercise has public tests a learner can run without submitting."""
        return False

    @abstractmethod
    def judge(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        """Compare what came out of the sandbox with the expected values held here."""
