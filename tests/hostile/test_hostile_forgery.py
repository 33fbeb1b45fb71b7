"""Forgeries: exiting early, monkeypatching the harness, fake records and frames, always-equal objects, stray
modules, hunting for the expected values, killing or stopping the harness, fake result files.

None of them may gain a point: the expected values never enter the container, the judge reads plain JSON records
(one per check id, anything odd fails the check), and the result frames are trusted only if they are the ones
the entry process wrote, one per phase, before exiting normally.
"""
from __future__ import annotations

import pytest

from graders.base import Verdict

from .conftest import BENIGN, BIG_SUM, ONE_CHECK, POINTS, PROGRAM_STDIN, PROGRAM_SUM, THREE_CHECKS, make_spec

MAIN = """

if __name__ == "__main__":
    a, b = map(int, input().split())
    print(add(a, b))
"""
WRONG_ADD = """
def add(a, b):
    return a - b
"""
RUNTIME_ERROR, FAILED, TIME = Verdict.RUNTIME_ERROR, Verdict.FAILED, Verdict.TIME_LIMIT

# name -> (code, verdict[, score]). The score is 0 unless given: only a genuinely correct program check counts.
CASES = {
    "sys-exit-0-at-import": ("import sys\nsys.exit(0)\n" + WRONG_ADD + MAIN, RUNTIME_ERROR),
    "os-exit-0-at-import": ("import os\nos._exit(0)\n" + WRONG_ADD + MAIN, RUNTIME_ERROR),
    "sys-exit-0-in-the-function": ("""
import sys

def add(a, b):
    sys.exit(0)
""" + MAIN, RUNTIME_ERROR),
    "os-exit-0-in-the-function": ("""
import os

def add(a, b):
    os._exit(0)
""" + MAIN, RUNTIME_ERROR),
    "monkeypatched-builtins": ("""
import builtins

class Anything:
    def __eq__(self, other):
        return True

def add(a, b):
    builtins.isinstance = lambda *args: True
    builtins.type = lambda *args: int
    builtins.repr = lambda *args: "777000999"
    return Anything()
""" + MAIN, RUNTIME_ERROR),
    "monkeypatched-json-claims-success": ("""
import json

def add(a, b):
    json.dumps = lambda record, **kwargs: '{"id": "%s", "passed": true, "value": "ok"}' % record["id"]
    return a - b
""" + MAIN, RUNTIME_ERROR),
    "monkeypatched-harness-globals": ("""
import sys

def add(a, b):
    harness = sys.modules["__main__"]
    harness._plain = lambda value: True
    harness.RECORDS_CAP = 0
    return a - b
""" + MAIN, FAILED),
    "fake-records-on-fd-3-with-guesses": ("""
import os

os.write(3, b'{"id": "add-big", "value": 777000998}\\n{"id": "add-small", "value": 42}\\n')

def add(a, b):
    return a - b
""" + MAIN, RUNTIME_ERROR),
    "fake-record-for-an-unknown-check-voids-the-channel": ("""
import os

os.write(3, b'{"id": "extra-credit", "value": 1}\\n')

def add(a, b):
    return a + b
""" + MAIN, RUNTIME_ERROR, ONE_CHECK),  # the correct calls are voided with the channel; the program still counts
    "fake-records-claiming-passed": ("""
import os

for name in ("add-big", "add-small", "program"):
    os.write(3, ('{"id": "%s", "outcome": "passed", "passed": true}\\n' % name).encode())

def add(a, b):
    return a - b
""" + MAIN, RUNTIME_ERROR),
    "deeply-nested-json-on-fd-3": ("""
import os

os.write(3, b"[" * 200_000 + b"\\n")

def add(a, b):
    return a - b
""" + MAIN, RUNTIME_ERROR),
    "fake-json-records-on-stdout": ("""
import sys

def add(a, b):
    print('{"id": "add-big", "value": 777000999}')
    return a - b

if __name__ == "__main__":
    print('{"id": "program", "outcome": "passed"}')
""", FAILED),
    "fake-result-frames-on-stdout": ("""
import json

FRAME = json.dumps({"steps": [{"name": "calls", "exit_code": 0, "records": '{"id": "add-big", "value": 1}'}]})

def add(a, b):
    print("LMS1 %d\\n%s" % (len(FRAME), FRAME), end="")
    return a - b

if __name__ == "__main__":
    print("LMS1 %d\\n%s" % (len(FRAME), FRAME), end="")
""", FAILED),
    "always-equal-object": ("""
class AlwaysEqual:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__

def add(a, b):
    return AlwaysEqual()
""" + MAIN, RUNTIME_ERROR),
    "int-subclass-equal-to-everything": ("""
class Liar(int):
    def __eq__(self, other):
        return True
    def __repr__(self):
        return "777000999"
    __str__ = __repr__
    def __int__(self):
        return 0

def add(a, b):
    return Liar(0)

if __name__ == "__main__":
    print(Liar(0))
""", FAILED),
    "str-subclass": ("""
class Sneaky(str):
    def __eq__(self, other):
        return True

def add(a, b):
    return Sneaky("777000999")
""" + MAIN, RUNTIME_ERROR),
    "object-with-a-custom-repr": ("""
class Pretends:
    def __repr__(self):
        return "777000999"
    def __reduce__(self):
        return (int, (777000999,))

def add(a, b):
    return Pretends()
""" + MAIN, RUNTIME_ERROR),
    "bool-nan-and-infinity-for-numbers": ("""
def add(a, b):
    return True if a < 10 else float("nan")

if __name__ == "__main__":
    print(float("inf"))
""", RUNTIME_ERROR),  # NaN is no JSON: an error record; True is no int: a failed check
    "deeply-nested-return-value": ("""
def add(a, b):
    value = []
    for _ in range(100_000):
        value = [value]
    return value
""" + MAIN, RUNTIME_ERROR),
    "fake-result-files": ("""
import json, os

RESULT = json.dumps({"verdict": "passed", "score": 10, "add-big": 777000999})
for path in ("/work/result.json", "/work/sub/result.json", "/tmp/lms-result.json", "/work/sub/.lms-results"):
    with open(path, "w") as handle:
        handle.write(RESULT)
for link, target in (("/work/sub/results.json", "/etc/passwd"), ("/tmp/result", "/proc/self/environ")):
    if not os.path.islink(link):
        os.symlink(target, link)

def add(a, b):
    return a - b
""" + MAIN, FAILED),
}


@pytest.mark.parametrize("name", list(CASES))
def test_forgeries_gain_nothing(hostile, name):
    code, verdict, *score = CASES[name]
    grade, _ = hostile.check(code, verdict, score[0] if score else 0.0)
    assert not any(check.passed for check in grade.checks if check.id != "program")


# --- stray files among the submitted ones (the web layer would refuse them; the sandbox must not care) ---------

FORGING_JSON = f"""
def dumps(record, **kwargs):
    return '{{"id": "%s", "value": {BIG_SUM}}}' % record["id"]
def loads(text, **kwargs):
    return {{}}
"""
FORGING_SITE = f"""
import builtins
builtins.print = lambda *args, **kwargs: __import__("os").write(1, b"{PROGRAM_SUM}\\n")
"""
PASSING_CONFTEST = """
import os
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None

def pytest_sessionstart(session):
    os.write(3, b'{"id": "add-big", "value": 777000999}\\n')
"""
FORGING_RUNPY = f"""
def run_path(path, run_name=None):
    print({PROGRAM_SUM})
"""
STRAY = {
    "json.py": FORGING_JSON,
    "sitecustomize.py": FORGING_SITE,
    "usercustomize.py": FORGING_SITE,
    "runpy.py": FORGING_RUNPY,
    "unittest.py": "raise SystemExit(0)\n",
    "conftest.py": PASSING_CONFTEST,
    "tests/conftest.py": PASSING_CONFTEST,
    "pytest.py": "def main(*args, **kwargs):\n    return 0\n",
}


@pytest.mark.parametrize("stray", [["json.py", "runpy.py"], ["sitecustomize.py", "usercustomize.py", "unittest.py"],
                                   ["conftest.py", "tests/conftest.py", "pytest.py"]],
                         ids=["json-and-runpy", "site-and-unittest", "conftest-and-pytest"])
def test_stray_modules_and_conftest_gain_nothing(hostile, stray):
    """The stray modules would forge the right answers (they hold the expected values, as if leaked) if the
    harness imported them; a stray conftest can make the public tests look green, but they carry no points."""
    extra = {name: STRAY[name] for name in stray}
    grade, _ = hostile.check(WRONG_ADD + MAIN, FAILED, 0.0, extra_files=extra)
    assert not any(check.passed for check in grade.checks)
    if "conftest.py" in stray:  # in a practice run it turns the public tests green: they carry no points anyway
        practice = hostile.practice(WRONG_ADD + MAIN, extra_files=extra)
        assert any(test.name == "test_add_small_numbers" and test.passed for test in practice.public_tests)


# --- hunting for the expected values ---------------------------------------------------------------------------

SEARCH = """
import os, time

NEEDLES = [("777" + "000" + "999").encode(), ("867" + "5309").encode()]
FIRST = ["/tmp", "/work", "/dev/shm", "/run", "/etc", "/opt", "/var", "/home", "/root", "/srv", "/mnt"]

def scan(path, found, limit=1 << 20):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return 0
    try:
        data = os.read(fd, limit)
    except OSError:
        return 0
    finally:
        os.close(fd)
    found += [path for needle in NEEDLES if needle in data]
    return 1

def search(budget):
    found, scanned = [], 0
    deadline = time.monotonic() + budget
    own = os.path.abspath(__file__)
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        for name in ("environ", "cmdline", "mem", "stat", "status", "maps"):
            scanned += scan(f"/proc/{pid}/{name}", found)
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            descriptors = []
        for fd in descriptors:
            scanned += scan(f"/proc/{pid}/fd/{fd}", found, 65536)
    for root in FIRST + ["/"]:
        for folder, dirs, files in os.walk(root):
            if time.monotonic() > deadline:
                return found, scanned
            if folder == "/":
                dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
            for name in files:
                path = os.path.join(folder, name)
                if path != own:
                    scanned += scan(path, found)
    return found, scanned

FOUND = []

def add(a, b):
    if not FOUND:
        FOUND.append(search(0.3)[0])
    return int(FOUND[0][0]) if FOUND[0] else 0

if __name__ == "__main__":
    found, scanned = search(0.5)
    print(f"found={found} scanned={scanned}")
"""


def test_the_expected_values_are_nowhere_in_the_container(hostile):
    grade, _ = hostile.check(SEARCH, FAILED, 0.0)
    said = grade.diagnostics["outputs"]["program"]
    assert said.startswith("found=[] scanned="), said
    assert int(said.split("scanned=")[1]) > 100, said


# --- killing, stopping or impersonating the harness ------------------------------------------------------------

FORGED_FRAME = f"""
import json, os, signal

FRAME = json.dumps({{"steps": [
    {{"name": "calls", "exit_code": 0, "records": '{{"id": "add-big", "value": {BIG_SUM}}}\\n{{"id": "add-small", "value": 42}}\\n'}},
    {{"name": "program:program", "exit_code": 0, "stdout": "{PROGRAM_SUM}\\n"}},
    {{"name": "public", "exit_code": 0, "records": ""}}]}}).encode()

def forge(path):
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as exc:
        return f"denied {{exc.errno}}"
    os.write(fd, b"LMS1 %d\\n" % len(FRAME) + FRAME)
    return "written"
"""

HARNESS_CASES = {
    # The learner's code kills its parent, the entry process: nothing comes back, the container is gone.
    "kill-the-entry-process": ("""
import os, signal

def add(a, b):
    os.kill(os.getppid(), signal.SIGKILL)
    return a + b
""" + MAIN, {"runc": RUNTIME_ERROR, "runsc": RUNTIME_ERROR}, "crashed"),
    "kill-minus-one": ("""
import os, signal

def add(a, b):
    os.kill(-1, signal.SIGKILL)
    return a + b
""" + MAIN, {"runc": RUNTIME_ERROR, "runsc": RUNTIME_ERROR}, "crashed"),
    # docker-init is PID 1: its pid namespace ignores signals it has no handler for (runc); gVisor delivers it.
    "kill-pid-1": ("""
import os, signal

def add(a, b):
    os.kill(1, signal.SIGKILL)
    return a - b
""" + MAIN, {"runc": FAILED, "runsc": {FAILED, RUNTIME_ERROR}}, None),
    "stop-the-entry-process": ("""
import os, signal

def add(a, b):
    os.kill(os.getppid(), signal.SIGSTOP)
    return a + b
""" + MAIN, {"runc": TIME, "runsc": TIME}, "wall_timeout"),
    # The container's stdout is docker-init's fd 1 (PID 1 is dumpable): a forged frame reaches the runner, which
    # then sees two frames.
    "forge-a-frame-through-pid-1-stdout": (FORGED_FRAME + """
def add(a, b):
    forge("/proc/1/fd/1")
    return a + b
""" + MAIN, {"runc": RUNTIME_ERROR, "runsc": RUNTIME_ERROR}, "bad_frame"),
    # The same, then kill the entry process so that the real frame never comes: the exit code betrays it.
    "forge-a-frame-then-kill-the-entry-process": (FORGED_FRAME + """
def add(a, b):
    forge("/proc/1/fd/1")
    os.kill(os.getppid(), signal.SIGKILL)
    return a + b
""" + MAIN, {"runc": RUNTIME_ERROR, "runsc": RUNTIME_ERROR}, "bad_frame"),
    # The entry process is not dumpable: under runc its descriptors are out of reach; gVisor ignores that flag.
    "forge-a-frame-through-the-entry-process-stdout": (FORGED_FRAME + """
def add(a, b):
    print(forge(f"/proc/{os.getppid()}/fd/1"))
    return a - b
""" + MAIN, {"runc": FAILED, "runsc": RUNTIME_ERROR}, {"runc": "completed", "runsc": "bad_frame"}),
    # Garbage, not a frame, on the container's stdout.
    "garbage-on-pid-1-stdout": ("""
import os

def add(a, b):
    fd = os.open("/proc/1/fd/1", os.O_WRONLY)
    os.write(fd, b"\\x00garbage that is no frame\\n")
    return a + b
""" + MAIN, {"runc": RUNTIME_ERROR, "runsc": RUNTIME_ERROR}, "bad_frame"),
}


@pytest.mark.parametrize("name", list(HARNESS_CASES))
def test_killing_stopping_or_impersonating_the_harness_gains_nothing(hostile, name):
    code, verdict, status = HARNESS_CASES[name]
    grade, result = hostile.check(code, verdict, 0.0)
    expected_status = status.get(hostile.runtime) if isinstance(status, dict) else status
    if expected_status:
        assert result.status == expected_status
    assert not any(check.passed for check in grade.checks)


def big_input_spec(runtime):
    """The hostile exercise with a program input larger than a pipe holds (the entry process writes it while
    the program runs)."""
    spec = make_spec(runtime)
    program = next(check for check in spec.checks if check["id"] == "program")
    program["program"]["stdin"] = PROGRAM_STDIN + "padding line\n" * 20_000
    return spec


def test_closing_stdin_on_a_large_input_does_not_kill_the_harness(hostile):
    """The entry process keeps writing the input into a pipe the program closed: EPIPE for it, not SIGPIPE (which
    used to kill it, and with it the whole grading)."""
    code = """
import os

def add(a, b):
    return a + b

if __name__ == "__main__":
    os.close(0)
    print("closed my input")
"""
    spec = big_input_spec(hostile.runtime)
    grade, result = hostile.check(code, Verdict.FAILED, THREE_CHECKS, spec=spec)
    assert result.status == "completed"
    # And a correct program that reads only the line it needs from the same large input gets full marks.
    grade, result = hostile.grade(BENIGN, spec=spec)
    assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS)
    hostile.assert_gone(result)
