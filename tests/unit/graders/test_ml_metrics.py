"""The ml-model kind's trusted side on plain data: metrics against known values (scikit-learn's documented
examples) and the prediction file's schema, with the messages a learner gets."""
import math

import pytest

from graders.ml_metrics import passes, points_for, read_predictions, score

IDS = ["1", "2", "3", "4"]


def test_metrics_match_their_documented_values():
    labels = {"a": "0", "b": "0", "c": "1", "d": "1"}
    assert score("roc_auc", labels, {"a": 0.1, "b": 0.4, "c": 0.35, "d": 0.8}, positive="1") == pytest.approx(0.75)
    assert score("roc_auc", labels, {"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.5}, positive="1") == pytest.approx(0.5)
    assert score("f1", {"a": "1", "b": "0", "c": "1", "d": "1"}, {"a": "1", "b": "0", "c": "0", "d": "1"},
                 positive="1") == pytest.approx(0.8)
    truth = dict(zip("abcdef", ["0", "1", "2", "0", "1", "2"]))
    guess = dict(zip("abcdef", ["0", "2", "1", "0", "0", "1"]))
    assert score("f1", truth, guess) == pytest.approx(0.26666, abs=1e-4)  # macro average
    assert score("accuracy", truth, guess) == pytest.approx(2 / 6)
    values = dict(zip("abcd", ["3", "-0.5", "2", "7"]))
    predicted = dict(zip("abcd", [2.5, 0.0, 2.0, 8.0]))
    assert score("rmse", values, predicted) == pytest.approx(math.sqrt(0.375))
    assert score("mae", values, predicted) == pytest.approx(0.5)
    assert score("r2", values, predicted) == pytest.approx(0.948608, abs=1e-6)
    assert passes("f1", 0.8, 0.75) and not passes("rmse", 0.61, 0.5) and passes("rmse", 0.4, 0.5)


def test_a_well_formed_file_is_read_whatever_its_column_order():
    read = read_predictions("prediction,id\nX,1\nY,2\nX,3\nY,4\n", IDS, "id", "prediction", "classification",
                            ["X", "Y"])
    assert read.ok and read.values == {"1": "X", "2": "Y", "3": "X", "4": "Y"}
    read = read_predictions("\ufeffid,prediction\n1,0.5\n2,1e-3\n3,-2\n4,7\n\n", IDS, "id", "prediction", "regression")
    assert read.ok and read.values["2"] == 0.001


@pytest.mark.parametrize("text, english", [
    ("id,valeur\n1,1\n", "Expected columns: id, prediction; your file: id, valeur."),
    ("id,prediction\n1,1\n2,1\n", "2 id(s) without a prediction, for example: 3, 4."),
    ("id,prediction\n1,1\n2,1\n3,1\n4,1\n99,1\n", "1 unknown id(s), for example: 99."),
    ("id,prediction\n1,1\n1,2\n2,1\n3,1\n4,1\n", "1 id(s) predicted more than once, for example: 1."),
    ("id,prediction\n1,1\n2,nan\n3,inf\n4,abc\n", "3 prediction(s) are not finite numbers (line 3: “nan”)."),
    ("id,prediction\n1\n", "Line 2 does not have 2 columns."),
])
def test_a_malformed_file_says_what_is_wrong(text, english):
    read = read_predictions(text, IDS, "id", "prediction", "regression")
    assert not read.ok and english in [p["en"] for p in read.problems]
    assert all(p["fr"] and p["ar"] for p in read.problems)


def test_a_class_that_does_not_exist_is_refused():
    read = read_predictions("id,prediction\n1,spam\n2,ham\n3,SPAM\n4,ham\n", IDS, "id", "prediction",
                            "classification", ["ham", "spam"])
    assert [p["en"] for p in read.problems] == [
        "1 prediction(s) outside the classes ham, spam (line 4: “SPAM”)."]


@pytest.mark.parametrize("value, threshold, higher, expected", [
    (0.85, 0.8, True, 10.0),  # beyond the threshold: all the points
    (0.8, 0.8, True, 10.0),
    (0.4, 0.8, True, 5.0),  # half-way: half of them
    (0.799999, 0.8, True, 9.9),  # never all of them under the threshold
    (-0.2, 0.8, True, 0.0),
    (600.0, 700.0, False, 10.0),  # an error metric: at most the threshold
    (1400.0, 700.0, False, 5.0),
    (0.0, 0.0, False, 10.0),
])
def test_points_for_a_score(value, threshold, higher, expected):
    assert points_for(10.0, value, threshold, higher) == expected
