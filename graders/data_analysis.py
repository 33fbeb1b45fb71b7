"""The data-analysis kind: the learner's pandas script (.py) or notebook (.ipynb) runs in the data sandbox once per
dataset variant, each variant's files under data/ (the exercise's data/<variant>/ folder); the example variant's
run first, the hidden variants' (same columns, other rows) in the hidden phase, where their files first enter the
container. After each run the image reports what the checks observe: a named variable (scalar, series, data
frame, array, list) or a figure left open (its axes, charts, values and labels), as plain JSON.

Expected observations are the reference solution's, from the same image on the same variants: `flask lms
expect-content` runs it and writes them to the exercise's expected.json, stamped with a hash of what they depend
on (the solution, the datasets, what each check observes); import reads them (a stale stamp is refused), so that
import needs no Docker, and check-content proves them in the real sandbox. They never enter a container.
Visible runs show their output, their figures (PNG) and the learner's tables; hidden runs show a check's name and
status only.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from graders import register
from graders.base import (LIMIT_PRECEDENCE, Artifact, CheckFeedback, ExerciseSpec, Grader, GradeResult, Verdict,
                          sandbox_outcome)
from graders.data_results import check_rules_problems, compare_figure, compare_variable
from graders.judging import decoded_picture, inert_text, localized_message, parse_records, score
from graders.python import is_hidden, step_limit_verdict
from sandboxes.runner import SandboxPlan, SandboxResult

EXPECTED_FILE = "expected.json"
STEP_PREFIX = "run-"
OPTIONS = {"datasets", "seconds", "cell_seconds"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".json"}
BINARY_SUFFIXES = {".xlsx"}
VARIANT_CAP_BYTES = 2 * 1024 * 1024
STEP_MARGIN_SECONDS = 1.0  # the child's start and the observations, beside the run's own budget
MIN_MEMORY_MB = 384
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")
OUTPUT_SHOWN = 4000
PNG_MAX_BYTES = 150 * 1024
FIGURES_SHOWN = 3
VERDICT_ORDER = (Verdict.TIME_LIMIT, Verdict.RUNTIME_ERROR, Verdict.FAILED)
MESSAGES = {
    "error": {"fr": "Le programme s'est arrêté sur une erreur : {error}", "ar": "توقف البرنامج بسبب خطأ: {error}",
              "en": "The program stopped on an error: {error}"},
    "cell_error": {"fr": "La cellule {cell} s'est arrêtée sur une erreur : {error}",
                   "ar": "توقفت الخلية {cell} بسبب خطأ: {error}", "en": "Cell {cell} stopped on an error: {error}"},
    "timeout": {"fr": "Le programme a dépassé {seconds} s.", "ar": "تجاوز البرنامج {seconds} ثانية.",
                "en": "The program ran longer than {seconds} s."},
    "cell_timeout": {"fr": "La cellule {cell} a dépassé {seconds} s.", "ar": "تجاوزت الخلية {cell} {seconds} ثانية.",
                     "en": "Cell {cell} ran longer than {seconds} s."},
    "missing": {"fr": "Aucune observation pour ce jeu de données.", "ar": "لا توجد ملاحظة لمجموعة البيانات هذه.",
                "en": "Nothing observed on this dataset."},
    "figure_caption": {"fr": "Figure {number} (jeu de données {dataset})", "ar": "الشكل {number} (مجموعة البيانات {dataset})",
                       "en": "Figure {number} (dataset {dataset})"},
}


def _seconds(spec: ExerciseSpec) -> float:
    """The run's own time budget (its code is stopped then, and what it defined is still observed); the step's
    wall limit, a little longer, is the backstop."""
    return float(spec.options.get("seconds", max(1.0, spec.limits.wall_seconds - STEP_MARGIN_SECONDS)))


def _cell_seconds(spec: ExerciseSpec) -> float:
    return float(spec.options.get("cell_seconds", _seconds(spec)))


def read_datasets(folder: Path) -> tuple[dict, list[str]]:
    """{variant: {file: {"text"} | {"base64"}}} from data/<variant>/*, and the problems (sizes, kinds)."""
    datasets, problems = {}, []
    for variant in sorted(p for p in Path(folder, "data").glob("*") if p.is_dir()):
        files, size = {}, 0
        for path in sorted(p for p in variant.rglob("*") if p.is_file()):
            relative = path.relative_to(variant).as_posix()
            size += path.stat().st_size
            if path.suffix.lower() in TEXT_SUFFIXES:
                files[relative] = {"text": path.read_text(encoding="utf-8")}
            elif path.suffix.lower() in BINARY_SUFFIXES:
                files[relative] = {"base64": base64.b64encode(path.read_bytes()).decode("ascii")}
            else:
                problems.append(f"data/{variant.name}/{relative}: not a dataset file "
                                f"({', '.join(sorted(TEXT_SUFFIXES | BINARY_SUFFIXES))})")
        if size > VARIANT_CAP_BYTES:
            problems.append(f"data/{variant.name}: larger than {VARIANT_CAP_BYTES // (1024 * 1024)} MB")
        datasets[variant.name] = files
    return datasets, problems


def observed(check: dict) -> dict:
    """The observing half of a check: all that is sent into a container for it."""
    return {key: check.get(key) for key in ("id", "dataset", "variable", "figure")}


def expected_stamp(spec: ExerciseSpec, solution: dict[str, str]) -> str:
    """A hash of what the reference's observations depend on."""
    material = {"solution": {name: solution.get(name, "") for name in spec.files},
                "datasets": spec.options.get("datasets", {}), "checks": [observed(c) for c in spec.checks],
                "seconds": _seconds(spec)}
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@register
class DataAnalysisGrader(Grader):
    kind = "data-analysis"
    image = "data"
    public_test_glob = "checks.yaml"  # the examples' checks, shown on the exercise page
    expected_file = EXPECTED_FILE
    expected_stamp = staticmethod(expected_stamp)

    # --- import ---------------------------------------------------------------------------------------------

    def complete(self, spec: ExerciseSpec, folder, solution: dict[str, str]) -> list[str]:
        """The datasets from data/<variant>/, then each check's expected observation from expected.json, if its
        stamp is still that of the solution, datasets and checks (validate() names the checks left without)."""
        problems = []
        if "datasets" not in spec.options:
            spec.options["datasets"], problems = read_datasets(Path(folder))
        path = Path(folder) / EXPECTED_FILE
        if path.is_file() and not problems and solution:
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                return [f"{EXPECTED_FILE}: not JSON ({exc})"]
            if stored.get("stamp") != expected_stamp(spec, solution):
                return [f"{EXPECTED_FILE} is out of date (the solution, a dataset or a check changed): "
                        f"run `make expected`"]
            for check in spec.checks:
                if check.get("id") in stored.get("checks", {}):
                    check["expect"] = stored["checks"][check["id"]]
        return problems

    def validate(self, spec: ExerciseSpec) -> list[str]:
        problems = []
        if len(spec.files) != 1 or not spec.files[0].endswith((".py", ".ipynb")):
            problems.append("files must name exactly one .py script or .ipynb notebook")
        options = spec.options
        problems.extend(f"unknown option {key!r}" for key in sorted(set(options) - OPTIONS))
        datasets = options.get("datasets")
        if not isinstance(datasets, dict) or not datasets:
            problems.append("no datasets: put each variant's files in data/<variant>/")
            datasets = {}
        most = spec.limits.wall_seconds - 1
        for key in ("seconds", "cell_seconds"):
            value = options.get(key, _seconds(spec))
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.5 <= value <= most:
                problems.append(f"options.{key} must be a number from 0.5 to {most:g} (limits.wall_seconds - 1)")
        if spec.limits.memory_mb < MIN_MEMORY_MB:
            problems.append(f"limits.memory_mb must be at least {MIN_MEMORY_MB}: the data image's libraries, loaded "
                            "before the job, take about 170 MB")
        seen, hidden_data, visible_data = set(), set(), set()
        for index, check in enumerate(spec.checks):
            where = f"check {check.get('id', index)}"
            if not check.get("id") or check["id"] in seen or check["id"] in ("run", "figures"):
                problems.append(f"{where}: needs an id of its own")
            seen.add(check.get("id"))
            if check.get("dataset") not in datasets:
                problems.append(f"{where}: dataset must be one of {', '.join(datasets) or '(none)'}")
            (hidden_data if is_hidden(check) else visible_data).add(check.get("dataset"))
            has_variable, has_figure = "variable" in check, "figure" in check
            if has_variable == has_figure:
                problems.append(f"{where}: observes either a variable or a figure")
            elif has_variable and not (isinstance(check["variable"], str) and IDENTIFIER.match(check["variable"])):
                problems.append(f"{where}: variable must be a Python name")
            elif has_figure and (isinstance(check["figure"], bool) or not isinstance(check["figure"], int)
                                 or not 1 <= check["figure"] <= 6):
                problems.append(f"{where}: figure must be a number from 1 (the first figure opened) to 6")
            problems.extend(f"{where}: {p}" for p in check_rules_problems(check))
            if not isinstance(check.get("expect"), (dict, list)):
                problems.append(f"{where}: no expected observation: run `make expected` "
                                f"(flask lms expect-content) and commit {EXPECTED_FILE}")
            elif has_variable and check["expect"].get("undefined"):
                problems.append(f"{where}: the reference solution defines no variable {check['variable']!r}")
        shared = hidden_data & visible_data
        if shared:
            problems.append(f"dataset(s) {', '.join(sorted(map(str, shared)))} have visible and hidden checks: a "
                            "hidden check needs a dataset the learner never sees")
        if not visible_data:
            problems.append("at least one check must be visible (hidden: false): the learner's example")
        if not hidden_data:
            problems.append("at least one check must be hidden: another dataset, against hard-coded answers")
        return problems

    def public_data(self, spec: ExerciseSpec) -> dict[str, dict]:
        """The visible variants' files (a variant with a hidden check is never offered), as <variant>/<file>."""
        visible = {c["dataset"] for c in spec.checks if not is_hidden(c)}
        hidden = {c["dataset"] for c in spec.checks if is_hidden(c)}
        return {f"{variant}/{name}": content for variant in sorted(visible - hidden)
                for name, content in spec.options.get("datasets", {}).get(variant, {}).items()}

    # --- plan -----------------------------------------------------------------------------------------------

    def _steps(self, spec: ExerciseSpec, reference: bool = False) -> list[dict]:
        by_dataset: dict[str, list[dict]] = {}
        for check in spec.checks:
            by_dataset.setdefault(check["dataset"], []).append(check)
        steps = []
        for dataset, checks in by_dataset.items():
            hidden = not reference and all(is_hidden(c) for c in checks)
            steps.append({
                "name": STEP_PREFIX + dataset, "action": "analyse", "hidden": hidden,
                "timeout": min(_seconds(spec) + STEP_MARGIN_SECONDS, spec.limits.wall_seconds),
                "args": {"run": dataset, "script": spec.files[0], "datasets": spec.options["datasets"][dataset],
                         "variables": [{"id": c["id"], "variable": c["variable"]} for c in checks if "variable" in c],
                         "figures": any("figure" in c for c in checks), "png": not hidden and not reference,
                         "seconds": _seconds(spec), "cell_seconds": _cell_seconds(spec)}})
        return steps

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        """One step per dataset variant: its files in the step's arguments (a hidden variant enters the container
        only with the hidden phase), and what its checks observe; expected values stay here."""
        script = spec.files[0]
        return SandboxPlan(image=self.image, files={script: files[script]}, steps=self._steps(spec),
                           limits=spec.limits, runtime=spec.runtime)

    def reference_plan(self, spec: ExerciseSpec, solution: dict[str, str]) -> SandboxPlan:
        """The reference solution on every variant, in one phase, no pictures: what expected.json records."""
        script = spec.files[0]
        return SandboxPlan(image=self.image, files={script: solution[script]}, steps=self._steps(spec, True),
                           limits=spec.limits, runtime=spec.runtime)

    def expected_observations(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> dict:
        """{check id: observation} from the reference's run; raises ValueError if it did not run cleanly."""
        if result.status != "completed":
            raise ValueError(f"the reference solution's run did not complete ({result.status})")
        expected = {}
        for step in plan.steps:
            outcome = result.step(step["name"])
            records = self._records(step, outcome.records)
            run, _ = records.get("run")
            if not run or run.get("obs"):
                raise ValueError(f"the reference solution fails on {step['args']['run']}: "
                                 f"{(run or {}).get('obs') or 'no result'} {outcome.stderr[-500:]}")
            figures, _ = records.get("figures")
            for check in spec.checks:
                if check["dataset"] != step["args"]["run"]:
                    continue
                if "figure" in check:
                    shown = (figures or {}).get("obs") or []
                    if len(shown) < check["figure"]:
                        raise ValueError(f"check {check['id']}: the reference solution opens no figure "
                                         f"{check['figure']}")
                    expected[check["id"]] = {k: v for k, v in shown[check["figure"] - 1].items() if k != "png"}
                else:
                    record, problem = records.get(check["id"])
                    if not record:
                        raise ValueError(f"check {check['id']}: {problem}")
                    expected[check["id"]] = record["obs"]
        return expected

    @staticmethod
    def _records(step: dict, text: str):
        ids = [v["id"] for v in step["args"]["variables"]] + ["run"] + (["figures"] if step["args"]["figures"] else [])
        return parse_records(text, ids, {"obs"})

    # --- judge ----------------------------------------------------------------------------------------------

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        checks, limit_hits, verdicts = [], set(), set()
        diagnostics = {"sandbox_status": result.status}
        artifacts, message = [], ""
        steps = {step["args"]["run"]: step for step in plan.steps}
        runs = {}
        for dataset, step in steps.items():
            outcome = result.step(step["name"])
            limit = step_limit_verdict(outcome)
            if limit:
                limit_hits.add(limit)
            records = self._records(step, outcome.records)
            run, problem = records.get("run")
            run = run.get("obs") if run and isinstance(run.get("obs"), dict) else None
            runs[dataset] = (records, run)
            if run is None:
                diagnostics[dataset] = problem or "no run record"
            elif run.get("timeout"):
                verdicts.add(Verdict.TIME_LIMIT)
            elif run.get("error"):
                verdicts.add(Verdict.RUNTIME_ERROR)
            if step["hidden"]:
                if run and run.get("error"):
                    diagnostics[f"{dataset}-error"] = inert_text(str(run["error"]), 2000)
                diagnostics[f"{dataset}-stderr"] = inert_text(outcome.stderr, 2000)
                continue
            if run and (run.get("error") or run.get("timeout")) and not message:
                message = self._run_message(spec, run)
            figures, _ = records.get("figures")
            artifacts.extend(self._figures(dataset, (figures or {}).get("obs"), len(artifacts)))
            diagnostics[f"{dataset}-stderr"] = inert_text(outcome.stderr, 2000)
            runs[dataset] = (records, run, inert_text(outcome.stdout, OUTPUT_SHOWN))
        printed = set()
        for check in spec.checks:
            entry = runs[check["dataset"]]
            records, run = entry[0], entry[1]
            feedback = CheckFeedback(id=check["id"], name=check.get("name", check["id"]), passed=False,
                                     hidden=is_hidden(check), weight=float(check.get("weight", 1)))
            self._judge_check(check, records, run, feedback)
            if feedback.hidden:
                feedback.message, feedback.details = "", {}
            elif len(entry) > 2 and entry[2] and check["dataset"] not in printed:
                feedback.details["console"] = entry[2]  # what the run printed: once, under its first check
                printed.add(check["dataset"])
            checks.append(feedback)
        points = score([(c.weight, c.passed) for c in checks], spec.points, spec.scoring)
        outcome = sandbox_outcome(result)
        if outcome:
            verdict, message = outcome[0], outcome[1] or message
        elif limit_hits:
            verdict = next(v for v in LIMIT_PRECEDENCE if v in limit_hits)
        elif verdicts:  # a run stopped by an error or its time is not a finished analysis, whatever it defined
            verdict = next(v for v in VERDICT_ORDER if v in verdicts)
        elif all(c.passed for c in checks):
            verdict = Verdict.PASSED
        else:
            verdict = Verdict.FAILED
        return GradeResult(verdict=verdict, score=points, max_score=spec.points, checks=checks,
                           message=message if isinstance(message, dict) else inert_text(message, 300),
                           diagnostics=diagnostics, artifacts=artifacts if result.status == "completed" else [])

    @staticmethod
    def _run_message(spec: ExerciseSpec, run: dict) -> dict:
        cell = run.get("cell")
        if run.get("timeout"):
            if cell:
                return localized_message(MESSAGES["cell_timeout"], cell=cell, seconds=f"{_cell_seconds(spec):g}")
            return localized_message(MESSAGES["timeout"], seconds=f"{_seconds(spec):g}")
        lines = [line for line in str(run.get("error", "")).splitlines() if line.strip()]
        error = inert_text(lines[-1] if lines else "", 300)
        if cell:
            return localized_message(MESSAGES["cell_error"], cell=cell, error=error)
        return localized_message(MESSAGES["error"], error=error)

    @staticmethod
    def _judge_check(check, records, run, feedback):
        if "figure" in check:
            figures, problem = records.get("figures")
            observation = figures.get("obs") if figures else None
            if not isinstance(observation, list):
                feedback.status, feedback.message = "missing", localized_message(MESSAGES["missing"])
                return
            agrees, message = compare_figure(check["figure"], check["expect"], observation, check.get("compare"))
        else:
            record, problem = records.get(check["id"])
            observation = record.get("obs") if record else None
            if not isinstance(observation, dict):
                feedback.status = "timeout" if run and run.get("timeout") else "missing"
                feedback.message = localized_message(MESSAGES["missing"])
                return
            agrees, message, table = compare_variable(check["variable"], check["expect"], observation,
                                                      check.get("compare"))
            if table:
                feedback.details["result_table"] = table
        feedback.passed = agrees
        stopped = "timeout" if run and run.get("timeout") else "error" if run and run.get("error") else "failed"
        feedback.status = "passed" if agrees else stopped
        feedback.message = message

    @staticmethod
    def _figures(dataset: str, figures, already: int) -> list[Artifact]:
        """The PNG pictures of a visible run's figures, checked to be PNGs of bounded size."""
        shown = []
        for index, figure in enumerate(figures if isinstance(figures, list) else []):
            if already + len(shown) >= FIGURES_SHOWN or not isinstance(figure, dict):
                break
            image = decoded_picture(figure.get("png"), b"\x89PNG\r\n\x1a\n", PNG_MAX_BYTES)
            if image is None:
                continue
            name = re.sub(r"[^a-z0-9-]", "-", dataset.lower())[:40]
            shown.append(Artifact(name=f"figure-{name}-{index + 1}.png", content_type="image/png", data=image,
                                  caption=localized_message(MESSAGES["figure_caption"], number=index + 1,
                                                            dataset=dataset)))
        return shown
