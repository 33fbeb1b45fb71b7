"""Hostile servers of the http-service kind, each graded in the real sandbox (the learner's container and the prober's,
which shares only its network namespace): verdict, score, nothing hidden shown, no container left, and a benign
server passing right after (tests/hostile/http_service_support.py)."""
from __future__ import annotations

import pytest

from graders.base import Verdict
from graders.http_service import HttpServiceGrader
from tests.hostile.http_service_support import ONE_CHECK, POINTS, SPEC, HttpHostile, benign


@pytest.fixture
def hostile(hostile_runner, docker_client, runtime) -> HttpHostile:
    if runtime != "runc":
        pytest.skip("http-service runs under runc only (its validate() refuses gVisor: one network stack each)")
    return HttpHostile(hostile_runner, docker_client, HttpServiceGrader())


# --- servers that do not serve ------------------------------------------------------------------------------

def test_server_that_never_starts(hostile):
    grade, _, _ = hostile.check("import time\ntime.sleep(60)\n", Verdict.RUNTIME_ERROR)
    assert grade.checks[0].message["en"] == "Your server did not answer on port 5000 within 3 s."


def test_server_that_exits_at_once(hostile):
    grade, _, _ = hostile.check("raise SystemExit('no server today')\n", Verdict.RUNTIME_ERROR)
    assert grade.message == "no server today"
    assert "no server today" in grade.checks[0].details["server_log"]


def test_server_on_another_port(hostile):
    hostile.check(benign().replace("port=5000", "port=5050"), Verdict.RUNTIME_ERROR)


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::", "localhost"])
def test_any_loopback_bind_works(hostile, host):
    hostile.check(benign(host), Verdict.PASSED, POINTS)


# --- limits -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_output_flood(hostile, stream):
    flood = f"import sys, threading\nthreading.Thread(target=lambda: [sys.{stream}.write('x' * 4096) for _ in iter(int, 1)], daemon=True).start()\n"
    hostile.check(benign(prelude=flood), Verdict.OUTPUT_LIMIT)


def test_fork_bomb(hostile):
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    hostile.check(bomb, Verdict.PROCESS_LIMIT)


def test_memory_bomb(hostile):
    hostile.check("hog = []\nwhile True:\n    hog.append(bytearray(1 << 20))\n", Verdict.MEMORY_LIMIT)


def test_cpu_burn_in_a_request(hostile):
    hostile.check(benign().replace("    items = load()\n", "    while True:\n        pass\n"), Verdict.TIME_LIMIT)


def test_slow_answers_hit_the_request_timeout(hostile):
    code = benign().replace("    items = load()\n", "    import time\n    time.sleep(2.5)\n    items = load()\n")
    grade, _, _ = hostile.check(code, Verdict.TIME_LIMIT)
    assert grade.checks[0].status == "timeout"
    assert grade.checks[0].message["en"] == "POST /api/items: no answer within 1.5 s."


def test_server_that_accepts_and_never_reads(hostile):
    code = ("import socket, time\nserver = socket.create_server(('127.0.0.1', 5000))\nheld = []\n"
            "while True:\n    held.append(server.accept())\n")
    grade, _, _ = hostile.check(code, Verdict.TIME_LIMIT)
    assert {c.status for c in grade.checks} == {"timeout"}


def test_huge_and_endless_bodies_are_capped(hostile):
    routes = ("from flask import Response\n\n@app.get('/api/items/<int:number>')\n"
              "def endless(number):\n    return Response(iter(lambda: 'y' * 65536, None))\n")
    code = benign(routes=routes).replace('@app.get("/api/items/<int:number>")\ndef read', "def read")
    code = code.replace("return jsonify(item), 201", "return jsonify({**item, 'padding': 'z' * 10_000_000}), 201")
    grade, _, result = hostile.check(code, Verdict.FAILED)
    assert grade.checks[0].message["en"] == "POST /api/items: the answer is larger than 16384 bytes."
    assert len(result.step("hidden-probe").records) < 200_000


# --- isolation ----------------------------------------------------------------------------------------------

EGRESS = '''
import os, socket
reached = []
for address in [("172.17.0.1", 6379), ("127.0.0.1", 6379), ("10.0.2.2", 6379), ("1.1.1.1", 53)]:
    try:
        socket.create_connection(address, timeout=0.5).close()
        reached.append(address)
    except OSError:
        pass
for name in ["deb.debian.org", "host.docker.internal"]:
    try:
        socket.getaddrinfo(name, 80)
        reached.append(name)
    except OSError:
        pass
if os.path.exists("/var/run/docker.sock") or os.path.exists("/run/docker.sock"):
    reached.append("docker socket")
if reached:
    raise SystemExit(f"reached {reached}")
'''


def test_no_network_no_host_services(hostile):
    # The server runs normally only if nothing outside its own loopback answered: full marks prove it.
    hostile.check(benign(prelude=EGRESS), Verdict.PASSED, POINTS)


PROBER_HUNT = '''
import os
entries, environs = 0, []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            entries += pid != "1" and b"entry.py" in handle.read()  # pid 1: docker-init, which started it
    except OSError:
        continue
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environs.append(handle.read())
    except OSError:
        pass
listening = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(table).read().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A":
            listening.add(int(fields[1].rsplit(":", 1)[1], 16))
import socket
try:
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw = True
except OSError:
    raw = False
found = []
if entries != 1:
    found.append(f"{entries} entry processes")  # ours only: the prober's is in another PID namespace
if any(b"probe" in e or b"LMS" in e for e in environs):
    found.append("an environment of the platform")
if listening:
    found.append(f"listening ports {listening}")  # the prober listens on nothing
if raw:
    found.append("a raw socket")
for path in ("/opt/lms/checks.json", "/work/sub/checks.json", "/proc/1/root/opt/lms", "/work/sub/../prober"):
    if os.path.exists(path) and "1/root" not in path:
        found.append(path)
if found:
    raise SystemExit(f"found {found}")
'''


def test_cannot_see_the_prober(hostile):
    hostile.check(benign(prelude=PROBER_HUNT), Verdict.PASSED, POINTS)


# --- forgery and leaks ---------------------------------------------------------------------------------------

FAKE_TRANSCRIPT = '''
import sys
for line in ['{"id":"_server","rounds":[{"ready":true}]}', '{"id":"example","exchanges":[]}',
             'LMS1 40\\n{"phase":1,"steps":[{"name":"probe"}]}']:
    print(line)
    print(line, file=sys.stderr)
'''


def test_fake_transcript_on_stdout_changes_nothing(hostile):
    code = benign(prelude=FAKE_TRANSCRIPT).replace('return jsonify(item), 201', 'return jsonify(item), 200')
    hostile.check(code, Verdict.FAILED, 0.0)


def test_forged_frame_through_the_entry_descriptors(hostile):
    forge = ('import os\nframe = b\'{"phase":1,"steps":[]}\'\n'
             'os.write(os.open("/proc/1/fd/1", os.O_WRONLY), b"LMS1 %d\\n" % len(frame) + frame)\n')
    hostile.check(benign(prelude=forge), {Verdict.RUNTIME_ERROR})


def test_stolen_restart_message_and_forged_answer(hostile):
    # The server takes the runner's restart message off the entry's stdin and answers it itself, to keep its
    # in-memory state across the "restart": the phase frame's list of handled nonces gives it away. (It races the
    # entry for the message: when the entry wins, the restart is real and the run is graded as it should be.)
    steal = '''
import json, os, threading
def steal():
    source = os.open("/proc/1/fd/0", os.O_RDONLY)
    header = b""
    while not header.endswith(b"\\n"):
        header += os.read(source, 1)
    message = json.loads(os.read(source, int(header)))
    frame = json.dumps({"segment": message.get("segment"), "nonce": message.get("nonce")}).encode()
    os.write(os.open("/proc/1/fd/1", os.O_WRONLY), b"LMS1 %d\\n" % len(frame) + frame)
if not os.path.exists("started"):
    open("started", "w").close()
    threading.Thread(target=steal, daemon=True).start()
'''
    grade, _, result = hostile.check(benign(prelude=steal), {Verdict.RUNTIME_ERROR, Verdict.TIME_LIMIT, Verdict.PASSED},
                                     score=None)
    if grade.verdict == Verdict.PASSED:  # the entry read the message first: the server really was restarted
        assert result.status == "completed" and grade.score == POINTS
        assert result.step("serve").stderr.count("Running on") == 2
    else:  # the stolen message shows: nothing of the run counts
        assert result.status != "completed" and grade.score == 0


def test_killing_the_entry_process(hostile):
    kill = ("import os, signal\nfor pid in filter(str.isdigit, os.listdir('/proc')):\n"
            "    if int(pid) not in (1, os.getpid()):\n        try:\n            os.kill(int(pid), signal.SIGKILL)\n"
            "        except OSError:\n            pass\n")
    hostile.check(benign(prelude=kill), Verdict.RUNTIME_ERROR)


def test_hidden_payloads_printed_and_echoed_never_shown(hostile):
    # Everything a hidden request brings is printed, logged to stderr, written to a file and thrown back in an
    # error: the learner sees the hidden checks' names and pass/fail only.
    routes = '''
@app.before_request
def shout():
    import sys
    body = request.get_data(as_text=True)
    print("GOT", body)
    print("GOT", body, file=sys.stderr)
    with open("seen.txt", "a") as handle:
        handle.write(body)
    if "Ada" not in body and request.method == "POST":
        raise RuntimeError(body)
'''
    grade, _, _ = hostile.check(benign(routes=routes), Verdict.FAILED, ONE_CHECK)
    assert grade.checks[0].passed and not any(c.passed for c in grade.checks if c.hidden)
    assert grade.message == ""


def test_hidden_spec_is_refused_under_gvisor():
    spec = SPEC.__class__.from_dict({**SPEC.to_dict(), "runtime": "runsc"})
    assert any("runc only" in problem for problem in HttpServiceGrader().validate(spec))
