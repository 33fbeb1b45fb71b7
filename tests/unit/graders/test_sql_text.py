"""Facts of a learner's SQL text, read on parsed tokens: constructs, statement type, order, refusals."""
import pytest

from graders.sql_text import (construct_problems, constructs, has_top_level_order_by, parse_statements,
                              statement_type, text_problem)


def one(text):
    statements = parse_statements(text)
    assert len(statements) == 1
    return statements[0]


@pytest.mark.parametrize("text, expected", [
    ("SELECT v.nom, r.nom FROM villes v JOIN regions r ON r.id = v.region_id", {"join"}),
    ("SELECT region_id, COUNT(*) FROM villes GROUP BY region_id HAVING COUNT(*) > 2",
     {"aggregate", "group_by", "having"}),
    ("SELECT nom, RANK() OVER (PARTITION BY region_id ORDER BY population DESC) FROM villes", {"window", "order_by"}),
    ("SELECT nom FROM villes WHERE region_id IN (SELECT id FROM regions WHERE nom LIKE 'S%')", {"subquery"}),
    ("WITH grandes AS (SELECT * FROM villes WHERE population > 1e6) SELECT nom FROM grandes", {"cte"}),
    ("SELECT DISTINCT region_id FROM villes UNION SELECT id FROM regions LIMIT 3", {"distinct", "union", "limit"}),
    ("SELECT CASE WHEN population > 1e6 THEN 'grande' ELSE 'petite' END FROM villes", {"case"}),
    # Keywords in a string or a comment are no construct.
    ("SELECT 'JOIN ... GROUP BY' AS texte FROM villes -- ORDER BY nom\n/* HAVING */", set()),
])
def test_constructs_on_parsed_tokens(text, expected):
    assert constructs(one(text)) == expected


def test_required_and_forbidden_constructs():
    statement = one("SELECT nom FROM villes WHERE region_id = (SELECT id FROM regions WHERE nom = 'Oriental')")
    assert construct_problems(statement, require=["join"], forbid=["subquery"]) == [
        ("required", "join"), ("forbidden", "subquery")]
    joined = one("SELECT v.nom FROM villes v INNER JOIN regions r ON r.id = v.region_id WHERE r.nom = 'Oriental'")
    assert construct_problems(joined, require=["join"], forbid=["subquery"]) == []


def test_only_the_statements_own_order_by_orders_its_result():
    assert has_top_level_order_by(one("SELECT nom FROM villes ORDER BY population DESC"))
    assert not has_top_level_order_by(one("SELECT * FROM (SELECT nom FROM villes ORDER BY nom) LIMIT 3"))
    assert not has_top_level_order_by(one("SELECT nom, ROW_NUMBER() OVER (ORDER BY nom) FROM villes"))
    assert not has_top_level_order_by(one("WITH t AS (SELECT nom FROM villes ORDER BY nom) SELECT nom FROM t"))


@pytest.mark.parametrize("text, kind", [
    ("select 1", "select"), ("WITH t AS (SELECT 1) SELECT * FROM t", "select"),
    ("UPDATE villes SET population = population + 1", "update"), ("insert into villes values (1)", "insert"),
    ("DELETE FROM commandes WHERE id = 3", "delete"), ("CREATE VIEW v AS SELECT 1", "create"),
])
def test_statement_type(text, kind):
    assert statement_type(one(text)) == kind


@pytest.mark.parametrize("text, problem", [
    ("", ("empty", {})),
    ("  ; -- rien\n", ("empty", {})),
    ("SELECT 1; SELECT 2", ("several_statements", {"count": 2})),
    ("ATTACH DATABASE '/etc/passwd' AS p", ("refused", {"what": "attach"})),
    ("pragma writable_schema = 1", ("refused", {"what": "pragma"})),
    ("PRAGMA writable_schema = ON", ("refused", {"what": "pragma"})),
    ("SELECT load_extension('/tmp/x.so')", ("refused", {"what": "load_extension"})),
    ("SELECT readfile('/etc/shadow')", ("refused", {"what": "readfile"})),
    ("VACUUM INTO '/tmp/copie.db'", ("refused", {"what": "vacuum"})),
    ("SELECT " + "1, " * 7000 + "1", ("too_long", {"limit": 20000})),
    ("SELECT nom FROM villes;", ("", {})),
])
def test_text_problems_before_anything_runs(text, problem):
    assert text_problem(text) == problem
