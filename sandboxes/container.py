"""One sandbox container: created hardened, fed one job through its entry process, then destroyed.

The container's settings follow shared/design/SANDBOX.md. Its entry process (images/<runtime>/runtime/entry.py)
announces itself with a ready frame, takes one job on stdin (in one or two messages, one per phase) and answers
with one result frame per phase on stdout. We talk to it over the attach stream, reading with a cap and a
deadline, so a hostile program can neither flood the worker's memory nor hold it forever. What the frames must
look like, and when the second message may go, is the runner's business (SandboxRunner._exchange).
"""
from __future__ import annotations

import json
import select
import socket
import struct
import time
import uuid

import docker
from docker.models.containers import _create_container_args  # the SDK's own kwargs -> create-call mapping
from docker.types import LogConfig, Ulimit

from sandboxes.limits import Limits

LABEL_SANDBOX = "lms.sandbox"
LABEL_OWNER = "lms.owner"
LABEL_SCOPE = "lms.scope"  # one LMS deployment (its Redis); reapers never touch another scope's containers
SANDBOX_UID = "10001:10001"
ENTRY_COMMAND = ["python3", "-I", "/opt/lms/entry.py"]
FRAME_MAGIC = b"LMS1 "
DIAGNOSTICS_CAP = 16 * 1024
RUNTIME_GVISOR = "runsc"
RUNSC_PIDS_OVERHEAD = 64  # host threads of gVisor's Sentry and Gofer
RUNSC_PIDS_PER_TASK = 8  # host tasks per sandboxed process (ptrace platform stubs), with room to spare


class SandboxError(Exception):
    """The platform failed (engine down, image missing, container never ready): not the learner's fault."""


def _process_limits(limits: Limits, runtime: str) -> tuple[int, list[Ulimit]]:
    """The cgroup pids limit and the extra ulimits that bound the learner's processes and threads.

    Under runc the cgroup counts the container's own tasks: `limits.pids` is the limit. Under gVisor the host
    cgroup counts the Sentry's and Gofer's threads too (about 40 at rest, and about 5 more per process the
    sandboxed program forks with the ptrace platform), so `limits.pids` there keeps the sandbox from even
    starting, and a fork bomb that reaches the cgroup limit kills the whole sandbox instead of failing the fork.
    There the host cgroup gets a generous backstop and the learner's tasks are bounded by RLIMIT_NPROC, which
    gVisor enforces inside its own kernel (threads included), so it is not shared with other containers.
    """
    if runtime == RUNTIME_GVISOR:
        return (RUNSC_PIDS_OVERHEAD + RUNSC_PIDS_PER_TASK * limits.pids,
                [Ulimit(name="nproc", soft=limits.pids, hard=limits.pids)])
    return limits.pids, []


def container_settings(image: str, limits: Limits, runtime: str, labels: dict[str, str],
                       network_of: str | None = None) -> dict:
    """The docker SDK kwargs of every sandbox container. Nothing here can be relaxed by an exercise.

    `network_of`: the id of a sandbox container whose network namespace this one joins (a prober's, reaching the
    learner's server over that namespace's loopback: no other network there either). The engine refuses a
    hostname then, and with networking disabled it would give this one an empty namespace of its own."""
    tmpfs_size = f"size={limits.tmpfs_mb}m"
    pids_limit, process_ulimits = _process_limits(limits, runtime)
    settings = {
        "image": image,
        "command": ENTRY_COMMAND,
        "user": SANDBOX_UID,
        "working_dir": "/work",
        # No network at all: an empty namespace with loopback only. NetworkDisabled on top of mode "none" also
        # spares libnetwork's prestart hook (a re-exec of the whole dockerd binary per container): the host's CPU
        # per container drops from ~190 to ~110 ms here (the floor line of benchmarks/throughput.py).
        "network_mode": "none",
        "network_disabled": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "mem_limit": f"{limits.memory_mb}m",
        "memswap_limit": f"{limits.memory_mb}m",
        "nano_cpus": int(limits.cpus * 1e9),
        "pids_limit": pids_limit,
        "read_only": True,
        "tmpfs": {
            "/work": f"{tmpfs_size},uid=10001,gid=10001,mode=0700,nosuid,nodev",
            "/tmp": f"{tmpfs_size},mode=1777,nosuid,nodev,noexec",
        },
        "shm_size": f"{min(limits.tmpfs_mb, 8)}m",
        "ulimits": [
            Ulimit(name="nofile", soft=limits.nofile, hard=limits.nofile),
            Ulimit(name="fsize", soft=limits.fsize_mb * 1024 * 1024, hard=limits.fsize_mb * 1024 * 1024),
            Ulimit(name="core", soft=0, hard=0),
            *process_ulimits,
        ],
        "init": True,
        # We read the entry process through the attach stream; keep no log on the host's disk.
        "log_config": LogConfig(type="none"),
        "stdin_open": True,
        "hostname": "sandbox",
        "environment": {},
        "labels": {LABEL_SANDBOX: "1", **labels},
        "runtime": runtime,
    }
    if network_of:
        settings.update(network_mode=f"container:{network_of}", network_disabled=False)
        del settings["hostname"]
    return settings


def frame_job(job: dict) -> bytes:
    """A job message as the entry process reads it on stdin: `<length>\\n<json>`."""
    data = json.dumps(job, separators=(",", ":")).encode()
    return b"%d\n" % len(data) + data


def create_container(client: docker.DockerClient, settings: dict) -> str:
    """Create a container from `container_settings` kwargs; returns its id.

    The SDK's containers.create() inspects every container it creates to hand back a model object: one more
    engine call per submission that we never read, so we go through the low-level API with the SDK's own mapping
    of those kwargs."""
    create_kwargs = _create_container_args({**settings, "version": client.api._version})
    return client.api.create_container(**create_kwargs)["Id"]


def attach_stdio(client: docker.DockerClient, container_id: str):
    """Attach stdin, stdout and stderr of a created container, before it starts so nothing it writes is lost.
    Returns (the SDK's socket object, to close; the plain blocking socket to read and write)."""
    raw = client.api.attach_socket(container_id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
    sock = getattr(raw, "_sock", raw)
    sock.setblocking(True)
    return raw, sock


def readable_within(sock: socket.socket, timeout: float) -> bool:
    """poll, not select: a busy worker holds more than FD_SETSIZE (1024) descriptors, which select() refuses."""
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(max(timeout, 0) * 1000))


class AttachStream:
    """Demultiplexes Docker's attach stream, keeping at most `stdout_cap` bytes of stdout."""

    def __init__(self, sock: socket.socket, stdout_cap: int):
        self.sock = sock
        self.stdout_cap = stdout_cap
        self.pending = bytearray()
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.position = 0
        self.eof = False
        self.overflow = False

    def pump(self, timeout: float) -> None:
        if self.eof:
            return
        if not readable_within(self.sock, timeout):
            return
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionError, OSError):
            chunk = b""
        if not chunk:
            self.eof = True
            return
        self.pending += chunk
        while len(self.pending) >= 8:
            kind = self.pending[0]
            (size,) = struct.unpack(">I", bytes(self.pending[4:8]))
            if len(self.pending) < 8 + size:
                break
            payload = bytes(self.pending[8:8 + size])
            del self.pending[:8 + size]
            if kind == 1:
                room = self.stdout_cap - len(self.stdout)
                self.stdout += payload[:max(room, 0)]
                self.overflow = self.overflow or len(payload) > room
            elif kind == 2 and len(self.stderr) < DIAGNOSTICS_CAP:
                self.stderr += payload[:DIAGNOSTICS_CAP - len(self.stderr)]

    def next_frame(self):
        """The next complete frame on stdout, `None` if not complete yet; raises ValueError on garbage."""
        data = self.stdout
        start = self.position
        if len(data) - start < len(FRAME_MAGIC):
            return None
        if data[start:start + len(FRAME_MAGIC)] != FRAME_MAGIC:
            raise ValueError("unexpected bytes on the entry process's stdout")
        newline = data.find(b"\n", start)
        if newline < 0:
            if len(data) - start > 32:
                raise ValueError("bad frame header")
            return None
        digits = bytes(data[start + len(FRAME_MAGIC):newline])
        if not digits.isdigit():
            raise ValueError("bad frame header")
        end = newline + 1 + int(digits)
        if len(data) < end:
            return None
        self.position = end
        try:
            return json.loads(bytes(data[newline + 1:end]))
        except RecursionError as exc:  # deeply nested JSON: garbage too, never an exception of another kind
            raise ValueError("frame nested too deeply") from exc

    def unread(self) -> int:
        """Bytes received on stdout after the last complete frame."""
        return len(self.stdout) - self.position


class SandboxContainer:
    """A started container whose entry process is waiting for its one job."""

    def __init__(self, client: docker.DockerClient, container_id: str, sock, stream: AttachStream, runtime: str):
        self.client = client
        self.id = container_id
        self.sock = sock
        self.stream = stream
        self.runtime = runtime
        self.created_at = time.monotonic()
        self.created_wall = time.time()
        self.used = False

    @classmethod
    def start(cls, client: docker.DockerClient, image: str, limits: Limits, runtime: str, labels: dict[str, str],
              stdout_cap: int, ready_timeout: float = 20.0, network_of: str | None = None) -> "SandboxContainer":
        labels = {**labels, "lms.container": uuid.uuid4().hex[:12]}
        try:
            container_id = create_container(client, container_settings(image, limits, runtime, labels, network_of))
        except docker.errors.ImageNotFound as exc:
            raise SandboxError(f"sandbox image {image} is missing: build it with sandboxes/images/build.sh") from exc
        except docker.errors.DockerException as exc:
            raise SandboxError(f"could not create a sandbox container: {exc}") from exc
        try:
            raw, sock = attach_stdio(client, container_id)
            client.api.start(container_id)
            sandbox = cls(client, container_id, raw, AttachStream(sock, stdout_cap), runtime)
            sandbox._wait_ready(ready_timeout)
            return sandbox
        except BaseException as exc:
            try:
                client.api.remove_container(container_id, force=True)
            except docker.errors.DockerException:
                pass
            if isinstance(exc, SandboxError):
                raise
            if isinstance(exc, (docker.errors.DockerException, OSError, ValueError)):
                raise SandboxError(f"could not start a sandbox container: {exc}") from exc
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.stream.next_frame()
            if frame is not None:
                if frame.get("ready") is True:
                    return
                raise SandboxError(f"entry process said {frame!r} instead of ready")
            if self.stream.eof:
                stderr = self.stream.stderr.decode("utf-8", "replace")[-500:]
                raise SandboxError(f"sandbox exited before it was ready: {stderr}")
            self.stream.pump(deadline - time.monotonic())
        raise SandboxError(f"sandbox not ready after {timeout:.0f} s")

    def is_alive(self) -> bool:
        """A waiting entry process sends nothing: anything readable now means the stream closed."""
        if self.stream.eof:
            return False
        if readable_within(self.stream.sock, 0):
            self.stream.pump(0)
        return not self.stream.eof

    def send_job(self, job: dict) -> None:
        """The job's first message. Failing to deliver it is the platform's fault: no learner code ran yet."""
        self.used = True
        try:
            self.stream.sock.sendall(frame_job(job))
        except OSError as exc:
            raise SandboxError(f"could not deliver the job: {exc}") from exc

    def send_more(self, message: dict) -> bool:
        """A later message of the job (the next phase's steps). False if it could not go: learner code ran, so the
        container may well be gone by its doing, which the frames and the exit code show."""
        try:
            self.stream.sock.sendall(frame_job(message))
            return True
        except OSError:
            return False

    def next_frame(self, deadline: float):
        """Returns ("frame", frame) for the next complete frame, else (end, None): eof (the stream closed first,
        maybe in the middle of a frame), wall_timeout, output_overflow, or bad_frame (bytes that are no frame)."""
        while True:
            try:
                frame = self.stream.next_frame()
            except ValueError:
                return "bad_frame", None
            if frame is not None:
                return "frame", frame
            if self.stream.overflow:
                return "output_overflow", None
            if self.stream.eof:
                return "eof", None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "wall_timeout", None
            self.stream.pump(min(remaining, 0.5))

    def wait_closed(self, deadline: float) -> str:
        """After the last frame the protocol allows: "eof" once the stream closes with nothing more on stdout,
        "bad_frame" as soon as anything more comes (a frame in excess was written by someone else), else
        wall_timeout or output_overflow."""
        while True:
            if self.stream.unread():
                return "bad_frame"
            if self.stream.overflow:
                return "output_overflow"
            if self.stream.eof:
                return "eof"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "wall_timeout"
            self.stream.pump(min(remaining, 0.5))

    def exit_state(self, inspect: bool = True) -> dict:
        """After the stream closed: how the container ended (exit code; OOM-killed or not, which needs one more
        call to the engine, so only when asked). Raises SandboxError if the engine cannot say, since then we
        cannot tell the learner's fault from ours."""
        try:
            exit_code = self.client.api.wait(self.id, timeout=5).get("StatusCode")
            if not inspect:
                return {"oom_killed": False, "exit_code": exit_code}
            state = self.client.api.inspect_container(self.id).get("State", {})
            stopped_by_engine = self.stopped_by_engine()
        except Exception as exc:  # noqa: BLE001 - requests' timeouts and docker errors alike
            raise SandboxError(f"lost the sandbox container: {exc}") from exc
        if stopped_by_engine:
            raise SandboxError("the engine stopped the sandbox container (a daemon restart, or an operator)")
        return {"oom_killed": bool(state.get("OOMKilled")), "exit_code": state.get("ExitCode")}

    def stopped_by_engine(self) -> bool:
        """Whether the engine itself stopped or killed this container (`systemctl restart docker` stops every
        container before the daemon exits, while its API still answers): it logs a `kill` event then, and never for
        a process that died inside, whatever learner code did. So an end that looks like a crash is known to be the
        platform's, not the learner's."""
        events = self.client.api.events(since=f"{self.created_wall - 1:.6f}", until=f"{time.time():.6f}",
                                        filters={"container": self.id, "event": ["kill", "stop"]}, decode=True)
        return any(True for _ in events)

    def destroy(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            self.client.api.remove_container(self.id, force=True)
        except docker.errors.NotFound:
            pass
