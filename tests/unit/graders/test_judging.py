import pytest

from graders.judging import outputs_equal, parse_records, score, values_equal


@pytest.mark.parametrize("expected, got, tolerance, equal", [
    (5, 5, None, True),
    (5, 5.0, None, True),
    (5, 6, None, False),
    (True, 1, None, False),  # a bool is not a number
    (1, True, None, False),
    (None, 0, None, False),
    ("a", "a", None, True),
    ("a", ["a"], None, False),
    ([1, [2, 3]], [1, [2, 3]], None, True),
    ([1, 2], [1, 2, 3], None, False),
    ({"a": 1}, {"a": 1}, None, True),
    ({"a": 1}, {"a": 1, "b": 2}, None, False),
    (0.1 + 0.2, 0.3, 1e-9, True),
    (0.1 + 0.2, 0.3, None, False),
    (1e18, 1e18 + 1000, 1e-9, True),
    (float("nan"), float("nan"), 1e-9, False),
])
def test_values_equal(expected, got, tolerance, equal):
    assert values_equal(expected, got, tolerance) is equal


@pytest.mark.parametrize("expected, got, mode, equal", [
    ("1\n2\n", "1\n2", "lines", True),
    ("1\n2\n", "1  \n2\n\n\n", "lines", True),
    ("1\n2\n", "1\n 2\n", "lines", False),
    ("1 2\n", "1\n2", "tokens", True),
    ("1\n", "1", "exact", False),
    ("a\r\nb", "a\nb", "exact", True),
])
def test_outputs_equal(expected, got, mode, equal):
    assert outputs_equal(expected, got, mode) is equal


def test_outputs_equal_rejects_unknown_mode():
    with pytest.raises(ValueError):
        outputs_equal("", "", "fuzzy")


def test_records_one_per_id():
    text = '{"id": "a", "value": 1}\n{"id": "b", "error": "boom"}\n'
    records = parse_records(text, ["a", "b", "c"], {"value", "error"})
    assert records.get("a") == ({"id": "a", "value": 1}, "")
    assert records.get("b")[0]["error"] == "boom"
    assert records.get("c") == (None, "missing")


def test_duplicate_record_fails_that_check_only():
    records = parse_records('{"id": "a", "value": 1}\n{"id": "a", "value": 1}\n{"id": "b", "value": 2}',
                            ["a", "b"], {"value"})
    assert records.get("a") == (None, "duplicate")
    assert records.get("b")[0]["value"] == 2


@pytest.mark.parametrize("text", [
    'not json\n{"id": "a", "value": 1}',
    '{"id": "zzz", "value": 1}\n{"id": "a", "value": 1}',  # a check nobody asked for: the channel is forged
    '[1, 2]',
    '{"value": 1}',
])
def test_malformed_or_extra_records_fail_every_check(text):
    records = parse_records(text, ["a"], {"value"})
    record, reason = records.get("a")
    assert record is None and reason


def test_record_with_unknown_keys_is_malformed():
    records = parse_records('{"id": "a", "value": 1, "passed": true}', ["a"], {"value"})
    assert records.get("a") == (None, "malformed")


def test_score_proportional_and_all_or_nothing():
    checks = [(1, True), (1, False), (2, True)]
    assert score(checks, 10, "proportional") == 7.5
    assert score(checks, 10, "all_or_nothing") == 0.0
    assert score([(1, True)], 10, "all_or_nothing") == 10.0
    assert score([], 10, "proportional") == 0.0
