"""Entry process of the http-service image, in both containers of a run (sandboxes/runner.py, plans with a prober).

Learner side (`serve`): the learner's server runs in the background, its stdout and stderr drained into capped
buffers, while this process waits for the runner's messages: each segment message restarts the server (every
learner process killed first, then the segment's frame, then a fresh start), the `end` message stops it. Every
frame of ours goes out while no learner process is alive (see the runner's _exchange_with_prober), and the step
lists the nonces it handled, so that a message taken off our stdin by learner code shows.

Prober side (`probe`): in a container of its own that holds no learner file and shares only the learner's network
namespace, it waits for the port, sends the checks' requests (values generated on the trusted side; values
captured from earlier answers substituted here), and records every exchange, capped. A restart of the learner's
server between two rounds of requests is a segment: the prober writes its frame and waits for the go-ahead.
"""
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, "/opt/lms")  # -I leaves the script's folder out of sys.path
from entrylib import (RECORDS_CAP, WORK_DIR, Runtime, child_main, kill_leftovers, main, oom_kills,  # noqa: E402
                      pids_max_hits, read_message, step_result, write_frame)

CHILD_ENV = {
    "HOME": "/work",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "NODE_PATH": "/usr/share/nodejs:/usr/lib/nodejs",
    "TMPDIR": "/tmp",
}
ADDRESSES = (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6))  # a server on 0.0.0.0, :: or localhost
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.:-]*)\s*\}\}")
HEADERS_KEPT = 30
HEADER_VALUE_CAP = 200
# What the records of a phase may hold (entrylib caps them at RECORDS_CAP): answers beyond it are dropped, marked
# truncated, so a server answering huge escaped bodies gets "too large", never a broken channel.
RECORDS_BUDGET = RECORDS_CAP * 3 // 4


# --- learner side ------------------------------------------------------------------------------------------

def exec_server(args):
    """In the forked child (entrylib.child_main did the sandboxing): become the learner's server."""
    os.execvpe(args["command"][0], args["command"], dict(os.environ))


class Server:
    """The learner's server process, its output drained into capped buffers while it runs."""

    def __init__(self, command, limits, output_cap):
        self.command = command
        self.limits = limits
        self.cap = output_cap
        self.out = bytearray()
        self.err = bytearray()
        self.pid = None
        self.pipes = {}
        self.died = None  # (exit code, signal) of a server that ended on its own
        self.output_exceeded = False

    def start(self):
        if self.output_exceeded:  # a flood is not restarted
            return
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        null = os.open(os.devnull, os.O_RDWR)
        try:
            pid = os.fork()
        except OSError as exc:  # the process limit: nothing to start, the prober finds no server
            for fd in (out_r, out_w, err_r, err_w, null):
                os.close(fd)
            self.err += f"[sandbox] could not start the server: {exc}\n".encode()
            return
        if pid == 0:
            child_main(RUNTIME, {"action": "exec", "args": {"command": self.command}}, self.limits,
                       (null, out_w, err_w, null))
        for fd in (out_w, err_w, null):
            os.close(fd)
        self.pid = pid
        self.pipes = {out_r: self.out, err_r: self.err}

    def pump(self, readable):
        for fd in readable:
            if fd not in self.pipes:
                continue
            chunk = os.read(fd, 65536)
            buffer = self.pipes[fd]
            if not chunk:
                os.close(fd)
                del self.pipes[fd]
                continue
            room = self.cap - len(buffer)
            buffer += chunk[:max(room, 0)]
            if len(chunk) > room:
                self.output_exceeded = True
        if self.output_exceeded and self.pid is not None:
            self.stop()

    def reap(self):
        """Reap every child (orphans are ours: we are the subreaper); note how the server ended if it did."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not pid:
                return
            if pid == self.pid:
                self.pid = None
                if self.died is None:
                    self.died = (os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                                 os.WTERMSIG(status) if os.WIFSIGNALED(status) else None)

    def stop(self):
        """Kill the server and every other learner process (kill_leftovers reaps them); read what is left in the
        pipes. False if some could not be killed."""
        self.reap()
        killed = kill_leftovers()
        self.pid = None
        while self.pipes:
            readable, _, _ = select.select(list(self.pipes), [], [], 0)
            if not readable:
                break
            self.pump(readable)
        for fd in list(self.pipes):
            os.close(fd)
        self.pipes = {}
        return killed


def reset_work_dir(keep):
    """Only the submitted files at the start of a phase: the hidden phase's server starts from them too."""
    for name in os.listdir(WORK_DIR):
        if name in keep:
            continue
        path = os.path.join(WORK_DIR, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def action_serve(step, limits):
    """Run the learner's server for a whole phase, restarting it at each segment message, until `end`."""
    started = time.monotonic()
    args = step.get("args", {})
    reset_work_dir(set(args.get("keep", [])))
    oom_before, pids_before = oom_kills(), pids_max_hits()
    server = Server(args["command"], limits, int(limits.get("output_bytes", 65536)))
    deadline = started + float(step.get("timeout", limits.get("wall_seconds", 5)))
    handled = []
    timed_out = False
    server.start()
    while True:
        server.reap()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        readable, _, _ = select.select([0, *server.pipes], [], [], min(remaining, 0.5))
        server.pump([fd for fd in readable if fd != 0])
        if 0 not in readable:
            continue
        try:
            message = read_message()
        except (EOFError, ValueError):
            break
        nonce = message.get("nonce") if isinstance(message, dict) else None
        handled.append(nonce)
        if not isinstance(message, dict) or message.get("end"):
            break
        if not server.stop():
            break  # learner processes that cannot be killed: no frame, the runner sees a crash
        server.reap()
        write_frame({"segment": message.get("segment"), "nonce": nonce})
        server.start()
    server.stop()
    server.reap()
    exit_code, term_signal = server.died or (0, None)
    result = step_result(step["name"], started, exit_code=exit_code, timed_out=timed_out,
                         stdout=server.out.decode("utf-8", "replace"), stderr=server.err.decode("utf-8", "replace"))
    result.update(signal=term_signal, output_exceeded=server.output_exceeded, oom_killed=oom_kills() > oom_before,
                  pids_exhausted=pids_max_hits() > pids_before, handled=handled)
    return result


# --- prober side -------------------------------------------------------------------------------------------

class RequestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise RequestTimeout()


def substitute(template, values):
    """Placeholders {{name}} replaced by values: a string that is one placeholder takes the value as it is (a
    number stays a number). Raises KeyError with the name of one that has no value."""
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template.strip())
        if whole:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)
    if isinstance(template, list):
        return [substitute(item, values) for item in template]
    if isinstance(template, dict):
        return {key: substitute(value, values) for key, value in template.items()}
    return template


def lookup(data, path):
    """The value at a dotted path (`id`, `items.0.id`) of a JSON answer; KeyError if there is none."""
    for part in str(path).split("."):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            raise KeyError(path)
    return data


def wait_for_port(port, seconds):
    """The address of the first loopback interface on which something accepts connections on `port`."""
    deadline = time.monotonic() + seconds
    while True:
        for address, family in ADDRESSES:
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.settimeout(0.2)
                try:
                    probe.connect((address, port))
                    return address
                except OSError:
                    pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def send(address, port, request, timeout, body_cap):
    """One request over a fresh connection, bounded in time as a whole; the answer capped."""
    exchange = {"method": request["method"], "path": request["path"]}
    headers = {"Connection": "close", **request.get("headers", {})}
    body = None
    if "json" in request:
        exchange["sent"] = request["json"]
        body = json.dumps(request["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "body" in request:
        exchange["sent"] = request["body"]
        body = request["body"].encode()
    started = time.monotonic()
    connection = http.client.HTTPConnection(address, port, timeout=timeout)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        connection.request(request["method"], request["path"], body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read(body_cap + 1)
        exchange["status"] = answer.status
        exchange["headers"] = {name.lower(): value[:HEADER_VALUE_CAP]
                               for name, value in answer.getheaders()[:HEADERS_KEPT]}
        exchange["truncated"] = len(data) > body_cap
        exchange["body"] = data[:body_cap].decode("utf-8", "replace")
    except RequestTimeout:
        exchange["error"] = "timeout"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        exchange["error"] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        connection.close()
    exchange["ms"] = round((time.monotonic() - started) * 1000, 1)
    return exchange


def rounds_of(check):
    """A check's requests split at its restarts."""
    rounds = [[]]
    for item in check["steps"]:
        if item.get("restart"):
            rounds.append([])
        else:
            rounds[-1].append(item)
    return rounds


def answer_json(exchange):
    if exchange.get("truncated") or "body" not in exchange or "status" not in exchange:
        raise KeyError("no JSON answer")
    try:
        return json.loads(exchange["body"])
    except (ValueError, RecursionError):
        raise KeyError("no JSON answer") from None


def action_probe(step, limits):
    """Every check's requests, round by round; between rounds the learner's server is restarted (a segment)."""
    started = time.monotonic()
    args = step["args"]
    port, timeout, body_cap = int(args["port"]), float(args["request_timeout"]), int(args["body_cap"])
    signal.signal(signal.SIGALRM, _on_alarm)
    checks = [(check, rounds_of(check)) for check in args["checks"]]
    values = {check["id"]: dict(check.get("values", {})) for check, _ in checks}
    transcripts = {check["id"]: [] for check, _ in checks}
    readiness = []
    used = 0
    count = max((len(rounds) for _, rounds in checks), default=1)
    for number in range(count):
        if number:
            write_frame({"segment": number})  # the runner restarts the learner's server, then says go on
            read_message()
            for check, rounds in checks:
                if number < len(rounds):
                    transcripts[check["id"]].append({"restart": True})
        ready_from = time.monotonic()
        address = wait_for_port(port, float(args["ready_seconds"]))
        readiness.append({"ready": address is not None, "ms": round((time.monotonic() - ready_from) * 1000, 1)})
        for check, rounds in checks:
            for item in rounds[number] if number < len(rounds) else []:
                try:
                    request = substitute(item["request"], values[check["id"]])
                except KeyError as exc:
                    transcripts[check["id"]].append({"method": item["request"]["method"],
                                                     "path": item["request"]["path"], "unresolved": str(exc)[:100]})
                    continue
                if address is None:
                    exchange = {"method": request["method"], "path": request["path"], "error": "not_ready"}
                else:
                    exchange = send(address, port, request, timeout, body_cap)
                captured = {}
                for name, path in item.get("capture", {}).items():
                    try:
                        value = lookup(answer_json(exchange), path)
                    except KeyError:
                        continue
                    if value is None or type(value) in (str, int, float, bool):  # a value to send back, no tree
                        captured[name] = value
                values[check["id"]].update(captured)
                exchange["captured"] = captured
                size = len(json.dumps(exchange))
                if used + size > RECORDS_BUDGET:
                    exchange.update(headers={}, body="", truncated=True)
                    size = len(json.dumps(exchange))
                used += size
                transcripts[check["id"]].append(exchange)
    records = [{"id": "_server", "rounds": readiness}]
    records += [{"id": check_id, "exchanges": exchanges} for check_id, exchanges in transcripts.items()]
    text = "\n".join(json.dumps(record, separators=(",", ":")) for record in records)
    return step_result(step["name"], started, records=text)


RUNTIME = Runtime(actions={"exec": exec_server}, child_env=CHILD_ENV,
                  inprocess={"serve": action_serve, "probe": action_probe})

if __name__ == "__main__":
    os._exit(main(RUNTIME))
