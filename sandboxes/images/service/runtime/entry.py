"""Entry process of the http-service image, in both containers of a run (sandboxes/runner.py, plans with a prober).

Learner side (`serve`): the learner's server runs in the background, its stdout and stderr drained into capped
buffers, while this process waits for the runner's messages: each segment message restarts the server (every
learner process killed first, then the segment's frame, then a fresh start), the `end` message stops it. Every
frame of ours goes out while no learner process is alive (see the runner's _exchange_with_prober), and the step
lists the nonces it handled, so that a message taken off our stdin by learner code shows.

Prober side (`probe`): common/httpprobe.py, shared with the web image (fullstack's browser container).

Exploit labs (graders/exploit_lab.py) swap the roles: the trusted vulnerable service (`target`) runs in the prober's
container, from the exercise's own files, with this run's secret in its environment; the learner's exploit
(`exploit`) runs in the learner's container, once, at the segment message that says the target answers.
"""
import json
import os
import select
import shutil
import sys
import time

sys.path.insert(0, "/opt/lms")  # -I leaves the script's folder out of sys.path
from entrylib import (WORK_DIR, Runtime, child_main, kill_leftovers, main, oom_kills, pids_max_hits,  # noqa: E402
                      read_message, step_result, write_frame)
from httpprobe import action_probe, send, wait_for_port  # noqa: E402

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


# --- learner side ------------------------------------------------------------------------------------------

def exec_server(args):
    """In the forked child (entrylib.child_main did the sandboxing): become the learner's server (or exploit, or
    a lab's target), with the environment the plan adds (the target's address; a target's secret)."""
    env = dict(os.environ)
    env.update({str(name): str(value) for name, value in (args.get("env") or {}).items()})
    os.execvpe(args["command"][0], args["command"], env)


class Server:
    """The learner's server process, its output drained into capped buffers while it runs."""

    def __init__(self, command, limits, output_cap, env=None, stop_on_flood=True):
        self.command = command
        self.env = env or {}
        # A learner's flood ends their process; a lab's target keeps serving and its log just stops growing.
        self.stop_on_flood = stop_on_flood
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
            child_main(RUNTIME, {"action": "exec", "args": {"command": self.command, "env": self.env}}, self.limits,
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
        if self.output_exceeded and self.pid is not None and self.stop_on_flood:
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


# --- exploit labs ------------------------------------------------------------------------------------------

def action_exploit(step, limits):
    """Learner side of an exploit lab: wait for the segment message (the target answers), run the learner's
    exploit once, to its end or for `seconds` at most, kill what it left, answer; then wait for `end`."""
    started = time.monotonic()
    args = step.get("args", {})
    reset_work_dir(set(args.get("keep", [])))
    oom_before, pids_before = oom_kills(), pids_max_hits()
    exploit = Server(args["command"], limits, int(limits.get("output_bytes", 65536)), env=args.get("env"))
    deadline = started + float(step.get("timeout", limits.get("wall_seconds", 5)))
    handled = []
    timed_out = ran = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        readable, _, _ = select.select([0], [], [], min(remaining, 0.5))
        if not readable:
            continue
        try:
            message = read_message()
        except (EOFError, ValueError):
            break
        nonce = message.get("nonce") if isinstance(message, dict) else None
        handled.append(nonce)
        if not isinstance(message, dict) or message.get("end"):
            break
        if not ran:
            ran = True
            timed_out = not run_to_end(exploit, min(deadline, time.monotonic() + float(args["seconds"])))
        if not exploit.stop():
            break  # learner processes that cannot be killed: no frame, the runner sees a crash
        exploit.reap()
        write_frame({"segment": message.get("segment"), "nonce": nonce})
    exploit.stop()
    exploit.reap()
    exit_code, term_signal = exploit.died or (None if timed_out or not ran else 0, None)
    result = step_result(step["name"], started, exit_code=exit_code, timed_out=timed_out,
                         stdout=exploit.out.decode("utf-8", "replace"), stderr=exploit.err.decode("utf-8", "replace"))
    result.update(signal=term_signal, output_exceeded=exploit.output_exceeded, oom_killed=oom_kills() > oom_before,
                  pids_exhausted=pids_max_hits() > pids_before, handled=handled)
    return result


def run_to_end(process, deadline):
    """Start `process` and drain its output until it ends (True) or `deadline` passes (False)."""
    process.start()
    while process.pid is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if process.pipes:
            readable, _, _ = select.select(list(process.pipes), [], [], min(remaining, 0.05))
            process.pump(readable)
        else:
            time.sleep(min(remaining, 0.01))
        process.reap()
    return True


TARGET_LOG_CAP = 32 * 1024


def action_target(step, limits):
    """Prober side of an exploit lab: the trusted vulnerable service, from this container's files (the
    exercise's), with this run's secret in its environment. Once its port answers, one pause (the segment, while
    the learner's exploit runs), then whether it still answers; its log comes back as the step's output."""
    started = time.monotonic()
    args = step["args"]
    port = int(args["port"])
    # The hidden phase's target starts from the exercise's files, not from the visible one's data.
    reset_work_dir(set(args.get("keep", [])))
    target = Server(args["command"], limits, TARGET_LOG_CAP, env=args.get("env"), stop_on_flood=False)
    target.start()
    ready_from = time.monotonic()
    address = wait_ready(target, port, float(args["ready_seconds"]))
    ready_ms = round((time.monotonic() - ready_from) * 1000, 1)
    write_frame({"segment": 1})  # the runner has the learner's exploit run, then says go on
    while True:
        readable, _, _ = select.select([0, *target.pipes], [], [], 0.5)
        target.pump([fd for fd in readable if fd != 0])
        target.reap()
        if 0 in readable:
            read_message()
            break
    alive = False
    if address is not None and target.pid is not None:
        answer = send(address, port, {"method": "GET", "path": args.get("health_path", "/")}, 1.5, 1024)
        alive = "status" in answer
    target.stop()
    record = {"id": "_target", "ready": address is not None, "ready_ms": ready_ms, "alive_after": alive,
              "exit": list(target.died) if target.died else None}
    return step_result(step["name"], started, records=json.dumps(record),
                       stdout=target.out.decode("utf-8", "replace"), stderr=target.err.decode("utf-8", "replace"))


def wait_ready(target, port, seconds):
    """The target's address once its port accepts connections (its output drained meanwhile), None if it did not
    within `seconds` or ended."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and target.pid is not None:
        address = wait_for_port(port, 0)
        if address is not None:
            return address
        if target.pipes:
            readable, _, _ = select.select(list(target.pipes), [], [], 0.02)
            target.pump(readable)
        else:
            time.sleep(0.02)
        target.reap()
    return None


RUNTIME = Runtime(actions={"exec": exec_server}, child_env=CHILD_ENV,
                  inprocess={"serve": action_serve, "probe": action_probe, "exploit": action_exploit,
                             "target": action_target})

if __name__ == "__main__":
    os._exit(main(RUNTIME))
