"""The ml-model kind's trusted side: a learner's prediction file read against its schema, and the metric computed
against labels that never enter any container. Pure Python (the LMS host has no numpy): one pass or one sort per
metric, well under the 50 ms budget for 10,000 predictions (benchmarks/ml_scoring.py).

Predictions come as CSV text with a header: the id column and the prediction column (names set by the exercise).
`read_predictions` checks what an instructor's answer key needs — every id once, no unknown id, values of the
right type (a known class, or a finite number), nothing else — and says what is wrong with the first offending
rows, in French, Arabic and English.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from graders.judging import inert_text, localized_message

# name -> (task, higher is better)
METRICS = {
    "accuracy": ("classification", True),
    "f1": ("classification", True),  # binary: of the positive class; more classes: macro average
    "roc_auc": ("scores", True),  # binary: predictions are scores (probability of the positive class)
    "rmse": ("regression", False),
    "mae": ("regression", False),
    "r2": ("regression", True),
}
MAX_PREDICTION_BYTES = 4 * 1024 * 1024
MAX_SAMPLES_NAMED = 3  # offending ids named in a message
MESSAGES = {
    "not_csv": {"fr": "Le fichier de prédictions n'est pas un CSV lisible ({error}).",
                "ar": "ملف التوقعات ليس ملف CSV مقروءًا ({error}).",
                "en": "The predictions file is not readable CSV ({error})."},
    "too_large": {"fr": "Le fichier de prédictions dépasse {limit} Mo.", "ar": "يتجاوز ملف التوقعات {limit} ميغابايت.",
                  "en": "The predictions file is larger than {limit} MB."},
    "columns": {"fr": "Colonnes attendues : {expected} ; votre fichier : {got}.",
                "ar": "الأعمدة المنتظرة: {expected}؛ ملفك: {got}.",
                "en": "Expected columns: {expected}; your file: {got}."},
    "missing_ids": {"fr": "{count} identifiant(s) sans prédiction, par exemple : {ids}.",
                    "ar": "{count} معرّف(ات) بدون توقع، مثلًا: {ids}.",
                    "en": "{count} id(s) without a prediction, for example: {ids}."},
    "unknown_ids": {"fr": "{count} identifiant(s) inconnu(s), par exemple : {ids}.",
                    "ar": "{count} معرّف(ات) غير معروفة، مثلًا: {ids}.",
                    "en": "{count} unknown id(s), for example: {ids}."},
    "duplicate_ids": {"fr": "{count} identifiant(s) prédit(s) plusieurs fois, par exemple : {ids}.",
                      "ar": "{count} معرّف(ات) متوقعة أكثر من مرة، مثلًا: {ids}.",
                      "en": "{count} id(s) predicted more than once, for example: {ids}."},
    "not_number": {"fr": "{count} prédiction(s) ne sont pas des nombres finis (ligne {line} : « {value} »).",
                   "ar": "{count} توقع(ات) ليست أعدادًا منتهية (السطر {line}: «{value}»).",
                   "en": "{count} prediction(s) are not finite numbers (line {line}: “{value}”)."},
    "not_class": {"fr": "{count} prédiction(s) hors des classes {classes} (ligne {line} : « {value} »).",
                  "ar": "{count} توقع(ات) خارج الفئات {classes} (السطر {line}: «{value}»).",
                  "en": "{count} prediction(s) outside the classes {classes} (line {line}: “{value}”)."},
    "short_row": {"fr": "La ligne {line} n'a pas {count} colonnes.", "ar": "السطر {line} لا يحتوي على {count} أعمدة.",
                  "en": "Line {line} does not have {count} columns."},
}


@dataclass
class Predictions:
    values: dict = field(default_factory=dict)  # id -> prediction (a class as text, or a float)
    problems: list = field(default_factory=list)  # localized messages; any makes the file unusable

    @property
    def ok(self) -> bool:
        return not self.problems


def _sample(ids) -> str:
    return ", ".join(inert_text(str(i), 40) for i in sorted(ids)[:MAX_SAMPLES_NAMED])


def read_predictions(text: str, ids: list[str], id_column: str, value_column: str, task: str,
                     classes: list[str] | None = None) -> Predictions:
    """The learner's predictions for `ids`, checked: the header (id and prediction columns, in any order, nothing
    else), one row per id, no other id, each value a known class (classification) or a finite number (scores,
    regression)."""
    result = Predictions()
    if len(text.encode("utf-8", "replace")) > MAX_PREDICTION_BYTES:
        result.problems.append(localized_message(MESSAGES["too_large"], limit=MAX_PREDICTION_BYTES // (1024 * 1024)))
        return result
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as exc:
        result.problems.append(localized_message(MESSAGES["not_csv"], error=str(exc)[:120]))
        return result
    header = [cell.strip() for cell in rows[0]] if rows else []
    if sorted(header) != sorted([id_column, value_column]):
        result.problems.append(localized_message(MESSAGES["columns"], expected=f"{id_column}, {value_column}",
                                                 got=", ".join(header)[:200] or "-"))
        return result
    id_at, value_at = header.index(id_column), header.index(value_column)
    wanted = set(ids)
    seen, unknown, duplicates, bad = set(), set(), set(), []
    allowed = set(classes or [])
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < 2:
            result.problems.append(localized_message(MESSAGES["short_row"], line=line, count=2))
            return result
        key, raw = row[id_at].strip(), row[value_at].strip()
        if key not in wanted:
            unknown.add(key)
            continue
        if key in seen:
            duplicates.add(key)
            continue
        seen.add(key)
        if task == "classification":
            if raw not in allowed:
                bad.append((line, raw))
                continue
            result.values[key] = raw
        else:
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                bad.append((line, raw))
                continue
            result.values[key] = number
    missing = wanted - seen
    if missing:
        result.problems.append(localized_message(MESSAGES["missing_ids"], count=len(missing), ids=_sample(missing)))
    if unknown:
        result.problems.append(localized_message(MESSAGES["unknown_ids"], count=len(unknown), ids=_sample(unknown)))
    if duplicates:
        result.problems.append(localized_message(MESSAGES["duplicate_ids"], count=len(duplicates),
                                                 ids=_sample(duplicates)))
    if bad:
        line, value = bad[0]
        key = "not_class" if task == "classification" else "not_number"
        result.problems.append(localized_message(MESSAGES[key], count=len(bad), line=line, value=value[:40],
                                                 classes=", ".join(sorted(allowed))[:200]))
    return result


# --- metrics: y_true and y_pred are lists in the same order -----------------------------------------------------

def accuracy(y_true: list, y_pred: list) -> float:
    return sum(t == p for t, p in zip(y_true, y_pred)) / len(y_true)


def f1(y_true: list, y_pred: list, positive=None) -> float:
    """F1 of the positive class (binary, `positive` given), else the macro average over the true classes."""
    classes = [positive] if positive is not None else sorted(set(y_true))
    scores = []
    for label in classes:
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred))
        predicted = sum(p == label for p in y_pred)
        actual = sum(t == label for t in y_true)
        scores.append(0.0 if tp == 0 else 2 * tp / (predicted + actual))
    return sum(scores) / len(scores)


def roc_auc(y_true: list, scores: list, positive) -> float:
    """The probability that a positive ranks above a negative (ties count half): Mann-Whitney's U over the
    product of the class sizes, from one sort."""
    order = sorted(range(len(scores)), key=scores.__getitem__)
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        rank = (i + j) / 2 + 1  # the average rank of a run of ties
        for k in range(i, j + 1):
            ranks[order[k]] = rank
        i = j + 1
    positives = [r for r, t in zip(ranks, y_true) if t == positive]
    n_pos, n_neg = len(positives), len(y_true) - len(positives)
    if not n_pos or not n_neg:
        raise ValueError("ROC AUC needs both classes among the labels")
    return (sum(positives) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def rmse(y_true: list, y_pred: list) -> float:
    return math.sqrt(sum((t - p) ** 2 for t, p in zip(y_true, y_pred)) / len(y_true))


def mae(y_true: list, y_pred: list) -> float:
    return sum(abs(t - p) for t, p in zip(y_true, y_pred)) / len(y_true)


def r2(y_true: list, y_pred: list) -> float:
    mean = sum(y_true) / len(y_true)
    total = sum((t - mean) ** 2 for t in y_true)
    residual = sum((t - p) ** 2 for t, p in zip(y_true, y_pred))
    return 1.0 - residual / total if total else (1.0 if residual == 0 else 0.0)


def score(metric: str, labels: dict, predictions: dict, positive=None) -> float:
    """The metric over the ids of `labels` (an answer key: id -> label or value), predictions already checked."""
    ids = list(labels)
    y_true = [labels[i] for i in ids]
    y_pred = [predictions[i] for i in ids]
    if metric == "accuracy":
        return accuracy(y_true, y_pred)
    if metric == "f1":
        return f1(y_true, y_pred, positive)
    if metric == "roc_auc":
        return roc_auc(y_true, y_pred, positive)
    if metric == "rmse":
        return rmse([float(v) for v in y_true], y_pred)
    if metric == "mae":
        return mae([float(v) for v in y_true], y_pred)
    if metric == "r2":
        return r2([float(v) for v in y_true], y_pred)
    raise ValueError(f"unknown metric {metric!r}")


def reaches(value: float, threshold: float, higher: bool) -> bool:
    """Whether a value reaches a threshold: at least it when higher is better, at most it for an error."""
    return value >= threshold if higher else value <= threshold


def passes(metric: str, value: float, threshold: float) -> bool:
    """Whether a metric's value reaches the exercise's threshold."""
    return reaches(value, threshold, METRICS[metric][1])


def points_for(points: float, value: float, threshold: float, higher: bool) -> float:
    """A score's points: all of them at the threshold or beyond; under it, in proportion to how near the model came
    (never all of them)."""
    if reaches(value, threshold, higher):
        return points
    if higher:
        share = value / threshold if threshold > 0 else 0.0
    else:
        share = threshold / value if value > 0 else 0.0
    return round(points * max(0.0, min(share, 0.99)), 2)
