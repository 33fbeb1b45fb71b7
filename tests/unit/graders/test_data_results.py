"""The data-analysis judge on plain observations, as the data image reports them: variables (scalars, series, data
frames, lists) and figures against the reference's."""
import pytest

from graders.data_results import check_rules_problems, compare_figure, compare_variable


def series(index, values, name="montant", index_name="ville"):
    return {"type": "series", "name": name, "index_names": [index_name], "index": index, "values": values,
            "dtype": "float64", "length": len(values)}


def frame(columns, rows, index=None):
    return {"type": "frame", "columns": columns, "index_names": [None], "index": index or list(range(len(rows))),
            "rows": rows, "dtypes": ["object"] * len(columns), "shape": [len(rows), len(columns)]}


def test_scalars_within_the_tolerance_and_a_message_with_both_values():
    assert compare_variable("total", {"type": "scalar", "value": 282.75}, {"type": "scalar", "value": 282.751},
                            {"tolerance": 0.01})[0]
    agrees, message, _ = compare_variable("total", {"type": "scalar", "value": 282.75},
                                          {"type": "scalar", "value": 56.55}, None)
    assert not agrees and message["en"] == "total: expected 282.75, got 56.55."
    assert message["ar"] == "total: المنتظر 282.75، المحصّل 56.55."
    # A float computed another way (floating-point noise) is the same answer without any tolerance.
    assert compare_variable("x", {"type": "scalar", "value": 0.3}, {"type": "scalar", "value": 0.1 + 0.2}, None)[0]
    assert not compare_variable("ok", {"type": "scalar", "value": True}, {"type": "scalar", "value": 1}, None)[0]


def test_an_undefined_variable_or_another_type_is_named():
    agrees, message, _ = compare_variable("total", {"type": "scalar", "value": 1}, {"undefined": True}, None)
    assert not agrees and message["fr"] == "La variable total n'existe pas à la fin du programme."
    agrees, message, _ = compare_variable("par_ville", series(["Rabat"], [1.0]), frame(["ville"], [["Rabat"]]), None)
    assert message["en"] == "par_ville was to be a series; it is a data frame."


def test_a_series_compares_its_index_with_its_values_in_any_order_unless_strict():
    expected = series(["Rabat", "Fès"], [150.5, 90.0])
    assert compare_variable("s", expected, series(["Fès", "Rabat"], [90.0, 150.5]), None)[0]
    agrees, message, table = compare_variable("s", expected, series(["Fès", "Rabat"], [90.0, 150.5]),
                                              {"order": "strict"})
    assert not agrees and message["en"] == "s: The right rows, in the wrong order (from row 1 on)."
    assert table["columns"] == ["ville", "montant"] and table["rows"][0] == ["Fès", 90.0]
    # Same values under other labels: the labels are part of the answer.
    agrees, message, _ = compare_variable("s", expected, series(["Rabat", "Tanger"], [150.5, 90.0]), None)
    assert not agrees and "ville" in message["en"] and "'Tanger'" in message["en"]
    # The series' own name is incidental.
    assert compare_variable("s", expected, series(["Rabat", "Fès"], [150.5, 90.0], name=None), None)[0]


def test_a_frame_with_its_default_index_compares_columns_and_rows():
    expected = frame(["ville", "montant"], [["Rabat", 150.5], ["Fès", 90]])
    assert compare_variable("r", expected, frame(["ville", "montant"], [["Fès", 90], ["Rabat", 150.5]],
                                                 index=[5, 9]), None)[0]
    agrees, message, _ = compare_variable("r", expected, frame(["city", "montant"], [["Rabat", 150.5], ["Fès", 90]]),
                                          None)
    assert not agrees and message["en"] == "r: expected columns ville, montant; yours: city, montant."
    agrees, message, _ = compare_variable("r", expected, frame(["ville", "montant"], [["Rabat", 150.5]]), None)
    assert message["en"].startswith("r: 2 row(s) expected, 1 returned: 1 missing, 0 extra.")
    assert compare_variable("r", expected, frame(["ville", "montant"], [["Rabat", 150.49], ["Fès", 90.004]]),
                            {"tolerance": 0.02})[0]


def test_rules_of_a_check_are_checked():
    assert check_rules_problems({"variable": "x", "compare": {"tolerance": 0.1, "order": "strict"}}) == []
    assert check_rules_problems({"variable": "x", "compare": {"index": "sometimes"}}) == [
        "compare.index must be one of auto, compare, ignore"]
    assert check_rules_problems({"figure": 1, "compare": {"order": "any"}}) == [
        "compare: unknown rule 'order' for a figure"]
    assert check_rules_problems({"variable": "x", "compare": {"tolerance": -1}})


def bar_figure(values, labels, title="Ventes", ylabel="MAD", kind="bar"):
    chart = {"type": kind, "count": len(values), "values": values, "labels": labels}
    return {"number": 1, "axes": [{"title": title, "xlabel": "ville", "ylabel": ylabel, "charts": [chart],
                                    "legend": []}]}


def test_a_figure_matches_on_chart_type_bars_values_and_labels():
    expected = bar_figure([150.5, 90.0], ["Rabat", "Fès"])
    assert compare_figure(1, expected, [bar_figure([90.0, 150.5], ["Fès", "Rabat"], title="Autre titre")], None) == (
        True, {})
    agrees, message = compare_figure(1, expected, [bar_figure([150.5, 80.0], ["Rabat", "Fès"])], None)
    assert not agrees and message["en"] == "bar chart, item 2 (Fès): value expected 90, got 80."
    agrees, message = compare_figure(1, expected, [bar_figure([150.5], ["Rabat"])], None)
    assert message["fr"] == "Le graphique barres devait avoir 2 élément(s) (barres, points), il en a 1."
    agrees, message = compare_figure(1, expected, [bar_figure([150.5, 90.0], ["Rabat", "Fès"], kind="barh")], None)
    assert message["en"] == "Chart type expected: bar; yours: horizontal bar."
    agrees, message = compare_figure(1, expected, [bar_figure([150.5, 90.0], ["Rabat", "Fès"], ylabel="")], None)
    assert message["ar"] == "لا يحتوي الشكل على اسم للمحور العمودي (ylabel)."
    assert compare_figure(1, expected, [bar_figure([150.5, 90.0], ["Rabat", "Fès"], ylabel="")],
                          {"labels": "ignored"})[0]
    agrees, message = compare_figure(2, expected, [expected], None)
    assert message["en"] == "No figure number 2: the program opened 1."


@pytest.mark.parametrize("garbage", [None, "x", [None], [{"axes": "no"}], [{"axes": [{"charts": [None]}]}]])
def test_a_malformed_figure_observation_fails_and_never_raises(garbage):
    agrees, message = compare_figure(1, bar_figure([1.0], ["a"]), garbage, None)
    assert not agrees and message["en"]
