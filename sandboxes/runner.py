"""Runs a plan in a fresh container (warm from the pool, or cold) and returns plain data.

This module knows nothing of grading: a plan is an image, files, steps understood by the image's entry process,
and limits. What comes back from the container is untrusted and is turned into typed, bounded plain data here;
judging it is the graders' business.
"""
from __future__ import annotations

import base64
import binascii
import logging
import os
import queue
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field

import docker

from sandboxes.container import LABEL_OWNER, LABEL_SANDBOX, LABEL_SCOPE, SandboxContainer, SandboxError
from sandboxes.limits import Limits
from sandboxes.pool import WarmPool

log = logging.getLogger(__name__)

RUNTIME_RUNC = "runc"
RUNTIME_GVISOR = "runsc"
RECORDS_CAP = 1024 * 1024
STARTUP_MARGIN_SECONDS = 2.0
COLLECT_FILE_CAP = 256 * 1024  # bytes per file copied out of a container (the entry process caps it too)
COLLECT_MAX_FILES = 32


class RuntimeUnavailable(Exception):
    """The plan needs a container runtime (e.g. gVisor) this engine does not have. Never fall back silently."""


@dataclass
class SandboxPlan:
    image: str
    files: dict[str, str]
    steps: list[dict]
    limits: Limits
    runtime: str = RUNTIME_RUNC
    labels: dict[str, str] = field(default_factory=dict)
    # Files to copy out after the steps, relative to the work dir: regular files only, no symlink followed on the
    # way, at most COLLECT_FILE_CAP bytes each. They come back in SandboxResult.files (or .file_errors).
    collect: list[str] = field(default_factory=list)

    def step_timeout(self, step: dict) -> float:
        return float(step.get("timeout", self.limits.wall_seconds))

    def deadline_seconds(self) -> float:
        """The runner's backstop: every step's wall time plus a margin for delivery and the result frame."""
        return sum(self.step_timeout(step) for step in self.steps) + STARTUP_MARGIN_SECONDS

    def job(self) -> dict:
        limits = {"wall_seconds": self.limits.wall_seconds, "cpu_seconds": self.limits.cpu_seconds,
                  "output_bytes": self.limits.output_bytes}
        job = {"files": self.files, "steps": self.steps, "limits": limits}
        if self.collect:
            job["collect"] = {"paths": list(self.collect), "max_bytes": COLLECT_FILE_CAP}
        return job

    def check_collect(self) -> None:
        if len(self.collect) > COLLECT_MAX_FILES:
            raise ValueError(f"at most {COLLECT_MAX_FILES} files can be collected")
        for path in self.collect:
            if not safe_relative_path(path):
                raise ValueError(f"cannot collect {path!r}: not a plain relative path")

    def stdout_cap(self) -> int:
        per_step = 2 * self.limits.output_bytes * 4 + RECORDS_CAP * 2  # JSON escaping can grow text up to 6x
        per_file = COLLECT_FILE_CAP * 4 // 3 + 1024  # base64
        return len(self.steps) * per_step + len(self.collect) * per_file + 64 * 1024


def safe_relative_path(path) -> bool:
    """A relative path without empty, `.` or `..` parts, backslashes or NUL (as the entry process requires)."""
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def collected_files(plan: SandboxPlan, raw) -> tuple[dict[str, bytes], dict[str, str]]:
    """Re-validate what the container says it copied out: only the paths asked for, data that decodes, within the
    cap. Anything else is reported as an error for that path, never trusted."""
    raw = raw if isinstance(raw, dict) else {}
    files: dict[str, bytes] = {}
    errors: dict[str, str] = {}
    for path in plan.collect:
        entry = raw.get(path)
        if not isinstance(entry, dict):
            errors[path] = "missing"
            continue
        data = entry.get("data")
        if isinstance(data, str) and "error" not in entry:
            if len(data) > (COLLECT_FILE_CAP * 4 // 3) + 4:
                errors[path] = "too large"
                continue
            try:
                content = base64.b64decode(data.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                errors[path] = "malformed"
                continue
            if len(content) > COLLECT_FILE_CAP:
                errors[path] = "too large"
                continue
            files[path] = content
        else:
            errors[path] = _text(entry.get("error"), 200) or "malformed"
    return files, errors


def _text(value, cap: int) -> str:
    return value[:cap] if isinstance(value, str) else ""


def _flag(value) -> bool:
    return value is True


def _int_or_none(value):
    return value if type(value) is int else None


@dataclass
class StepOutcome:
    name: str
    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False
    output_exceeded: bool = False
    oom_killed: bool = False
    pids_exhausted: bool = False
    duration_ms: float = 0.0
    stdout: str = ""
    stderr: str = ""
    records: str = ""
    missing: bool = False  # the entry process never reported this step

    @classmethod
    def from_untrusted(cls, name: str, data, output_cap: int) -> "StepOutcome":
        """Rebuild a step from what the container said, type by type: anything odd becomes a missing step."""
        if not isinstance(data, dict) or data.get("name") != name:
            return cls(name=name, missing=True)
        duration = data.get("duration_ms")
        return cls(
            name=name,
            exit_code=_int_or_none(data.get("exit_code")),
            signal=_int_or_none(data.get("signal")),
            timed_out=_flag(data.get("timed_out")),
            output_exceeded=_flag(data.get("output_exceeded")),
            oom_killed=_flag(data.get("oom_killed")),
            pids_exhausted=_flag(data.get("pids_exhausted")),
            duration_ms=float(duration) if type(duration) in (int, float) else 0.0,
            stdout=_text(data.get("stdout"), output_cap),
            stderr=_text(data.get("stderr"), output_cap),
            records=_text(data.get("records"), RECORDS_CAP),
        )

    @property
    def ok(self) -> bool:
        return (not self.missing and self.exit_code == 0 and not self.timed_out and not self.output_exceeded
                and not self.oom_killed)


@dataclass
class SandboxResult:
    # completed: the entry process answered; wall_timeout: the backstop fired; crashed: the container ended
    # without answering (the learner's code killed it, or it was OOM-killed); output_overflow / bad_frame: the
    # container wrote more or other than the protocol allows.
    status: str
    steps: list[StepOutcome]
    container_id: str
    warm: bool
    oom_killed: bool = False
    timings_ms: dict = field(default_factory=dict)
    diagnostics: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # the plan's `collect`, copied out and re-validated
    file_errors: dict[str, str] = field(default_factory=dict)  # collected path -> why it is not in `files`

    def step(self, name: str) -> StepOutcome:
        for step in self.steps:
            if step.name == name:
                return step
        return StepOutcome(name=name, missing=True)

    def to_dict(self) -> dict:
        """Plain JSON-ready data (collected files as base64 text)."""
        data = asdict(self)
        data["files"] = {path: base64.b64encode(content).decode("ascii") for path, content in self.files.items()}
        return data


def new_owner_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Disposer:
    """Removes used containers off the hot path; `flush()` waits until every one handed over is gone."""

    def __init__(self):
        self.jobs: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="sandbox-disposer", daemon=True)
        self.thread.start()

    def dispose(self, container: SandboxContainer) -> None:
        self.jobs.put(container)

    def _loop(self) -> None:
        while True:
            container = self.jobs.get()
            try:
                container.destroy()
            except Exception as exc:  # noqa: BLE001 - the reaper removes what we could not
                log.warning("could not remove sandbox %s: %s", container.id[:12], exc)
            finally:
                self.jobs.task_done()

    def flush(self) -> None:
        self.jobs.join()


class SandboxRunner:
    """Runs plans; owns the warm pools of one worker process and the containers it started."""

    def __init__(self, client: docker.DockerClient | None = None, owner: str | None = None, pool_size: int = 0,
                 ready_timeout: float = 20.0, images: dict[str, str] | None = None, scope: str = "default"):
        self.client = client or docker.from_env(timeout=60)
        # The engine is on a local socket: no proxy or .netrc applies, and requests would otherwise look them up
        # in the environment on every call (a third of each engine call's CPU in the worker).
        self.client.api.trust_env = False
        self.scope = scope
        self.images = dict(images or {})  # logical image name (a grader's) -> Docker tag
        self.owner = owner or new_owner_id()
        self.pool_size = pool_size
        self.ready_timeout = ready_timeout
        self.disposer = Disposer()
        self.pools: dict[tuple, WarmPool] = {}
        self.pools_lock = threading.Lock()
        self.cold_runs = 0
        self._runtimes: set[str] | None = None

    # --- runtimes ---------------------------------------------------------------------------------------

    def available_runtimes(self) -> set[str]:
        if self._runtimes is None:
            try:
                self._runtimes = set(self.client.info().get("Runtimes", {}))
            except docker.errors.DockerException as exc:
                raise SandboxError(f"Docker engine unreachable: {exc}") from exc
        return self._runtimes

    def check_runtime(self, runtime: str) -> None:
        if runtime not in self.available_runtimes():
            raise RuntimeUnavailable(f"container runtime {runtime!r} is not installed on this worker's engine")

    # --- containers -------------------------------------------------------------------------------------

    def _start_container(self, image: str, limits: Limits, runtime: str, stdout_cap: int,
                         labels: dict[str, str] | None = None) -> SandboxContainer:
        # Every container names its owner (the reaper's key); a cold one also carries the plan's labels (e.g.
        # the submission). A warm one was started before its submission was known.
        labels = {**(labels or {}), LABEL_OWNER: self.owner, LABEL_SCOPE: self.scope}
        return SandboxContainer.start(self.client, image, limits, runtime, labels, stdout_cap, self.ready_timeout)

    def _pool_for(self, image: str, limits: Limits, runtime: str) -> WarmPool | None:
        if self.pool_size <= 0:
            return None
        key = (image, runtime, limits.container_profile())
        with self.pools_lock:
            pool = self.pools.get(key)
            if pool is None:
                # Pooled containers read any job up to the largest cap; the job's own caps apply inside.
                pool = WarmPool(
                    name=f"{image}/{runtime}/{limits.memory_mb}m",
                    size=self.pool_size,
                    factory=lambda: self._start_container(image, limits, runtime, stdout_cap=64 * 1024 * 1024),
                    dispose=self.disposer.dispose,
                )
                self.pools[key] = pool
        return pool

    def image_tag(self, image: str) -> str:
        return self.images.get(image, image)

    def prewarm(self, image: str, limits: Limits, runtime: str = RUNTIME_RUNC) -> None:
        self.check_runtime(runtime)
        self._pool_for(self.image_tag(image), limits, runtime)

    def run(self, plan: SandboxPlan) -> SandboxResult:
        self.check_runtime(plan.runtime)
        plan.check_collect()
        image = self.image_tag(plan.image)
        started = time.monotonic()
        pool = self._pool_for(image, plan.limits, plan.runtime)
        container = pool.take() if pool else None
        warm = container is not None
        if container is None:
            self.cold_runs += 1
            container = self._start_container(image, plan.limits, plan.runtime, plan.stdout_cap(), plan.labels)
        else:
            container.stream.stdout_cap = plan.stdout_cap()
        acquired = time.monotonic()
        try:
            return self._execute(container, plan, warm, started, acquired)
        finally:
            if warm:
                pool.give_back_slot()
            self.disposer.dispose(container)

    def _execute(self, container: SandboxContainer, plan: SandboxPlan, warm: bool, started: float,
                 acquired: float) -> SandboxResult:
        container.send_job(plan.job())
        status, frame = container.wait_result(time.monotonic() + plan.deadline_seconds())
        finished = time.monotonic()
        oom_killed = False
        if status in ("crashed", "completed"):
            # A completed run only needs the exit code; a crash also needs to know whether it was the OOM killer.
            state = container.exit_state(inspect=status == "crashed")
            oom_killed = state["oom_killed"]
            # The entry process exits 0 after its result frame, 2 after refusing a job (before any learner code
            # ran). A frame followed by any other end was written by someone else, who then killed the entry.
            refused = isinstance(frame, dict) and "error" in frame
            if status == "completed" and (not isinstance(frame, dict) or state["exit_code"] != (2 if refused else 0)):
                status = "bad_frame"
        if status == "completed" and "error" in frame:
            raise SandboxError(f"entry process refused the job: {str(frame['error'])[:300]}")
        raw_steps = frame.get("steps") if status == "completed" else None
        raw_steps = raw_steps if isinstance(raw_steps, list) else []
        files, file_errors = collected_files(plan, frame.get("files") if status == "completed" else None)
        steps = []
        for index, step in enumerate(plan.steps):
            data = raw_steps[index] if index < len(raw_steps) else None
            steps.append(StepOutcome.from_untrusted(step["name"], data, plan.limits.output_bytes))
        return SandboxResult(
            status=status,
            steps=steps,
            container_id=container.id,
            warm=warm,
            oom_killed=oom_killed,
            timings_ms={"acquire": round((acquired - started) * 1000, 1),
                        "run": round((finished - acquired) * 1000, 1),
                        "total": round((finished - started) * 1000, 1)},
            diagnostics=container.stream.stderr.decode("utf-8", "replace")[-2000:],
            files=files,
            file_errors=file_errors,
        )

    def wait_warm(self, timeout: float) -> bool:
        """Wait until every pool is full (a worker does this before taking its first job)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.pools_lock:
                pools = list(self.pools.values())
            if all(len(pool.ready) >= pool.size for pool in pools):
                return True
            time.sleep(0.05)
        return False

    # --- housekeeping -----------------------------------------------------------------------------------

    def stats(self) -> dict:
        with self.pools_lock:
            pools = [pool.stats() for pool in self.pools.values()]
        return {"owner": self.owner, "pool_size": self.pool_size, "cold_runs": self.cold_runs, "pools": pools}

    def flush(self) -> None:
        """Wait until every container this runner used is removed."""
        self.disposer.flush()

    def close(self) -> None:
        with self.pools_lock:
            pools = list(self.pools.values())
            self.pools.clear()
        for pool in pools:
            pool.close()
        self.flush()
        remove_sandboxes(self.client, owner=self.owner)


def remove_sandboxes(client: docker.DockerClient, owner: str | None = None, keep_owners=(),
                     scope: str | None = None) -> int:
    """Remove sandbox containers by label: one owner's, or, within a scope, all but those of live owners
    (the reaper)."""
    filters = {"label": [f"{LABEL_SANDBOX}=1"] + ([f"{LABEL_OWNER}={owner}"] if owner else [])
               + ([f"{LABEL_SCOPE}={scope}"] if scope else [])}
    removed = 0
    for container in client.containers.list(all=True, filters=filters, ignore_removed=True):
        if owner is None and container.labels.get(LABEL_OWNER) in keep_owners:
            continue
        try:
            container.remove(force=True)
            removed += 1
        except docker.errors.NotFound:
            pass
    return removed
