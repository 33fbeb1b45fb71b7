"""Pure judging logic: comparing values and outputs, reading result records, scoring.

Everything here runs on the trusted side, on plain data that came out of a container. Records are strict: one
JSON object per line, one per expected check id. A missing, duplicate or malformed record fails its check; a
record for an id we never asked about means the channel was tampered with, and every check of the step fails.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass, field

COMPARE_MODES = ("exact", "lines", "tokens", "numeric", "regex")
# A number as programs print them: no inf/nan/hex/underscores, which float() would also take.
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def values_equal(expected, got, tolerance: float | None = None) -> bool:
    """Structural equality of plain JSON values; bools are not numbers; floats within `tolerance`."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        if tolerance is None:
            return expected == got
        try:
            if math.isnan(expected) or math.isnan(got):
                return False
            return math.isclose(expected, got, rel_tol=tolerance, abs_tol=tolerance)
        except OverflowError:  # an int too large for a float (the learner's 10**4000) is no close value
            return expected == got
    if expected is None or isinstance(expected, str):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, list):
        return (isinstance(got, list) and len(got) == len(expected)
                and all(values_equal(e, g, tolerance) for e, g in zip(expected, got)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and set(got) == set(expected)
                and all(values_equal(expected[k], got[k], tolerance) for k in expected))
    return False


def normalise_output(text: str, mode: str) -> object:
    text = text.replace("\r\n", "\n")
    if mode == "exact":
        return text
    if mode == "tokens":
        return text.split()
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def tokens_close(expected: str, got: str, tolerance: float | None) -> bool:
    """Token by token: numbers within `tolerance` of each other (absolute: printed numbers have a fixed number of
    decimals; equal values when None), the rest exact."""
    expected_tokens, got_tokens = expected.split(), got.split()
    if len(expected_tokens) != len(got_tokens):
        return False
    for want, have in zip(expected_tokens, got_tokens):
        if NUMBER.fullmatch(want) and NUMBER.fullmatch(have):
            # The margin absorbs binary rounding: 12.13 - 12.12 is 0.0100000000000016, within 0.01.
            if not math.isclose(float(want), float(have), rel_tol=1e-12, abs_tol=(tolerance or 0.0) + 1e-12):
                return False
        elif want != have:
            return False
    return True


def pattern_problem(pattern) -> str:
    """Why a `regex` check's pattern is unusable ("" when it is fine): a regular expression, or a list of them."""
    patterns = pattern if isinstance(pattern, list) else [pattern]
    if not patterns or not all(isinstance(p, str) for p in patterns):
        return "pattern must be a regular expression, or a list of them (one per line)"
    for text in patterns:
        try:
            re.compile(text)
        except re.error as exc:
            return f"pattern {text[:60]!r} is not a valid regular expression: {exc}"
    return ""


def matches_pattern(pattern, got: str) -> bool:
    """A text pattern must match the whole output (trailing blank lines and spaces aside); a list of patterns, one
    per line, each line in full."""
    lines = normalise_output(got, "lines")
    if isinstance(pattern, list):
        return len(pattern) == len(lines) and all(re.fullmatch(p, line) for p, line in zip(pattern, lines))
    return re.fullmatch(pattern, "\n".join(lines), re.DOTALL) is not None


def outputs_equal(expected: str, got: str, mode: str = "lines", tolerance: float | None = None,
                  pattern: str | list | None = None) -> bool:
    """`numeric` compares numbers within `tolerance`; `regex` matches `pattern` (the check's), not `expected`: an
    instructor's pattern, run by Python's re on at most a step's output cap (mind patterns that backtrack)."""
    if mode not in COMPARE_MODES:
        raise ValueError(f"unknown compare mode {mode!r}")
    if mode == "numeric":
        return tokens_close(expected, got, tolerance)
    if mode == "regex":
        if pattern_problem(pattern):
            raise ValueError(pattern_problem(pattern))
        return matches_pattern(pattern, got)
    return normalise_output(expected, mode) == normalise_output(got, mode)


@dataclass
class Records:
    by_id: dict[str, dict] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # check id -> why its record is unusable
    tampered: str = ""  # set when the channel as a whole cannot be trusted

    def get(self, check_id: str) -> tuple[dict | None, str]:
        """The record of a check, or None with the reason it is missing or unusable."""
        if self.tampered:
            return None, self.tampered
        if check_id in self.problems:
            return None, self.problems[check_id]
        if check_id not in self.by_id:
            return None, "missing"
        return self.by_id[check_id], ""


def parse_records(text: str, expected_ids: list[str], allowed_keys: set[str]) -> Records:
    records = Records()
    wanted = set(expected_ids)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # deeply nested JSON raises RecursionError, not ValueError
            records.tampered = f"malformed result line {number}"
            return records
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            records.tampered = f"result line {number} has no id"
            return records
        check_id = record["id"]
        if check_id not in wanted:
            records.tampered = f"result for an unknown check {check_id[:40]!r}"
            return records
        if set(record) - allowed_keys - {"id"}:
            records.problems[check_id] = "malformed"
            continue
        if check_id in records.by_id or check_id in records.problems:
            records.problems[check_id] = "duplicate"
            records.by_id.pop(check_id, None)
            continue
        records.by_id[check_id] = record
    return records


_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert_text(text, cap: int) -> str:
    """Learner-produced text made safe to store and show: capped; control characters (terminal escape
    sequences, NUL, carriage returns, C1 controls such as the 8-bit CSI) and bidirectional overrides (which can
    make feedback read backwards) replaced by a visible \\xNN or \\uNNNN; lone surrogates replaced. HTML stays
    text: the templates escape it."""
    if not isinstance(text, str):
        return ""
    return _UNSAFE.sub(_visible, text[:cap])[:cap]


def score(weights_passed: list[tuple[float, bool]], points: float, scoring: str) -> float:
    """Points earned: proportional to the weight of passed checks, or all-or-nothing."""
    total = sum(weight for weight, _ in weights_passed)
    if total <= 0:
        return 0.0
    earned = sum(weight for weight, passed in weights_passed if passed)
    if scoring == "all_or_nothing":
        return float(points) if earned == total else 0.0
    return round(points * earned / total, 2)


def localized_message(templates: dict[str, str], /, max_chars: int = 300, **values) -> dict[str, str]:
    """A feedback message in every language from one set of templates ({"fr": "... {selector} ...", "ar": ...,
    "en": ...}) and structured values; learner-made values are made inert (capped at `max_chars`, controls
    visible) first."""
    safe = {key: inert_text(value, max_chars) if isinstance(value, str) else value for key, value in values.items()}
    return {language: template.format(**safe) for language, template in templates.items()}


def decoded_picture(data, magic: bytes, max_bytes: int) -> bytes | None:
    """A picture a container sent as base64 (a screenshot, a figure): its bytes if it is valid base64 of at most
    `max_bytes` that starts with the format's `magic`, else None (dropped, never shown)."""
    if not isinstance(data, str) or len(data) > max_bytes * 4 // 3 + 4:
        return None
    try:
        image = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return image if len(image) <= max_bytes and image.startswith(magic) else None
