"""The two-phase job protocol between the runner and an entry process, against a scripted fake entry process on a
socket pair (Docker's attach stream framing on stdout): the hidden steps leave only once the visible frame is in,
and any frame out of place, in excess or missing voids both phases."""
from __future__ import annotations

import json
import select
import socket
import struct
import threading
import time

import pytest

from sandboxes.container import AttachStream, SandboxContainer, SandboxError
from sandboxes.limits import DEFAULT_LIMITS
from sandboxes.runner import SandboxPlan, SandboxRunner

SECRET = "918273645"
VISIBLE = {"name": "calls", "action": "calls", "args": {"calls": [{"id": "example", "args": [1, 2]}]},
           "hidden": False}
HIDDEN = {"name": "hidden-calls", "action": "calls", "args": {"calls": [{"id": "secret", "args": [SECRET]}]},
          "hidden": True}


def plan(*steps) -> SandboxPlan:
    return SandboxPlan(image="python", files={"solution.py": "x"}, steps=list(steps), limits=DEFAULT_LIMITS)


def outcome(step: dict) -> dict:
    return {"name": step["name"], "exit_code": 0, "records": f"from {step['name']}"}


class FakeEntry:
    """The container's side of the attach socket: reads job messages, writes frames, then exits with `exit_code`."""

    def __init__(self, conn: socket.socket):
        self.conn = conn
        self.received: list[dict] = []
        self.buffer = b""

    def pending(self, wait: float = 0.05) -> bool:
        return bool(self.buffer) or bool(select.select([self.conn], [], [], wait)[0])

    def read_message(self) -> dict:
        while b"\n" not in self.buffer:
            self.buffer += self.conn.recv(65536)
        header, _, rest = self.buffer.partition(b"\n")
        while len(rest) < int(header):
            rest += self.conn.recv(65536)
        self.buffer = rest[int(header):]
        message = json.loads(rest[:int(header)])
        self.received.append(message)
        return message

    def write(self, data: bytes) -> None:
        self.conn.sendall(struct.pack(">BxxxI", 1, len(data)) + data)

    def frame(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.write(b"LMS1 %d\n" % len(data) + data)

    def honest(self) -> None:
        """What entry.py does: a frame per phase, the next message read only after the previous frame."""
        job = self.read_message()
        self.frame({"phase": 1, "steps": [outcome(step) for step in job["steps"]]})
        if job["phases"] == 2:
            later = self.read_message()
            self.frame({"phase": 2, "steps": [outcome(step) for step in later["steps"]], "nonce": later["nonce"]})


class FakeApi:
    def __init__(self, exit_code: int):
        self.exit_code = exit_code

    def wait(self, container_id, timeout=None):
        return {"StatusCode": self.exit_code}

    def inspect_container(self, container_id):
        return {"State": {"OOMKilled": False, "ExitCode": self.exit_code}}

    def events(self, **filters):
        return iter(())  # the engine stopped nothing: the entry process ended by itself


class FakeClient:
    def __init__(self, exit_code: int):
        self.api = FakeApi(exit_code)


def run(sandbox_plan: SandboxPlan, script, exit_code: int = 0):
    """Run the plan against `script(entry)`; returns (SandboxResult or the exception raised, FakeEntry)."""
    ours, theirs = socket.socketpair()
    entry = FakeEntry(theirs)
    container = SandboxContainer(FakeClient(exit_code), "fake", ours, AttachStream(ours, 1 << 20), "runc")

    def play():
        try:
            script(entry)
        finally:
            theirs.close()  # the container exits: the stream ends

    thread = threading.Thread(target=play, daemon=True)
    thread.start()
    runner = SandboxRunner.__new__(SandboxRunner)  # no engine: only the protocol is exercised
    try:
        outcome = runner._execute(container, sandbox_plan, True, time.monotonic(), time.monotonic())
    except SandboxError as exc:
        outcome = exc
    finally:
        ours.close()
    thread.join(timeout=5)
    return outcome, entry


def test_the_hidden_steps_leave_only_after_the_visible_frame():
    seen = {}

    def script(entry):
        job = entry.read_message()
        seen["before_the_frame"] = entry.pending(0.2)  # nothing more may come while the visible phase runs
        entry.frame({"phase": 1, "steps": [outcome(step) for step in job["steps"]]})
        later = entry.read_message()
        entry.frame({"phase": 2, "steps": [outcome(step) for step in later["steps"]], "nonce": later["nonce"]})

    result, entry = run(plan(VISIBLE, HIDDEN), script)
    assert result.status == "completed" and seen["before_the_frame"] is False
    first, second = entry.received
    assert SECRET not in json.dumps(first) and first["phases"] == 2 and first["steps"] == [VISIBLE]
    assert second["steps"] == [HIDDEN] and second["nonce"]
    assert [(s.name, s.hidden, s.records, s.missing) for s in result.steps] == [
        ("calls", False, "from calls", False), ("hidden-calls", True, "from hidden-calls", False)]
    assert [s.name for s in result.visible_steps()] == ["calls"]


def test_steps_are_hidden_unless_they_say_otherwise():
    unmarked = {"name": "calls", "action": "calls", "args": {}}
    assert plan(VISIBLE, unmarked).phases() == [[VISIBLE], [unmarked]]
    with pytest.raises(ValueError, match="hidden"):
        plan({**VISIBLE, "hidden": "no"}).check()


@pytest.mark.parametrize("steps", [[VISIBLE], [HIDDEN]], ids=["visible-only", "hidden-only"])
def test_a_plan_with_one_kind_of_step_has_one_phase(steps):
    result, entry = run(plan(*steps), FakeEntry.honest)
    assert result.status == "completed" and len(entry.received) == 1 and entry.received[0]["phases"] == 1
    assert plan(*steps).hidden_job("n") is None


def forged_first(entry):
    """Learner code writes a visible frame before the entry process's own: the hidden part comes early, while it
    still runs; the entry's genuine frame then comes in excess."""
    job = entry.read_message()
    entry.frame({"phase": 1, "steps": [outcome(step) for step in job["steps"]]})
    entry.read_message()
    entry.frame({"phase": 1, "steps": [outcome(step) for step in job["steps"]]})


def wrong_nonce(entry):
    """A second message slipped into stdin by the visible phase's code: the entry echoes its nonce, not ours."""
    job = entry.read_message()
    entry.frame({"phase": 1, "steps": [outcome(step) for step in job["steps"]]})
    later = entry.read_message()
    entry.frame({"phase": 2, "steps": [outcome(step) for step in later["steps"]], "nonce": "guessed"})


def extra_frame(entry):
    entry.honest()
    entry.frame({"phase": 3, "steps": []})


def stray_bytes(entry):
    entry.honest()
    entry.write(b"\x00")


def phase_skipped(entry):
    job = entry.read_message()
    entry.frame({"phase": 2, "steps": [outcome(step) for step in job["steps"]]})


def not_a_mapping(entry):
    entry.read_message()
    entry.frame(["phase", 1])


def garbage_between_frames(entry):
    job = entry.read_message()
    entry.frame({"phase": 1, "steps": [outcome(step) for step in job["steps"]]})
    entry.write(b"not a frame\n")


@pytest.mark.parametrize("script", [forged_first, wrong_nonce, extra_frame, stray_bytes, phase_skipped,
                                    not_a_mapping, garbage_between_frames])
def test_a_frame_out_of_place_voids_both_phases(script):
    result, _ = run(plan(VISIBLE, HIDDEN), script)
    assert result.status == "bad_frame"
    assert all(step.missing and not step.records for step in result.steps)


@pytest.mark.parametrize("exit_code, status", [(137, "crashed"), (3, "crashed"), (0, "bad_frame")])
def test_an_entry_that_stops_after_the_visible_frame(exit_code, status):
    """Killed in the hidden phase (or unable to kill leftovers): a crash. Exiting 0 without its last frame it
    never does: someone took the frame off the pipe."""
    def script(entry):
        job = entry.read_message()
        entry.frame({"phase": 1, "steps": [outcome(step) for step in job["steps"]]})
        entry.read_message()

    result, _ = run(plan(VISIBLE, HIDDEN), script, exit_code=exit_code)
    assert result.status == status and all(step.missing for step in result.steps)


def test_complete_frames_with_a_killed_entry_are_forged():
    result, _ = run(plan(VISIBLE, HIDDEN), FakeEntry.honest, exit_code=137)
    assert result.status == "bad_frame" and all(step.missing for step in result.steps)


def test_a_refused_job_is_the_platforms_fault_only_with_exit_code_2():
    def refuse(entry):
        entry.read_message()
        entry.frame({"error": "bad job: nope"})

    refused, entry = run(plan(VISIBLE, HIDDEN), refuse, exit_code=2)
    assert isinstance(refused, SandboxError) and len(entry.received) == 1  # and nothing hidden was sent
    forged, _ = run(plan(VISIBLE, HIDDEN), refuse, exit_code=0)
    assert forged.status == "bad_frame"


def test_an_error_frame_in_the_hidden_phase_is_forged():
    def script(entry):
        job = entry.read_message()
        entry.frame({"phase": 1, "steps": [outcome(step) for step in job["steps"]]})
        entry.read_message()
        entry.frame({"error": "bad job"})

    result, _ = run(plan(VISIBLE, HIDDEN), script, exit_code=2)
    assert result.status == "bad_frame"
