"""Hostile models in the data sandbox (real container, warm pool): a script that looks for the labels of the
inputs it must predict, on disk or in memory; prediction files with extra, missing or duplicate ids, NaN or
infinite values, a symlink instead of a file, one too large. Each case: verdict, score, no container left, and the
reference model graded right after still passes."""
import pytest

from graders.base import Verdict
from tests.hostile.ml_support import POINTS, REFERENCE, MlRun, describe, make_spec


@pytest.fixture(scope="module")
def ml(docker_client):
    from sandboxes.runner import SandboxRunner

    runner = SandboxRunner(docker_client, pool_size=1, scope="hostile-tests")
    yield MlRun(runner, docker_client, make_spec())
    runner.close()


def check(ml, code, verdict, message_part=None):
    grade, _, result = ml.grade(code)
    assert grade.verdict == verdict and grade.score == 0.0, describe(grade)
    if message_part:
        shown = " ".join(c.message["en"] for c in grade.checks if c.message)
        assert message_part in shown, describe(grade)
    ml.assert_gone(result)
    benign, _, _ = ml.grade(REFERENCE)
    assert (benign.verdict, benign.score) == (Verdict.PASSED, POINTS), describe(benign)
    return grade


def test_looking_for_the_labels_finds_none(ml):
    # Every readable file and every process's memory map it can reach: a line "t001,oui" would be the answer key.
    seek = r'''
import glob, os, re, pandas as pd
pattern = re.compile(r"^(t\d{3}),(oui|non)$", re.M)
found = {}
for root in ("/work", "/tmp", "/opt", "/etc", "/home", "/root", "/srv", "/var", "/run"):
    for path in glob.glob(root + "/**", recursive=True)[:5000]:
        try:
            if os.path.isfile(path) and os.path.getsize(path) < 5_000_000:
                found.update(pattern.findall(open(path, errors="replace").read()))
        except OSError:
            pass
for pid in os.listdir("/proc"):
    try:
        found.update(pattern.findall(open(f"/proc/{pid}/environ", errors="replace").read()))
        found.update(pattern.findall(open(f"/proc/{pid}/cmdline", errors="replace").read()))
    except OSError:
        pass
test = pd.read_csv("data/test.csv")
pd.DataFrame({"id": test["id"], "prediction": [found.get(i, "non") for i in test["id"]]}).to_csv(
    "predictions.csv", index=False)
'''
    check(ml, seek, Verdict.FAILED, "F1 on the public part: 0.0000")


@pytest.mark.parametrize("rewrite, message", [
    ('out = out[out["id"] != "t005"]', "1 id(s) without a prediction, for example: t005."),
    ('out = pd.concat([out, out.head(3)])', "3 id(s) predicted more than once"),
    ('out.loc[len(out)] = ["t999", "oui"]', "1 unknown id(s), for example: t999."),
    ('out["prediction"] = out["prediction"].where(out["id"] != "t004", "peut-être")',
     "1 prediction(s) outside the classes non, oui"),
    ('out = out.rename(columns={"prediction": "classe"})', "Expected columns: id, prediction; your file: id, classe."),
])
def test_a_malformed_predictions_file_is_refused_with_its_reason(ml, rewrite, message):
    code = REFERENCE.replace('pd.DataFrame({"id": test["id"], "prediction": model.predict(test[["x1", "x2"]])})'
                             '.to_csv("predictions.csv",\n', 'out = pd.DataFrame({"id": test["id"], "prediction": '
                             'model.predict(test[["x1", "x2"]])})\n' + rewrite + '\nout.to_csv("predictions.csv",\n')
    assert rewrite in code
    check(ml, code, Verdict.FAILED, message)


def test_nan_and_infinite_scores_are_refused(docker_client):
    from sandboxes.runner import SandboxRunner

    runner = SandboxRunner(docker_client, pool_size=0, scope="hostile-tests")
    try:
        run = MlRun(runner, docker_client, make_spec(metric="roc_auc", threshold=0.85))
        code = REFERENCE.replace('model.predict(test[["x1", "x2"]])', 'model.predict_proba(test[["x1", "x2"]])[:, 1]')
        grade, _, _ = run.grade(code)
        assert grade.verdict == Verdict.PASSED, describe(grade)
        code = code.replace('\nprint(', '\nimport numpy as np\nprint(').replace(
            '[:, 1]})', '[:, 1] * np.where(test.index % 7 == 0, np.nan, 1) + np.where(test.index == 3, np.inf, 0)})')
        grade, _, _ = run.grade(code)
        assert grade.verdict == Verdict.FAILED and grade.score == 0.0, describe(grade)
        # pandas writes NaN as an empty cell; the infinite value as "inf"
        assert "19 prediction(s) are not finite numbers (line 2: “”)." in grade.checks[0].message["en"]
    finally:
        runner.close()


def test_a_symlink_or_a_huge_file_is_not_read(ml):
    check(ml, "import os\nos.symlink('/etc/passwd', 'predictions.csv')\n", Verdict.FAILED,
          "predictions.csv cannot be read: it is a symbolic link (not followed).")
    check(ml, "with open('predictions.csv', 'w') as f:\n    f.write('id,prediction\\n' + 't000,oui\\n' * 200000)\n",
          Verdict.FAILED, "predictions.csv cannot be read: it is larger than 900 KB.")
