"""What every sandbox image's entry process shares: the job protocol, the step runner and the clean-up between
phases. Each image's entry.py (sandboxes/images/<runtime>/runtime/) declares its actions in a `Runtime` and calls
`main(runtime)`; build.sh copies this file beside it as /opt/lms/entrylib.py.

The entry process waits on stdin for exactly one job, writes the job's files into the writable work dir, runs each
step (in a forked child, or in this process for an image's trusted in-process actions such as driving a browser)
and answers with one result frame per phase on stdout. Then it exits, and the container is destroyed by the worker.

A job has one or two phases. With two, the first message holds the files and the visible steps only; the hidden
steps (the inputs of hidden checks) come in a second message, which the runner sends once it has the first
phase's frame, and which this process reads only after that frame: by then every process of the first phase is
dead (Runtime.end_phase, kill_leftovers by default), so no learner code that could show its output to the learner
ever runs in a process, or beside a pipe, that held a hidden input.

Nothing in here is trusted by the grader: the worker judges what this process reports against expected values
that never enter the container. The process still makes itself hard to tamper with: it is not dumpable (so the
learner's code cannot read its memory or reach its stdout through /proc), it kills every leftover process
after each step, and it caps what it reads from the learner's pipes.

Frames on stdout: ``LMS1 <length>\\n<json>``. The first says ``{"ready": true}`` once the runtime is prepared
(imports done, a browser launched...); then one ``{"phase": <number>, "steps": [...]}`` per phase (the second
also echoes the ``nonce`` of its message, the last carries the collected ``files``), or ``{"error": ...}`` for a
job refused before any learner code ran.
Messages on stdin: ``<length>\\n<json>``. The job: ``files`` (path -> text), ``steps``, ``limits``, ``collect``,
``phases`` (1 when absent); the second phase's message: ``steps`` and ``nonce``.
"""
import ctypes
import errno
import io
import json
import os
import resource
import select
import signal
import stat
import sys
import time

WORK_DIR = "/work/sub"
MAX_JOB_BYTES = 8 * 1024 * 1024
RECORDS_CAP = 1024 * 1024
COLLECT_FILE_CAP = 256 * 1024  # per file copied out; the runner checks again
COLLECT_MAX_FILES = 32
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
def _prctl(option, value):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def write_frame(payload):
    data = json.dumps(payload, separators=(",", ":")).encode()
    os.write(1, b"LMS1 %d\n" % len(data))
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


def read_exact(fd, count):
    chunks = []
    while count > 0:
        chunk = os.read(fd, min(count, 65536))
        if not chunk:
            raise EOFError("job stream closed")
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_message():
    header = b""
    while not header.endswith(b"\n"):
        byte = os.read(0, 1)
        if not byte:
            raise EOFError("job stream closed before the header")
        header += byte
        if len(header) > 20:
            raise ValueError("bad job header")
    length = int(header)
    if length > MAX_JOB_BYTES:
        raise ValueError("job too large")
    return json.loads(read_exact(0, length))


def safe_relative(path):
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def write_files(files):
    os.makedirs(WORK_DIR, exist_ok=True)
    for path, text in files.items():
        if not safe_relative(path):
            raise ValueError(f"unsafe path {path!r}")
        target = os.path.join(WORK_DIR, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)


# --- cgroup counters: how we tell "killed for memory" and "hit the process limit" from other deaths ---

def _counter(paths, key):
    for path in paths:
        try:
            with open(path) as handle:
                for line in handle:
                    name, _, value = line.strip().partition(" ")
                    if name == key:
                        return int(value)
        except (OSError, ValueError):
            continue
    return 0


def oom_kills():
    return _counter(["/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"], "oom_kill")


def pids_max_hits():
    return _counter(["/sys/fs/cgroup/pids.events", "/sys/fs/cgroup/pids/pids.events"], "max")


# --- run inside the forked child ---------------------------------------------------------------

class RecordWriter:
    """Writes one JSON line per record to fd 3, the channel the parent reads."""

    def write(self, record):
        os.write(3, (json.dumps(record, allow_nan=False) + "\n").encode())


def child_main(runtime, step, limits, fds):
    code = 1
    try:
        # Non-dumpable is inherited: undo it, or /proc/self turns root-owned and oom_score_adj below fails,
        # letting the kernel's OOM killer pick the entry process instead of the learner's.
        _prctl(PR_SET_DUMPABLE, 1)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(4, 1024)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
        cpu = limits.get("cpu_seconds", 5)
        if cpu is not None:  # None: a child started ahead, whose limit the entry process sets when a step takes it
            resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        try:
            with open("/proc/self/oom_score_adj", "w") as handle:
                handle.write("1000")
        except OSError:
            pass
        os.environ.clear()
        os.environ.update(runtime.child_env)
        os.chdir(WORK_DIR)
        sys.dont_write_bytecode = True
        code = runtime.actions[step["action"]](step.get("args", {}))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:  # noqa: BLE001 - report the learner's traceback on stderr
        try:
            sys.stderr.write(runtime.describe_error(exc))
        except BaseException:  # noqa: BLE001
            pass
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code & 0xFF if isinstance(code, int) else 1)


def kill_leftovers(timeout=2.0):
    """Kill every process but us, init and the children started ahead that no step took yet (`PREBOOTED`): what a
    step forked must not live into the next step. True once none is left, False if some still were after
    `timeout`.

    Loop until kill(-1) finds nothing left to signal. Waiting until we have no child is not enough: gVisor has no
    PR_SET_CHILD_SUBREAPER, so there an orphan (a double-forked daemon) is init's child, not ours, and a daemon
    that keeps forking can be born after one kill(-1) went by. Zombies count as signalled until reaped: we reap
    ours, init reaps its own."""
    deadline = time.monotonic() + timeout
    spared = {child.pid for child in PREBOOTED}
    while True:
        if spared:
            signalled = _kill_all_but(spared)
        else:
            try:
                os.kill(-1, signal.SIGKILL)
                signalled = True
            except ProcessLookupError:
                signalled = False
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if not signalled:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)


def _kill_all_but(spared):
    """kill(-1) but for the `spared` pids: whether any process was signalled (zombies count until reaped)."""
    signalled = False
    keep = {1, os.getpid(), *spared}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in keep:
            try:
                os.kill(int(entry), signal.SIGKILL)
                signalled = True
            except (ProcessLookupError, PermissionError):
                pass
    return signalled


class Prebooted:
    """A step's child forked and confined before the job came, its action started and waiting on its stdin (a
    runtime's `preboot` actions, whose start-up needs nothing of the job: node booting its harness). It never ran
    learner code; a step of that action takes it instead of forking, with the job's CPU limit set on it then."""

    def __init__(self, runtime, action):
        stdin_r, self.stdin_w = os.pipe()
        self.out_r, out_w = os.pipe()
        self.err_r, err_w = os.pipe()
        self.rec_r, rec_w = os.pipe()
        self.action = action
        sys.stdout.flush()
        self.pid = os.fork()
        if self.pid == 0:
            child_main(runtime, {"action": action, "args": {}}, {"cpu_seconds": None}, (stdin_r, out_w, err_w, rec_w))
        for fd in (stdin_r, out_w, err_w, rec_w):
            os.close(fd)

    def usable(self):
        try:
            with open(f"/proc/{self.pid}/stat") as handle:
                return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except (OSError, IndexError):
            return False

    def discard(self):
        for fd in (self.stdin_w, self.out_r, self.err_r, self.rec_r):
            os.close(fd)


PREBOOTED = []  # Prebooted children not taken yet, in the order steps take them


def preboot(runtime, per_action=2):
    """Start the runtime's preboot children: one per phase, for each such action."""
    if runtime.preboot:
        os.makedirs(WORK_DIR, exist_ok=True)  # their working directory; the job's files are written into it
    for action in runtime.preboot:
        PREBOOTED.extend(Prebooted(runtime, action) for _ in range(per_action))


def discard_prebooted():
    while PREBOOTED:
        PREBOOTED.pop().discard()


def take_prebooted(step, limits):
    """The first child started ahead for this step's action, still alive, its CPU limit now the job's; or None."""
    for child in PREBOOTED:
        if child.action == step.get("action") and not step.get("args"):
            PREBOOTED.remove(child)
            cpu = int(limits.get("cpu_seconds", 5))
            try:
                if not child.usable():
                    raise OSError("gone")
                resource.prlimit(child.pid, resource.RLIMIT_CPU, (cpu, cpu + 1))
            except OSError:  # killed by an earlier step's code, or out of reach: fork as usual
                child.discard()
                return None
            return child
    return None


def run_step(runtime, step, limits):
    output_cap = int(step.get("output_cap", limits.get("output_bytes", 65536)))
    timeout = float(step.get("timeout", limits.get("wall_seconds", 5)))
    oom_before, pids_before = oom_kills(), pids_max_hits()
    started = time.monotonic()
    child = take_prebooted(step, limits)
    if child is not None:
        pid, stdin_w, out_r, err_r, rec_r = child.pid, child.stdin_w, child.out_r, child.err_r, child.rec_r
    else:
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        rec_r, rec_w = os.pipe()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            child_main(runtime, step, limits, (stdin_r, out_w, err_w, rec_w))
        for fd in (stdin_r, out_w, err_w, rec_w):
            os.close(fd)
    stdin_data = step.get("stdin", "").encode()
    if stdin_data:
        os.set_blocking(stdin_w, False)
    else:
        os.close(stdin_w)
        stdin_w = None
    buffers = {out_r: bytearray(), err_r: bytearray(), rec_r: bytearray()}
    caps = {out_r: output_cap, err_r: output_cap, rec_r: RECORDS_CAP}
    open_fds = set(buffers)
    status = None
    timed_out = output_exceeded = False
    deadline = started + timeout
    while True:
        # Reap every child, not only the step's: orphans of the learner's processes are reparented to us (the
        # subreaper), and left as zombies they would count against the pids limit for the rest of the step.
        while True:
            try:
                done, raw = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not done:
                break
            if done == pid:
                status = raw
        if status is not None and not open_fds:
            break
        now = time.monotonic()
        if now >= deadline:
            timed_out = status is None
            break
        if status is not None:
            # The child is gone; whatever still holds its pipes is a leftover and will be killed.
            deadline = min(deadline, now + 0.05)
        writers = [stdin_w] if stdin_w is not None else []
        # With every pipe closed, only the child's exit is awaited, which comes within a millisecond or so of
        # its last close: poll for it finely rather than sleep 10 ms (on every step of every submission).
        poll = 0.01 if open_fds or writers else 0.001
        readable, writable, _ = select.select(list(open_fds), writers, [], min(poll, deadline - now))
        if writable:
            try:
                sent = os.write(stdin_w, stdin_data[:65536])
                stdin_data = stdin_data[sent:]
            except BrokenPipeError:  # the program closed its stdin or is gone: the rest is dropped
                stdin_data = b""
            except BlockingIOError:
                pass
            if not stdin_data:
                os.close(stdin_w)
                stdin_w = None
        for fd in readable:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            room = caps[fd] - len(buffers[fd])
            buffers[fd] += chunk[:max(room, 0)]
            if len(chunk) > room:
                open_fds.discard(fd)
                if fd != rec_r:
                    output_exceeded = True
        if output_exceeded:
            break
    duration = time.monotonic() - started
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if status is None:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 0
    kill_leftovers()
    for fd in list(buffers) + ([stdin_w] if stdin_w is not None else []):
        os.close(fd)
    exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    term_signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    return {
        "name": step["name"],
        "exit_code": exit_code,
        "signal": term_signal,
        "timed_out": timed_out,
        "output_exceeded": output_exceeded,
        "oom_killed": oom_kills() > oom_before,
        "pids_exhausted": pids_max_hits() > pids_before,
        "duration_ms": round(duration * 1000, 1),
        "stdout": buffers[out_r].decode("utf-8", "replace"),
        "stderr": buffers[err_r].decode("utf-8", "replace"),
        "records": buffers[rec_r].decode("utf-8", "replace"),
    }


# --- files copied out after the steps ------------------------------------------------------------------

def _open_beneath(path):
    """Open WORK_DIR/path for reading without following any symlink on the way, nor blocking on a FIFO.

    Every component is lstat'ed before it is opened and the opened descriptor must be that same inode: O_NOFOLLOW
    alone is not enough, since gVisor follows a symlink opened with O_DIRECTORY | O_NOFOLLOW. No learner process is
    alive by now (see kill_leftovers), so nothing can swap a component between the lstat and the open."""
    parts = WORK_DIR.strip("/").split("/") + path.split("/")
    directory = os.open("/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            before = os.lstat(part, dir_fd=directory)
            if stat.S_ISLNK(before.st_mode):
                raise OSError(errno.ELOOP, "symlink")
            if not (stat.S_ISREG(before.st_mode) if last else stat.S_ISDIR(before.st_mode)):
                raise OSError(errno.ENOTDIR, "not a regular file or directory")
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
            opened = os.open(part, flags | (0 if last else os.O_DIRECTORY), dir_fd=directory)
            after = os.fstat(opened)
            if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
                os.close(opened)
                raise OSError(errno.ELOOP, "changed while opened")
            if last:
                return opened
            os.close(directory)
            directory = opened
    finally:
        os.close(directory)


def collect_one(path, cap):
    """{"data": base64} for a regular file of at most `cap` bytes, else {"error": why}. Runs once every process
    of the learner's is dead, so nothing can swap the file between the checks and the read."""
    if not isinstance(path, str) or not safe_relative(path):
        return {"error": "unsafe path"}
    try:
        fd = _open_beneath(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return {"error": "missing"}
        if exc.errno == errno.ELOOP:
            return {"error": "symlink (not followed)"}
        if exc.errno == errno.ENOTDIR:
            return {"error": "not a regular file"}
        return {"error": f"unreadable ({errno.errorcode.get(exc.errno, exc.errno)})"}
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return {"error": "not a regular file"}
        if info.st_size > cap:
            return {"error": f"too large ({info.st_size} bytes, limit {cap})"}
        chunks, size = [], 0
        while size <= cap:
            chunk = os.read(fd, min(65536, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > cap:
            return {"error": f"too large (limit {cap} bytes)"}
        import base64

        return {"data": base64.b64encode(b"".join(chunks)).decode("ascii")}
    except OSError as exc:
        return {"error": f"unreadable ({errno.errorcode.get(exc.errno, exc.errno)})"}
    finally:
        os.close(fd)


def collect_files(spec):
    spec = spec if isinstance(spec, dict) else {}
    paths = spec.get("paths") or []
    cap = min(int(spec.get("max_bytes", COLLECT_FILE_CAP)), COLLECT_FILE_CAP)
    return {path: collect_one(path, cap) for path in paths[:COLLECT_MAX_FILES] if isinstance(path, str)}




class Runtime:
    """One image's entry process: its actions and how it prepares, describes errors and ends a phase.

    `actions` run in a forked child with the step's pipes as stdin/stdout/stderr and fd 3 for records; they return
    an exit code. Those named in `preboot` need nothing of the job to start (no argument, their input on stdin):
    their children are started before the ready frame, one per phase (see Prebooted). `inprocess` actions run in the entry process itself and return a finished step dict (for trusted
    drivers of long-lived helpers, such as a browser launched by `prepare`); they must bound their own time."""

    def __init__(self, actions, child_env, inprocess=None, prepare=None, end_phase=None, describe_error=None,
                 before_phase=None, preboot=()):
        self.actions = actions
        self.preboot = tuple(preboot)
        self.child_env = child_env
        self.inprocess = inprocess or {}
        self.prepare = prepare or (lambda: None)
        self.end_phase = end_phase or kill_leftovers
        self.describe_error = describe_error or (lambda exc: f"{type(exc).__name__}: {exc}\n")
        self.before_phase = before_phase or (lambda steps: None)


def step_result(name, started, exit_code=0, records="", stdout="", stderr="", **flags):
    """A step dict for an in-process action, in the shape run_step reports."""
    return {"name": name, "exit_code": exit_code, "signal": None, "timed_out": bool(flags.get("timed_out")),
            "output_exceeded": False, "oom_killed": False, "pids_exhausted": False,
            "duration_ms": round((time.monotonic() - started) * 1000, 1), "stdout": stdout, "stderr": stderr,
            "records": records}


def run_phase(runtime, steps, limits):
    runtime.before_phase(steps)
    results = []
    for step in steps:
        action = runtime.inprocess.get(step.get("action"))
        results.append(action(step, limits) if action else run_step(runtime, step, limits))
    return results


def main(runtime):
    _prctl(PR_SET_DUMPABLE, 0)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    # The entry process writes into pipes the learner's code reads (a step's stdin): if that code closes its end
    # or dies first, the write must fail with EPIPE, never kill us with SIGPIPE. The child gets SIG_DFL back.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    runtime.prepare()
    preboot(runtime)
    write_frame({"ready": True})
    try:
        job = read_message()
        phases = job.get("phases", 1)
        if phases not in (1, 2):
            raise ValueError(f"{phases!r} phases")
        write_files(job.get("files", {}))
    except (EOFError, ValueError, OSError) as exc:
        write_frame({"error": f"bad job: {exc}"})
        return 2
    limits = job.get("limits", {})
    message = job
    for number in range(1, phases + 1):
        if number > 1:
            # The hidden steps: sent by the runner only once it has the previous frame, read only now. Anything
            # else in their place was put there by the previous phase's code: no frame, the runner sees a crash.
            try:
                message = read_message()
            except (EOFError, ValueError):
                return 3
            if not isinstance(message, dict):
                return 3
        frame = {"phase": number, "steps": run_phase(runtime, message.get("steps", []), limits)}
        if number == phases:
            discard_prebooted()  # no step left to take them: they go with everything else
        # A frame goes out only once no learner process is left: none can then read the next message on its way
        # in, nor take this frame off the stdout pipe (both are reachable through PID 1's descriptors), nor swap a
        # file being collected. If some cannot be killed, no frame: the runner sees a crash and sends nothing more.
        if not runtime.end_phase():
            return 3
        if number > 1:
            frame["nonce"] = message.get("nonce")
        if number == phases and job.get("collect"):
            frame["files"] = collect_files(job["collect"])
        write_frame(frame)
    return 0


