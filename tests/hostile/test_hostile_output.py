"""Output floods and hostile text: stdout, stderr, one huge line, binary bytes, HTML, terminal escapes.

Besides the verdict, each case asserts (through `Hostile.check`) that every stored text is plain `str`, without
control characters and within its cap; these cases also check the text survived as inert, visible text.
"""
from __future__ import annotations

import pytest

from graders.base import Verdict

from .conftest import THREE_CHECKS

MAIN = """

if __name__ == "__main__":
    a, b = map(int, input().split())
    print(add(a, b))
"""

FLOODS = {
    "stdout-lines": """
def add(a, b):
    while True:
        print("A" * 1000)
""",
    "stderr-lines": """
import sys

def add(a, b):
    while True:
        print("E" * 1000, file=sys.stderr)
""",
    "one-huge-line-without-newline": """
import sys

def add(a, b):
    sys.stdout.write("x" * 5_000_000)
    sys.stdout.flush()
""",
    "raw-writes-to-fd-1-and-2": """
import os

def add(a, b):
    while True:
        os.write(1, b"\\x00\\xff" * 32768)
        os.write(2, b"\\x1b[2J" * 8192)
""",
    "flood-from-a-grandchild-that-outlives-the-call": """
import os, time

def add(a, b):
    if os.fork() == 0:
        os.setsid()
        while True:
            os.write(1, b"flood " * 10000)
    time.sleep(60)
""",
}


@pytest.mark.parametrize("name", list(FLOODS))
def test_output_floods(hostile, name):
    grade, result = hostile.check(FLOODS[name] + MAIN, Verdict.OUTPUT_LIMIT, 0.0)
    for step in result.steps:
        assert len(step.stdout) <= 64 * 1024 and len(step.stderr) <= 64 * 1024


def test_binary_bytes_on_stdout_are_stored_as_replacement_text(hostile):
    code = """
import os

def add(a, b):
    return a + b

if __name__ == "__main__":
    os.write(1, bytes(range(256)) * 4 + b"\\xc3\\x28\\xed\\xa0\\x80\\n")
"""
    grade, result = hostile.check(code, Verdict.FAILED, THREE_CHECKS)
    stored = grade.diagnostics["outputs"]["program"]
    assert "\ufffd" in stored and "\\x00" in stored and "\\x1b" in stored


HTML = '<script>alert(document.cookie)</script><img src=x onerror="alert(1)">'
ESCAPES = "\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[32mPASSED 10/10\x1b[0m\r\x9b31m\u202edessap"


@pytest.mark.parametrize("text", [HTML, ESCAPES, HTML + ESCAPES + "\x00nul"], ids=["html", "escapes", "mixed"])
def test_hostile_error_messages_stay_inert(hostile, text):
    code = f"""
def add(a, b):
    raise ValueError({text!r})
"""
    grade, _ = hostile.check(code + MAIN, Verdict.RUNTIME_ERROR, 0.0)
    assert grade.message.startswith("ValueError: ")
    if "<script>" in text:
        assert "<script>" in grade.message  # kept as text: the templates escape it
    if "\x1b" in text:
        assert "\\x1b[2J" in grade.message and "\\x07" in grade.message and "\\x9b" in grade.message
        assert "\\u202edessap" in grade.message


def test_hostile_text_in_public_test_output_stays_inert(hostile):
    code = f"""
def add(a, b):
    print({ESCAPES!r} + {HTML!r})
    return {ESCAPES!r}
"""
    hostile.check(code + MAIN, Verdict.FAILED, 0.0)
    practice = hostile.practice(code + MAIN)
    public = practice.public_tests[0]
    assert not public.passed and "\\x1b[2J" in public.message


def test_huge_error_message_is_capped(hostile):
    code = """
def add(a, b):
    raise ValueError("E" * 50_000)
"""
    grade, _ = hostile.check(code + MAIN, Verdict.RUNTIME_ERROR, 0.0)
    assert grade.message.startswith("ValueError: EEEE") and len(grade.message) <= 500


def test_huge_error_record_forged_on_the_records_channel_is_capped(hostile):
    code = """
import json, os

def add(a, b):
    record = {"id": "add-big", "error": "\\x1b[31m" + "E" * 900_000}
    os.write(3, (json.dumps(record) + "\\n").encode())
    os._exit(1)
"""
    grade, _ = hostile.check(code + MAIN, Verdict.RUNTIME_ERROR, 0.0)
    assert len(grade.message) <= 500 and "\x1b" not in grade.message


def test_carriage_returns_cannot_rewrite_stored_output(hostile):
    code = """
def add(a, b):
    return a + b

if __name__ == "__main__":
    print("wrong answer\\r8675309")
"""
    grade, _ = hostile.check(code, Verdict.FAILED, THREE_CHECKS)
    assert grade.diagnostics["outputs"]["program"] == "wrong answer\\x0d8675309\n"
