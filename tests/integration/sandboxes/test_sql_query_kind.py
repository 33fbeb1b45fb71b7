"""The sql-query kind through the real sandbox (the sql image): the learner's statement on a fresh copy of each
database, the hidden ones only in the hidden phase; what the learner sees: verdict, score, each visible check's
message and result table, the hidden checks' names and status only."""
import pytest

from graders.base import Verdict
from graders.sql_query import RULES_CHECK_ID
from tests.hostile.sql_support import HARD_CODED, POINTS, REFERENCE, SqlRun, describe, make_spec


@pytest.fixture
def sql(runner, docker_client) -> SqlRun:
    return SqlRun(runner, docker_client, make_spec())


def by_id(grade):
    return {check.id: check for check in grade.checks}


def test_the_reference_gets_full_marks_with_its_result_table(sql):
    grade, plan, result = sql.grade(REFERENCE)
    assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade)
    assert plan.image == "sql" and [s.hidden for s in result.steps] == [False, True, True]
    table = by_id(grade)["exemple"].details["result_table"]
    assert table == {"columns": ["region", "habitants"], "rows": [["Oriental", 655978], ["Souss-Massa", 501993]],
                     "more": 0}


def test_a_hard_coded_answer_passes_the_example_only(sql):
    grade, _, _ = sql.grade(HARD_CODED)
    checks = by_id(grade)
    assert [checks[i].passed for i in ("exemple", "autre-base", "base-sud", RULES_CHECK_ID)] == [
        True, False, False, False], describe(grade)
    assert (grade.verdict, grade.score) == (Verdict.FAILED, 0.0)  # without the JOIN asked for: no points
    assert checks[RULES_CHECK_ID].message["ar"] == "يجب أن يستعمل الاستعلام: JOIN."


def test_a_wrong_statement_says_what_differs_on_the_visible_database_only(sql):
    grade, _, _ = sql.grade(REFERENCE.replace("SUM(v.population)", "COUNT(*)"))
    checks = by_id(grade)
    assert checks["exemple"].message["fr"] == (
        "2 ligne(s) attendue(s), 2 obtenue(s) : 2 manquante(s), 2 en trop. "
        "Première différence : ligne 1, colonne habitants : attendu 655978, obtenu 2.")
    assert checks["autre-base"].status == "failed" and checks["autre-base"].message == ""
    assert grade.verdict == Verdict.FAILED and grade.score == 0.0  # the rules check passes, but earns nothing


def test_a_syntax_error_is_a_runtime_error_with_sqlites_message(sql):
    grade, _, _ = sql.grade("SELEC nom FROM villes")
    assert grade.verdict == Verdict.RUNTIME_ERROR and grade.score == 0
    assert by_id(grade)["exemple"].message["en"] == 'SQLite error: near "SELEC": syntax error'
