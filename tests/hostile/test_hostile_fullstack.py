"""Hostile fullstack submissions, each graded in the real sandbox (the learner's server, and the browser's container
sharing only its network namespace): verdict, score, nothing hidden shown, no container left, and the benign
server passing right after (tests/hostile/fullstack_support.py)."""
from __future__ import annotations

import pytest

from graders.base import Verdict
from graders.fullstack import FullstackGrader
from tests.hostile.fullstack_support import PAGE, POINTS, FullstackRun, notes_app


@pytest.fixture
def hostile(hostile_runner, docker_client, runtime) -> FullstackRun:
    if runtime != "runc":
        pytest.skip("fullstack runs under runc only (a prober shares the server's network stack)")
    return FullstackRun(hostile_runner, docker_client, FullstackGrader())


def test_page_reaching_out_gets_nowhere_and_stays_graded(hostile):
    # Other hosts, the loopback's other ports, file://, a WebSocket, a navigation away: none of it reaches
    # anything, and the checks still read the learner's page.
    reach = """
for (const url of ["http://10.0.2.2/", "http://127.0.0.1:9/", "http://127.0.0.1:5001/", "file:///etc/passwd",
                   "http://[::1]:22/", "http://example.org/"]) {
  fetch(url).then(() => document.body.insertAdjacentHTML("beforeend", "<p id=reached>" + url + "</p>"), () => {});
}
try { new WebSocket("ws://127.0.0.1:9/"); } catch (e) {}
setTimeout(() => { location.href = "http://example.org/"; }, 50);
"""
    grade = hostile.check(notes_app(page_extra=reach), Verdict.PASSED, POINTS)
    assert grade.checks[0].passed


def test_page_lying_through_its_own_dom_functions_fools_no_check(hostile):
    # The page adds nothing, but answers every query of its own world with a list holding everything.
    liar = PAGE.replace("show(await answer.json());", "")
    liar = liar.replace("/*PAGE_EXTRA*/", """
const fake = {textContent: "everything", innerText: "everything", length: 99};
Document.prototype.querySelector = () => fake;
Document.prototype.querySelectorAll = () => [fake, fake];
window.getComputedStyle = () => ({getPropertyValue: () => "block"});
""")
    grade = hostile.check(notes_app(page=liar), Verdict.FAILED)
    assert not grade.checks[0].passed
    assert grade.checks[0].message["en"].startswith("No element matches")


def test_page_script_in_an_endless_loop(hostile):
    loop = PAGE.replace("event.preventDefault();", "event.preventDefault(); for (;;) {}")
    hostile.check(notes_app(page=loop), Verdict.TIME_LIMIT)


def test_server_that_answers_its_page_slowly(hostile):
    slow = notes_app().replace("def page():\n", "def page():\n    import time; time.sleep(30)\n")
    grade = hostile.check(slow, Verdict.TIME_LIMIT)
    assert not grade.checks[0].passed  # the page never came


def test_server_that_never_starts(hostile):
    grade = hostile.check("import time\ntime.sleep(60)\n", Verdict.RUNTIME_ERROR, 0)
    assert grade.checks[0].message["en"] == "The page could not be loaded: your server did not answer."


def test_server_that_reads_the_browsers_side(hostile):
    # The browser's container shares only the network namespace: its processes, files and environment are not
    # the server's to see. The server logs what it finds: nothing of the browser's.
    snoop = notes_app().replace("def page():\n    return PAGE", '''def page():
    import glob, os, sys
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                found.append(open(f"/proc/{pid}/cmdline", "rb").read().decode("utf-8", "replace"))
            except OSError:
                pass
    found += glob.glob("/usr/lib/chromium*") + glob.glob("/usr/local/lib/python3*/dist-packages/playwright*")
    print("FOUND", found, file=sys.stderr, flush=True)
    return PAGE''')
    grade, _, result = hostile.grade(snoop)
    assert grade.verdict == Verdict.PASSED
    log = result.step("serve").stdout + result.step("serve").stderr
    assert "FOUND" in log
    assert "chromium" not in log.lower() and "playwright" not in log.lower()

