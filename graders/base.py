"""The grader interface: (exercise, submitted files) -> sandbox plan, and (plan, sandbox result) -> grade.

A grader knows nothing of Flask, HTTP or the database. Expected values live in `ExerciseSpec.checks` on the
trusted side only; `plan()` must never copy them into the plan.

Hidden means hidden (shared/design/KINDS.md): no text produced by learner code in a process that ever held a
hidden check's input reaches the learner. Every kind follows the same contract:
- `plan()` marks each step `"hidden": False` only if everything it receives may be shown (visible examples,
  public tests); any step that gets an input of a hidden check is hidden (the default). The runner runs the
  visible steps first and sends the hidden ones only once the visible phase is over and its processes are dead.
- `evaluate()` builds learner-facing text (GradeResult.message, visible checks' messages) from visible steps
  only; a hidden check reports its name, pass/fail and a status name, and a failure in the hidden phase only
  the verdict's name. Hidden outputs may go into `diagnostics`, which only staff see. Files collected after a
  hidden phase may hold hidden data: judge them, never show them.
- `judge()` (not to be overridden) enforces what it can: hidden checks' messages are blanked, and a run that did
  not complete shows nothing of either phase, only a verdict and the platform's fixed text.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Callable, ClassVar, Mapping

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
    AWAITING_REVIEW = "awaiting_review"  # a reviewed task's deliverable passed its pre-checks: no score yet
    REVIEWED = "reviewed"  # its review was released (lms/reviews), which wrote the score


# When several limits are hit, the one the learner should fix first.
LIMIT_PRECEDENCE = (Verdict.PROCESS_LIMIT, Verdict.MEMORY_LIMIT, Verdict.OUTPUT_LIMIT, Verdict.TIME_LIMIT)

# A run that did not complete: its verdict and the platform's fixed text, never anything from the container.
SANDBOX_OUTCOMES = {
    "crashed": (Verdict.RUNTIME_ERROR, "sandbox supervisor stopped by the submitted code"),
    "wall_timeout": (Verdict.TIME_LIMIT, ""),
    "output_overflow": (Verdict.OUTPUT_LIMIT, ""),
    "bad_frame": (Verdict.RUNTIME_ERROR, "the sandbox's answer was tampered with"),
}


def sandbox_outcome(result: SandboxResult) -> tuple[Verdict, str] | None:
    """(verdict, message) of a run that did not complete, None for a completed one."""
    if result.status == "completed":
        return None
    if result.status == "crashed" and result.oom_killed:
        return Verdict.MEMORY_LIMIT, ""
    return SANDBOX_OUTCOMES.get(result.status, (Verdict.RUNTIME_ERROR, ""))


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
    # The kind's own settings from exercise.yaml's `options:` (viewports, the server's command...), checked by the
    # kind's validate(); plain data, trusted side.
    options: dict = field(default_factory=dict)

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
            options=dict(data.get("options") or {}),
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
    # Never set for hidden checks (and never stored for one: see to_dict). Text, or {"fr", "ar", "en"} texts built
    # from structured data (graders.judging.localized_message).
    message: str | dict = ""
    weight: float = 1.0
    # Structured feedback of a visible check, shown under it: e.g. {"transcript": [...]} (requests and answers),
    # {"artifact": "<name>"} (a screenshot of GradeResult.artifacts). Plain JSON; never for a hidden check.
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = dict(vars(self))  # flat: no deep copy (dataclasses.asdict) on every check of every grade
        if self.hidden:
            data["message"] = ""
            data["details"] = {}
        return data


@dataclass
class Artifact:
    """A picture (or other file) the learner sees with the feedback, such as a screenshot of a visible viewport.
    Only from visible steps: never anything produced while a hidden input was in the container."""

    name: str  # unique within a grade, a file name: [a-z0-9-]+.(png|jpeg)
    content_type: str  # image/png or image/jpeg
    data: bytes
    caption: dict | str = ""  # fr/ar/en, or plain text


@dataclass
class GradeResult:
    verdict: Verdict
    score: float
    max_score: float
    checks: list[CheckFeedback]  # graded checks, visible (public examples) or hidden
    public_tests: list[CheckFeedback] = field(default_factory=list)  # a practice run's pytest results
    message: str = ""  # a short learner-facing detail (e.g. the runtime error's last line), from visible steps only
    diagnostics: dict = field(default_factory=dict)  # for staff only: outputs of hidden checks, stderr
    artifacts: list[Artifact] = field(default_factory=list)  # shown with the feedback (visible steps only)
    # A ranked kind's scores (ml-model): {"metric", "higher_is_better", "threshold", "public", "private"}; stored
    # beside the row for the exercise's leaderboard, the private score sealed until it is revealed.
    ranking: dict = field(default_factory=dict)

    def feedback(self) -> dict:
        """What the learner may see."""
        feedback = {"checks": [c.to_dict() for c in self.checks],
                    "public_tests": [t.to_dict() for t in self.public_tests],
                    "message": self.message}
        if self.artifacts:  # the pictures themselves are stored beside the row (SubmissionArtifact)
            feedback["artifacts"] = [{"name": a.name, "caption": a.caption} for a in self.artifacts]
        return feedback


class Grader(ABC):
    kind: ClassVar[str]
    runs_code: ClassVar[bool] = True  # False: a TrustedGrader, judged without a sandbox
    # Judged in the request that hands it in (a TrustedGrader's quick, bounded work on small input: quiz answers, a
    # flag, a YAML model), the queue only as the fallback; False: through the queue (lms.grading.jobs).
    grades_inline: ClassVar[bool] = False
    image: ClassVar[str]  # logical image name, mapped to a Docker tag by the runner
    # Files of tests/public/ that are public tests a learner can run (shown on the page, run in practice runs).
    public_test_glob: ClassVar[str] = ""
    # The folder the exercise page names public data files under (data/train.csv; an exploit lab's target/app.py).
    public_data_folder: ClassVar[str] = "data"
    # The editor's language of a submitted file, by extension (the exercise page's tabs).
    EDITOR_LANGUAGES: ClassVar[dict] = {".py": "python", ".js": "javascript", ".mjs": "javascript",
                                        ".html": "html", ".htm": "html", ".css": "css", ".sql": "sql"}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "judge" in cls.__dict__:  # judge() is where the hidden-input rule is enforced for every kind
            raise TypeError(f"{cls.__name__} must implement evaluate(), not override judge()")

    @abstractmethod
    def validate(self, spec: ExerciseSpec) -> list[str]:
        """Problems with the exercise definition, in words an instructor understands."""

    @abstractmethod
    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        """What to run for these submitted files. Must not carry any expected value; a step that gets any input
        of a hidden check must not be marked `"hidden": False` (see the module's docstring). `practice`: a run of
        the public tests only, which informs the learner and grades nothing."""

    def complete(self, spec: ExerciseSpec, folder, solution: dict[str, str]) -> list[str]:
        """At import, on the trusted side: what the kind adds to the exercise's spec from its folder (the sql-query
        kind: its databases from data/, and the expected results computed from the reference solution); the
        problems, in an instructor's words, if it cannot. Most kinds add nothing."""
        return []

    def public_data(self, spec: ExerciseSpec) -> dict[str, dict]:
        """The data files a learner may download to work on the exercise, {name: {"text": ...} | {"base64": ...}}:
        what the visible runs get, never a hidden variant's. Most kinds ship none."""
        return {}

    def expected_preview(self, spec: ExerciseSpec) -> list[dict]:
        """For staff only (an instructor reviewing an exercise): each check's expected result as tables to show,
        hidden checks included, [{"id", "name", "hidden", "tables": [{"table"?, "columns", "rows", "more"}],
        "tables_more"}]. Never on a learner's page or in an API answer. Kinds with no tabular expectation: []."""
        return []

    def supports_practice(self, spec: ExerciseSpec) -> bool:
        """Whether this exercise has public tests a learner can run without submitting."""
        return False

    @abstractmethod
    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        """Compare what came out of the sandbox with the expected values held here. Learner-facing text comes
        from `result.visible_steps()` only; hidden checks get no message."""

    def judge(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        """The grade of a run: `evaluate()`'s, with the hidden-input rule applied whatever it did."""
        return hide_what_must_be_hidden(self.evaluate(spec, plan, result), result)


@dataclass(frozen=True)
class Learner:
    """Whom a trusted-side grade is for. `key(purpose)`: 32 bytes derived on the server from its secret, this learner
    and this exercise (a quiz's shuffling seed, a CTF flag); the secret itself never reaches a grader, a page or a
    container, and another learner's key is another value."""

    user_id: int
    key: Callable[[str], bytes]
    # The learner's earlier graded attempts at this exercise, oldest first, each {"checks": [stored check
    # feedback dicts], "score"}: for per-question tries and penalties. Trusted data (our own rows).
    previous: tuple[dict, ...] = ()
    # What the server knows of this learner that the grade depends on and that they must not be able to forge (the
    # ctf-flag kind: the hints they had opened, whether a wrong flag is another learner's): plain data, filled on the
    # trusted side by the kind's function in lms.grading.trusted.LEARNER_FACTS, never from what was handed in.
    facts: Mapping[str, object] = field(default_factory=dict)


class TrustedGrader(Grader):
    """A kind that judges what the learner handed in without running it (quiz answers, a flag, a YAML model): no
    sandbox. The worker calls `grade_trusted()` in its own process, so parsing must be safe on hostile input (no
    entities, no aliases bombs, size caps) and must never import, unpickle or execute anything submitted."""

    runs_code: ClassVar[bool] = False

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        raise SpecError(f"the {self.kind} kind runs no code: it has no sandbox plan")

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        raise SpecError(f"the {self.kind} kind runs no code: it has no sandbox result to judge")

    @abstractmethod
    def grade(self, spec: ExerciseSpec, files: dict[str, str], learner: Learner) -> GradeResult:
        """The grade of these files for this learner; hidden checks report their name and pass/fail only."""

    def grade_trusted(self, spec: ExerciseSpec, files: dict[str, str], learner: Learner) -> GradeResult:
        grade = self.grade(spec, files, learner)
        for feedback in grade.checks + grade.public_tests:
            if feedback.hidden:
                feedback.message = ""
                feedback.details = {}
        return grade

    def reference_files(self, spec: ExerciseSpec, solution: dict[str, str], learner: Learner) -> dict[str, str]:
        """What the reference solution hands in for this learner (check-content): the solution folder's files, or,
        for a per-learner answer such as a CTF flag, that learner's own."""
        return solution


def hide_what_must_be_hidden(grade: GradeResult, result: SandboxResult) -> GradeResult:
    """Blank every hidden check's message; after a run that did not complete (a forged frame, a crash, the
    backstop), blank every message and keep only the platform's text: nothing of either phase is trusted then."""
    outcome = sandbox_outcome(result)
    for feedback in grade.checks + grade.public_tests:
        if feedback.hidden or outcome:
            feedback.message = ""
            feedback.details = {}
    if outcome:
        grade.message = outcome[1]
        grade.artifacts = []
    return grade
