"""A grading worker: one RQ SimpleWorker (jobs run in this process, so they can use its warm pool), plus a
maintenance thread that keeps the pool's owner alive in Redis, reaps containers of dead workers, recovers
stuck submissions and publishes pool state for the admin page."""
from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import threading
import uuid

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from lms.catalog.models import Exercise
from lms.extensions import db
from lms.grading.queue import grading_queue, redis_connection
from lms.grading.recovery import recover_stuck_submissions
from lms.grading.sandbox import set_runner
from sandboxes.limits import validate_limits
from sandboxes.runner import RuntimeUnavailable, SandboxRunner, remove_sandboxes

log = logging.getLogger(__name__)
OWNER_KEY = "lms:sandbox-owner:{}"
POOL_KEY = "lms:pool:{}"
OWNER_TTL_SECONDS = 60


def sandbox_scope(app: Flask) -> str:
    """Workers sharing a Redis database form one deployment; their reapers only see each other's containers."""
    return app.config.get("LMS_SANDBOX_SCOPE") or hashlib.sha256(app.config["LMS_REDIS_URL"].encode()).hexdigest()[:12]


def live_owners(connection: Redis) -> set[str]:
    prefix = OWNER_KEY.format("")
    return {key.decode()[len(prefix):] for key in connection.scan_iter(match=OWNER_KEY.format("*"))}


def pool_states(connection: Redis) -> list[dict]:
    """What every live worker last published about its warm pools (for the admin page)."""
    states = []
    for key in sorted(connection.scan_iter(match=POOL_KEY.format("*"))):
        raw = connection.get(key)
        if raw:
            states.append(json.loads(raw))
    return states


class Maintenance(threading.Thread):
    def __init__(self, app: Flask, connection: Redis, runner: SandboxRunner, name: str):
        super().__init__(name="maintenance", daemon=True)
        self.app, self.connection, self.runner, self.worker = app, connection, runner, name
        self.stopping = threading.Event()
        self.interval = app.config["LMS_RECOVERY_INTERVAL_SECONDS"]

    def beat(self) -> None:
        self.connection.set(OWNER_KEY.format(self.runner.owner), self.worker, ex=OWNER_TTL_SECONDS)
        state = {"worker": self.worker, **self.runner.stats()}
        self.connection.set(POOL_KEY.format(self.worker), json.dumps(state), ex=OWNER_TTL_SECONDS)

    def sweep(self) -> None:
        removed = remove_sandboxes(self.runner.client, keep_owners=live_owners(self.connection),
                                   scope=self.runner.scope)
        if removed:
            log.warning("reaper removed %d sandbox container(s) left by dead workers", removed)
        with self.app.app_context():
            report = recover_stuck_submissions()
            db.session.remove()
        if report.enqueued or report.retried or report.failed:
            log.warning("recovery: %s", report)

    def run(self) -> None:
        ticks = 0
        while not self.stopping.wait(5):
            ticks += 1
            try:
                self.beat()
                if ticks * 5 >= self.interval:
                    ticks = 0
                    self.sweep()
            except Exception:  # noqa: BLE001 - never let housekeeping kill the worker
                log.exception("maintenance failed")

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def prewarm_profiles(app: Flask, runner: SandboxRunner, most: int = 3) -> None:
    """Start pools for the container profiles the current exercises use most."""
    counts: dict[tuple, int] = {}
    for spec in db.session.scalars(select(Exercise.spec).where(Exercise.archived.is_(False))):
        key = (spec.get("kind", "python"), spec.get("runtime", "runc"),
               json.dumps(validate_limits(spec.get("limits")).to_dict(), sort_keys=True))
        counts[key] = counts.get(key, 0) + 1
    for kind, runtime, limits in sorted(counts, key=counts.get, reverse=True)[:most]:
        try:
            runner.prewarm(kind, validate_limits(json.loads(limits)), runtime)
        except RuntimeUnavailable as exc:
            log.warning("not pre-warming %s: %s", kind, exc)


def run_worker(app: Flask, name: str, pool_size: int, burst: bool = False) -> None:
    os.environ["LMS_WORKER_NAME"] = name
    connection = redis_connection()
    runner = SandboxRunner(pool_size=pool_size, images=app.config["LMS_SANDBOX_IMAGES"],
                           owner=f"{name}-{uuid.uuid4().hex[:8]}", scope=sandbox_scope(app))
    set_runner(runner)
    maintenance = Maintenance(app, connection, runner, name)
    try:
        maintenance.beat()
        maintenance.sweep()
        # Whatever this worker name was running when it last died is recovered now, not after a timeout.
        report = recover_stuck_submissions(dead_worker=name)
        if report.retried or report.failed or report.enqueued:
            log.warning("recovered at start: %s", report)
        prewarm_profiles(app, runner)
        if pool_size and not runner.wait_warm(timeout=30):
            log.warning("warm pool not full after 30 s; taking jobs anyway (cold path): %s", runner.stats())
        maintenance.start()
        # Everything loaded so far (the app, its libraries) lives as long as the process: keep it out of the
        # cyclic collector's scans, which otherwise walk it again on every full collection between jobs.
        gc.freeze()
        worker = SimpleWorker([grading_queue(connection)], connection=connection, serializer=JSONSerializer,
                              name=f"{name}-{uuid.uuid4().hex[:6]}")
        worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
    except RedisError as exc:
        raise SystemExit(f"worker {name}: Redis unreachable at {app.config['LMS_REDIS_URL']}: {exc}") from exc
    finally:
        if maintenance.is_alive():
            maintenance.stop()
        try:
            connection.delete(OWNER_KEY.format(runner.owner), POOL_KEY.format(name))
        except RedisError:
            pass
        runner.close()
        set_runner(None)
