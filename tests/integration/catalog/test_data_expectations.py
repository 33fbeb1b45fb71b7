"""Expected observations of a data-analysis exercise: `flask lms expect-content` runs the reference in the real data
sandbox and writes expected.json; import then reads it with no Docker, refuses it once stale, and check-content
grades the reference full and the starter less against it."""
import json
import uuid

import pytest
import yaml
from click.testing import CliRunner

from lms.catalog.checking import check_exercise
from lms.catalog.content import ContentError, load_exercise
from tests.hostile.data_support import HIDDEN, REFERENCE, VISIBLE

NAME = {"fr": "Total", "ar": "المجموع", "en": "Total"}


@pytest.fixture
def exercise_folder(tmp_path):
    folder = tmp_path / "lib" / "ventes-par-ville"
    for variant, text in (("exemple", VISIBLE), ("cache", HIDDEN)):
        (folder / "data" / variant).mkdir(parents=True)
        (folder / "data" / variant / "ventes.csv").write_text(text, encoding="utf-8")
    (folder / "solution").mkdir()
    (folder / "solution" / "analyse.py").write_text(REFERENCE, encoding="utf-8")
    (folder / "starter").mkdir()
    (folder / "starter" / "analyse.py").write_text('import pandas as pd\nventes = pd.read_csv("data/ventes.csv")\n')
    (folder / "statement.fr.md").write_text("# Ventes\n", encoding="utf-8")
    (folder / "exercise.yaml").write_text(yaml.safe_dump({
        "uuid": str(uuid.uuid4()), "kind": "data-analysis", "title": {"fr": "Ventes"}, "files": ["analyse.py"],
        "limits": {"wall_seconds": 20, "cpu_seconds": 10, "memory_mb": 512}}, allow_unicode=True), encoding="utf-8")
    for visibility, dataset in (("public", "exemple"), ("hidden", "cache")):
        (folder / "tests" / visibility).mkdir(parents=True)
        (folder / "tests" / visibility / "checks.yaml").write_text(yaml.safe_dump({"checks": [
            {"id": f"total-{dataset}", "name": NAME, "dataset": dataset, "variable": "total"},
            {"id": f"graphique-{dataset}", "name": NAME, "dataset": dataset, "figure": 1}]}, allow_unicode=True),
            encoding="utf-8")
    return folder


def test_expect_content_writes_what_import_then_reads_and_check_content_proves(app, exercise_folder, runner):
    with pytest.raises(ContentError, match="no expected observation: run `make expected`"):
        load_exercise(exercise_folder)
    result = CliRunner().invoke(app.cli, ["lms", "expect-content", str(exercise_folder.parent)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 exercise(s) with expected observations" in result.output
    stored = json.loads((exercise_folder / "expected.json").read_text(encoding="utf-8"))
    assert stored["checks"]["total-exemple"] == {"type": "scalar", "value": 282.75}
    assert stored["checks"]["graphique-cache"]["axes"][0]["charts"][0]["labels"] == ["Oujda", "Agadir"]
    exercise = load_exercise(exercise_folder)
    assert exercise.spec["checks"][0]["expect"] == {"type": "scalar", "value": 282.75}
    check = check_exercise(runner, exercise)
    assert check.ok and check.solution_score == check.max_score and check.starter_score == 0.0, check.problems
    # A changed dataset makes the recorded observations stale: import refuses them until they are made again.
    (exercise_folder / "data" / "cache" / "ventes.csv").write_text(HIDDEN + "Oujda,1\n", encoding="utf-8")
    with pytest.raises(ContentError, match="expected.json is out of date"):
        load_exercise(exercise_folder)
