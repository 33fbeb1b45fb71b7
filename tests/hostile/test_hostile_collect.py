"""Files copied out of a container (SandboxPlan.collect): regular files only, no symlink followed anywhere on the
path, nothing read past the cap, whatever the learner's code did to them."""
from __future__ import annotations

from graders.base import Verdict

from .conftest import THREE_CHECKS

# The program writes the files a plan will collect, then swaps most of them for something else; a daemon keeps
# swapping one between a file and a symlink to /etc/passwd, hoping to win a race with the copy.
SWAPPER = """
import os, socket, subprocess, time

def add(a, b):
    return a + b

def replace(name, make):
    os.remove(name)
    make(name)

if __name__ == "__main__":
    names = ["report.txt", "passwd.txt", "environ.txt", "fifo.txt", "dir.txt", "sparse.txt", "socket.txt",
             "hard.txt", "race.txt", "nested/out.txt"]
    os.makedirs("nested", exist_ok=True)
    for name in names:
        with open(name, "w") as handle:
            handle.write("honest content of " + name)
    replace("passwd.txt", lambda n: os.symlink("/etc/passwd", n))
    replace("environ.txt", lambda n: os.symlink("/proc/self/environ", n))
    replace("fifo.txt", os.mkfifo)
    replace("dir.txt", os.mkdir)
    sizes = []
    def sparse(name):
        with open(name, "wb") as handle:
            for size in (100 * 1024 * 1024, 8 * 1024 * 1024 - 1):  # the file size limit may refuse 100 MB
                try:
                    handle.truncate(size)
                    sizes.append(size)
                    return
                except OSError as exc:
                    sizes.append(str(exc.errno))
    replace("sparse.txt", sparse)
    replace("socket.txt", lambda n: socket.socket(socket.AF_UNIX).bind(n))
    try:
        replace("hard.txt", lambda n: os.link("/etc/passwd", n))
    except OSError as exc:
        sizes.append("link " + str(exc.errno))
    os.symlink("/etc", "through")
    if os.fork() == 0:
        os.setsid()
        while True:
            try:
                os.remove("race.txt")
                os.symlink("/etc/passwd", "race.txt")
                os.remove("race.txt")
                with open("race.txt", "w") as handle:
                    handle.write("honest")
            except OSError:
                pass
    time.sleep(0.2)
    print("swapped", sizes)
"""

COLLECT = ["report.txt", "passwd.txt", "environ.txt", "fifo.txt", "dir.txt", "sparse.txt", "socket.txt", "hard.txt",
           "race.txt", "nested/out.txt", "through/passwd", "missing.txt"]


def test_collected_files_are_regular_files_only_and_capped(hostile):
    grade, result = hostile.check(SWAPPER, Verdict.FAILED, THREE_CHECKS, collect=COLLECT)
    assert result.files["report.txt"] == b"honest content of report.txt"
    assert result.files["nested/out.txt"] == b"honest content of nested/out.txt"
    errors = result.file_errors
    assert errors["passwd.txt"].startswith("symlink")
    assert errors["environ.txt"].startswith("symlink")
    assert errors["through/passwd"].startswith("symlink")
    assert errors["fifo.txt"] == "not a regular file"
    assert errors["dir.txt"] == "not a regular file"
    assert errors["socket.txt"] == "not a regular file"
    assert errors["sparse.txt"].startswith("too large")
    assert errors["hard.txt"] in ("missing", "symlink (not followed)") or errors["hard.txt"].startswith("unreadable")
    assert errors["missing.txt"] == "missing"
    assert result.files.get("race.txt", b"") in (b"", b"honest") or "race.txt" in errors  # killed mid-write: empty
    assert set(result.files) | set(errors) == set(COLLECT)
    for content in result.files.values():
        assert b"root:" not in content and b"PATH=" not in content and len(content) <= 256 * 1024


def test_a_plan_cannot_collect_outside_the_work_dir(hostile):
    plan = hostile.plan("def add(a, b):\n    return a + b\n")
    for path in ("../escape.txt", "/etc/passwd", "a/../../b", "a\\\\b", ""):
        plan.collect = [path]
        try:
            hostile.runner.run(plan)
        except ValueError as exc:
            assert "cannot collect" in str(exc)
        else:
            raise AssertionError(f"{path!r} was accepted")
