"""The ml-model kind: the learner's script (modele.py) trains on the exercise's shipped data (data/: a training set
with its labels, the inputs to predict without theirs) in the data sandbox and writes a predictions file; the
file's text comes back as a record, is read against its schema (graders.ml_metrics.read_predictions: every id once,
no other id, a known class or a finite number each), and the metric is computed here against the answer key
(answers/labels.csv: id, label, split), which never enters any container.

The inputs are split in two by the answer key: the public part's score is shown and decides the grade now (the
threshold passes; under it, points in proportion); the private part's score is sealed in the grade's diagnostics
(staff only), for the decision at the deadline or on the instructor's signal: a model tuned to the public score
alone does not prove itself there.
"""
from __future__ import annotations

import base64
import csv
import io
import math
from pathlib import Path

from graders import register
from graders.base import LIMIT_PRECEDENCE, CheckFeedback, ExerciseSpec, Grader, GradeResult, Verdict, sandbox_outcome
from graders.judging import inert_text, localized_message, parse_records
from graders.ml_metrics import METRICS, passes, points_for, read_predictions, score
from graders.python import step_limit_verdict
from sandboxes.runner import SandboxPlan, SandboxResult

OPTIONS = {"metric", "threshold", "positive", "id_column", "prediction_column", "output", "seconds", "datasets",
           "answer_key", "private_ids", "daily_quota"}
STEP = "entrainer"
DATA_CAP_BYTES = 4 * 1024 * 1024
STEP_MARGIN_SECONDS = 1.0
MIN_MEMORY_MB = 384
OUTPUT_SHOWN = 4000
METRIC_NAMES = {"accuracy": "accuracy", "f1": "F1", "roc_auc": "ROC AUC", "rmse": "RMSE", "mae": "MAE", "r2": "R²"}
CHECK_NAMES = {
    "predictions": {"fr": "Fichier de prédictions", "ar": "ملف التوقعات", "en": "Predictions file"},
    "score-public": {"fr": "Score sur la partie publique", "ar": "النتيجة على الجزء العلني",
                     "en": "Score on the public part"},
}
MESSAGES = {
    "score": {"fr": "{metric} sur la partie publique : {value} (seuil : {comparison} {threshold}).",
              "ar": "{metric} على الجزء العلني: {value} (العتبة: {comparison} {threshold}).",
              "en": "{metric} on the public part: {value} (threshold: {comparison} {threshold})."},
    "no_file": {"fr": "Le programme n'a pas écrit {name} dans le dossier courant.",
                "ar": "لم يكتب البرنامج {name} في المجلد الحالي.",
                "en": "The program did not write {name} in the current folder."},
    "bad_file": {"fr": "{name} ne peut pas être lu : {error}.", "ar": "تعذّرت قراءة {name}: {error}.",
                 "en": "{name} cannot be read: {error}."},
    "error": {"fr": "Le programme s'est arrêté sur une erreur : {error}", "ar": "توقف البرنامج بسبب خطأ: {error}",
              "en": "The program stopped on an error: {error}"},
    "timeout": {"fr": "Le programme a dépassé {seconds} s.", "ar": "تجاوز البرنامج {seconds} ثانية.",
                "en": "The program ran longer than {seconds} s."},
    "symlink": {"fr": "c'est un lien symbolique (non suivi)", "ar": "إنه رابط رمزي (لا يُتّبع)",
                "en": "it is a symbolic link (not followed)"},
    "too_large": {"fr": "il dépasse {limit} Ko", "ar": "يتجاوز {limit} كيلوبايت", "en": "it is larger than {limit} KB"},
    "not_regular": {"fr": "ce n'est pas un fichier ordinaire", "ar": "ليس ملفًا عاديًا", "en": "it is not a regular file"},
    "skipped": {"fr": "Pas de score sans fichier de prédictions valable.", "ar": "لا نتيجة بدون ملف توقعات صالح.",
                "en": "No score without a valid predictions file."},
}


def _seconds(spec: ExerciseSpec) -> float:
    """The script's time budget; the step's wall limit, a little longer, is the backstop."""
    return float(spec.options.get("seconds", max(1.0, spec.limits.wall_seconds - STEP_MARGIN_SECONDS)))


def task_of(metric: str) -> str:
    """How predictions are read for a metric: classes (classification), or numbers (scores, regression)."""
    return "classification" if METRICS[metric][0] == "classification" else "numbers"


def read_answer_key(path: Path) -> tuple[dict, list, list[str]]:
    """{id: label}, the private ids, and the problems of answers/labels.csv (columns id, label, split)."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8").lstrip("\ufeff"))))
    if not rows or not {"id", "label", "split"} <= set(rows[0]):
        return {}, [], [f"{path.name}: needs the columns id, label, split"]
    key, private, problems = {}, [], []
    for row in rows:
        if row["id"] in key:
            problems.append(f"{path.name}: id {row['id']!r} twice")
        key[row["id"]] = row["label"]
        if row["split"] == "private":
            private.append(row["id"])
        elif row["split"] != "public":
            problems.append(f"{path.name}: split must be public or private, got {row['split']!r}")
    return key, private, problems[:5]


def _show(value: float) -> str:
    return f"{value:.4f}"


@register
class MlModelGrader(Grader):
    kind = "ml-model"
    image = "data"

    # --- import ---------------------------------------------------------------------------------------------

    def complete(self, spec: ExerciseSpec, folder, solution: dict[str, str]) -> list[str]:
        """The shipped data from data/ (what the container gets) and the answer key from answers/labels.csv (what
        it never gets)."""
        problems = []
        if "datasets" not in spec.options:
            files, size = {}, 0
            for path in sorted(p for p in Path(folder, "data").rglob("*") if p.is_file()):
                relative = path.relative_to(Path(folder, "data")).as_posix()
                size += path.stat().st_size
                if path.suffix.lower() == ".xlsx":
                    files[relative] = {"base64": base64.b64encode(path.read_bytes()).decode("ascii")}
                else:
                    files[relative] = {"text": path.read_text(encoding="utf-8")}
            if size > DATA_CAP_BYTES:
                problems.append(f"data/: larger than {DATA_CAP_BYTES // (1024 * 1024)} MB")
            spec.options["datasets"] = files
        if "answer_key" not in spec.options:
            path = Path(folder, "answers", "labels.csv")
            if not path.is_file():
                return problems + ["answers/labels.csv is missing (the labels, never sent to a container)"]
            key, private, more = read_answer_key(path)
            spec.options["answer_key"], spec.options["private_ids"] = key, private
            problems.extend(more)
        return problems

    def validate(self, spec: ExerciseSpec) -> list[str]:
        options, problems = spec.options, []
        if len(spec.files) != 1 or not spec.files[0].endswith(".py"):
            problems.append("files must name exactly one .py script")
        problems.extend(f"unknown option {key!r}" for key in sorted(set(options) - OPTIONS))
        metric = options.get("metric")
        if metric not in METRICS:
            problems.append(f"options.metric must be one of {', '.join(METRICS)}")
            return problems
        threshold = options.get("threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
            problems.append("options.threshold must be a number (the score that passes)")
        key = options.get("answer_key") or {}
        private = set(options.get("private_ids") or [])
        if not key or not private or not set(key) - private:
            problems.append("the answer key needs public and private ids")
        if METRICS[metric][0] in ("classification", "scores"):
            classes = set(key.values())
            positive = options.get("positive")
            if metric in ("roc_auc",) or (metric == "f1" and len(classes) == 2):
                if positive not in classes:
                    problems.append(f"options.positive must be one of the labels ({', '.join(sorted(classes))})")
        else:
            try:
                [float(v) for v in key.values()]
            except ValueError:
                problems.append(f"{metric}: every label must be a number")
        most = spec.limits.wall_seconds - 1
        seconds = options.get("seconds", most)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 1 <= seconds <= most:
            problems.append(f"options.seconds must be a number from 1 to {most:g} (limits.wall_seconds - 1)")
        if spec.limits.memory_mb < MIN_MEMORY_MB:
            problems.append(f"limits.memory_mb must be at least {MIN_MEMORY_MB}: the data image's libraries, loaded "
                            "before the job, take about 170 MB")
        quota = options.get("daily_quota", 0)
        if isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
            problems.append("options.daily_quota must be a whole number (0: no quota)")
        if not options.get("datasets"):
            problems.append("no data: put the training data and the inputs to predict in data/")
        return problems

    def public_data(self, spec: ExerciseSpec) -> dict[str, dict]:
        """The training data and the inputs to predict, as the container gets them (labels of the inputs: never)."""
        return dict(spec.options.get("datasets", {}))

    # --- plan -----------------------------------------------------------------------------------------------

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        """One visible step: the script with the shipped data (no label of the inputs to predict is in it)."""
        script, options = spec.files[0], spec.options
        seconds = _seconds(spec)
        step = {"name": STEP, "action": "predict", "hidden": False,
                "timeout": min(seconds + STEP_MARGIN_SECONDS, spec.limits.wall_seconds),
                "args": {"run": "modele", "script": script, "datasets": options["datasets"],
                         "output": options.get("output", "predictions.csv"), "seconds": seconds}}
        return SandboxPlan(image=self.image, files={script: files[script]}, steps=[step], limits=spec.limits,
                           runtime=spec.runtime)

    # --- judge ----------------------------------------------------------------------------------------------

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        options = spec.options
        metric, threshold = options["metric"], float(options["threshold"])
        output = options.get("output", "predictions.csv")
        outcome = result.step(STEP)
        records = parse_records(outcome.records, ["predictions", "run"], {"obs"})
        run, _ = records.get("run")
        run = run.get("obs") if run and isinstance(run.get("obs"), dict) else {}
        found, problem = records.get("predictions")
        found = found.get("obs") if found and isinstance(found.get("obs"), dict) else {}
        diagnostics = {"sandbox_status": result.status, "stderr": inert_text(outcome.stderr, 2000)}
        file_check = CheckFeedback(id="predictions", name=dict(CHECK_NAMES["predictions"]), passed=False, hidden=False,
                                   weight=0.0, status="failed")
        score_check = CheckFeedback(id="score-public", name=dict(CHECK_NAMES["score-public"]), passed=False,
                                    hidden=False, status="skipped", message=localized_message(MESSAGES["skipped"]))
        console = inert_text(outcome.stdout, OUTPUT_SHOWN)
        if console:
            file_check.details["console"] = console
        message = ""
        if run.get("timeout"):
            message = localized_message(MESSAGES["timeout"], seconds=f"{_seconds(spec):g}")
        elif run.get("error"):
            lines = [line for line in str(run["error"]).splitlines() if line.strip()]
            message = localized_message(MESSAGES["error"], error=inert_text(lines[-1] if lines else "", 300))
        points, ranking = 0.0, {}
        if "text" in found and isinstance(found["text"], str):
            key = options["answer_key"]
            classes = sorted(set(key.values())) if task_of(metric) == "classification" else None
            predictions = read_predictions(found["text"], list(key), options.get("id_column", "id"),
                                           options.get("prediction_column", "prediction"),
                                           "classification" if classes else "regression", classes)
            if predictions.ok:
                file_check.passed, file_check.status = True, "passed"
                private = set(options["private_ids"])
                public_key = {i: v for i, v in key.items() if i not in private}
                private_key = {i: v for i, v in key.items() if i in private}
                positive = options.get("positive")
                public = score(metric, public_key, predictions.values, positive)
                sealed = score(metric, private_key, predictions.values, positive)
                ok = passes(metric, public, threshold)
                score_check.passed, score_check.status = ok, "passed" if ok else "failed"
                higher = METRICS[metric][1]
                score_check.message = localized_message(
                    MESSAGES["score"], metric=METRIC_NAMES[metric], value=_show(public),
                    comparison="≥" if higher else "≤", threshold=f"{threshold:g}")
                score_check.details = {"metric": metric, "public_score": round(public, 6), "threshold": threshold}
                points = points_for(spec.points, public, threshold, higher)
                diagnostics["public"] = {"score": public, "passes": ok}
                diagnostics["private"] = {"score": sealed, "passes": passes(metric, sealed, threshold)}
                ranking = {"metric": metric, "higher_is_better": higher, "threshold": threshold, "public": public,
                           "private": sealed}
            else:
                file_check.message = {lang: " ".join(p[lang] for p in predictions.problems)
                                      for lang in predictions.problems[0]}
        elif found.get("error") == "missing" or not found:
            file_check.message = localized_message(MESSAGES["no_file"], name=output)
            diagnostics["predictions"] = problem or "missing"
        else:
            file_check.message = self._unreadable(output, found)
        checks = [file_check, score_check]
        limit = step_limit_verdict(outcome)
        sandbox = sandbox_outcome(result)
        if sandbox:
            verdict, message = sandbox[0], sandbox[1] or message
        elif limit:
            verdict = next(v for v in LIMIT_PRECEDENCE if v == limit)
        elif run.get("timeout"):
            verdict = Verdict.TIME_LIMIT
        elif run.get("error"):
            verdict = Verdict.RUNTIME_ERROR
        else:
            verdict = Verdict.PASSED if score_check.passed else Verdict.FAILED
        return GradeResult(verdict=verdict, score=points if verdict == Verdict.PASSED or verdict == Verdict.FAILED
                           else 0.0, max_score=spec.points, checks=checks,
                           message=message if isinstance(message, dict) else inert_text(message, 300),
                           diagnostics=diagnostics, ranking=ranking if verdict in (Verdict.PASSED, Verdict.FAILED)
                           else {})

    @staticmethod
    def _unreadable(output: str, found: dict) -> dict:
        error = str(found.get("error"))
        reason = {"symlink": "symlink", "too_large": "too_large", "not a regular file": "not_regular"}.get(error)
        limit = int(found.get("limit", 0) or 0) // 1024
        texts = (localized_message(MESSAGES[reason], limit=limit) if reason
                 else {lang: inert_text(error, 120) for lang in MESSAGES["bad_file"]})  # the record is untrusted
        return {lang: MESSAGES["bad_file"][lang].format(name=output, error=texts[lang]) for lang in texts}
