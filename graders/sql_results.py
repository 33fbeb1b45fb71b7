"""A learner's query result against the reference's, by the rules an instructor declares (the sql-query kind).

Both results are plain data as a sandbox returns them: {"columns": [names], "rows": [[values]]}, values being
SQLite's: int, float, str, None, and blobs as {"blob": "<hex>"}. `compare_results` says whether they agree and,
when not, what a learner can act on: other columns, missing and extra rows (a few of each, and how many), the first
differing cell, or the right rows in the wrong order. Pure functions, trusted side.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from graders.judging import localized_message

ORDER_RULES = ("reference", "strict", "any")  # reference: strict when the reference query has its own ORDER BY
NAME_RULES = ("case-insensitive", "exact", "ignored")
COLUMN_ORDER_RULES = ("strict", "any")
DUPLICATE_RULES = ("bag", "set")
NULL_RULES = ("strict", "as-empty")  # as-empty: NULL and '' are the same answer
DEFAULT_RELATIVE_TOLERANCE = 1e-9  # floats: what SQLite's arithmetic may differ by between two right queries
SAMPLE_ROWS = 5  # missing / extra rows shown
PAIRING_CANDIDATES = 200  # extra rows looked at for the one most like the first missing row


@dataclass(frozen=True)
class CompareRules:
    order: str = "reference"
    names: str = "case-insensitive"
    column_order: str = "strict"
    duplicates: str = "bag"
    nulls: str = "strict"
    tolerance: dict = field(default_factory=dict)  # column name -> absolute tolerance for its numbers

    @classmethod
    def from_dict(cls, data: dict | None) -> "CompareRules":
        data = dict(data or {})
        return cls(order=data.get("order", "reference"), names=data.get("names", "case-insensitive"),
                   column_order=data.get("column_order", "strict"), duplicates=data.get("duplicates", "bag"),
                   nulls=data.get("nulls", "strict"),
                   tolerance={str(k): float(v) for k, v in (data.get("tolerance") or {}).items()})


def rules_problems(data) -> list[str]:
    """What is wrong with a check's `compare:` mapping, in an instructor's words."""
    if data is None:
        return []
    if not isinstance(data, dict):
        return ["compare must be a mapping"]
    problems = []
    known = {"order": ORDER_RULES, "names": NAME_RULES, "column_order": COLUMN_ORDER_RULES,
             "duplicates": DUPLICATE_RULES, "nulls": NULL_RULES}
    for key in sorted(set(data) - set(known) - {"tolerance"}):
        problems.append(f"compare: unknown rule {key!r}")
    for key, allowed in known.items():
        if key in data and data[key] not in allowed:
            problems.append(f"compare.{key} must be one of {', '.join(allowed)}, got {data[key]!r}")
    tolerance = data.get("tolerance", {})
    if not isinstance(tolerance, dict):
        problems.append("compare.tolerance must map column names to numbers")
    else:
        for name, value in tolerance.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or math.isnan(value):
                problems.append(f"compare.tolerance.{name} must be a number >= 0, got {value!r}")
    if data.get("names") == "ignored" and data.get("column_order") == "any":
        problems.append("compare: columns matched by name (column_order: any) need names that are not ignored")
    return problems


@dataclass
class Comparison:
    """The verdict of one comparison and what explains it. `problem`: "" (they agree), "columns", "rows" or
    "order"."""

    problem: str = ""
    expected_columns: list = field(default_factory=list)
    got_columns: list = field(default_factory=list)
    expected_count: int = 0
    got_count: int = 0
    missing: list = field(default_factory=list)  # up to SAMPLE_ROWS expected rows the result lacks
    extra: list = field(default_factory=list)  # up to SAMPLE_ROWS rows of the result nobody expected
    missing_count: int = 0
    extra_count: int = 0
    # The first missing row's first cell that differs from the extra row most like it: {"row" (the expected row's
    # number, from 1), "column", "expected", "got"}.
    first_difference: dict = field(default_factory=dict)
    first_misplaced: int = 0  # "order": the first row (1-based) that is not where the reference has it

    @property
    def agrees(self) -> bool:
        return not self.problem

    def to_dict(self) -> dict:
        return dict(vars(self))


def _name(name, rule: str) -> str:
    return str(name).casefold() if rule == "case-insensitive" else str(name)


def align_columns(expected: list, got: list, rules: CompareRules) -> list[int] | None:
    """For each expected column, the index of the result's column that answers it; None if they do not match."""
    if len(expected) != len(got):
        return None
    if rules.names == "ignored":
        return list(range(len(expected)))
    wanted = [_name(n, rules.names) for n in expected]
    have = [_name(n, rules.names) for n in got]
    if rules.column_order == "strict":
        return list(range(len(expected))) if wanted == have else None
    if len(set(have)) != len(have) or set(have) != set(wanted):
        return None
    return [have.index(name) for name in wanted]


def _tolerances(columns: list, rules: CompareRules) -> list[float | None]:
    by_name = {_name(k, "case-insensitive"): v for k, v in rules.tolerance.items()}
    return [by_name.get(_name(c, "case-insensitive")) for c in columns]


def cells_equal(expected, got, tolerance: float | None, nulls: str = "strict") -> bool:
    """One cell: numbers within the column's absolute tolerance (else a tiny relative one), an int and a float
    alike when close (SUM gives 3, AVG 3.0); text exactly; NULL only as NULL unless NULL and '' are one answer."""
    if nulls == "as-empty":
        expected = "" if expected is None else expected
        got = "" if got is None else got
    if isinstance(expected, bool) or isinstance(got, bool):
        return False  # SQLite has no booleans: not from a sandbox
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        if isinstance(expected, int) and isinstance(got, int):
            return expected == got if tolerance is None else abs(expected - got) <= tolerance
        try:
            if math.isnan(expected) or math.isnan(got):
                return False
            if tolerance is not None:
                return abs(expected - got) <= tolerance
            return math.isclose(expected, got, rel_tol=DEFAULT_RELATIVE_TOLERANCE, abs_tol=1e-12)
        except OverflowError:
            return False
    return type(expected) is type(got) and expected == got


def _rows_equal(expected: list, got: list, tolerances: list, nulls: str) -> bool:
    return len(expected) == len(got) and all(
        cells_equal(e, g, t, nulls) for e, g, t in zip(expected, got, tolerances))


def _bucket_key(row: list, tolerances: list, nulls: str) -> tuple:
    """What equal rows share for sure, so that rows are matched within a bucket and a big result is not compared
    row against row: texts, NULLs and blobs as they are, numbers to 9 significant digits (an int and a float
    alike), numbers of a column with a tolerance not at all. A pair split by the rounding is found again by
    match_rows' second pass."""
    key = []
    for value, tolerance in zip(row, tolerances):
        if nulls == "as-empty" and value is None:
            value = ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            key.append("#" if tolerance is not None else ("n", _rounded(value)))
        elif isinstance(value, dict):
            key.append(("b", str(value.get("blob"))))
        else:
            key.append((type(value).__name__, value))
    return tuple(key)


def _rounded(value) -> str:
    try:
        return f"{float(value):.9g}"
    except OverflowError:
        return str(value)


def _distinct(rows: list, tolerances: list, nulls: str) -> list:
    kept, seen = [], defaultdict(list)
    for row in rows:
        bucket = seen[_bucket_key(row, tolerances, nulls)]
        if not any(_rows_equal(row, other, tolerances, nulls) for other in bucket):
            bucket.append(row)
            kept.append(row)
    return kept


SECOND_PASS_MAX = 2000  # leftover rows compared pair by pair; beyond that, they stay unmatched


def match_rows(expected: list, got: list, tolerances: list, nulls: str) -> tuple[list[int], list[int]]:
    """As bags: the indexes of expected rows no result row answers, and of result rows that answer none."""
    waiting = defaultdict(list)
    for index, row in enumerate(got):
        waiting[_bucket_key(row, tolerances, nulls)].append(index)
    missing = []
    for index, row in enumerate(expected):
        candidates = waiting.get(_bucket_key(row, tolerances, nulls), [])
        for position, candidate in enumerate(candidates):
            if _rows_equal(row, got[candidate], tolerances, nulls):
                del candidates[position]
                break
        else:
            missing.append(index)
    extra = sorted(index for indexes in waiting.values() for index in indexes)
    if missing and extra and len(missing) <= SECOND_PASS_MAX and len(extra) <= SECOND_PASS_MAX:
        still_missing = []
        for index in missing:
            for position, candidate in enumerate(extra):
                if _rows_equal(expected[index], got[candidate], tolerances, nulls):
                    del extra[position]
                    break
            else:
                still_missing.append(index)
        missing = still_missing
    return missing, extra


def _first_difference(expected: list, got: list, columns: list, tolerances: list, nulls: str) -> dict:
    for row_index, (want, have) in enumerate(zip(expected, got)):
        for column_index, (e, g, t) in enumerate(zip(want, have, tolerances)):
            if not cells_equal(e, g, t, nulls):
                return {"row": row_index + 1, "column": str(columns[column_index]), "expected": e, "got": g}
    return {}


def compare_results(expected: dict, got: dict, rules: CompareRules, reference_ordered: bool = False) -> Comparison:
    """Whether the learner's result answers as the reference's does. `reference_ordered`: the reference query
    has its own ORDER BY (the "reference" order rule then compares in order)."""
    columns, got_columns = list(expected.get("columns", [])), list(got.get("columns", []))
    comparison = Comparison(expected_columns=columns, got_columns=got_columns)
    mapping = align_columns(columns, got_columns, rules)
    if mapping is None:
        comparison.problem = "columns"
        return comparison
    tolerances = _tolerances(columns, rules)
    want = [list(row) for row in expected.get("rows", [])]
    have = [[row[i] if i < len(row) else None for i in mapping] for row in got.get("rows", [])]
    if rules.duplicates == "set":
        want, have = _distinct(want, tolerances, rules.nulls), _distinct(have, tolerances, rules.nulls)
    comparison.expected_count, comparison.got_count = len(want), len(have)
    ordered = rules.order == "strict" or (rules.order == "reference" and reference_ordered)
    missing, extra = match_rows(want, have, tolerances, rules.nulls)
    if missing or extra:
        comparison.problem = "rows"
        comparison.missing_count, comparison.extra_count = len(missing), len(extra)
        comparison.missing = [want[i] for i in missing[:SAMPLE_ROWS]]
        comparison.extra = [have[i] for i in extra[:SAMPLE_ROWS]]
        if missing and extra:  # the first row nobody answered, beside the extra row most like it
            closest = max(extra[:PAIRING_CANDIDATES], key=lambda i: sum(
                cells_equal(e, g, t, rules.nulls) for e, g, t in zip(want[missing[0]], have[i], tolerances)))
            comparison.first_difference = _first_difference([want[missing[0]]], [have[closest]], columns,
                                                            tolerances, rules.nulls)
            comparison.first_difference["row"] = missing[0] + 1
        return comparison
    if ordered:
        for index, (row, other) in enumerate(zip(want, have)):
            if not _rows_equal(row, other, tolerances, rules.nulls):
                comparison.problem = "order"
                comparison.first_misplaced = index + 1
                break
    return comparison


MESSAGES = {
    "columns": {
        "fr": "Colonnes attendues : {expected} ; votre requête donne : {got}.",
        "ar": "الأعمدة المنتظرة: {expected}؛ استعلامك يعطي: {got}.",
        "en": "Expected columns: {expected}; your query gives: {got}.",
    },
    "rows": {
        "fr": "{expected_count} ligne(s) attendue(s), {got_count} obtenue(s) : {missing_count} manquante(s), "
              "{extra_count} en trop.",
        "ar": "{expected_count} صف(وف) منتظرة، {got_count} صف(وف) محصّلة: {missing_count} ناقصة، {extra_count} زائدة.",
        "en": "{expected_count} row(s) expected, {got_count} returned: {missing_count} missing, {extra_count} extra.",
    },
    "first_difference": {
        "fr": "Première différence : ligne {row}, colonne {column} : attendu {expected}, obtenu {got}.",
        "ar": "أول اختلاف: الصف {row}، العمود {column}: المنتظر {expected}، المحصّل {got}.",
        "en": "First difference: row {row}, column {column}: expected {expected}, got {got}.",
    },
    "order": {
        "fr": "Les bonnes lignes, mais pas dans le bon ordre (dès la ligne {row}).",
        "ar": "الصفوف صحيحة لكن ترتيبها غير صحيح (ابتداءً من الصف {row}).",
        "en": "The right rows, in the wrong order (from row {row} on).",
    },
}


def show_value(value) -> str:
    """A cell as SQL writes it: NULL, 'text', x'blob', a number."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''")[:80] + "'"
    if isinstance(value, dict):
        return f"x'{str(value.get('blob', ''))[:40]}'"
    return repr(value)


def comparison_message(comparison: Comparison) -> dict[str, str]:
    """The learner-facing explanation of a comparison that did not agree, in fr / ar / en ({} when it did)."""
    if comparison.problem == "columns":
        return localized_message(MESSAGES["columns"], expected=", ".join(map(str, comparison.expected_columns)),
                                 got=", ".join(map(str, comparison.got_columns)) or "-")
    if comparison.problem == "order":
        return localized_message(MESSAGES["order"], row=comparison.first_misplaced)
    if comparison.problem == "rows":
        text = localized_message(MESSAGES["rows"], expected_count=comparison.expected_count,
                                 got_count=comparison.got_count, missing_count=comparison.missing_count,
                                 extra_count=comparison.extra_count)
        if comparison.first_difference:
            difference = comparison.first_difference
            more = localized_message(MESSAGES["first_difference"], row=difference["row"],
                                     column=difference["column"], expected=show_value(difference["expected"]),
                                     got=show_value(difference["got"]))
            text = {language: f"{text[language]} {more[language]}" for language in text}
        return text
    return {}
