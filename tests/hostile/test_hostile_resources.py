"""Resource exhaustion: CPU, wall clock, processes and threads, memory, disk and tmpfs, descriptors.

Each submission misbehaves in `add` (so in the calls step, the program step and the public test alike) unless the
case says otherwise; every case ends with a named verdict, no points for what was not answered, no container
left, and a benign submission graded right after that gets full marks.
"""
from __future__ import annotations

import pytest

from graders.base import Verdict
from .conftest import ONE_CHECK, THREE_CHECKS, TWO_CHECKS

MAIN = """

if __name__ == "__main__":
    a, b = map(int, input().split())
    print(add(a, b))
"""

TIME = Verdict.TIME_LIMIT
PROCESS = Verdict.PROCESS_LIMIT
MEMORY = Verdict.MEMORY_LIMIT
RUNTIME_ERROR = Verdict.RUNTIME_ERROR

# The program computes the sum itself and the public test and the visible example call add(1, 2): only the hidden
# calls misbehave, which keeps each case near one wall limit. Every step misbehaves in the *-every-step cases.
DIRECT_MAIN = """

if __name__ == "__main__":
    a, b = map(int, input().split())
    print(a + b)
"""

TIME_CASES = {
    "cpu-loop": """
def add(a, b):
    while a != 1:
        pass
    return a + b
""",
    "cpu-loop-swallowing-every-exception": """
def add(a, b):
    while a != 1:
        try:
            while True:
                pass
        except BaseException:
            pass
    return a + b
""",
    "sleep": """
import time

def add(a, b):
    if a != 1:
        time.sleep(60)
    return a + b
""",
    "sleep-ignoring-sigalrm": """
import signal, time

def add(a, b):
    if a != 1:
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
        time.sleep(60)
    return a + b
""",
    "busy-child-process-while-parent-waits": """
import os

def add(a, b):
    if a != 1:
        if os.fork() == 0:
            while True:
                pass
        os.wait()
    return a + b
""",
}


@pytest.mark.parametrize("name", list(TIME_CASES))
def test_time_limits(hostile, name):
    grade, _ = hostile.check(TIME_CASES[name] + DIRECT_MAIN, TIME, TWO_CHECKS)
    statuses = {c.id: c.status for c in grade.checks}
    assert statuses.pop("program") == "passed" and statuses.pop("add-example") == "passed"
    assert all(status in ("timeout", "missing") for status in statuses.values())


EVERY_STEP_CASES = {
    "cpu-loop-at-import-every-step": """
while True:
    pass
""",
    "sleep-at-import-every-step": """
import time
time.sleep(60)
""",
}


@pytest.mark.parametrize("name", list(EVERY_STEP_CASES))
def test_time_limits_in_every_step(hostile, name):
    code = EVERY_STEP_CASES[name] + """
def add(a, b):
    return a + b
""" + MAIN
    grade, _ = hostile.check(code, TIME, 0.0)
    assert all(check.status in ("timeout", "missing") for check in grade.checks)
    practice = hostile.practice(code)
    assert practice.verdict == TIME and practice.public_tests[-1].status == "timeout"


def test_sleep_only_in_the_program_keeps_the_points_of_the_function(hostile):
    code = """
import time

def add(a, b):
    return a + b

if __name__ == "__main__":
    time.sleep(60)
"""
    grade, _ = hostile.check(code, TIME, THREE_CHECKS)
    assert {c.id: c.status for c in grade.checks} == {"add-example": "passed", "add-big": "passed",
                                                        "add-small": "passed", "program": "timeout"}


PROCESS_CASES = {
    "fork-bomb": """
import os

def add(a, b):
    if a == 1:  # the public test and the visible example: keeps the case within two wall limits
        return a + b
    while True:
        try:
            os.fork()
        except OSError:
            pass
""",
    "thread-bomb": """
import threading, time

def add(a, b):
    threads = []
    while True:
        thread = threading.Thread(target=time.sleep, args=(60,), daemon=True)
        thread.start()
        threads.append(thread)
""",
    "subprocess-spawn-bomb": """
import subprocess

def add(a, b):
    children = []
    while True:
        children.append(subprocess.Popen(["sleep", "60"]))
""",
}


@pytest.mark.parametrize("name", list(PROCESS_CASES))
def test_process_limits(hostile, name):
    # Under gVisor the limit is RLIMIT_NPROC inside the sandbox (the cgroup counts gVisor's own threads): a failed
    # thread start is an ordinary error there (or, swallowed, a timeout). Each forked process costs gVisor about
    # 14 MB of host memory, so a fork bomb gets the whole sandbox OOM-killed before RLIMIT_NPROC: memory limit.
    # The fork bomb spares the visible example (its point, unless gVisor's whole sandbox was killed).
    verdict = {"runc": PROCESS, "runsc": {PROCESS, RUNTIME_ERROR, TIME, MEMORY}}
    score = {0.0, ONE_CHECK} if name == "fork-bomb" else 0.0
    grade, result = hostile.check(PROCESS_CASES[name] + MAIN, verdict, score)
    if hostile.runtime == "runc":
        assert result.step("hidden-calls").pids_exhausted


MEMORY_CASES = {
    "list-growth": """
def add(a, b):
    hoard = []
    while True:
        hoard.append([a] * 100_000)
""",
    "bytearray": """
def add(a, b):
    block = bytearray(1024 * 1024 * 1024)
    return a + b
""",
    "big-string-doubling": """
def add(a, b):
    text = "x" * 1024
    while True:
        text = text + text
""",
    "memory-in-many-children": """
import os, time

def add(a, b):
    if a == 1:
        return a + b
    for _ in range(8):
        if os.fork() == 0:
            block = bytearray(40 * 1024 * 1024)
            time.sleep(60)
    time.sleep(60)
""",
}


@pytest.mark.parametrize("name", list(MEMORY_CASES))
def test_memory_limits(hostile, name):
    # A bytearray larger than the container's memory may fail fast with MemoryError (no overcommit): a runtime
    # error then, never points. gVisor's Sentry may also be killed whole by the host cgroup.
    verdict = {"runc": {MEMORY, RUNTIME_ERROR}, "runsc": {MEMORY, RUNTIME_ERROR, TIME}}
    score = {0.0, ONE_CHECK} if name == "memory-in-many-children" else 0.0  # it spares the visible example
    hostile.check(MEMORY_CASES[name] + MAIN, verdict, score)


DISK_CASES = {
    "fill-tmp": ("/tmp", "No space left on device"),
    "fill-work": ("/work", "No space left on device"),
    "fill-dev-shm": ("/dev/shm", "No space left on device"),
}


@pytest.mark.parametrize("name", list(DISK_CASES))
def test_disk_fill(hostile, name):
    folder, error = DISK_CASES[name]
    code = f"""
import os

def add(a, b):
    chunk = b"x" * (1024 * 1024)
    for number in range(1000):
        with open(os.path.join({folder!r}, f"fill-{{os.getpid()}}-{{number}}"), "wb") as handle:
            for _ in range(4):
                handle.write(chunk)
    return a + b
"""
    grade, _ = hostile.check(code + MAIN, RUNTIME_ERROR, 0.0)
    assert error in grade.message


def test_file_size_limit(hostile):
    code = """
def add(a, b):
    with open("/tmp/huge", "wb") as handle:
        for _ in range(20):
            handle.write(b"x" * (1024 * 1024))
    return a + b
"""
    grade, _ = hostile.check(code + MAIN, RUNTIME_ERROR, 0.0)
    assert "File too large" in grade.message


def test_descriptor_exhaustion(hostile):
    code = """
def add(a, b):
    handles = []
    while True:
        handles.append(open("/dev/null"))
"""
    grade, _ = hostile.check(code + MAIN, RUNTIME_ERROR, 0.0)
    assert "Too many open files" in grade.message


def test_descriptor_exhaustion_with_pipes_and_sockets(hostile):
    code = """
import os, socket

def add(a, b):
    kept = []
    try:
        while True:
            kept.append(os.pipe())
            kept.append(socket.socketpair())
    except OSError as exc:
        raise RuntimeError(f"exhausted after {len(kept)}: {exc}")
"""
    grade, _ = hostile.check(code + MAIN, RUNTIME_ERROR, 0.0)
    assert "Too many open files" in grade.message
