"""The sql-query kind's comparison of a learner's result with the reference's, on plain data."""
import pytest

from graders.sql_results import (CompareRules, cells_equal, compare_results, comparison_message, rules_problems,
                                 show_value)

CITIES = {"columns": ["ville", "region", "population"],
          "rows": [["Casablanca", "Casablanca-Settat", 3_752_000], ["Rabat", "Rabat-Salé-Kénitra", 577_827],
                   ["Fès", "Fès-Meknès", 1_256_000], ["Agadir", "Souss-Massa", 421_844]]}


def result(columns, rows):
    return {"columns": columns, "rows": rows}


def test_the_same_rows_in_another_order_agree_unless_the_order_is_asked():
    shuffled = result(CITIES["columns"], list(reversed(CITIES["rows"])))
    assert compare_results(CITIES, shuffled, CompareRules()).agrees
    ordered = compare_results(CITIES, shuffled, CompareRules(), reference_ordered=True)
    assert (ordered.problem, ordered.first_misplaced) == ("order", 1)
    assert comparison_message(ordered)["en"] == "The right rows, in the wrong order (from row 1 on)."
    assert compare_results(CITIES, shuffled, CompareRules(order="strict")).problem == "order"
    assert compare_results(CITIES, shuffled, CompareRules(order="any"), reference_ordered=True).agrees


def test_column_names_by_rule():
    upper = result(["VILLE", "REGION", "POPULATION"], CITIES["rows"])
    assert compare_results(CITIES, upper, CompareRules()).agrees
    exact = compare_results(CITIES, upper, CompareRules(names="exact"))
    assert exact.problem == "columns"
    assert comparison_message(exact)["fr"] == ("Colonnes attendues : ville, region, population ; votre requête "
                                               "donne : VILLE, REGION, POPULATION.")
    renamed = result(["a", "b", "c"], CITIES["rows"])
    assert compare_results(CITIES, renamed, CompareRules()).problem == "columns"
    assert compare_results(CITIES, renamed, CompareRules(names="ignored")).agrees


def test_column_order_any_matches_by_name():
    swapped = result(["population", "ville", "region"], [[r[2], r[0], r[1]] for r in CITIES["rows"]])
    assert compare_results(CITIES, swapped, CompareRules()).problem == "columns"
    assert compare_results(CITIES, swapped, CompareRules(column_order="any")).agrees
    one_less = result(["ville", "region"], [r[:2] for r in CITIES["rows"]])
    assert compare_results(CITIES, one_less, CompareRules(column_order="any")).problem == "columns"


def test_missing_and_extra_rows_with_the_first_differing_cell():
    rows = [list(r) for r in CITIES["rows"]]
    rows[2][2] = 1_000_000  # Fès' population wrong
    rows.append(["Tanger", "Tanger-Tétouan-Al Hoceïma", 947_952])
    comparison = compare_results(CITIES, result(CITIES["columns"], rows), CompareRules())
    assert (comparison.problem, comparison.missing_count, comparison.extra_count) == ("rows", 1, 2)
    assert comparison.missing == [["Fès", "Fès-Meknès", 1_256_000]]
    assert comparison.first_difference == {"row": 3, "column": "population", "expected": 1_256_000,
                                           "got": 1_000_000}
    assert comparison_message(comparison)["en"] == (
        "4 row(s) expected, 5 returned: 1 missing, 2 extra. "
        "First difference: row 3, column population: expected 1256000, got 1000000.")


def test_numbers_within_tolerance_and_ints_against_floats():
    averages = result(["region", "moyenne"], [["Souss-Massa", 1523.3333333333333], ["Oriental", 3.0]])
    assert compare_results(averages, result(["region", "moyenne"], [["Souss-Massa", 1523.3333333333335],
                                                                    ["Oriental", 3]]), CompareRules()).agrees
    rounded = result(["region", "moyenne"], [["Souss-Massa", 1523.33], ["Oriental", 3]])
    assert compare_results(averages, rounded, CompareRules()).problem == "rows"
    assert compare_results(averages, rounded, CompareRules(tolerance={"MOYENNE": 0.01})).agrees
    assert not cells_equal(float("nan"), float("nan"), None)


def test_nulls_and_duplicates_by_rule():
    expected = result(["telephone"], [[None], ["0600"], ["0600"]])
    assert compare_results(expected, result(["telephone"], [["0600"], [None], ["0600"]]), CompareRules()).agrees
    as_empty = result(["telephone"], [[""], ["0600"], ["0600"]])
    assert compare_results(expected, as_empty, CompareRules()).problem == "rows"
    assert compare_results(expected, as_empty, CompareRules(nulls="as-empty")).agrees
    once = result(["telephone"], [[None], ["0600"]])
    bag = compare_results(expected, once, CompareRules())
    assert (bag.problem, bag.missing_count, bag.extra_count) == ("rows", 1, 0)
    assert compare_results(expected, once, CompareRules(duplicates="set")).agrees


def test_texts_are_not_numbers_and_blobs_compare_by_bytes():
    assert compare_results(result(["n"], [[1]]), result(["n"], [["1"]]), CompareRules()).problem == "rows"
    blob = result(["b"], [[{"blob": "00ff"}]])
    assert compare_results(blob, result(["b"], [[{"blob": "00ff"}]]), CompareRules()).agrees
    assert show_value({"blob": "00ff"}) == "x'00ff'" and show_value("l'eau") == "'l''eau'"
    assert show_value(None) == "NULL"


def test_a_big_result_is_matched_in_buckets():
    rows = [[i, f"client {i}", i * 1.5] for i in range(20_000)]
    expected = result(["id", "nom", "total"], rows)
    got = result(["id", "nom", "total"], list(reversed([[a, b, c + 1e-12] for a, b, c in rows])))
    assert compare_results(expected, got, CompareRules()).agrees


@pytest.mark.parametrize("rules, problem", [
    ({"order": "sorted"}, "compare.order must be one of reference, strict, any, got 'sorted'"),
    ({"colour": 1}, "compare: unknown rule 'colour'"),
    ({"tolerance": {"prix": -1}}, "compare.tolerance.prix must be a number >= 0, got -1"),
    ({"tolerance": [1]}, "compare.tolerance must map column names to numbers"),
    ({"names": "ignored", "column_order": "any"},
     "compare: columns matched by name (column_order: any) need names that are not ignored"),
])
def test_rules_problems_name_what_is_wrong(rules, problem):
    assert rules_problems(rules) == [problem]


def test_rules_from_the_exercise_mapping():
    rules = CompareRules.from_dict({"order": "strict", "tolerance": {"prix": 0.5}})
    assert (rules.order, rules.names, rules.tolerance) == ("strict", "case-insensitive", {"prix": 0.5})
    assert rules_problems(None) == [] and rules_problems({"order": "any", "duplicates": "set"}) == []
