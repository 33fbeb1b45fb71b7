"""Expected observations made by running the reference solution in the real sandbox, for the kinds whose expected
values cannot be computed without the learner's libraries (data-analysis: pandas and matplotlib live only in the
data image). They are written into the exercise folder (expected.json, stamped with a hash of what they depend
on) and committed with it, so that import reads plain data and needs no Docker; check-content then grades the
reference against them in the sandbox."""
from __future__ import annotations

import json
from pathlib import Path

from graders import get_grader
from lms.catalog.content import ContentError, read_yaml
from sandboxes.runner import SandboxRunner


def exercises_needing_expectations(root: Path | str) -> list[Path]:
    """The exercise folders under `root` whose kind records its expectations from a reference run."""
    folders = []
    for meta in sorted(Path(root).rglob("exercise.yaml")):
        kind = read_yaml(meta).get("kind")
        try:
            grader = get_grader(kind)
        except ValueError:
            continue
        if hasattr(grader, "reference_plan"):
            folders.append(meta.parent)
    return folders


def write_expectations(folder: Path, runner: SandboxRunner) -> dict:
    """Run the reference solution of the exercise in `folder` and write its expected.json; what it wrote."""
    from graders.base import ExerciseSpec
    from lms.catalog.content import load_exercise

    definition = load_exercise(folder, complete=False)
    spec: ExerciseSpec = definition.grading_spec()
    grader = get_grader(spec.kind)
    problems = grader.complete(spec, folder, {})  # the datasets; no expected values are read without a solution
    if problems and not any("out of date" in p for p in problems):
        raise ContentError(f"{folder}: " + "; ".join(problems))
    plan = grader.reference_plan(spec, definition.solution_files)
    try:
        observations = grader.expected_observations(spec, plan, runner.run(plan))
    except ValueError as exc:
        raise ContentError(f"{folder}: {exc}") from None
    stored = {"stamp": grader.expected_stamp(spec, definition.solution_files), "checks": observations}
    (folder / grader.expected_file).write_text(json.dumps(stored, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                               encoding="utf-8")
    return stored
