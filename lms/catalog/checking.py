"""Check a content library in the real sandbox: the reference solution scores full marks, the starter less."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graders import get_grader
from lms.catalog.content import ExerciseDefinition, iter_exercises, load_library
from lms.grading.trusted import learner_for
from sandboxes.runner import SandboxRunner


@dataclass
class ExerciseCheck:
    label: str
    solution_score: float
    starter_score: float
    max_score: float
    solution_verdict: str
    starter_verdict: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


# The learner a kind that runs no code is checked for (check-content has no database): any stable id will do.
CHECK_LEARNER_ID = 1
CHECK_SECRET = "check-content"


def grade_files(runner: SandboxRunner, exercise: ExerciseDefinition, files: dict[str, str], practice=False,
                spec=None, reference: bool = False, learner_id: int = CHECK_LEARNER_ID):
    """`reference`: these are the solution's files (a kind that runs no code may hand in a per-learner answer)."""
    spec = spec or exercise.grading_spec()
    grader = get_grader(spec.kind)
    if not grader.runs_code:
        learner = learner_for(learner_id, spec.uuid, CHECK_SECRET)
        if reference:
            files = grader.reference_files(spec, files, learner)
        return grader.grade_trusted(spec, files, learner)
    plan = grader.plan(spec, files, practice=practice)
    return grader.judge(spec, plan, runner.run(plan))


def check_exercise(runner: SandboxRunner, exercise: ExerciseDefinition) -> ExerciseCheck:
    spec = exercise.grading_spec()
    solution = grade_files(runner, exercise, exercise.solution_files, spec=spec, reference=True)
    starter = grade_files(runner, exercise, exercise.starter_files, spec=spec)
    problems = []
    if solution.score < solution.max_score:
        failing = [c.id for c in solution.checks if not c.passed]
        problems.append(f"reference solution scores {solution.score}/{solution.max_score} "
                        f"({solution.verdict}; failing: {', '.join(failing)})")
    if get_grader(spec.kind).supports_practice(spec):
        practice = grade_files(runner, exercise, exercise.solution_files, practice=True, spec=spec)
        if practice.verdict != "passed":
            problems.append(f"reference solution fails the public tests ({practice.verdict}): "
                            + ", ".join(t.id for t in practice.public_tests if not t.passed))
    if starter.score >= starter.max_score:
        problems.append("starter scores full marks")
    return ExerciseCheck(label=str(exercise.path), solution_score=solution.score, starter_score=starter.score,
                         max_score=solution.max_score, solution_verdict=solution.verdict,
                         starter_verdict=starter.verdict, problems=problems)


def check_library(root: Path | str, runner: SandboxRunner) -> list[ExerciseCheck]:
    return [check_exercise(runner, exercise) for exercise in iter_exercises(load_library(root))]
