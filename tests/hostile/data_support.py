"""A small data-analysis exercise (sales per city: one visible dataset, two hidden ones with the same columns and
other rows), its reference script, and the grading of a script through the real DataAnalysisGrader and runner, the
expected observations made by the reference's own run in the same image (as `flask lms expect-content` makes
them); shared by the kind's integration and hostile tests."""
from __future__ import annotations

import json
from dataclasses import dataclass

import docker
import pytest

from graders.base import ExerciseSpec, GradeResult
from graders.data_analysis import DataAnalysisGrader
from sandboxes.runner import SandboxPlan, SandboxResult, SandboxRunner

POINTS = 10.0
VISIBLE = "ville,montant\nRabat,120.5\nFès,80\nRabat,30\nTanger,42.25\nFès,10\n"
HIDDEN = "ville,montant\nOujda,300\nAgadir,12.5\nOujda,7.5\n"
HIDDEN_2 = "ville,montant\nMeknès,5\nLaâyoune,60\nMeknès,61\nDakhla,1\n"
HIDDEN_TOTALS = ("320", "127", "320.0", "127.0")  # the hidden datasets' totals: never shown
REFERENCE = """import pandas as pd
import matplotlib.pyplot as plt

ventes = pd.read_csv("data/ventes.csv")
total = ventes["montant"].sum()
par_ville = ventes.groupby("ville")["montant"].sum().sort_values(ascending=False)
resume = par_ville.reset_index()
par_ville.plot.bar()
plt.title("Ventes par ville")
plt.xlabel("Ville")
plt.ylabel("Montant (MAD)")
print("total :", total)
"""
# The visible dataset's answers typed in: right on the example, wrong on every hidden dataset.
HARD_CODED = REFERENCE.replace('ventes["montant"].sum()', "282.75")
NAME = {"fr": "Vérification", "ar": "فحص", "en": "Check"}


def make_checks() -> list[dict]:
    checks = []
    for dataset, hidden in (("exemple", False), ("cache", True), ("sud", True)):
        suffix = "" if dataset == "exemple" else f"-{dataset}"
        checks += [
            {"id": f"total{suffix}", "name": NAME, "hidden": hidden, "dataset": dataset, "variable": "total",
             "compare": {"tolerance": 0.01}},
            {"id": f"par-ville{suffix}", "name": NAME, "hidden": hidden, "dataset": dataset, "variable": "par_ville",
             "compare": {"order": "strict"}},
            {"id": f"resume{suffix}", "name": NAME, "hidden": hidden, "dataset": dataset, "variable": "resume"},
            {"id": f"graphique{suffix}", "name": NAME, "hidden": hidden, "dataset": dataset, "figure": 1},
        ]
    return checks


def make_spec(files=("analyse.py",), **options) -> ExerciseSpec:
    return ExerciseSpec.from_dict({
        "kind": "data-analysis", "uuid": "data-ventes", "files": list(files), "points": POINTS,
        "limits": {"wall_seconds": 20, "cpu_seconds": 10, "memory_mb": 512},
        "options": {"datasets": {"exemple": {"ventes.csv": {"text": VISIBLE}}, "cache": {"ventes.csv": {"text": HIDDEN}},
                                 "sud": {"ventes.csv": {"text": HIDDEN_2}}}, "seconds": 5, **options},
        "checks": make_checks()})


def describe(grade: GradeResult) -> str:
    return (f"verdict={grade.verdict} score={grade.score} message={grade.message!r} "
            f"checks={[(c.id, c.status, c.message) for c in grade.checks]} "
            f"diagnostics={json.dumps(grade.diagnostics, default=str)[:1500]}")


@dataclass
class DataRun:
    runner: SandboxRunner
    docker_client: docker.DockerClient
    spec: ExerciseSpec
    grader: DataAnalysisGrader = None
    reference: str = REFERENCE

    def __post_init__(self):
        self.grader = self.grader or DataAnalysisGrader()
        script = self.spec.files[0]
        plan = self.grader.reference_plan(self.spec, {script: self.reference if script.endswith(".py") else notebook(
            self.reference)})
        expected = self.grader.expected_observations(self.spec, plan, self.runner.run(plan))
        for check in self.spec.checks:
            check["expect"] = expected[check["id"]]
        assert self.grader.validate(self.spec) == []

    def grade(self, code: str) -> tuple[GradeResult, SandboxPlan, SandboxResult]:
        plan = self.grader.plan(self.spec, {self.spec.files[0]: code})
        sent = json.dumps([plan.job(), plan.steps])
        assert '"expect"' not in sent and "Montant (MAD)" not in json.dumps(plan.steps)  # expected values stay out
        result = self.runner.run(plan)
        return self.grader.judge(self.spec, plan, result), plan, result

    def assert_gone(self, result: SandboxResult) -> None:
        self.runner.flush()
        with pytest.raises(docker.errors.NotFound):
            self.docker_client.containers.get(result.container_id)


def notebook(*cells: str) -> str:
    """A notebook (nbformat 4) whose code cells are `cells`."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": cell.splitlines(keepends=True)} for cell in cells]})
