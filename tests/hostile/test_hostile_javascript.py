"""Hostile Node.js submissions against the javascript kind: limits, network, forgeries of the records and of the
harness's own tools, hidden inputs, early exits. Each case asserts the verdict, the score, that no container is
left, and that a benign submission graded right after still passes (JsHostile.check)."""
from __future__ import annotations

import pytest

from graders.base import Verdict
from graders.javascript import JavaScriptGrader

from .conftest import HIDDEN_INPUTS
from .javascript_cases import MAIN, ONE_CHECK, THREE_CHECKS, TWO_CHECKS, JsHostile, make_spec

TIME, MEMORY, OUTPUT, PROCESS = Verdict.TIME_LIMIT, Verdict.MEMORY_LIMIT, Verdict.OUTPUT_LIMIT, Verdict.PROCESS_LIMIT
FAILED, RUNTIME_ERROR = Verdict.FAILED, Verdict.RUNTIME_ERROR


@pytest.fixture(scope="session")
def js_spec(runtime):
    return make_spec(runtime)


@pytest.fixture
def js(request, hostile_runner, docker_client, runtime, js_spec) -> JsHostile:
    return JsHostile(hostile_runner, docker_client, runtime, js_spec, JavaScriptGrader(), request.node.name)


@pytest.fixture
def js_slow_calls(js) -> JsHostile:
    """Calls of 2 s each (and the CPU for them): time for a bomb to meet its limit before the call's timeout, even
    on a busy machine."""
    js.spec = make_spec(js.runtime, call_seconds=2.0, cpu_seconds=5)
    return js


def by_id(grade):
    return {c.id: c for c in grade.checks}


# --- time ---------------------------------------------------------------------------------------------------

def test_synchronous_loop_is_stopped_per_call(js):
    # Only the big hidden call loops: the harness's per-call timeout stops it, and the next call still runs.
    grade, _ = js.check("function add(a, b) {\n  while (a > 100000000) {}\n  return a + b;\n}\n" + MAIN,
                        TIME, THREE_CHECKS)
    assert {c.id: c.status for c in grade.checks} == {
        "add-example": "passed", "add-big": "timeout", "add-small": "passed", "program": "passed"}


def test_busy_async_loop_times_out(js):
    # Microtasks that never yield: each call's own timeout ends them too (or, failing that, the step's wall limit).
    grade, _ = js.check("async function add(a, b) {\n  for (;;) await null;\n}\n" + MAIN, TIME, 0.0)
    assert {c.status for c in grade.checks} <= {"timeout", "missing"}


def test_never_settling_promise_times_out_per_call(js):
    grade, _ = js.check("async function later(a, b) { return a + b; }\n"
                        "function add(a, b) {\n"
                        "  return a > 100000000 ? new Promise(() => {}) : a === 2 ? later(a, b) : a + b;\n"
                        "}\n" + MAIN, TIME, THREE_CHECKS)
    assert by_id(grade)["add-small"].status == "passed"  # an async function's value is awaited
    assert by_id(grade)["add-big"].status == "timeout"


# --- processes, memory, output ----------------------------------------------------------------------------

PROCESS_CASES = {
    # stdio 'ignore': with pipes each child costs 6 descriptors, and `nofile` would stop the loop first.
    "spawn-bomb": "const { spawn } = require('child_process');\n"
                  "function add(a, b) { for (;;) spawn('/bin/sleep', ['30'], { stdio: 'ignore' }); }\n",
    "fork-bomb": "const { fork } = require('child_process');\n"
                 "const stdio = ['ignore', 'ignore', 'ignore', 'ipc'];\n"
                 "function add(a, b) { for (;;) fork(__filename, [], { stdio }); }\n",
    "worker-threads": "const { Worker } = require('worker_threads');\n"
                      "function add(a, b) { for (;;) new Worker('setInterval(() => {}, 1000)', { eval: true }); }\n",
}


@pytest.mark.parametrize("name", list(PROCESS_CASES))
def test_process_limits(js_slow_calls, name):
    # Each forked node is heavy (tens of MB): a fork bomb may meet the memory limit before the pids one. Under
    # gVisor the learner's processes are bounded by RLIMIT_NPROC inside and the sandbox may die whole (a crash).
    # Threads are cheap and the loop creating them is synchronous: the call's timeout may come first.
    heavy = {"spawn-bomb": PROCESS, "fork-bomb": {PROCESS, MEMORY}, "worker-threads": {PROCESS, MEMORY, TIME}}[name]
    verdict = {"runc": heavy, "runsc": {PROCESS, RUNTIME_ERROR, TIME, MEMORY}}
    js_slow_calls.check(PROCESS_CASES[name] + MAIN, verdict, 0.0)


MEMORY_CASES = {
    "arrays": "function add(a, b) { const hoard = []; for (;;) hoard.push(new Array(100000).fill(a)); }\n",
    "buffers": "function add(a, b) { const hoard = []; for (;;) hoard.push(Buffer.alloc(1 << 20, 1)); }\n",
    "string-doubling": "function add(a, b) {\n  let s = 'x';\n  const keep = [];\n"
                       "  for (;;) { s = s + s; keep.push(s + '!'); }\n}\n",
}


@pytest.mark.parametrize("name", list(MEMORY_CASES))
def test_memory_bombs(js_slow_calls, name):
    # A string past V8's maximum length throws a RangeError instead (a runtime error, not memory).
    allowed = {MEMORY, RUNTIME_ERROR} if name == "string-doubling" else MEMORY
    js_slow_calls.check(MEMORY_CASES[name] + MAIN, {"runc": allowed, "runsc": {MEMORY, RUNTIME_ERROR, TIME}}, 0.0)


@pytest.mark.parametrize("stream", ["log", "error"])
def test_output_floods(js, stream):
    grade, _ = js.check(f"function add(a, b) {{ for (;;) console.{stream}('spam'.repeat(200)); }}\n" + MAIN,
                        OUTPUT, 0.0)


def test_binary_and_terminal_escapes_are_made_inert(js):
    # The visible example throws an error full of escapes and bidi overrides: shown, but inert (assert_inert).
    js.check("function add(a, b) {\n"
             "  if (a === 1) throw new Error('\\x1b[2J\\x1b]0;pwned\\x07\\u202e\\u0000<b>x</b>');\n"
             "  return a + b;\n}\n" + MAIN, RUNTIME_ERROR, THREE_CHECKS)


# --- network and the host -----------------------------------------------------------------------------------

NETWORK_TEMPLATE = """
const net = require('net');
const dns = require('dns');
function add(a, b) { return a + b; }
function connect(host, port, payload) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (text) => { socket.destroy(); resolve(text); };
    socket.setTimeout(500, () => done('BLOCKED timeout'));
    socket.on('error', (error) => done('BLOCKED ' + error.code));
    socket.on('connect', () => { if (payload) socket.write(payload); else done('CONNECTED'); });
    socket.on('data', (data) => done('CONNECTED got ' + JSON.stringify(String(data).slice(0, 40))));
  });
}
async function probe() {
%s
}
module.exports = { add };
if (require.main === module) probe().then((said) => console.log(said));
"""
PROBES = {
    "redis-on-loopback": "  return connect('127.0.0.1', 6379, 'PING\\r\\n');",
    "http-get-redis-on-loopback": """  return new Promise((resolve) => {
    require('http').get('http://127.0.0.1:6379/', (res) => resolve('CONNECTED ' + res.statusCode))
      .on('error', (error) => resolve('BLOCKED ' + error.code)).setTimeout(500, () => resolve('BLOCKED timeout'));
  });""",
    "redis-via-docker-gateway": "  return connect('172.17.0.1', 6379, 'PING\\r\\n');",
    "outside-address": "  return connect('1.1.1.1', 80, 'GET / HTTP/1.0\\r\\n\\r\\n');",
    "http-get-outside": """  return new Promise((resolve) => {
    require('http').get('http://93.184.215.14/', (res) => resolve('CONNECTED ' + res.statusCode))
      .on('error', (error) => resolve('BLOCKED ' + error.code)).setTimeout(500, () => resolve('BLOCKED timeout'));
  });""",
    "dns-lookup": """  return new Promise((resolve) => dns.lookup('example.com', (error, address) =>
    resolve(error ? 'BLOCKED ' + error.code : 'RESOLVED ' + address)));""",
    "dns-resolver": """  return dns.promises.resolve4('example.com')
    .then((a) => 'RESOLVED ' + a, (error) => 'BLOCKED ' + error.code);""",
}


@pytest.mark.parametrize("name", list(PROBES))
def test_network_is_unreachable(js, name):
    grade, _ = js.check(NETWORK_TEMPLATE % PROBES[name], FAILED, THREE_CHECKS)
    said = grade.diagnostics["outputs"]["program"]
    assert said.startswith("BLOCKED"), said


PROC_PROBE = """
const fs = require('fs');
function attempt(path) {  // a bounded read: /proc/<pid>/mem has no end
  try {
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    return path + ':read ' + fs.readSync(fd, Buffer.alloc(64), 0, 64, null);
  } catch (error) { return path + ':' + error.code; }
}
function add(a, b) {
  if (a !== 1) return a + b;
  const entry = process.ppid;  // the entry process: our parent (node runs in its forked child)
  return [attempt('/proc/1/environ'), attempt('/proc/1/mem'), attempt(`/proc/${entry}/mem`),
          attempt(`/proc/${entry}/environ`), attempt(`/proc/${entry}/fd/0`)].join(' ');
}
""" + MAIN


def test_reading_the_entry_process_is_denied(js):
    # The example's answer is the probe's report: a wrong answer, shown with the value it returned. The entry
    # process (which holds the job) is not dumpable: its memory cannot be read. Under gVisor its environment (the
    # container's, empty of secrets) and its stdin can be opened, a known gVisor difference that the runner's
    # phases allow for (the hidden message goes only once no learner process is left).
    grade, _ = js.check(PROC_PROBE, FAILED, THREE_CHECKS)
    report = by_id(grade)["add-example"].message["en"]
    entry = report.split("/proc/")[3].split("/")[0]
    assert f"/proc/{entry}/mem:EACCES" in report and "/proc/1/mem:read" not in report, report
    if js.runtime == "runc":
        assert f"/proc/{entry}/environ:EACCES" in report and f"/proc/{entry}/fd/0:EACCES" in report, report


# --- forgeries ----------------------------------------------------------------------------------------------

FORGERIES = {
    # Records written on fd 3 by the learner's module, beside the harness's own.
    "duplicate-records": ("require('fs').writeSync(3, JSON.stringify({ id: 'add-example', value: 3 }) + '\\n');\n"
                          "function add(a, b) { return a + b; }\n", RUNTIME_ERROR, ONE_CHECK),
    "extra-id": ("require('fs').writeSync(3, JSON.stringify({ id: 'add-bonus', value: 1 }) + '\\n');\n"
                 "function add(a, b) { return a + b; }\n", RUNTIME_ERROR, ONE_CHECK),
    "malformed-line": ("require('fs').writeSync(3, '{\"id\": \"add-big\", \"value\": \\n');\n"
                       "function add(a, b) { return a + b; }\n", RUNTIME_ERROR, ONE_CHECK),
    "forged-passed-flag": ("require('fs').writeSync(3, JSON.stringify({ id: 'add-big', passed: true }) + '\\n');\n"
                           "function add(a, b) { return a + b; }\n", RUNTIME_ERROR, TWO_CHECKS),
    # The harness's own tools, patched to turn a wrong answer into the right one: they took theirs first. (An
    # index setter on Array.prototype breaks the learner's own program, whose destructuring goes through it.)
    "object-prototype-tojson": ("Object.prototype.toJSON = function () { return this.a + this.b; };\n"
                                "function add(a, b) { return { a, b }; }\n", FAILED, ONE_CHECK),
    "array-prototype-tojson": ("Array.prototype.toJSON = function () { return this[0] + this[1]; };\n"
                               "function add(a, b) { return [a, b]; }\n", FAILED, ONE_CHECK),
    "json-stringify": ("const real = JSON.stringify;\n"
                       "JSON.stringify = (v, ...rest) => real(Array.isArray(v) ? v[0] + v[1] : v, ...rest);\n"
                       "function add(a, b) { return [a, b]; }\n", FAILED, ONE_CHECK),
    "fs-writesync": ("const fs = require('fs'); const real = fs.writeSync;\n"
                     "fs.writeSync = (fd, text, ...rest) => real(fd, fd === 3 ? String(text).replace("
                     "/\"value\":\\[(-?\\d+),(-?\\d+)\\]/, (m, a, b) => '\"value\":' + (+a + +b)) : text, ...rest);\n"
                     "function add(a, b) { return [a, b]; }\n", FAILED, ONE_CHECK),
    "array-index-setter": ("Object.defineProperty(Array.prototype, '0', { set() {}, get() { return 42; }, "
                           "configurable: true });\nfunction add(a, b) { return a - b; }\n", RUNTIME_ERROR, 0.0),
    "vm-runincontext": ("require('vm').Script.prototype.runInContext = () => ({ valueJson: '3' });\n"
                        "function add(a, b) { return a - b; }\n", FAILED, ONE_CHECK),
    "promise-then": ("Promise.prototype.then = function (resolve) { resolve(3); };\n"
                     "async function add(a, b) { return a - b; }\n", FAILED, ONE_CHECK),
    "process-exit-patched": ("process.exit = () => {}; process.reallyExit = () => {};\n"
                             "function add(a, b) { return a - b; }\n", FAILED, ONE_CHECK),
    "stdout-write-patched": ("process.stdout.write = () => true;\n"
                             "function add(a, b) { return a - b; }\n", FAILED, 0.0),
    # Values that lie: a getter, a Proxy, a class instance, a toJSON of its own, a thenable that is no Promise.
    "lying-getter": ("function add(a, b) { let n = 0; return { get sum() { return n++ ? a + b : 0; } }; }\n",
                     FAILED, ONE_CHECK),
    "proxy": ("function add(a, b) { return new Proxy([], { get: (t, k) => (k === 'length' ? 1 : a + b) }); }\n",
              FAILED, ONE_CHECK),
    "own-tojson": ("function add(a, b) { return { toJSON: () => a + b }; }\n", FAILED, ONE_CHECK),
    "number-object": ("function add(a, b) { return new Number(a + b); }\n", FAILED, ONE_CHECK),
    "thenable": ("function add(a, b) { return { then: (resolve) => resolve(a + b) }; }\n", FAILED, ONE_CHECK),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_forgeries_score_nothing_they_did_not_compute(js, name):
    # ONE_CHECK: the program (which prints its own sum, honestly) is all such a submission earns.
    code, verdict, score = FORGERIES[name]
    main = MAIN if "a + b; }" in code else MAIN.replace("console.log(add(a, b));", "console.log(a + b);")
    js.check(code + main, verdict, score)


def test_exit_at_import_reports_no_result(js):
    grade, _ = js.check("process.exit(0);\n" + "function add(a, b) { return a + b; }\n" + MAIN, RUNTIME_ERROR, 0.0)
    assert {c.status for c in grade.checks} == {"missing", "failed"}


def test_exit_during_a_call_loses_the_later_calls(js):
    grade, _ = js.check("function add(a, b) {\n  if (a > 100000000) process.exit(0);\n  return a + b;\n}\n" + MAIN,
                        RUNTIME_ERROR, TWO_CHECKS)
    assert by_id(grade)["add-small"].status == "missing"


def test_killing_the_entry_process_is_a_crash(js):
    js.check("function add(a, b) {\n  if (a > 100000000) process.kill(process.ppid, 'SIGKILL');\n  return a + b;\n}\n"
             + MAIN, RUNTIME_ERROR, 0.0)


# --- hidden inputs ------------------------------------------------------------------------------------------

def test_hidden_inputs_printed_or_thrown_never_reach_the_learner(js):
    # Everything a hidden call does with its inputs (print them, throw them, return them) stays hidden; the
    # visible example fails on purpose, so that what it shows is checked too (assert_hides_hidden_inputs).
    code = ("function add(a, b) {\n  console.log('inputs', a, b); console.error('inputs', a, b);\n"
            "  if (a === 1) return 'wrong';\n  if (a > 100000000) throw new Error(`leak ${a} ${b}`);\n"
            "  return `${a} ${b}`;\n}\n" + MAIN.replace("console.log(add(a, b));",
                                                       "console.error(a, b); throw new Error(`leak ${a} ${b}`);"))
    grade, result = js.check(code, RUNTIME_ERROR, 0.0)
    assert any(value in result.step("hidden-calls").stdout for value in HIDDEN_INPUTS)  # it did print them
    assert by_id(grade)["add-example"].details == {"console": "inputs 1 2\n"}


def test_a_practice_run_scores_nothing_even_with_a_forged_report(js):
    # The public tests run beside the learner's code and can be fooled (here: a TAP line of its own on the
    # reporter's descriptor): they inform, and a practice run carries no check and no point whatever it reports.
    code = ("try { require('fs').writeSync(3, 'ok 1 - adds small numbers\\n'); } catch (e) {}\n"
            "function add(a, b) { return a - b; }\n" + MAIN)
    grade, result = js.run(js.plan(code, practice=True))
    assert (grade.score, grade.max_score, grade.checks) == (0, 0, [])
    assert "adds small numbers" in [test.name for test in grade.public_tests]
    js.assert_gone(result)
    js.assert_benign_passes()
