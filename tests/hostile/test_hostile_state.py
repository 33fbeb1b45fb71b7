"""State left behind: files and processes of one submission never reach a later step or the next submission."""
from __future__ import annotations

import uuid

from graders.base import Verdict

from .conftest import THREE_CHECKS

# Writes marker files everywhere it can and starts a daemon (double fork, new session, SIGTERM/SIGHUP ignored,
# re-forking itself so its pid keeps changing) during the calls step; the program step reports whether the daemon
# survived the end of the calls step.
FIRST = """
import os, signal, time

TAG = "{tag}"
PLACES = ["/tmp", "/work", "/work/sub", "/dev/shm"]

def daemon():
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while True:
        if os.fork():
            os._exit(0)  # hop to a new pid, again and again
        with open(f"/tmp/daemon-{{TAG}}.log", "a") as handle:
            handle.write("still here\\n")
        time.sleep(0.01)

def add(a, b):
    for place in PLACES:
        with open(os.path.join(place, f"marker-{{TAG}}"), "w") as handle:
            handle.write("left behind")
    if os.fork() == 0:
        if os.fork() == 0:
            daemon()
        os._exit(0)
    time.sleep(0.2)
    return a + b

if __name__ == "__main__":
    try:
        size = os.path.getsize(f"/tmp/daemon-{{TAG}}.log")
        time.sleep(0.2)
        grew = os.path.getsize(f"/tmp/daemon-{{TAG}}.log") > size
    except OSError:
        grew = None
    others = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid(), os.getppid()))
    print(f"daemon log grew={{grew}} others={{others}}")
"""

# The next submission looks for anything the first one left.
SECOND = """
import os

TAG = "{tag}"

def add(a, b):
    return a + b

if __name__ == "__main__":
    left = [path for path in (f"/tmp/marker-{{TAG}}", f"/work/marker-{{TAG}}", f"/work/sub/marker-{{TAG}}",
                              f"/dev/shm/marker-{{TAG}}", f"/tmp/daemon-{{TAG}}.log")
            if os.path.exists(path)]
    others = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid(), os.getppid()))
    print(f"left={{left}} others={{others}} files={{sorted(os.listdir('/tmp')) + sorted(os.listdir('/work'))}}")
"""


def test_files_and_daemons_do_not_outlive_their_step_nor_their_submission(hostile):
    tag = uuid.uuid4().hex[:8]
    first, first_result = hostile.check(FIRST.format(tag=tag), Verdict.FAILED, THREE_CHECKS)
    assert first.diagnostics["outputs"]["program"] == "daemon log grew=False others=[]\n"
    second, second_result = hostile.check(SECOND.format(tag=tag), Verdict.FAILED, THREE_CHECKS)
    assert second.diagnostics["outputs"]["program"] == "left=[] others=[] files=['sub']\n"
    assert first_result.container_id != second_result.container_id


def test_a_step_cannot_leave_a_process_holding_the_next_steps_pipes(hostile):
    """A grandchild that keeps the calls step's descriptors and writes forged records later is killed with it."""
    code = """
import json, os, time

def add(a, b):
    if os.fork() == 0:
        os.setsid()
        time.sleep(0.3)
        for name in ("add-big", "add-small"):
            os.write(3, (json.dumps({"id": name, "value": 0}) + "\\n").encode())
        os.write(1, b"8675309\\n")
        time.sleep(60)
    return a - b

if __name__ == "__main__":
    time.sleep(0.6)
    print("the program printed nothing useful")
"""
    grade, result = hostile.check(code, Verdict.FAILED, 0.0)
    assert {c.id: c.status for c in grade.checks} == {"add-example": "failed", "add-big": "failed",
                                                        "add-small": "failed", "program": "failed"}
    assert result.step("program:program").stdout == "the program printed nothing useful\n"
