"""A grading worker: RQ's SimpleWorker (jobs run in this process, beside its warm pool), kept alive through outages.

Beside the RQ loop, three daemon threads:
- the job heartbeat: while a job runs, RQ's worker, job and execution heartbeats every few seconds with a short
  TTL, so that when this process dies its job is found abandoned by RQ's started-job registry within seconds;
- the engine watch: pings the Docker engine; while it is down the worker takes no job (a job would only burn an
  attempt), and pools refill once it answers again;
- maintenance: publishes this worker's state for the admin page, runs RQ's abandoned-job cleanup, reaps sandbox
  containers nobody uses (dead workers' and this worker's own exited ones), recovers stuck rows.
Redis going away does not stop the worker: RQ's loop reconnects with backoff when idle; when it gives up (an
error in the middle of a job's bookkeeping) the worker waits for Redis and starts a new RQ worker. A worker
that dies anyway is restarted by its supervisor (supervisord under scripts/run.sh, systemd in production).
"""
from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid

import docker
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from graders import GRADERS, SpecError, get_grader
from lms.catalog.models import Exercise
from lms.extensions import db
from lms.grading.queue import grading_queue, redis_connection
from lms.grading.recovery import abandoned_jobs_cleanup, recover_stuck_submissions
from lms.grading.sandbox import set_runner
from lms.regrades.services import regrade_queue
from sandboxes.limits import validate_limits
from sandboxes.runner import RuntimeUnavailable, SandboxRunner, remove_sandboxes

log = logging.getLogger(__name__)
OWNER_KEY = "lms:sandbox-owner:{}"
POOL_KEY = "lms:pool:{}"  # what a worker publishes about itself and its pools, for the admin page
RECOVERY_LOCK_KEY = "lms:recovery-lock"
OWNER_TTL_SECONDS = 30
HEARTBEAT_SECONDS = 3
HEARTBEAT_TTL_SECONDS = 12  # a running job whose worker sent no heartbeat for this long is abandoned
MAINTENANCE_SECONDS = 5
SWEEP_SECONDS = 10  # containers reaped, rows recovered (one worker of the deployment at a time)
ENGINE_PING_SECONDS = 2
REDIS_BACKOFF_MAX_SECONDS = 5


def sandbox_scope(app: Flask) -> str:
    """Workers sharing a Redis database form one deployment; their reapers only see each other's containers."""
    return app.config.get("LMS_SANDBOX_SCOPE") or hashlib.sha256(app.config["LMS_REDIS_URL"].encode()).hexdigest()[:12]


def live_owners(connection: Redis) -> set[str]:
    prefix = OWNER_KEY.format("")
    return {key.decode()[len(prefix):] for key in connection.scan_iter(match=OWNER_KEY.format("*"))}


def pool_states(connection: Redis) -> list[dict]:
    """What every live worker last published about itself and its warm pools (for the admin page)."""
    states = []
    for key in sorted(connection.scan_iter(match=POOL_KEY.format("*"))):
        raw = connection.get(key)
        if raw:
            states.append(json.loads(raw))
    return states


class Health:
    """What the worker's threads know of its dependencies, published for the admin page."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_since: dict[str, float | None] = {"redis": None, "engine": None}
        self.outages = {"redis": 0, "engine": 0}
        self.state = "starting"
        self.current_submission: int | None = None

    def mark(self, what: str, up: bool) -> bool:
        """Record the dependency's state; returns True when it just came back."""
        with self.lock:
            was_down = self.down_since[what] is not None
            if up and was_down:
                log.warning("%s is back after %.1f s", what, time.time() - self.down_since[what])
                self.down_since[what] = None
            elif not up and not was_down:
                log.warning("%s unreachable: waiting for it", what)
                self.down_since[what] = time.time()
                self.outages[what] += 1
        return up and was_down

    def snapshot(self) -> dict:
        with self.lock:
            return {"state": self.state, "submission": self.current_submission,
                    "redis_down_since": self.down_since["redis"], "engine_down_since": self.down_since["engine"],
                    "redis_outages": self.outages["redis"], "engine_outages": self.outages["engine"]}


class GradingWorker(SimpleWorker):
    """SimpleWorker with short job heartbeats (sent by `JobHeartbeat`, since a SimpleWorker sends none while the
    job runs in its own thread), a quick Redis reconnect, and no job taken while the Docker engine is down."""

    max_connection_wait_time = REDIS_BACKOFF_MAX_SECONDS

    def __init__(self, *args, health: Health, engine_available: threading.Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.health = health
        self.engine_available = engine_available  # the runner's: cleared as soon as a job or the watch finds it down
        self.running_job = None

    def get_heartbeat_ttl(self, job) -> int:
        return HEARTBEAT_TTL_SECONDS

    def execute_job(self, job, queue):
        self.prepare_execution(job)
        self.running_job = job
        self.health.state, self.health.current_submission = "grading", (job.args or [None])[0]
        try:
            self.perform_job(job, queue)
        finally:
            self.running_job = None
            self.health.state, self.health.current_submission = "idle", None
        self.set_state("idle")

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        while not self.engine_available.wait(ENGINE_PING_SECONDS):
            self.health.state = "waiting for the Docker engine"
            if self._shutdown_requested_date is not None:
                return None
            try:
                self.heartbeat()
            except RedisError:
                pass
        self.health.state = "idle"
        return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)


class JobHeartbeat(threading.Thread):
    def __init__(self):
        super().__init__(name="job-heartbeat", daemon=True)
        self.worker: GradingWorker | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(HEARTBEAT_SECONDS):
            worker = self.worker
            job = worker.running_job if worker else None
            if job is None or worker.execution is None:
                continue
            try:
                worker.maintain_heartbeats(job)
            except RedisError:
                pass  # the maintenance thread reports Redis; the TTL covers a short outage
            except Exception:  # noqa: BLE001 - a heartbeat racing the job's end must not kill the thread
                log.debug("job heartbeat skipped", exc_info=True)


class EngineWatch(threading.Thread):
    def __init__(self, runner: SandboxRunner, health: Health):
        super().__init__(name="engine-watch", daemon=True)
        self.runner, self.health = runner, health
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(ENGINE_PING_SECONDS):
            try:
                if self.health.mark("engine", self.runner.check_engine()):
                    self.runner.engine_restarted()
            except Exception:  # noqa: BLE001 - the watch must outlive anything the engine does
                log.exception("engine watch failed")


class Maintenance(threading.Thread):
    def __init__(self, app: Flask, connection: Redis, runner: SandboxRunner, name: str, health: Health | None = None):
        super().__init__(name="maintenance", daemon=True)
        self.app, self.connection, self.runner, self.worker = app, connection, runner, name
        self.health = health or Health()
        self.rq_name = name
        self.stopping = threading.Event()
        self.started_at = time.time()
        self.sweep_interval = app.config.get("LMS_SWEEP_SECONDS", SWEEP_SECONDS)  # an app can sweep more often

    def beat(self) -> None:
        self.connection.set(OWNER_KEY.format(self.runner.owner), self.worker, ex=OWNER_TTL_SECONDS)
        state = {"worker": self.worker, "rq_name": self.rq_name, "host": socket.gethostname(), "pid": os.getpid(),
                 "since": self.started_at, "published": time.time(), **self.health.snapshot(), **self.runner.stats()}
        self.connection.set(POOL_KEY.format(self.worker), json.dumps(state), ex=OWNER_TTL_SECONDS)

    def reap(self) -> None:
        """Containers of this deployment on this engine that no running job uses: dead workers' (their owner key
        expired), and this worker's own that it no longer holds (killed by an engine restart, or whose removal
        failed while the engine was down)."""
        try:
            removed = remove_sandboxes(self.runner.client,
                                       keep_owners=live_owners(self.connection) | {self.runner.owner},
                                       scope=self.runner.scope)
            removed += self.runner.remove_unheld()
        except (docker.errors.DockerException, OSError) as exc:
            log.info("reaper skipped: engine unreachable (%s)", exc)
            return
        if removed:
            log.warning("reaper removed %d sandbox container(s) nobody uses", removed)

    def recover(self, force: bool = False) -> None:
        """RQ's abandoned-job cleanup, then recovery of stuck rows: by one worker of the deployment at a time."""
        if not force and not self.connection.set(RECOVERY_LOCK_KEY, self.worker, nx=True,
                                                 ex=max(1, self.sweep_interval - 1)):
            return
        with self.app.app_context():
            try:
                abandoned_jobs_cleanup(self.connection)
                report = recover_stuck_submissions()
            finally:
                db.session.remove()
        if report:
            log.warning("recovery: %s", report)

    def sweep(self) -> None:
        self.reap()
        self.recover(force=True)

    def run(self) -> None:
        last_sweep = redis_back_at = 0.0
        while not self.stopping.wait(MAINTENANCE_SECONDS):
            try:
                self.beat()
                came_back = self.health.mark("redis", True)
            except RedisError:
                self.health.mark("redis", False)
                continue
            try:
                if came_back:
                    redis_back_at = time.monotonic()
                if came_back or time.monotonic() - last_sweep >= self.sweep_interval:
                    last_sweep = time.monotonic()
                    # A Redis that lost its data (or was down longer than the owner keys' TTL) knows no live
                    # worker until each has beaten again: no reaping before then, or live pools would go.
                    if time.monotonic() - redis_back_at > 2 * MAINTENANCE_SECONDS:
                        self.reap()
                    # Right after an outage every worker looks, so lost jobs are back within seconds.
                    self.recover(force=came_back)
            except RedisError:
                self.health.mark("redis", False)
            except Exception:  # noqa: BLE001 - never let housekeeping kill the worker
                log.exception("maintenance failed")

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def prewarm_profiles(app: Flask, runner: SandboxRunner, most: int = 6) -> None:
    """Start pools for the container profiles (kind's image, runtime, limits) the current exercises use most."""
    counts: dict[tuple, int] = {}
    kinds = app.config.get("LMS_PREWARM_KINDS") or []
    for spec in db.session.scalars(select(Exercise.spec).where(Exercise.archived.is_(False))):
        if kinds and spec.get("kind", "python") not in kinds:
            continue
        if not getattr(GRADERS.get(spec.get("kind", "python")), "runs_code", True):
            continue  # a TrustedGrader's kind is judged in the worker's own process: no container to warm
        key = (spec.get("kind", "python"), spec.get("runtime", "runc"),
               json.dumps(validate_limits(spec.get("limits")).to_dict(), sort_keys=True))
        counts[key] = counts.get(key, 0) + 1
    for kind, runtime, limits in sorted(counts, key=counts.get, reverse=True)[:most]:
        try:
            runner.prewarm(get_grader(kind).image, validate_limits(json.loads(limits)), runtime)
        except (RuntimeUnavailable, SpecError) as exc:
            log.warning("not pre-warming %s: %s", kind, exc)


def forget_predecessors(connection: Redis, name: str, owner: str) -> None:
    """A worker starting under a name that was alive a moment ago replaces it (the supervisor restarted it): its
    predecessor's sandbox containers need not wait for the owner key to expire before they are reaped."""
    for key in connection.scan_iter(match=OWNER_KEY.format("*")):
        if connection.get(key) == name.encode() and key.decode() != OWNER_KEY.format(owner):
            connection.delete(key)


def wait_for_redis(connection: Redis, health: Health, stopping: threading.Event) -> bool:
    """Block until Redis answers (backoff up to a few seconds); False if asked to stop meanwhile."""
    delay = 0.25
    while True:
        try:
            connection.ping()
            health.mark("redis", True)
            return True
        except RedisError:
            health.mark("redis", False)
            health.state = "waiting for Redis"
        if stopping.wait(delay):
            return False
        delay = min(delay * 2, REDIS_BACKOFF_MAX_SECONDS)


def run_worker(app: Flask, name: str, pool_size: int, burst: bool = False) -> None:
    connection = redis_connection()
    runner = SandboxRunner(pool_size=pool_size, images=app.config["LMS_SANDBOX_IMAGES"],
                           owner=f"{name}-{uuid.uuid4().hex[:8]}", scope=sandbox_scope(app))
    set_runner(runner)
    health = Health()
    maintenance = Maintenance(app, connection, runner, name, health)
    heartbeat, engine_watch = JobHeartbeat(), EngineWatch(runner, health)
    stopping = threading.Event()
    try:
        if not wait_for_redis(connection, health, stopping):
            return
        forget_predecessors(connection, name, runner.owner)
        maintenance.beat()
        maintenance.sweep()
        # Whatever this worker name was running when it last died is recovered now, not after a timeout.
        report = recover_stuck_submissions(dead_worker=name)
        if report:
            log.warning("recovered at start: %s", report)
        prewarm_profiles(app, runner)
        db.session.remove()  # no transaction (and its locks) held while waiting for jobs: it would block migrations
        if pool_size and not runner.wait_warm(timeout=30):
            log.warning("warm pool not full after 30 s; taking jobs anyway (cold path): %s", runner.stats())
        for thread in (maintenance, heartbeat, engine_watch):
            thread.start()
        # Everything loaded so far (the app, its libraries) lives as long as the process: keep it out of the
        # cyclic collector's scans, which otherwise walk it again on every full collection between jobs.
        gc.freeze()
        quick_ends = 0
        while True:
            loop_started = time.monotonic()
            rq_name = f"{name}.{uuid.uuid4().hex[:6]}"
            os.environ["LMS_WORKER_NAME"] = rq_name
            maintenance.rq_name = rq_name
            # Grading first: RQ takes a regrade only when no submission waits.
            worker = GradingWorker([grading_queue(connection), regrade_queue(connection)], connection=connection,
                                   serializer=JSONSerializer,
                                   name=rq_name, health=health, engine_available=runner.engine_available)
            heartbeat.worker = worker
            health.state = "idle"
            try:
                worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
            except RedisError as exc:
                log.warning("worker %s: Redis failed (%s)", rq_name, exc)
            if burst or worker._stop_requested or worker._shutdown_requested_date is not None:
                break  # asked to stop (SIGTERM/SIGINT: RQ's warm shutdown), or burst mode's empty queue
            # RQ's loop gave up (Redis went away in the middle of a job's bookkeeping): wait and start again. A loop
            # that keeps ending at once for another reason is a bug: exit, and let the supervisor restart us.
            quick_ends = quick_ends + 1 if time.monotonic() - loop_started < 5 else 0
            if quick_ends >= 5:
                raise SystemExit(f"worker {name}: the RQ loop keeps ending at once; exiting (see the log above)")
            log.warning("worker %s: RQ loop ended; waiting for Redis, then starting again", rq_name)
            stopping.wait(min(quick_ends, REDIS_BACKOFF_MAX_SECONDS))
            if not wait_for_redis(connection, health, stopping):
                break
    except RedisError as exc:
        raise SystemExit(f"worker {name}: Redis unreachable at {app.config['LMS_REDIS_URL']}: {exc}") from exc
    finally:
        stopping.set()
        heartbeat.stopping.set()
        engine_watch.stopping.set()
        if maintenance.is_alive():
            maintenance.stop()
        try:
            connection.delete(OWNER_KEY.format(runner.owner), POOL_KEY.format(name))
        except RedisError:
            pass
        runner.close()
        set_runner(None)
        # A worker started in a longer-lived process (burst runs, tests) hands the objects back to the collector.
        gc.unfreeze()
