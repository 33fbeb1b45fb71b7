"""The ml-model kind through the real sandbox (the data image, scikit-learn preloaded): the learner's script trains
on the shipped data and writes its predictions; the file is read against its schema and scored here against an
answer key that never enters the container: the public part's score shown and graded, the private part's sealed
for staff."""
import pytest

from graders.base import Verdict
from tests.hostile.ml_support import ALL_NO, POINTS, REFERENCE, THRESHOLD, MlRun, describe, make_spec


@pytest.fixture(scope="module")
def ml(docker_client):
    from sandboxes.runner import SandboxRunner

    runner = SandboxRunner(docker_client, pool_size=0, scope="tests")
    yield MlRun(runner, docker_client, make_spec())
    runner.close()


def by_id(grade):
    return {check.id: check for check in grade.checks}


def test_the_reference_model_passes_on_the_public_part_and_its_private_score_is_sealed(ml):
    grade, plan, result = ml.grade(REFERENCE)
    assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade)
    checks = by_id(grade)
    public = checks["score-public"].details["public_score"]
    assert public >= THRESHOLD and checks["score-public"].message["en"] == (
        f"F1 on the public part: {public:.4f} (threshold: ≥ 0.8).")
    assert "entrainement : 240 lignes" in checks["predictions"].details["console"]
    assert grade.diagnostics["private"]["score"] >= THRESHOLD  # for staff: never in what the learner sees
    assert "private" not in str(grade.feedback())
    ml.assert_gone(result)


def test_a_constant_model_fails_with_points_in_proportion(ml):
    grade, _, _ = ml.grade(ALL_NO)
    assert grade.verdict == Verdict.FAILED and grade.score == 0.0, describe(grade)
    assert by_id(grade)["score-public"].message["fr"] == "F1 sur la partie publique : 0.0000 (seuil : ≥ 0.8)."
    weaker = REFERENCE.replace('train[["x1", "x2"]], train["label"]', 'train[["x1"]], train["label"]').replace(
        'model.predict(test[["x1", "x2"]])', 'model.predict(test[["x1"]])')
    grade, _, _ = ml.grade(weaker)
    assert grade.verdict == Verdict.FAILED and 0 < grade.score < POINTS, describe(grade)


def test_missing_duplicate_and_unknown_ids_are_named(ml):
    broken = REFERENCE.replace('pd.DataFrame({"id": test["id"]', 'pd.DataFrame({"id": test["id"].replace("t000", '
                                                                 '"t001").replace("t002", "zz9")')
    grade, _, _ = ml.grade(broken)
    message = by_id(grade)["predictions"].message["en"]
    assert grade.verdict == Verdict.FAILED and grade.score == 0.0
    assert "2 id(s) without a prediction, for example: t000, t002." in message
    assert "1 unknown id(s), for example: zz9." in message and "1 id(s) predicted more than once" in message


def test_no_file_or_an_error_say_so(ml):
    grade, _, _ = ml.grade("print('rien')\n")
    assert by_id(grade)["predictions"].message["en"] == "The program did not write predictions.csv in the current folder."
    grade, _, _ = ml.grade("import pandas as pd\npd.read_csv('data/train.csv')['cible']\n")
    assert grade.verdict == Verdict.RUNTIME_ERROR and "KeyError: 'cible'" in grade.message["en"]


def test_an_error_metric_passes_under_its_threshold(docker_client):
    from sandboxes.runner import SandboxRunner

    runner = SandboxRunner(docker_client, pool_size=0, scope="tests")
    try:
        key = {f"t{i:03d}": str(i * 2.0) for i in range(10)}
        test = "id,x\n" + "".join(f"t{i:03d},{i}\n" for i in range(10))
        spec = make_spec(metric="rmse", positive=None, threshold=0.5, answer_key=key,
                         private_ids=[f"t{i:03d}" for i in range(5, 10)],
                         datasets={"train.csv": {"text": "x,y\n1,2\n2,4\n3,6\n"}, "test.csv": {"text": test}})
        del spec.options["positive"]
        run = MlRun(runner, docker_client, spec)
        code = """import pandas as pd
from sklearn.linear_model import LinearRegression
train, test = pd.read_csv("data/train.csv"), pd.read_csv("data/test.csv")
model = LinearRegression().fit(train[["x"]], train["y"])
pd.DataFrame({"id": test["id"], "prediction": model.predict(test[["x"]])}).to_csv("predictions.csv", index=False)
"""
        grade, _, _ = run.grade(code)
        assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade)
        assert by_id(grade)["score-public"].message["en"].startswith("RMSE on the public part: 0.0000")
    finally:
        runner.close()
