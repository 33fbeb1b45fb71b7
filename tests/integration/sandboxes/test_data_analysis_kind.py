"""The data-analysis kind through the real sandbox (the data image, libraries preloaded): the learner's script or
notebook run once per dataset variant, the hidden variants only in the hidden phase; what the learner sees:
verdict, score, each visible check's message and table, the visible run's figure and output; the hidden checks'
names and status only."""
import json

import pytest

from graders.base import Verdict
from tests.hostile.data_support import (HARD_CODED, HIDDEN_TOTALS, POINTS, REFERENCE, DataRun, describe, make_spec,
                                        notebook)


@pytest.fixture(scope="module")
def data(docker_client):
    from sandboxes.runner import SandboxRunner

    runner = SandboxRunner(docker_client, pool_size=0, scope="tests")
    yield DataRun(runner, docker_client, make_spec())
    runner.close()


def by_id(grade):
    return {check.id: check for check in grade.checks}


def test_the_reference_gets_full_marks_with_its_table_figure_and_output(data):
    grade, plan, result = data.grade(REFERENCE)
    assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade)
    assert plan.image == "data" and [s.hidden for s in result.steps] == [False, True, True]
    checks = by_id(grade)
    assert checks["resume"].details["result_table"] == {
        "columns": ["ville", "montant"], "rows": [["Rabat", 150.5], ["Fès", 90], ["Tanger", 42.25]], "more": 0}
    assert "total : 282.75" in checks["total"].details["console"]
    [figure] = grade.artifacts  # the visible run's figure only
    assert figure.name == "figure-exemple-1.png" and figure.data.startswith(b"\x89PNG")
    assert figure.caption["fr"] == "Figure 1 (jeu de données exemple)"
    data.assert_gone(result)


def test_a_hard_coded_total_passes_the_example_only(data):
    grade, _, _ = data.grade(HARD_CODED)
    checks = by_id(grade)
    assert [checks[i].passed for i in ("total", "total-cache", "total-sud")] == [True, False, False], describe(grade)
    assert grade.verdict == Verdict.FAILED and grade.score == pytest.approx(POINTS * 10 / 12, abs=0.01)
    shown = json.dumps(grade.feedback(), ensure_ascii=False)
    assert not any(total in shown for total in HIDDEN_TOTALS)  # nothing of a hidden dataset is shown
    assert checks["total-cache"].message == "" and checks["total-cache"].details == {}


def test_wrong_values_order_and_chart_are_explained_in_three_languages(data):
    wrong = (REFERENCE.replace("ascending=False", "ascending=True")
             .replace("par_ville.plot.bar()", "par_ville.plot()").replace('plt.ylabel("Montant (MAD)")', ""))
    grade, _, _ = data.grade(wrong)
    checks = by_id(grade)
    assert not checks["par-ville"].passed and checks["par-ville"].message["en"] == (
        "par_ville: The right rows, in the wrong order (from row 1 on).")
    assert checks["resume"].passed  # order: any by default
    assert checks["graphique"].message == {"fr": "Type de graphique attendu : barres ; le vôtre : courbe.",
                                           "ar": "نوع الرسم المنتظر: أعمدة؛ رسمك: منحنى.",
                                           "en": "Chart type expected: bar; yours: line."}
    grade, _, _ = data.grade(REFERENCE.replace('plt.ylabel("Montant (MAD)")', ""))
    assert by_id(grade)["graphique"].message["fr"] == "La figure n'a pas de nom d'axe vertical (ylabel)."
    grade, _, _ = data.grade(REFERENCE.replace('["montant"].sum()\n', '["montant"].mean()\n', 1))
    assert by_id(grade)["total"].message["en"] == "total: expected 282.75, got 56.55."


def test_an_error_is_a_runtime_error_with_its_line_and_the_variables_missing(data):
    grade, _, result = data.grade(REFERENCE.replace("total = ", "total = 1 / 0 + "))
    assert grade.verdict == Verdict.RUNTIME_ERROR and grade.score == 0.0, describe(grade)
    assert grade.message["en"] == "The program stopped on an error: ZeroDivisionError: division by zero"
    assert by_id(grade)["total"].message["fr"] == "La variable total n'existe pas à la fin du programme."
    data.assert_gone(result)


def test_a_missing_dataset_column_shows_the_learners_traceback(data):
    grade, _, _ = data.grade(REFERENCE.replace('ventes["montant"]', 'ventes["prix"]'))
    assert grade.verdict == Verdict.RUNTIME_ERROR
    assert "KeyError: 'prix'" in grade.message["fr"]


def test_a_notebook_runs_cell_by_cell_and_a_hung_cell_is_named(docker_client):
    from sandboxes.runner import SandboxRunner

    runner = SandboxRunner(docker_client, pool_size=0, scope="tests")
    try:
        run = DataRun(runner, docker_client, make_spec(files=("analyse.ipynb",), cell_seconds=2))
        head, tail = REFERENCE.split("par_ville.plot.bar()")
        grade, _, _ = run.grade(notebook("%matplotlib inline\n" + head, "par_ville.plot.bar()" + tail))
        assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade)
        grade, _, _ = run.grade(notebook(head, "while True:\n    pass", "par_ville.plot.bar()" + tail))
        assert grade.verdict == Verdict.TIME_LIMIT, describe(grade)
        assert grade.message["en"] == "Cell 2 ran longer than 2 s."
        checks = by_id(grade)
        assert checks["total"].passed and checks["graphique"].status == "timeout"  # cell 1 still counts
    finally:
        runner.close()


def test_a_warm_pool_member_grades_it(docker_client):
    from sandboxes.runner import SandboxRunner

    runner = SandboxRunner(docker_client, pool_size=1, scope="tests")
    try:
        run = DataRun(runner, docker_client, make_spec())
        assert runner.wait_warm(120)
        grade, _, result = run.grade(REFERENCE)
        assert result.warm and grade.verdict == Verdict.PASSED, describe(grade)
    finally:
        runner.close()


# Workbooks written by pandas itself, in the data image (openpyxl is there, not on the trusted side).
WORKBOOKS = """import base64, io, json, sys
import pandas as pd
out = {}
for name, rows in json.loads(sys.argv[1]).items():
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame(rows, columns=["ville", "montant"]).to_excel(writer, sheet_name="ventes", index=False)
    out[name] = base64.b64encode(buffer.getvalue()).decode("ascii")
print(json.dumps(out))
"""
XLSX_REFERENCE = """import pandas as pd

ventes = pd.read_excel("data/ventes.xlsx", sheet_name="ventes")
total = ventes["montant"].sum()
par_ville = ventes.groupby("ville")["montant"].sum().sort_values(ascending=False)
"""


def test_an_excel_workbook_is_read_on_the_example_and_on_the_hidden_variant(docker_client):
    from graders.base import ExerciseSpec
    from sandboxes.runner import SandboxRunner

    rows = {"exemple": [["Rabat", 120.5], ["Fès", 80], ["Rabat", 30]], "cache": [["Oujda", 300], ["Agadir", 12.5]]}
    made = docker_client.containers.run("lms/sandbox-data:latest", ["python3", "-c", WORKBOOKS, json.dumps(rows)],
                                        detach=True, network_disabled=True, user="10001:10001")
    try:
        assert made.wait(timeout=120)["StatusCode"] == 0, made.logs()[-500:]
        workbooks = json.loads(made.logs(stderr=False).decode())
    finally:
        made.remove(force=True)
    spec = ExerciseSpec.from_dict({
        "kind": "data-analysis", "uuid": "data-classeur", "files": ["analyse.py"], "points": POINTS,
        "limits": {"wall_seconds": 20, "cpu_seconds": 10, "memory_mb": 512},
        "options": {"seconds": 5, "datasets": {name: {"ventes.xlsx": {"base64": data}}
                                               for name, data in workbooks.items()}},
        "checks": [{"id": "total", "name": "total", "hidden": False, "dataset": "exemple", "variable": "total"},
                   {"id": "total-cache", "name": "total", "hidden": True, "dataset": "cache", "variable": "total"},
                   {"id": "par-ville", "name": "villes", "hidden": False, "dataset": "exemple",
                    "variable": "par_ville", "compare": {"order": "strict"}}]})
    runner = SandboxRunner(docker_client, pool_size=0, scope="tests")
    try:
        workbook = DataRun(runner, docker_client, spec, reference=XLSX_REFERENCE)
        assert [c["expect"]["value"] for c in spec.checks[:2]] == [230.5, 312.5]  # the reference read both workbooks
        grade, _, result = workbook.grade(XLSX_REFERENCE)
        assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade)
        typed_in = XLSX_REFERENCE.replace('ventes["montant"].sum()', "230.5")
        grade, _, _ = workbook.grade(typed_in)
        assert [c.passed for c in grade.checks] == [True, False, True], describe(grade)
        workbook.assert_gone(result)
    finally:
        runner.close()
