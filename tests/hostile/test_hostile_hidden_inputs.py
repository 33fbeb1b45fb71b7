"""Hunting for the hidden checks' inputs and showing them to the learner: in the memory of the process (gc,
frames, /proc/self/mem), in other processes (/proc/<pid>/..., PID 1's stdin), in files left for a later step; out
through an import error, an exception's message or class name, stdout or stderr of the calls and of a program.

None may show a hidden input to the learner (`Hostile.check` asserts it of every case): the visible examples run
in a phase that never holds one, and nothing of the hidden phase is shown but names, pass/fail and verdicts. Where
it is deterministic, each case also shows that the same code, run in the hidden phase, does get hold of the
inputs (in the staff diagnostics): the hunt works, what is closed is the way out.
"""
from __future__ import annotations

import pytest

from graders.base import Verdict

from .conftest import BIG_A, HIDDEN_INPUTS, make_spec

RUNTIME_ERROR, FAILED, TIME = Verdict.RUNTIME_ERROR, Verdict.FAILED, Verdict.TIME_LIMIT


def spec_with_a_visible_program(runtime):
    """The hostile exercise plus a visible program example: a program's stdout and stderr are shown for it."""
    spec = make_spec(runtime)
    spec.checks.insert(1, {"id": "program-example", "name": "program example", "program": {"stdin": "1 2\n"},
                           "expect_stdout": "3\n", "hidden": False})
    return spec


@pytest.fixture
def spec(runtime):
    return spec_with_a_visible_program(runtime)


# What every hunt uses: numbers and digit strings, out of the structures that look like a job's steps or calls.
HUNT = r'''
import gc, os, re, select, sys, time

def harvest(value, found):
    if isinstance(value, bool):
        return
    if isinstance(value, int) and abs(value) >= 1000:
        found.add(str(value))
    elif isinstance(value, (str, bytes)) and len(value) < 300:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        found.update(re.findall(r"\d{4,}", text))
    elif isinstance(value, dict):
        for item in value.values():
            harvest(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            harvest(item, found)

def from_gc():
    found = set()
    for obj in gc.get_objects():
        if isinstance(obj, dict) and ("args" in obj or "stdin" in obj or "steps" in obj):
            harvest(obj, found)
    return found

def from_frames():
    found = set()
    frame = sys._getframe()
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            if name not in ("found", "frame") and isinstance(value, (dict, list, tuple, bytes)):
                harvest(value, found)
        frame = frame.f_back
    return found

JSON_BITS = re.compile(rb'"(?:args|stdin)": ?(\[[^\]]{0,120}\]|"[^"]{0,120}")')

def scan_memory(pid):
    found = set()
    try:
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
            for line in maps:
                fields = line.split()
                if "rw" not in fields[1] or (len(fields) > 5 and fields[5].startswith("/")):
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                if end - start > 64 << 20:
                    continue
                try:
                    mem.seek(start)
                    data = mem.read(end - start)
                except (OSError, ValueError, OverflowError):
                    continue
                for bit in JSON_BITS.findall(data):
                    harvest(bit, found)
    except OSError:
        pass
    return found

def from_proc():
    found = set()
    for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as handle:
                    harvest(handle.read(), found)
            except OSError:
                pass
        found |= scan_memory(pid)
    return found

def from_stdin(wait=0.3):
    """Whatever comes into the container's stdin (PID 1's fd 0) while we wait."""
    found, data = set(), b""
    try:
        fd = os.open("/proc/1/fd/0", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return found
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.01)[0]:
            try:
                data += os.read(fd, 65536)
            except OSError:
                pass
    for bit in JSON_BITS.findall(data):
        harvest(bit, found)
    return found

def everything():
    return from_gc() | from_frames() | from_stdin(0.05)

def leak(found):
    return " ".join(sorted(found))[:300]
'''

# --- finding them: each hunt shows what it found through the import error, the most direct channel -------------

FINDERS = {
    "gc-objects": ("from_gc()", True),
    "stack-frames": ("from_frames()", True),
    "own-memory": ("scan_memory('self')", False),  # remnants of the job's JSON: there or not, by the allocator
    "other-processes": ("from_proc()", False),
    "pid-1-stdin": ("from_stdin()", False),  # read by the entry process before the hidden steps start
}


@pytest.mark.parametrize("name", list(FINDERS))
def test_hidden_inputs_found_at_import_are_not_shown(hostile, spec, name):
    finder, finds_them_when_hidden = FINDERS[name]
    code = HUNT + f"\nraise ImportError('found: ' + leak({finder}))\n"
    grade, result = hostile.check(code, RUNTIME_ERROR, 0.0, spec=spec)
    example = next(c for c in grade.checks if c.id == "add-example")
    assert example.status == "error" and "ImportError: found:" in example.message
    assert "ImportError: found:" in grade.message
    if finds_them_when_hidden:  # the same hunt in the hidden phase: the inputs are there (staff only)
        assert str(BIG_A) in grade.diagnostics["outputs"]["add-big"]


# --- showing them: each channel a learner can see, fed by the hunts that find them ------------------------------

MAIN = """

if __name__ == "__main__":
    a, b = map(int, input().split())
    print(add(a, b))
"""

# name -> (code, verdict, score, where the same code leaves the inputs when it runs hidden, for staff)
CHANNELS = {
    "exception-message-in-the-example": (HUNT + """
def add(a, b):
    raise ValueError("found: " + leak(everything() | {str(a), str(b)}))
""" + MAIN, RUNTIME_ERROR, 0.0, ("outputs", "add-big")),
    "exception-class-name": (HUNT + """
def add(a, b):
    name = "Found_" + "_".join(sorted(everything() | {str(a), str(b)}))
    raise type(name[:200], (Exception,), {})()
""" + MAIN, RUNTIME_ERROR, 0.0, ("outputs", "add-big")),
    "stderr-of-the-calls": (HUNT + """
def add(a, b):
    sys.stderr.write("found: " + leak(everything() | {str(a), str(b)}) + "\\n")
    sys.stderr.flush()
    os._exit(1)
""" + MAIN, RUNTIME_ERROR, 0.0, ("stderr", "hidden-calls")),
    "stdout-of-the-calls": (HUNT + """
def add(a, b):
    print("found: " + leak(everything() | {str(a), str(b)}))
    return a - b
""" + MAIN, FAILED, 0.0, None),
    "stdout-of-a-program": (HUNT + """
def add(a, b):
    return a - b

if __name__ == "__main__":
    print("found: " + leak(everything() | set(sys.stdin.read().split())))
""", FAILED, 0.0, ("outputs", "program")),
    "stderr-of-a-program": (HUNT + """
def add(a, b):
    return a - b

if __name__ == "__main__":
    raise SystemError("found: " + leak(everything() | set(sys.stdin.read().split())))
""", RUNTIME_ERROR, 0.0, ("stderr", "program:program")),
    # The calls leave what they got in files; the program shows the files. Hidden steps run after every visible
    # one: the visible program finds only the visible example's arguments.
    "files-left-for-a-later-step": ("""
import os

PLACES = ["/tmp/seen.txt", "/work/seen.txt", "/work/sub/seen.txt", "/dev/shm/seen.txt"]

def add(a, b):
    for place in PLACES:
        with open(place, "a") as handle:
            handle.write(f"{a} {b};")
    return a - b

if __name__ == "__main__":
    for place in PLACES:
        if os.path.exists(place):
            print("found:", open(place).read())
""", FAILED, 0.0, ("outputs", "program")),
}


@pytest.mark.parametrize("name", list(CHANNELS))
def test_hidden_inputs_cannot_be_shown_through_any_channel(hostile, spec, name):
    code, verdict, score, hidden_trace = CHANNELS[name]
    grade, result = hostile.check(code, verdict, score, spec=spec)
    if hidden_trace:  # the same code, run hidden, held the inputs: staff see them
        where, key = hidden_trace
        assert any(value in grade.diagnostics[where][key] for value in HIDDEN_INPUTS)


def test_the_visible_example_still_shows_the_learners_error_and_traceback(hostile, spec):
    code = """
def helper(a):
    return 1 / (a - 1)

def add(a, b):
    return helper(a) + b
""" + MAIN
    grade, _ = hostile.check(code, RUNTIME_ERROR, 0.0, spec=spec)
    example = next(c for c in grade.checks if c.id == "add-example")
    assert example.message.startswith("Traceback (most recent call last):\n")
    assert 'solution.py", line 6, in add' in example.message and "in helper" in example.message
    assert example.message.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "entry.py" not in example.message  # the harness's own frames are left out
    program = next(c for c in grade.checks if c.id == "program-example")
    assert "ZeroDivisionError" in program.message and "in helper" in program.message
    assert grade.message == "ZeroDivisionError: division by zero"


# --- making the runner send the hidden part early: a forged visible frame ----------------------------------------

FORGE = HUNT + """
import json, signal

def forge_visible_frame():
    frame = json.dumps({"phase": 1, "steps": [
        {"name": "calls", "exit_code": 0, "records": '{"id": "add-example", "value": 3}\\n'},
        {"name": "program:program-example", "exit_code": 0, "stdout": "3\\n"}]}).encode()
    fd = os.open("/proc/1/fd/1", os.O_WRONLY)
    os.write(fd, b"LMS1 %d\\n" % len(frame) + frame)
    os.close(fd)

def steal_the_hidden_part():
    # Read the hidden part off PID 1's stdin; say what it held on PID 1's stderr (kept for staff only), which
    # shows that the theft worked.
    fd = os.open("/proc/1/fd/0", os.O_RDONLY)
    header = b""
    while not header.endswith(b"\\n"):
        header += os.read(fd, 1)
    data = b""
    while len(data) < int(header):
        data += os.read(fd, int(header) - len(data))
    err = os.open("/proc/1/fd/2", os.O_WRONLY)
    os.write(err, b"stolen: " + data[:2000] + b"\\n")
    os.close(err)
    return json.loads(data)

def forge_hidden_frame(stolen):
    frame = json.dumps({"phase": 2, "nonce": stolen["nonce"], "steps": [
        {"name": step["name"], "exit_code": 0, "records": ""} for step in stolen["steps"]]}).encode()
    fd = os.open("/proc/1/fd/1", os.O_WRONLY)
    os.write(fd, b"LMS1 %d\\n" % len(frame) + frame)
"""

# name -> (code, verdict, sandbox status, whether the code gets hold of the hidden part)
FORGERIES = {
    # The entry process's own visible frame comes after ours, with what we stole: one frame too many.
    "forge-the-visible-frame-steal-the-hidden-part-and-raise-it": (FORGE + """
def add(a, b):
    forge_visible_frame()
    stolen = steal_the_hidden_part()
    raise ValueError("found: " + leak(set(re.findall(r"\\d{4,}", json.dumps(stolen)))))
""" + MAIN, RUNTIME_ERROR, "bad_frame", True),
    # The same, then kill the entry process so that its frame never comes: a crash.
    "forge-the-visible-frame-steal-the-hidden-part-and-kill-the-entry": (FORGE + """
def add(a, b):
    forge_visible_frame()
    steal_the_hidden_part()
    os.kill(os.getppid(), signal.SIGKILL)
""" + MAIN, RUNTIME_ERROR, "crashed", True),
    # Both frames forged (the nonce stolen with the hidden part), then the entry process killed: its exit code.
    "forge-both-frames-and-kill-the-entry": (FORGE + """
def add(a, b):
    forge_visible_frame()
    forge_hidden_frame(steal_the_hidden_part())
    os.kill(os.getppid(), signal.SIGKILL)
""" + MAIN, RUNTIME_ERROR, "bad_frame", True),
    # Both frames forged, the entry process stopped, so that it neither answers nor exits: the backstop.
    "forge-both-frames-and-stop-the-entry": (FORGE + """
def add(a, b):
    forge_visible_frame()
    forge_hidden_frame(steal_the_hidden_part())
    os.kill(os.getppid(), signal.SIGSTOP)
    time.sleep(60)
""" + MAIN, TIME, "wall_timeout", True),
    # A hidden part of our own slipped into stdin before the runner's: the entry echoes a nonce it never saw.
    # (gVisor refuses the write: EBADF, a plain runtime error.)
    "slip-a-hidden-part-into-stdin": (FORGE + """
def add(a, b):
    message = json.dumps({"steps": [], "nonce": "guessed"}).encode()
    fd = os.open("/proc/1/fd/0", os.O_WRONLY)
    os.write(fd, b"%d\\n" % len(message) + message)
    return a + b
""" + MAIN, RUNTIME_ERROR, {"runc": "bad_frame", "runsc": "completed"}, False),
    # A daemon of the visible phase that waits for the hidden part on stdin: killed before the visible frame.
    "daemon-waiting-for-the-hidden-part": (FORGE + """
def add(a, b):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            found = from_stdin(5.0)
            with open("/work/sub/stolen.txt", "w") as handle:
                handle.write(leak(found))
        os._exit(0)
    return a - b

if __name__ == "__main__":
    if os.path.exists("/work/sub/stolen.txt"):
        print("found:", open("/work/sub/stolen.txt").read())
""", FAILED, "completed", False),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_a_forged_visible_frame_gains_nothing(hostile, spec, name):
    code, verdict, status, steals = FORGERIES[name]
    status = status[hostile.runtime] if isinstance(status, dict) else status
    grade, result = hostile.check(code, verdict, 0.0, spec=spec)
    assert result.status == status
    if status != "completed":  # nothing of either phase is used, only the platform's text
        assert all(check.message == "" for check in grade.checks)
        assert grade.message in ("", "the sandbox's answer was tampered with",
                                 "sandbox supervisor stopped by the submitted code")
    if steals:  # the theft worked: the learner's code did hold the hidden part
        assert str(BIG_A) in result.diagnostics
