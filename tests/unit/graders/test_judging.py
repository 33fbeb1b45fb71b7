import pytest

from graders.judging import outputs_equal, parse_records, pattern_problem, score, values_equal


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


@pytest.mark.parametrize("expected, got, tolerance, equal", [
    ("moyenne : 13.50\n", "moyenne : 13.5\n", None, True),  # the same number, written otherwise
    ("moyenne : 13.50\n", "moyenne : 13.51\n", None, False),
    ("moyenne : 13.50\n", "moyenne : 13.51\n", 0.01, True),
    ("moyenne : 13.50\n", "moyenne : 13.52\n", 0.01, False),
    ("moyenne : 13.50\n", "Moyenne : 13.50\n", 0.01, False),  # words stay exact
    ("a 1 2\n", "a 1\n2", 0.01, True),  # token by token, whatever the spacing
    ("1 2\n", "1 2 3\n", 0.01, False),
    ("1e3\n", "1000.0\n", None, True),
    ("10\n", "nan\n", 1.0, False),  # not a number the learner printed: compared as a word
    ("10\n", "inf\n", 1e300, False),
    ("-0.5\n", "-.5\n", None, True),
    ("100\n", "0x64\n", None, False),
])
def test_numeric_outputs(expected, got, tolerance, equal):
    assert outputs_equal(expected, got, "numeric", tolerance=tolerance) is equal


@pytest.mark.parametrize("pattern, got, equal", [
    (r"total : \d+\.\d{2}", "total : 12.50\n", True),
    (r"total : \d+\.\d{2}", "total : 12.5\n", False),
    (r"total : \d+\.\d{2}", "total : 12.50\nextra\n", False),  # a text pattern covers the whole output
    (r"a\nb", "a\nb\n\n", True),  # trailing blank lines and spaces aside
    ([r"Rim : 14\.50?", r"classe : \d+"], "Rim : 14.5\nclasse : 12\n", True),
    ([r"Rim : 14\.50?", r"classe : \d+"], "Rim : 14.5\n", False),  # one pattern per line, every line
    ([r"Rim : 14\.50?", r"classe : \d+"], "Rim : 14.5 \nclasse : 12x\n", False),  # each line in full
])
def test_regex_outputs(pattern, got, equal):
    assert outputs_equal("", got, "regex", pattern=pattern) is equal


@pytest.mark.parametrize("pattern", [None, "", [], [1], "(unclosed", ["ok", "[z-a]"]])
def test_regex_needs_a_valid_pattern(pattern):
    if pattern == "":
        assert pattern_problem(pattern) == ""  # the empty pattern is valid: an empty output
        return
    assert pattern_problem(pattern)
    with pytest.raises(ValueError):
        outputs_equal("", "x", "regex", pattern=pattern)


def test_numeric_tolerance_is_absolute_and_absorbs_binary_rounding():
    assert outputs_equal("12.13\n", "12.12\n", "numeric", tolerance=0.01)  # 0.0100000000000016 apart
    assert not outputs_equal("1000.00\n", "1005.00\n", "numeric", tolerance=0.01)  # 0.5 %: not within 0.01
