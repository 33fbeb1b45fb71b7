"""A small ml-model exercise (a binary classifier on two features: "oui" when x1 + x2 > 1, with some noise), its
reference script (scikit-learn's logistic regression), and the grading of a script through the real MlModelGrader
and runner; shared by the kind's integration and hostile tests. The answer key stays on this side: only the
training data (with its labels) and the inputs to predict (without theirs) go into the container."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass

import docker
import pytest

from graders.base import ExerciseSpec, GradeResult
from graders.ml_model import MlModelGrader
from sandboxes.runner import SandboxPlan, SandboxResult, SandboxRunner

POINTS = 10.0
THRESHOLD = 0.8


def _label(rng: random.Random, x1: float, x2: float) -> str:
    return "oui" if x1 + x2 + rng.gauss(0, 0.08) > 1 else "non"


def make_data(seed: int = 11) -> tuple[str, str, dict, list]:
    """train.csv, test.csv, the answer key {id: label} and the private ids (every other test id)."""
    rng = random.Random(seed)
    train = ["x1,x2,label"]
    for _ in range(240):
        x1, x2 = round(rng.random(), 4), round(rng.random(), 4)
        train.append(f"{x1},{x2},{_label(rng, x1, x2)}")
    test, key = ["id,x1,x2"], {}
    for index in range(120):
        x1, x2 = round(rng.random(), 4), round(rng.random(), 4)
        ident = f"t{index:03d}"
        test.append(f"{ident},{x1},{x2}")
        key[ident] = _label(rng, x1, x2)
    private = [ident for number, ident in enumerate(key) if number % 2]
    return "\n".join(train) + "\n", "\n".join(test) + "\n", key, private


TRAIN, TEST, ANSWER_KEY, PRIVATE_IDS = make_data()
REFERENCE = """import pandas as pd
from sklearn.linear_model import LogisticRegression

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")
model = LogisticRegression().fit(train[["x1", "x2"]], train["label"])
print("entrainement :", len(train), "lignes")
pd.DataFrame({"id": test["id"], "prediction": model.predict(test[["x1", "x2"]])}).to_csv("predictions.csv",
                                                                                         index=False)
"""
ALL_NO = """import pandas as pd
test = pd.read_csv("data/test.csv")
pd.DataFrame({"id": test["id"], "prediction": "non"}).to_csv("predictions.csv", index=False)
"""


def make_spec(**options) -> ExerciseSpec:
    return ExerciseSpec.from_dict({
        "kind": "ml-model", "uuid": "ml-oui-non", "files": ["modele.py"], "points": POINTS, "checks": [],
        "limits": {"wall_seconds": 30, "cpu_seconds": 20, "memory_mb": 512},
        "options": {"metric": "f1", "positive": "oui", "threshold": THRESHOLD, "seconds": 20,
                    "datasets": {"train.csv": {"text": TRAIN}, "test.csv": {"text": TEST}},
                    "answer_key": dict(ANSWER_KEY), "private_ids": list(PRIVATE_IDS), **options}})


def describe(grade: GradeResult) -> str:
    return (f"verdict={grade.verdict} score={grade.score} message={grade.message!r} "
            f"checks={[(c.id, c.status, c.message) for c in grade.checks]} "
            f"diagnostics={json.dumps(grade.diagnostics, default=str)[:1500]}")


@dataclass
class MlRun:
    runner: SandboxRunner
    docker_client: docker.DockerClient
    spec: ExerciseSpec
    grader: MlModelGrader = None

    def __post_init__(self):
        self.grader = self.grader or MlModelGrader()
        assert self.grader.validate(self.spec) == []

    def grade(self, code: str) -> tuple[GradeResult, SandboxPlan, SandboxResult]:
        plan = self.grader.plan(self.spec, {"modele.py": code})
        sent = json.dumps([plan.job(), plan.steps])
        assert "answer_key" not in sent and "private_ids" not in sent
        steps = json.dumps(plan.steps)  # what goes in besides the learner's own code: no label of an input
        assert not any(f"t{i:03d},{label}" in steps for i, label in enumerate(ANSWER_KEY.values()))
        result = self.runner.run(plan)
        return self.grader.judge(self.spec, plan, result), plan, result

    def assert_gone(self, result: SandboxResult) -> None:
        self.runner.flush()
        with pytest.raises(docker.errors.NotFound):
            self.docker_client.containers.get(result.container_id)
