"""Bring back submissions stuck in `queued` or `running`.

A worker that dies mid-job is RQ's business first: each worker sends heartbeats while it runs a job, and the
started-job registry's cleanup (run by every live worker's maintenance thread) hands a job whose heartbeats stopped
to `jobs.grading_job_failed`, which queues the next attempt. What RQ cannot know is left here, looking from the row,
which is the truth: rows whose job never reached Redis (down at submit time), jobs Redis lost (restarted without
its data, flushed), rows whose worker vanished together with Redis's memory of it. Runs when a worker starts, on a
short period, and right after Redis comes back.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.grading.jobs import retry_or_fail
from lms.grading.queue import enqueue_grading, grading_queue, job_status, job_timeout_for, requeue_lost_job
from lms.submissions.models import Status, Submission

log = logging.getLogger(__name__)
ALIVE_JOB_STATES = {"queued", "started", "deferred", "scheduled"}
DEAD_JOB_STATES = {"failed", "stopped", "canceled"}
SETTLE_SECONDS = 5  # a row younger than this may still be on its way into Redis (web request, retry in progress)
HEARTBEAT_GRACE_SECONDS = 20  # a running row whose worker Redis does not know is given up after this


@dataclass
class RecoveryReport:
    enqueued: list[int] = field(default_factory=list)  # never reached Redis: enqueued now
    requeued: list[int] = field(default_factory=list)  # Redis lost the job: the same attempt enqueued again
    retried: list[int] = field(default_factory=list)  # the worker died: next attempt
    failed: list[int] = field(default_factory=list)  # out of attempts

    def __bool__(self) -> bool:
        return bool(self.enqueued or self.requeued or self.retried or self.failed)


def rq_worker_alive(connection: Redis, rq_name: str | None) -> bool:
    """Whether an RQ worker of that name still has its key (kept alive by heartbeats, with a TTL)."""
    return bool(rq_name) and bool(connection.exists(Worker.redis_worker_namespace_prefix + rq_name))


def abandoned_jobs_cleanup(connection: Redis | None = None) -> None:
    """RQ's started-job registry cleanup: jobs whose worker stopped sending heartbeats go to the failed registry
    and their failure callback runs (here, in a thread: a timer, not SIGALRM, bounds the callback)."""
    from rq.registry import StartedJobRegistry
    from rq.timeouts import TimerDeathPenalty

    from lms.regrades.services import regrade_queue

    for queue in (grading_queue(connection), regrade_queue(connection)):
        StartedJobRegistry(queue=queue, serializer=JSONSerializer, death_penalty_class=TimerDeathPenalty).cleanup()


def recover_stuck_submissions(dead_worker: str | None = None) -> RecoveryReport:
    """`dead_worker`: a worker name (without the RQ suffix) known to have died — a worker passes its own name when
    it starts again — whose running submissions are recovered at once."""
    report = RecoveryReport()
    now = utcnow()
    settled = now - timedelta(seconds=SETTLE_SECONDS)
    rows = db.session.scalars(
        select(Submission).where(Submission.status.in_([Status.QUEUED, Status.RUNNING])).order_by(Submission.id)
    ).all()
    try:
        connection = grading_queue().connection
        for submission in rows:
            if submission.status == Status.QUEUED:
                _recover_queued(submission, settled, report)
            else:
                _recover_running(submission, connection, now, dead_worker, report)
    except RedisError as exc:
        log.warning("recovery stopped: Redis unreachable (%s); it runs again when Redis is back", exc)
    return report


def _recover_queued(submission: Submission, settled, report: RecoveryReport) -> None:
    if submission.queued_at is None:
        if submission.created_at <= settled and enqueue_grading(submission):
            report.enqueued.append(submission.id)
        return
    if submission.queued_at > settled:
        return
    state = job_status(submission.job_id)
    if state is None:
        if requeue_lost_job(submission):
            report.requeued.append(submission.id)
    elif state in DEAD_JOB_STATES:
        _retry(submission, f"the queued job ended as {state}", report)


def _recover_running(submission: Submission, connection: Redis, now, dead_worker: str | None,
                     report: RecoveryReport) -> None:
    started = submission.started_at or submission.created_at
    if dead_worker and worker_base_name(submission.worker_name) == dead_worker:
        _retry(submission, "the worker grading it stopped (restarted)", report)
        return
    if started <= now - timedelta(seconds=job_timeout_for(submission) + 30):
        _retry(submission, "grading took far longer than its time limit", report)  # a safety net only
        return
    state = job_status(submission.job_id)
    if state in DEAD_JOB_STATES:
        _retry(submission, f"the grading job ended as {state}", report)
    elif state is None and started <= now - timedelta(seconds=HEARTBEAT_GRACE_SECONDS) \
            and not rq_worker_alive(connection, submission.worker_name):
        # Redis lost the job and knows no such worker: a worker that is alive would have sent a heartbeat.
        _retry(submission, "its job and its worker are gone from Redis", report)


def worker_base_name(rq_name: str | None) -> str | None:
    """"worker-1" from "worker-1.3fa2c1" (RQ worker names carry a suffix per start)."""
    return rq_name.rsplit(".", 1)[0] if rq_name else None


def _retry(submission: Submission, reason: str, report: RecoveryReport) -> None:
    outcome = retry_or_fail(submission, reason, submission.attempts)
    if outcome == "retried":
        report.retried.append(submission.id)
    elif outcome != "superseded":
        report.failed.append(submission.id)
