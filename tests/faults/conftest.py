"""Machinery of the fault suite: a whole LMS started by the real run command (scripts/run.sh: supervisord, gunicorn,
two grading workers, Redis under supervisord) on a private Docker engine of its own, against a fresh database (on
SQLite and on PostgreSQL in turn), driven over HTTP like learners would while faults are injected.

The private engine (its own socket, data root, exec root and bridge) can be killed and restarted without touching
the engine the rest of the suite uses; it gets the sandbox images from the main engine (docker save | load).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest
import requests

from tests.conftest import ROOT, fresh_database

BRIDGE = "lmsfaults0"  # the private engine's own bridge: never "none", which makes dockerd delete docker0
BRIDGE_ADDRESS = "10.254.254.1/24"
REPORT: list[dict] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class PrivateEngine:
    """A second dockerd on this machine: a worker host of its own, or an engine we may kill."""

    def __init__(self, root: Path, bridge: str = BRIDGE, bridge_address: str = BRIDGE_ADDRESS):
        self.root = root
        self.socket = root / "docker.sock"
        self.url = f"unix://{self.socket}"
        self.bridge, self.bridge_address = bridge, bridge_address
        self.process: subprocess.Popen | None = None
        self.log = root / "dockerd.log"
        (root / "config.json").write_text("{}")
        # A fixed API version: the client must not ask a daemon that is not there yet.
        self.client = docker.DockerClient(base_url=self.url, timeout=30, version="1.41")

    def _ensure_bridge(self) -> None:
        if subprocess.run(["ip", "link", "show", self.bridge], capture_output=True).returncode != 0:
            subprocess.run(["ip", "link", "add", self.bridge, "type", "bridge"], check=True)
            subprocess.run(["ip", "addr", "add", self.bridge_address, "dev", self.bridge], check=True)
        subprocess.run(["ip", "link", "set", self.bridge, "up"], check=True)

    def start(self) -> None:
        self._ensure_bridge()
        (self.root / "dockerd.pid").unlink(missing_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["dockerd", "--config-file", str(self.root / "config.json"), "-H", self.url,
                 "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
                 "--pidfile", str(self.root / "dockerd.pid"), "--bridge", self.bridge, "--iptables=false",
                 "--ip-masq=false", "--ip-forward=false", "--cgroup-parent", f"lms-{self.bridge}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self.answers, 60, what=f"the private engine on {self.socket}")

    def answers(self) -> bool:
        try:
            return self.client.ping()
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def kill(self) -> None:
        """SIGKILL dockerd, as a crash would (its containers die with it or when it comes back)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop_gracefully(self) -> None:
        """SIGTERM, as `systemctl stop docker` does: dockerd stops its containers, then exits."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=90)

    def load_images_from(self, main: docker.DockerClient) -> None:
        tags = sorted({tag for image in main.images.list() for tag in image.tags
                       if tag.startswith(("lms/base:", "lms/sandbox-"))})
        saved = subprocess.Popen(["docker", "save", *tags], stdout=subprocess.PIPE)
        subprocess.run(["docker", "-H", self.url, "load", "-q"], stdin=saved.stdout, check=True,
                       stdout=subprocess.DEVNULL)
        assert saved.wait() == 0

    def sandbox_containers(self, scope: str | None = None) -> list:
        labels = ["lms.sandbox=1"] + ([f"lms.scope={scope}"] if scope else [])
        return self.client.containers.list(all=True, filters={"label": labels}, ignore_removed=True)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                for container in self.client.containers.list(all=True):
                    container.remove(force=True)
            except docker.errors.DockerException:
                pass
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        # Layers are root-owned and may sit under mounts the dead daemon left: unmount before removing.
        for line in reversed(Path("/proc/mounts").read_text().splitlines()):
            mount_point = line.split()[1]
            if mount_point.startswith(str(self.root) + "/"):
                subprocess.run(["umount", "-l", mount_point], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_engine(tmp_path_factory, docker_client):
    engine = PrivateEngine(tmp_path_factory.mktemp("engine"))
    try:
        engine.start()
        engine.load_images_from(docker_client)
        yield engine
    finally:
        engine.stop()


@dataclass
class Probe:
    """A learner's browser in a loop: the result endpoint and a page, every 100 ms. Records what came back."""

    base: str
    token: str
    answers: list[tuple[float, object]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self.stopping.wait(0.1):
            for path in ("/api/v1/submissions", "/login"):
                try:
                    status = session.get(self.base + path, headers=headers, timeout=15).status_code
                except requests.RequestException as exc:
                    status = type(exc).__name__
                self.answers.append((time.monotonic(), status))

    def server_errors(self) -> list:
        return [(t, s) for t, s in self.answers if isinstance(s, int) and s >= 500 and s != 503]

    def failures(self) -> list:
        return [(t, s) for t, s in self.answers if not isinstance(s, int)]


class Stack:
    """The LMS as `bash scripts/run.sh` runs it, on its own ports, folder, Redis, database and engine."""

    WORKERS = 2
    POOL_SIZE = 1

    def __init__(self, root: Path, engine: PrivateEngine, database_url: str):
        self.root, self.engine, self.database_url = root, engine, database_url
        self.port, self.redis_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.var = root / "var"
        self.log = root / "run.log"
        self.env = {
            **os.environ, "LMS_VAR": str(self.var), "LMS_BIND": f"127.0.0.1:{self.port}",
            "LMS_REDIS_PORT": str(self.redis_port), "LMS_REDIS_URL": self.redis_url, "DOCKER_HOST": engine.url,
            "LMS_DATABASE_URL": database_url, "LMS_DATABASE": "sqlite", "LMS_WORKERS": str(self.WORKERS),
            "LMS_POOL_SIZE": str(self.POOL_SIZE), "LMS_WEB_WORKERS": "2", "LMS_WEB_THREADS": "8",
            # The faults are ridden out with Python submissions: no browser pools competing for the two cores.
            "LMS_PREWARM_KINDS": "python",
            "LMS_SECRET_KEY": "fault-suite-only", "LMS_WORKER_PREFIX": "faults",
        }
        self.process: subprocess.Popen | None = None
        self._app = None

    # --- the run command --------------------------------------------------------------------------------

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=self.env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        wait_until(lambda: "LMS is running" in self.log.read_text(errors="replace") or self.process.poll() is not None,
                   300, 0.5, "the run command")
        assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
        wait_until(self.pools_full, 60, 0.5, "the workers' warm pools")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # what Ctrl-C does to run.sh
            try:
                self.process.wait(timeout=150)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                raise
        if self._app is not None:
            from lms.extensions import db

            with self._app.app_context():
                db.engine.dispose()

    def supervisorctl(self, *args: str) -> str:
        return subprocess.run(["supervisorctl", "-c", str(self.var / "run" / "supervisord.conf"), *args],
                              capture_output=True, text=True, timeout=60).stdout

    def pid(self, program: str) -> int:
        return int(self.supervisorctl("pid", program).strip())

    def gunicorn_workers(self) -> list[int]:
        master = self.pid("web")
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [int(pid) for pid in children]

    def redis(self):
        from redis import Redis

        return Redis.from_url(self.redis_url, socket_timeout=5)

    def worker_states(self) -> list[dict]:
        from lms.grading.worker import pool_states

        try:
            return pool_states(self.redis())
        except Exception:  # noqa: BLE001 - Redis down: no state
            return []

    def pools_full(self) -> bool:
        states = self.worker_states()
        return len(states) == self.WORKERS and all(
            state["pools"] and all(pool["ready"] >= pool["size"] for pool in state["pools"]) for state in states)

    # --- the database, as the test sees it -------------------------------------------------------------------

    @property
    def app(self):
        if self._app is None:
            from lms import create_app

            self._app = create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "LMS_REDIS_URL": self.redis_url,
                                    "SECRET_KEY": "fault-suite-only", "TESTING": True})
        return self._app

    def learners(self, count: int) -> list[str]:
        """API tokens of `count` new learners (one submission each: the exercises have a cooldown)."""
        from lms.auth.services import create_user, issue_api_token
        from lms.extensions import db
        from tests.cohort_support import open_catalog

        with self.app.app_context():
            stamp = f"{time.time_ns():x}"
            users = [create_user(f"fault-{stamp}-{i}@test.ma", f"Learner {i}", "faults-pw-123") for i in range(count)]
            tokens = [issue_api_token(user) for user in users]
            open_catalog([user.id for user in users])  # as learners of a cohort publishing every module
            db.session.remove()
        return tokens

    def exercise_uuid(self, slug: str) -> str:
        from sqlalchemy import select

        from lms.catalog.models import Exercise
        from lms.extensions import db

        with self.app.app_context():
            value = db.session.scalar(select(Exercise.uuid).where(Exercise.slug == slug))
            db.session.remove()
        return value

    def rows(self, ids) -> dict[int, dict]:
        from sqlalchemy import select

        from lms.extensions import db
        from lms.submissions.models import Submission

        with self.app.app_context():
            found = {s.id: {"status": s.status, "verdict": s.verdict, "attempts": s.attempts,
                            "started_at": s.started_at, "stored_at": s.stored_at, "worker": s.worker_name,
                            "error_reason": s.error_reason}
                     for s in db.session.scalars(select(Submission).where(Submission.id.in_(list(ids))))}
            db.session.remove()
        return found

    # --- learners over HTTP --------------------------------------------------------------------------------

    def submit(self, token: str, exercise: str, code: str) -> requests.Response:
        return requests.post(f"{self.base}/api/v1/exercises/{exercise}/submissions",
                             json={"files": {"solution.py": code}}, headers={"Authorization": f"Bearer {token}"},
                             timeout=30)

    def result(self, token: str, submission_id: int) -> dict | None:
        try:
            response = requests.get(f"{self.base}/api/v1/submissions/{submission_id}",
                                    headers={"Authorization": f"Bearer {token}"}, timeout=15)
        except requests.RequestException:
            return None
        return response.json() if response.status_code == 200 else None

    def wait_final(self, submissions: dict[int, str], timeout: float) -> dict[int, tuple[dict, float]]:
        """{id: (final answer, monotonic time it was first seen final)} for every submission."""
        seen: dict[int, tuple[dict, float]] = {}

        def all_final():
            for submission_id, token in submissions.items():
                if submission_id not in seen:
                    answer = self.result(token, submission_id)
                    if answer and answer["final"]:
                        seen[submission_id] = (answer, time.monotonic())
            return len(seen) == len(submissions)

        wait_until(all_final, timeout, 0.25, f"{len(submissions) - len(seen)} submission(s) to be graded")
        return seen

    def assert_no_container_left(self, timeout: float = 60) -> float:
        """Every sandbox container of this deployment on the engine is a live worker's pool member, waiting:
        nothing exited, nothing of a dead worker, at most workers x pool size. Returns how long that took."""
        from lms.grading.worker import live_owners

        started = time.monotonic()

        def clean():
            containers = self.engine.sandbox_containers()
            owners = live_owners(self.redis())
            return all(c.status == "running" and c.labels.get("lms.owner") in owners for c in containers) \
                and len(containers) <= self.WORKERS * self.POOL_SIZE

        wait_until(clean, timeout, 0.5, "leftover sandbox containers to be removed")
        return time.monotonic() - started


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack_database_url(request, tmp_path_factory):
    yield from fresh_database(request, tmp_path_factory.mktemp("stack-db"), migrated=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, private_engine, stack_database_url):
    stack = Stack(tmp_path_factory.mktemp("stack"), private_engine, stack_database_url)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
    # Ctrl-C's promise: nothing the run command started is left running.
    leftovers = subprocess.run(["pgrep", "-f", f"{stack.var}|lms worker --name faults-"], capture_output=True,
                               text=True).stdout.split()
    assert leftovers == [], f"processes left by run.sh: {leftovers}"
    assert private_engine.sandbox_containers() == [], "sandbox containers left after the workers stopped"


@pytest.fixture
def probe(stack):
    """A learner polling the site throughout the test; asserts the web never answered 5xx (503 aside)."""
    token = stack.learners(1)[0]
    watcher = Probe(stack.base, token)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    yield watcher
    watcher.stopping.set()
    thread.join(timeout=30)
    assert watcher.answers, "the probe got no answer at all"
    assert watcher.server_errors() == [], f"the web answered 5xx: {watcher.server_errors()[:5]}"


@pytest.fixture
def record(stack_database_url):
    """record(fault, **figures): one line of the fault report (printed at the end, and in $LMS_VAR)."""
    backend = stack_database_url.split(":")[0].split("+")[0]

    def add(fault: str, **figures) -> None:
        REPORT.append({"fault": fault, "database": backend, **figures})

    return add


def pytest_terminal_summary(terminalreporter, config):
    if not REPORT:
        return
    folder = Path(os.environ.get("LMS_TEST_REPORTS") or os.environ.get("LMS_VAR", "var/test"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fault-report.json").write_text(json.dumps(REPORT, indent=1, default=str))
    terminalreporter.write_line(f"fault suite (report: {folder / 'fault-report.json'}):")
    for row in REPORT:
        figures = ", ".join(f"{k} {v}" for k, v in row.items() if k not in ("fault", "database"))
        terminalreporter.write_line(f"  {row['fault']:<28} {row['database']:<10} {figures}")
