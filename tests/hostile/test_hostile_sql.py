"""Hostile statements for the sql-query kind, in the real sandbox: each gets its verdict and score, shows
nothing of a hidden database, leaves no container, and the reference passes right after."""
import json

import pytest

from graders.base import Verdict
from graders.sql_query import RULES_CHECK_ID
from tests.hostile.sql_support import SqlRun, make_spec


@pytest.fixture
def sql(runner, docker_client) -> SqlRun:
    return SqlRun(runner, docker_client, make_spec(statement_seconds=1))


def test_a_recursive_cte_that_never_ends_is_stopped_in_time(sql):
    grade = sql.check("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
                      "SELECT r.nom, max(x) FROM n JOIN regions r", Verdict.TIME_LIMIT, 0.0)
    assert grade.checks[0].message["en"] == "The statement ran longer than 1 s."


def test_a_cartesian_product_bomb_is_stopped_in_time(sql):
    sql.check("SELECT count(*) FROM villes a JOIN villes b JOIN villes c JOIN villes d JOIN villes e "
              "JOIN villes f JOIN villes g JOIN villes h JOIN villes i JOIN villes j JOIN villes k JOIN villes l "
              "JOIN villes m JOIN villes n JOIN villes o", Verdict.TIME_LIMIT, 0.0)


def test_a_million_rows_come_back_capped(sql):
    grade = sql.check("SELECT a.nom AS region, b.population AS habitants FROM villes a JOIN villes b JOIN villes c "
                      "JOIN villes d JOIN villes e JOIN villes f JOIN villes g JOIN villes h JOIN villes i "
                      "JOIN villes j", Verdict.FAILED, 0.0)  # 4^10 rows: the first 1000 come back
    example = grade.checks[0]
    assert example.details["result_table"]["more"] > 0 and len(example.details["result_table"]["rows"]) == 20


@pytest.mark.parametrize("text, what", [
    ("ATTACH DATABASE '/opt/lms/entry.py' AS x", "attach"),
    ("SELECT load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0') FROM villes JOIN regions", "load_extension"),
    ("PRAGMA writable_schema = ON", "pragma"),
    ("VACUUM INTO '/tmp/copie.db'", "vacuum"),
])
def test_reaching_other_files_or_loading_code_is_refused(sql, text, what):
    grade = sql.check(text, Verdict.RUNTIME_ERROR, 0.0)
    assert grade.checks[0].message["en"] == f"Statement refused here: {what}."


def test_the_sandbox_refuses_them_too(sql):
    """The text rules refuse ATTACH before judging, but the statement still ran in the container: SQLite's
    authorizer stopped it there (nothing is attached, no file is read)."""
    grade, _, result = sql.grade("ATTACH DATABASE '/opt/lms/entry.py' AS x")
    assert grade.verdict == Verdict.RUNTIME_ERROR
    assert [json.loads(step.records)["obs"] for step in result.steps] == [{"error": "not authorized"}] * 3


def test_writing_to_the_shipped_database_changes_only_its_copy(sql):
    """A statement that empties the table: each check's database is a fresh copy, so nothing carries over to
    the next check or the next submission."""
    grade = sql.check("DELETE FROM villes", Verdict.FAILED, 0.0)
    assert grade.checks[0].message["en"] == "Your statement returns no rows: a SELECT query is expected here."
    assert {c.id: c.status for c in grade.checks}[RULES_CHECK_ID] == "failed"
