"""Runs a plan in a fresh container (warm from the pool, or cold) and returns plain data.

This module knows nothing of grading: a plan is an image, files, steps understood by the image's entry process,
and limits. What comes back from the container is untrusted and is turned into typed, bounded plain data here;
judging it is the graders' business.

Hidden inputs never share a process or a moment with learner code whose output can be shown: a plan's steps are
visible (`"hidden": False`: inputs the learner may see, results the learner may see) or hidden (the default). The
visible steps run first, in a container that holds nothing else; the hidden steps are sent only once the entry
process has reported the visible ones, which it does only once every process of theirs is dead (see _exchange).

A plan may have a prober (SandboxPlan.prober): a second, trusted container, holding no learner file, that joins the
learner container's network namespace (loopback only, private to this run) and talks to the learner's server over
it (or, in an exploit lab, serves the target the learner's exploit attacks). The two entry processes take turns
within each phase (see _exchange_with_prober), and the hidden phase starts in both only once both have reported the
visible one.
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


def step_is_hidden(step: dict) -> bool:
    """Only a step that says it is visible is: one that does not may carry a hidden input."""
    return step.get("hidden", True) is not False


@dataclass
class SandboxPlan:
    image: str
    files: dict[str, str]
    # Each step: name, action, args, and optionally stdin, timeout, and hidden (a bool, True when absent). A step
    # that gets any input of a hidden check must be hidden; a visible one gets only what the learner may see.
    steps: list[dict]
    limits: Limits
    runtime: str = RUNTIME_RUNC
    labels: dict[str, str] = field(default_factory=dict)
    # Files to copy out after the steps, relative to the work dir: regular files only, no symlink followed on the
    # way, at most COLLECT_FILE_CAP bytes each. They come back in SandboxResult.files (or .file_errors).
    collect: list[str] = field(default_factory=list)
    # The grader's own data for judging this run (values it generated for it, such as text to type or a payload):
    # kept on the trusted side, never part of any message to the container.
    trusted: dict = field(default_factory=dict)
    # A trusted companion container sharing only this one's network namespace (its image, trusted files only, never
    # a learner's; its own steps in the same phases as ours). Each of its steps may pause `segments` times (an int
    # in the step): at each pause the learner container gets a segment message and answers it before the prober
    # goes on; when the prober's phase is over, the learner's gets its `end` message. Its step outcomes come back
    # in SandboxResult.steps too.
    prober: "SandboxPlan | None" = None

    def step_timeout(self, step: dict) -> float:
        return float(step.get("timeout", self.limits.wall_seconds))

    def deadline_seconds(self) -> float:
        """The runner's backstop: every step's wall time plus a margin for delivery and the result frame (with a
        prober, both containers' steps of a phase run at the same time)."""
        if self.prober is None:
            return sum(self.step_timeout(step) for step in self.steps) + STARTUP_MARGIN_SECONDS
        return sum(max(sum(self.step_timeout(step) for step in ours),
                       sum(self.prober.step_timeout(step) for step in its))
                   for ours, its in zip(self.phases(), self.prober.phases())) + STARTUP_MARGIN_SECONDS

    def segments(self, phase: int) -> int:
        """How many times the prober's steps of a phase (0-based) pause for the learner container."""
        return sum(int(step.get("segments", 0)) for step in self.prober.phases()[phase]) if self.prober else 0

    def phases(self) -> list[list[dict]]:
        """The steps in the order they run: the visible ones, then the hidden ones once the visible ones are over.
        One phase when either kind is missing (with no visible step, no learner code runs before the hidden
        inputs are in)."""
        visible = [step for step in self.steps if not step_is_hidden(step)]
        hidden = [step for step in self.steps if step_is_hidden(step)]
        return [phase for phase in (visible, hidden) if phase] or [[]]

    def job(self) -> dict:
        """The job's first message: the files, the limits and the first phase's steps, never a later phase's."""
        limits = {"wall_seconds": self.limits.wall_seconds, "cpu_seconds": self.limits.cpu_seconds,
                  "output_bytes": self.limits.output_bytes}
        phases = self.phases()
        job = {"files": self.files, "steps": phases[0], "limits": limits, "phases": len(phases)}
        if self.collect:
            job["collect"] = {"paths": list(self.collect), "max_bytes": COLLECT_FILE_CAP}
        return job

    def hidden_job(self, nonce: str) -> dict | None:
        """The second message of a two-phase job (the hidden steps), None for a one-phase job. The entry process
        echoes `nonce` in its frame: a message slipped into its stdin by the visible phase's code cannot know it."""
        phases = self.phases()
        return {"steps": phases[1], "nonce": nonce} if len(phases) > 1 else None

    def check(self) -> None:
        """Refuse a plan the runner cannot run safely: a step's hidden flag that is not a bool, a path to collect
        outside the work dir."""
        for step in self.steps:
            if not isinstance(step.get("hidden", True), bool):
                raise ValueError(f"step {step.get('name')!r}: hidden must be true or false")
        if len(self.collect) > COLLECT_MAX_FILES:
            raise ValueError(f"at most {COLLECT_MAX_FILES} files can be collected")
        for path in self.collect:
            if not safe_relative_path(path):
                raise ValueError(f"cannot collect {path!r}: not a plain relative path")
        if self.prober is not None:
            self._check_prober()

    def _check_prober(self) -> None:
        prober = self.prober
        prober.check()
        # Its files, if any, are trusted content (an exploit lab's target): a plan never puts a learner's file there.
        if prober.prober is not None or prober.collect:
            raise ValueError("a prober collects no file and has no prober of its own")
        if self.runtime != RUNTIME_RUNC or prober.runtime != RUNTIME_RUNC:
            # gVisor gives each container a network stack of its own: a prober could not reach the server.
            raise ValueError("a plan with a prober runs under runc only")
        ours, its = self.phases(), prober.phases()
        if [step_is_hidden(phase[0]) if phase else None for phase in ours] != \
                [step_is_hidden(phase[0]) if phase else None for phase in its]:
            raise ValueError("the prober's phases must be the plan's (visible, then hidden)")
        for step in prober.steps:
            segments = step.get("segments", 0)
            if type(segments) is not int or not 0 <= segments <= 16:
                raise ValueError(f"prober step {step.get('name')!r}: segments must be an int in 0..16")

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
    hidden: bool = True  # ran in the hidden phase: nothing in it may reach the learner (see SandboxPlan.steps)

    @classmethod
    def from_untrusted(cls, step: dict, data, output_cap: int) -> "StepOutcome":
        """Rebuild a step from what the container said, type by type: anything odd becomes a missing step."""
        name, hidden = step["name"], step_is_hidden(step)
        if not isinstance(data, dict) or data.get("name") != name:
            return cls(name=name, missing=True, hidden=hidden)
        duration = data.get("duration_ms")
        return cls(
            name=name,
            hidden=hidden,
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
    # completed: the entry process answered every phase; wall_timeout: the backstop fired; crashed: the container
    # ended without answering (the learner's code killed it, or it was OOM-killed); output_overflow / bad_frame:
    # the container wrote more or other than the protocol allows. Only a completed run has steps that are not
    # missing: on any other status nothing of any phase comes back.
    status: str
    steps: list[StepOutcome]  # in the order they ran: the visible phase's, then the hidden phase's
    container_id: str
    warm: bool
    oom_killed: bool = False
    timings_ms: dict = field(default_factory=dict)
    diagnostics: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # the plan's `collect`, copied out and re-validated
    file_errors: dict[str, str] = field(default_factory=dict)  # collected path -> why it is not in `files`
    prober_id: str = ""  # the prober's container, for a plan with one

    def step(self, name: str) -> StepOutcome:
        for step in self.steps:
            if step.name == name:
                return step
        return StepOutcome(name=name, missing=True)

    def visible_steps(self) -> list[StepOutcome]:
        """The steps whose outputs may be shown to the learner (learner-made text comes only from these)."""
        return [step for step in self.steps if not step.hidden]

    def to_dict(self) -> dict:
        """Plain JSON-ready data (collected files as base64 text)."""
        data = asdict(self)
        data["files"] = {path: base64.b64encode(content).decode("ascii") for path, content in self.files.items()}
        return data


def new_owner_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Disposer:
    """Removes used containers off the hot path; `flush()` waits until every one handed over is gone."""

    def __init__(self, on_removed=None):
        self.jobs: queue.Queue = queue.Queue()
        self.on_removed = on_removed or (lambda container_id: None)
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
                # Removed or not, nobody uses it any more: from now on it is the reaper's (remove_unheld).
                self.on_removed(container.id)
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
        # Containers this runner holds (ready in a pool, or running a job) -> when started. Anything else carrying
        # its owner label is a leftover: killed by an engine restart, or its removal failed while the engine was down.
        self.held: dict[str, float] = {}
        self.engine_available = threading.Event()
        self.engine_available.set()
        self._custom_client = client is not None
        self._ping_client = None
        self.disposer = Disposer(on_removed=lambda container_id: self.held.pop(container_id, None))
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
        container = SandboxContainer.start(self.client, image, limits, runtime, labels, stdout_cap, self.ready_timeout)
        self.held[container.id] = time.time()
        return container

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
        """The Docker tag of a grader's logical image name: configured, else lms/sandbox-<name>:latest (what
        build.sh tags); a name that already is a tag is used as it is."""
        if image in self.images:
            return self.images[image]
        return image if ("/" in image or ":" in image) else f"lms/sandbox-{image}:latest"

    def prewarm(self, image: str, limits: Limits, runtime: str = RUNTIME_RUNC) -> None:
        self.check_runtime(runtime)
        self._pool_for(self.image_tag(image), limits, runtime)

    def run(self, plan: SandboxPlan) -> SandboxResult:
        self.check_runtime(plan.runtime)
        plan.check()
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
        companions: list[SandboxContainer] = []
        try:
            return self._execute(container, plan, warm, started, acquired, companions)
        finally:
            if warm:
                pool.give_back_slot()
            for companion in companions:  # before the container whose network namespace it joined
                self.disposer.dispose(companion)
            self.disposer.dispose(container)

    def _start_prober(self, plan: SandboxPlan, learner: SandboxContainer) -> SandboxContainer:
        """The prober's container, cold: it can only be made once the learner's exists, to join its network."""
        prober = plan.prober
        labels = {**(prober.labels or plan.labels), LABEL_OWNER: self.owner, LABEL_SCOPE: self.scope}
        container = SandboxContainer.start(self.client, self.image_tag(prober.image), prober.limits, prober.runtime,
                                           labels, prober.stdout_cap(), self.ready_timeout, network_of=learner.id)
        self.held[container.id] = time.time()
        return container

    def _exchange(self, container: SandboxContainer, plan: SandboxPlan, deadline: float) -> tuple[str, list]:
        """Deliver the job phase by phase; returns how the stream ended (eof, wall_timeout, output_overflow,
        bad_frame) and the frames received, in order.

        The hidden steps go only once the visible phase's frame is in, and the entry process writes that frame
        only once every process of that phase is dead. So whatever frame we take for the visible one was written
        before any hidden input left this process: nothing in it can hold one, even if learner code forged it.
        Learner code can write frames (through docker-init's descriptors, or the entry's under gVisor); a forged
        frame shows up as one too many (the entry's own still comes), as a frame that is not the one expected
        here (a phase number, a nonce), or goes with the entry process being killed (its exit code, in
        _execute). Then nothing of either phase is used."""
        phases = len(plan.phases())
        container.send_job(plan.job())
        frames: list = []
        nonce = None
        while len(frames) < phases:
            end, frame = container.next_frame(deadline)
            if end != "frame":
                return end, frames
            frames.append(frame)
            if not isinstance(frame, dict):
                return "bad_frame", frames
            if "error" in frame:  # a refused job: valid only first, and only with exit code 2 (see _execute)
                if len(frames) > 1:
                    return "bad_frame", frames
                break
            if frame.get("phase") != len(frames) or (nonce is not None and frame.get("nonce") != nonce):
                return "bad_frame", frames
            if len(frames) < phases:
                nonce = uuid.uuid4().hex
                container.send_more(plan.hidden_job(nonce))  # if it cannot go, the frames and exit code tell why
        return container.wait_closed(deadline), frames

    def _exchange_with_prober(self, learner: SandboxContainer, plan: SandboxPlan,
                              companions: list) -> tuple[str, list, list]:
        """Both containers' jobs, phase by phase and turn by turn; returns how the learner's stream ended, the
        learner's phase frames and the prober's.

        In each phase both get their message (the learner container starts the server, the prober waits for its
        port); at each pause of the prober (a segment) the learner container gets {"segment", "nonce"} and
        answers with a frame echoing the nonce (it restarts the server: every learner process is killed before
        that frame, a new one started after it), then the prober is told to go on; once the prober's phase frame
        is in, the learner's gets {"end", "nonce"} and answers with its phase frame, which lists the nonces it
        handled. The hidden phase goes to either only once both phase frames of the visible one are in.

        The learner container writes its frames only while no learner process is alive, so each of them comes
        (none can be taken off the pipe). Learner code can read our messages off its stdin and write frames: a
        forged segment frame is then one frame too many once the real one comes, and a message it took away
        leaves its nonce out of the phase frame's list; either makes the run a bad frame. The prober runs no
        learner code: a failure of its protocol is the platform's (SandboxError)."""
        prober_plan = plan.prober
        phases = plan.phases()
        learner.send_job(plan.job())
        # Started while the learner's server boots; the backstop counts from here.
        try:
            prober = self._start_prober(plan, learner)
        except SandboxError:
            # It joins the learner container's network namespace: learner code that ended its container at once
            # (killed its entry process) leaves none to join. Then the learner's stream tells; else it was us.
            end, frame = learner.next_frame(time.monotonic() + 5)
            if end == "frame":
                return self._unexpected(learner, [frame], time.monotonic() + 5), [frame], []
            if end == "eof":
                return end, [], []
            raise
        companions.append(prober)
        deadline = time.monotonic() + plan.deadline_seconds()
        prober.send_job(prober_plan.job())
        frames: list = []
        prober_frames: list = []
        for number in range(1, len(phases) + 1):
            nonce = None
            if number > 1:
                nonce = uuid.uuid4().hex
                learner.send_more(plan.hidden_job(nonce))
                prober.send_more(prober_plan.hidden_job(uuid.uuid4().hex))
            sent = []
            for segment in range(1, plan.segments(number - 1) + 1):
                self._prober_frame(prober, deadline, {"segment": segment})
                sent.append(uuid.uuid4().hex)
                learner.send_more({"segment": segment, "nonce": sent[-1]})
                end, frame = learner.next_frame(deadline)
                if end != "frame":
                    return end, frames, prober_frames
                if frame != {"segment": segment, "nonce": sent[-1]}:
                    frames.append(frame)
                    return self._unexpected(learner, frames, deadline), frames, prober_frames
                prober.send_more({"segment": segment})
            prober_frames.append(self._prober_frame(prober, deadline, None))
            sent.append(uuid.uuid4().hex)
            learner.send_more({"end": True, "nonce": sent[-1]})
            end, frame = learner.next_frame(deadline)
            if end != "frame":
                return end, frames, prober_frames
            frames.append(frame)
            if not isinstance(frame, dict) or "error" in frame:
                return self._unexpected(learner, frames, deadline), frames, prober_frames
            handled = [n for step in frame.get("steps") or [] if isinstance(step, dict)
                       for n in (step.get("handled") or [])]
            if frame.get("phase") != number or frame.get("nonce") != nonce or handled != sent:
                return "bad_frame", frames, prober_frames
        return learner.wait_closed(deadline), frames, prober_frames

    @staticmethod
    def _unexpected(learner: SandboxContainer, frames: list, deadline: float) -> str:
        """A learner frame that is not the one expected: a refused job (first, then the entry exits 2, which
        _execute checks), or a bad frame."""
        if len(frames) == 1 and isinstance(frames[0], dict) and "error" in frames[0]:
            return learner.wait_closed(deadline)
        return "bad_frame"

    @staticmethod
    def _prober_frame(prober: SandboxContainer, deadline: float, expected: dict | None) -> dict:
        """The prober's next frame: `expected` (a segment pause), else a phase frame."""
        end, frame = prober.next_frame(deadline)
        if end != "frame":
            raise SandboxError(f"the prober stopped answering ({end}): "
                               f"{prober.stream.stderr.decode('utf-8', 'replace')[-300:]}")
        if frame != expected if expected is not None else not (isinstance(frame, dict) and "steps" in frame):
            raise SandboxError(f"the prober said {str(frame)[:300]} instead of {expected or 'its phase frame'}")
        return frame

    def _execute(self, container: SandboxContainer, plan: SandboxPlan, warm: bool, started: float,
                 acquired: float, companions: list | None = None) -> SandboxResult:
        """`companions`: filled with the prober's container, for the caller to dispose of."""
        companions = [] if companions is None else companions
        phases = plan.phases()
        prober_frames: list = []
        if plan.prober is None:
            status, frames = self._exchange(container, plan, time.monotonic() + plan.deadline_seconds())
        else:
            status, frames, prober_frames = self._exchange_with_prober(container, plan, companions)
        finished = time.monotonic()
        oom_killed = False
        if status == "eof":
            refused = len(frames) == 1 and "error" in frames[0]
            complete = len(frames) == len(phases) and not refused
            # A complete run only needs the exit code; a crash also needs to know whether it was the OOM killer.
            state = container.exit_state(inspect=not complete and not refused)
            oom_killed = state["oom_killed"]
            # The entry process exits 0 after its last frame, 2 after refusing a job (before any learner code
            # ran), 3 when learner processes could not be killed (no frame then). Frames followed by any other
            # end were written by someone else, who then killed the entry.
            if refused:
                if state["exit_code"] != 2:
                    status = "bad_frame"
                else:
                    raise SandboxError(f"entry process refused the job: {str(frames[0]['error'])[:300]}")
            elif complete:
                status = "completed" if state["exit_code"] == 0 else "bad_frame"
            else:
                # Frames went missing: a clean exit means someone took them off the pipe.
                status = "bad_frame" if frames and state["exit_code"] == 0 else "crashed"
        steps = []
        for index, phase in enumerate(phases):
            steps += self._outcomes(phase, frames, index, status, plan.limits.output_bytes)
            if plan.prober is not None:
                # The prober's records hold the server's answers: their own cap, not a learner step's output cap.
                steps += self._outcomes(plan.prober.phases()[index], prober_frames, index, status, RECORDS_CAP)
        files, file_errors = collected_files(plan, frames[-1].get("files") if status == "completed" else None)
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
            prober_id=companions[0].id if companions else "",
        )

    @staticmethod
    def _outcomes(phase: list[dict], frames: list, index: int, status: str, output_cap: int) -> list[StepOutcome]:
        """The steps of a phase as its frame reports them; all missing unless the run completed."""
        raw = frames[index].get("steps") if status == "completed" else None
        raw = raw if isinstance(raw, list) else []
        return [StepOutcome.from_untrusted(step, raw[number] if number < len(raw) else None, output_cap)
                for number, step in enumerate(phase)]

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

    def remove_unheld(self, min_age_seconds: float = 20.0) -> int:
        """Remove this runner's containers that it does not hold, created more than `min_age_seconds` ago (a
        younger one may be starting: its id is registered only once the engine has created it)."""
        filters = {"label": [f"{LABEL_SANDBOX}=1", f"{LABEL_OWNER}={self.owner}"]}
        removed = 0
        for summary in self.client.api.containers(all=True, filters=filters):
            if summary["Id"] in self.held or time.time() - summary.get("Created", 0) < min_age_seconds:
                continue
            try:
                self.client.api.remove_container(summary["Id"], force=True)
                removed += 1
            except docker.errors.NotFound:
                pass
        return removed

    def check_engine(self) -> bool:
        """Ping the engine (a short timeout of its own) and record the answer in `engine_available`, which a
        worker waits on before taking a job: while the engine is down a job could only fail."""
        try:
            if self._ping_client is None:
                # The runner's own engine (DOCKER_HOST or the local socket, unless it was handed a client), with the
                # API version already known: a client must not need the engine to be built.
                self._ping_client = self.client if self._custom_client else docker.from_env(
                    timeout=5, version=self.client.api._version)
            # A new connection each time: a dockerd that is shutting down still answers on the connections it has
            # open, though it accepts no new one (and creates no container).
            if self._ping_client is not self.client:
                self._ping_client.api.close()
            up = bool(self._ping_client.ping())
        except Exception:  # noqa: BLE001 - docker's, requests' and socket errors alike mean "not answering"
            up = False
        (self.engine_available.set if up else self.engine_available.clear)()
        return up

    def engine_restarted(self) -> None:
        """The engine came back after an outage: its runtimes may have changed, and pooled containers died with it
        (each pool drops its dead members and refills)."""
        self._runtimes = None
        with self.pools_lock:
            pools = list(self.pools.values())
        for pool in pools:
            pool.check_members()

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
        # Clients this runner made are its own to close (each holds pooled engine connections); a caller's is not.
        if self._ping_client is not None and self._ping_client is not self.client:
            self._ping_client.close()
        if not self._custom_client:
            self.client.close()


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
