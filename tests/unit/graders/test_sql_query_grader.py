"""The sql-query grader on plain data: its plan carries no expected result and no hidden database in a visible
step; its judgement of records made by the sandbox's own code (sqlrun, run here as the container would)."""
import json

import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from graders.sql_query import SQLRUN, RULES_CHECK_ID, fill_expected
from sandboxes.runner import SandboxResult, StepOutcome
from tests.hostile.sql_support import HARD_CODED, HIDDEN_DB, REFERENCE, VISIBLE_DB

@pytest.fixture
def grader():
    return get_grader("sql-query")


@pytest.fixture
def spec():
    spec = ExerciseSpec.from_dict({
        "kind": "sql-query", "files": ["requete.sql"], "points": 10,
        "options": {"databases": {"villes": VISIBLE_DB, "villes-cachee": HIDDEN_DB}, "require": ["join"],
                    "statement": ["select"]},
        "checks": [{"id": "exemple", "name": "exemple", "hidden": False, "database": "villes"},
                   {"id": "autre-base", "name": "autre base", "database": "villes-cachee"}]})
    assert fill_expected(spec, REFERENCE) == []
    return spec


def sandbox_run(grader, spec, text):
    """What the sql image would return: each step's record made by sqlrun from the step's own arguments."""
    plan = grader.plan(spec, {spec.files[0]: text})
    steps = []
    for step in plan.steps:
        args = step["args"]
        observation = SQLRUN.run_statement(args["database"], plan.files[args["statement"]], args["tables"],
                                           args["row_cap"], args["seconds"])
        steps.append(StepOutcome(name=step["name"], exit_code=0, hidden=step["hidden"],
                                 records=json.dumps({"id": args["check"], "obs": observation}) + "\n"))
    return grader.judge(spec, plan, SandboxResult(status="completed", steps=steps, container_id="c", warm=True))


def by_id(grade):
    return {check.id: check for check in grade.checks}


def test_expected_results_come_from_the_reference_and_stay_out_of_the_plan(grader, spec):
    assert spec.checks[0]["expect"] == {"columns": ["region", "habitants"],
                                        "rows": [["Oriental", 655978], ["Souss-Massa", 501993]]}
    assert spec.checks[0]["reference_ordered"] is True
    assert grader.validate(spec) == []
    plan = grader.plan(spec, {"requete.sql": REFERENCE})
    visible_job = json.dumps(plan.job())
    assert "655978" not in visible_job and "Errachidia" not in visible_job  # no expected value, no hidden database
    hidden_job = json.dumps(plan.hidden_job("n"))
    assert "Errachidia" in hidden_job and "182457" not in hidden_job  # the hidden database, not its answer


def test_the_reference_passes_and_a_hard_coded_answer_fails_the_hidden_database(grader, spec):
    grade = sandbox_run(grader, spec, REFERENCE)
    assert (grade.verdict, grade.score) == (Verdict.PASSED, 10.0)
    assert by_id(grade)["exemple"].details["result_table"]["rows"] == [["Oriental", 655978], ["Souss-Massa", 501993]]
    hard_coded = sandbox_run(grader, spec, HARD_CODED)
    checks = by_id(hard_coded)
    assert checks["exemple"].passed and not checks["autre-base"].passed
    assert checks["autre-base"].message == "" and checks["autre-base"].details == {}  # hidden: name and status only
    assert not checks[RULES_CHECK_ID].passed
    assert checks[RULES_CHECK_ID].message["fr"] == "La requête doit utiliser : JOIN."
    assert hard_coded.verdict == Verdict.FAILED and hard_coded.score == 0.0  # no JOIN: nothing, even the example


def test_wrong_order_and_wrong_rows_say_what_differs(grader, spec):
    ascending = REFERENCE.replace("DESC", "ASC")
    checks = by_id(sandbox_run(grader, spec, ascending))
    assert checks["exemple"].message["en"] == "The right rows, in the wrong order (from row 1 on)."
    without_nador = REFERENCE.replace("GROUP BY", "WHERE v.nom <> 'Nador' GROUP BY")
    message = by_id(sandbox_run(grader, spec, without_nador))["exemple"].message["en"]
    assert message == ("2 row(s) expected, 2 returned: 1 missing, 1 extra. "
                       "First difference: row 1, column habitants: expected 655978, got 494252.")


@pytest.mark.parametrize("text, verdict, fragment", [
    ("SELECT nom FROM villes; SELECT 1", Verdict.RUNTIME_ERROR, "One statement is expected; the file holds 2."),
    ("ATTACH DATABASE '/etc/passwd' AS p", Verdict.RUNTIME_ERROR, "Statement refused here: attach."),
    ("SELECT nom FROM villages JOIN regions", Verdict.RUNTIME_ERROR, "SQLite error: no such table: villages"),
    ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT r.nom, max(x) FROM n JOIN regions r",
     Verdict.TIME_LIMIT, "The statement ran longer than 2 s."),
])
def test_errors_get_a_named_verdict_and_a_message(grader, spec, text, verdict, fragment):
    grade = sandbox_run(grader, spec, text)
    assert grade.verdict == verdict and grade.score == 0
    assert by_id(grade)["exemple"].message["en"] == fragment


def test_a_data_changing_statement_is_judged_on_the_tables_it_leaves(grader):
    spec = ExerciseSpec.from_dict({
        "kind": "sql-query", "files": ["maj.sql"],
        "options": {"databases": {"villes": VISIBLE_DB, "autre": HIDDEN_DB}, "statement": ["update"]},
        "checks": [{"id": "exemple", "name": "exemple", "hidden": False, "database": "villes", "tables": ["villes"]},
                   {"id": "autre", "name": "autre", "database": "autre", "tables": ["villes"]}]})
    assert fill_expected(spec, "UPDATE villes SET population = population + 1000 WHERE region_id = 1") == []
    assert grader.validate(spec) == []
    right = sandbox_run(grader, spec, "update villes set population = population + 1000 where region_id = 1")
    assert right.verdict == Verdict.PASSED
    wrong = by_id(sandbox_run(grader, spec, "UPDATE villes SET population = population + 1000"))
    assert wrong["exemple"].message["en"].startswith("Table villes after your statement: 4 row(s) expected")
    query = by_id(sandbox_run(grader, spec, "SELECT * FROM villes"))
    assert query["exemple"].message["en"] == "Your statement returns rows; it was to change the table villes."
    assert query[RULES_CHECK_ID].message["en"] == "Statement expected: UPDATE; yours: SELECT."


def test_validate_names_each_problem(grader, spec):
    spec.options["require"] = ["joins"]
    spec.options["row_cap"] = 0
    spec.checks[1]["database"] = "nowhere"
    spec.checks[0]["compare"] = {"order": "sorted"}
    spec.checks.append({"id": "exemple", "database": "villes", "tables": ["commandes"]})
    problems = grader.validate(spec)
    assert "options.require: unknown construct(s) joins; known: " + ", ".join(
        ["join", "group_by", "having", "order_by", "window", "subquery", "cte", "distinct", "union", "limit",
         "aggregate", "case"]) in problems
    assert "options.row_cap must be an integer from 1 to 5000" in problems
    assert "check autre-base: database must be one of villes, villes-cachee" in problems
    assert "check exemple: compare.order must be one of reference, strict, any, got 'sorted'" in problems
    assert "check exemple: needs an id of its own" in problems
    assert "check exemple: no table commandes in database 'villes'" in problems
    assert "check exemple: no expected result (computed from the reference solution)" in problems


def test_a_reference_that_fails_is_named_at_import(grader, spec):
    assert fill_expected(spec, "SELECT nom FROM villages") == [
        "check exemple: the reference solution fails: no such table: villages",
        "check autre-base: the reference solution fails: no such table: villages"]


@pytest.fixture
def update_spec():
    """A data-changing exercise: the visible check and the hidden one compare two tables after the statement."""
    spec = ExerciseSpec.from_dict({
        "kind": "sql-query", "files": ["maj.sql"],
        "options": {"databases": {"villes": VISIBLE_DB, "autre": HIDDEN_DB}, "statement": ["update"]},
        "checks": [{"id": "exemple", "name": "exemple", "hidden": False, "database": "villes",
                    "tables": ["villes", "regions"]},
                   {"id": "autre", "name": "autre", "database": "autre", "tables": ["villes", "regions"]}]})
    assert fill_expected(spec, "UPDATE villes SET population = population + 1000 WHERE region_id = 1") == []
    return spec


def test_a_passing_visible_table_check_shows_each_table_after_the_statement(grader, update_spec):
    grade = sandbox_run(grader, update_spec, "UPDATE villes SET population = population + 1000 WHERE region_id = 1")
    assert grade.verdict == Verdict.PASSED
    details = by_id(grade)["exemple"].details
    assert details == {"tables_more": 0, "result_tables": [
        {"table": "villes", "columns": ["id", "nom", "region_id", "population"], "more": 0,
         "rows": [[1, "Agadir", 1, 422844], [2, "Oujda", 2, 494252], [3, "Taroudant", 1, 81149],
                  [4, "Nador", 2, 161726]]},
        {"table": "regions", "columns": ["id", "nom"], "more": 0, "rows": [[1, "Souss-Massa"], [2, "Oriental"]]}]}
    # The hidden check passed too, and shows its name and status only: nothing of the hidden database.
    hidden = by_id(grade)["autre"]
    assert (hidden.passed, hidden.message, hidden.details) == (True, "", {})
    stored = json.dumps(grade.feedback(), ensure_ascii=False)
    assert "Errachidia" not in stored and "112390" not in stored and "Drâa" not in stored


def test_a_failing_table_check_shows_the_table_that_differs(grader, update_spec):
    grade = sandbox_run(grader, update_spec, "UPDATE villes SET population = population + 1000")
    exemple = by_id(grade)["exemple"]
    assert not exemple.passed and [t["table"] for t in exemple.details["result_tables"]] == ["villes"]
    assert exemple.details["result_tables"][0]["rows"][1] == [2, "Oujda", 2, 495252]
    assert by_id(grade)["autre"].details == {}


def test_a_check_comparing_many_tables_shows_the_first_ones(grader):
    from graders.sql_query import TABLES_SHOWN

    names = [f"t{i}" for i in range(TABLES_SHOWN + 2)]
    script = "".join(f"CREATE TABLE {name}(x INTEGER); INSERT INTO {name} VALUES ({i});" for i, name in enumerate(names))
    spec = ExerciseSpec.from_dict({
        "kind": "sql-query", "files": ["maj.sql"], "options": {"databases": {"a": script, "b": script}},
        "checks": [{"id": "exemple", "hidden": False, "database": "a", "tables": names},
                   {"id": "autre", "database": "b", "tables": names}]})
    assert fill_expected(spec, "UPDATE t0 SET x = 10") == []
    details = by_id(sandbox_run(grader, spec, "UPDATE t0 SET x = 10"))["exemple"].details
    assert [t["table"] for t in details["result_tables"]] == names[:TABLES_SHOWN] and details["tables_more"] == 2
    assert details["result_tables"][0]["rows"] == [[10]]


def test_the_staff_preview_holds_every_checks_expected_result_hidden_ones_included(grader, spec, update_spec):
    preview = grader.expected_preview(spec)
    assert [(c["id"], c["hidden"], c["database"]) for c in preview] == [
        ("exemple", False, "villes"), ("autre-base", True, "villes-cachee")]
    assert preview[0]["tables"] == [{"columns": ["region", "habitants"], "more": 0,
                                     "rows": [["Oriental", 655978], ["Souss-Massa", 501993]]}]
    assert preview[1]["tables"][0]["rows"] == [["Béni Mellal-Khénifra", 196196], ["Drâa-Tafilalet", 182457]]
    tables = grader.expected_preview(update_spec)[1]["tables"]
    assert [t["table"] for t in tables] == ["villes", "regions"]
    assert tables[0]["rows"][0] == [1, "Errachidia", 1, 112390]
