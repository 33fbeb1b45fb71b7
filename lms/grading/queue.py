"""Step 2 of a submission's path: putting its grading job on the RQ queue (JSON serializer, dotted path).

The Submission row is committed before anything is enqueued. Enqueueing first claims the row (sets `queued_at`,
compare-and-set), then pushes the job; if Redis is unreachable the claim is undone, the row stays `queued` without
`queued_at`, and the recovery loop enqueues it once Redis is back. Nothing is lost either way.
"""
from __future__ import annotations

import logging
import time

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Callback, Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from lms.clock import utcnow
from lms.grading.state import transition
from lms.submissions.models import Status, Submission

log = logging.getLogger(__name__)
GRADE_JOB = "lms.grading.jobs.grade_submission"
# Called by RQ when the job raises, and by the started-job registry's cleanup when the worker running it stopped
# sending heartbeats (an abandoned job): the submission gets its next attempt at once.
JOB_FAILED_CALLBACK = "lms.grading.jobs.grading_job_failed"
REDIS_RETRY_AFTER_SECONDS = 2.0  # after a failed call, web requests skip Redis this long instead of each waiting


class RedisBreaker:
    """Remembers that Redis failed a moment ago, so a burst of page views during an outage does not pay a
    connection attempt each (queue positions and live notifications are optional; the rows hold the truth)."""

    def __init__(self):
        self.open_until = 0.0

    def available(self) -> bool:
        return time.monotonic() >= self.open_until

    def failed(self) -> None:
        self.open_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS

    def succeeded(self) -> None:
        self.open_until = 0.0


breaker = RedisBreaker()


def redis_connection() -> Redis:
    app = current_app._get_current_object()
    connection = app.extensions.get("lms.redis")
    if connection is None:
        connection = Redis.from_url(app.config["LMS_REDIS_URL"], socket_timeout=10, socket_connect_timeout=5,
                                    health_check_interval=30)
        app.extensions["lms.redis"] = connection
    return connection


def grading_queue(connection: Redis | None = None) -> Queue:
    return Queue(current_app.config["LMS_QUEUE_NAME"], connection=connection or redis_connection(),
                 serializer=JSONSerializer)


def job_id_for(submission) -> str:
    return f"submission-{submission.id}-attempt-{submission.attempts}"


def job_timeout_for(submission) -> int:
    """Above the sandbox's own backstop: every step's wall time, plus container start and margin."""
    from graders import get_grader
    from graders.base import ExerciseSpec

    spec = ExerciseSpec.from_dict(submission.exercise.spec)
    grader = get_grader(spec.kind)
    if not grader.runs_code:  # a TrustedGrader has no sandbox plan: judged in the worker's own process
        return int(current_app.config["LMS_JOB_TIMEOUT_MARGIN_SECONDS"])
    plan = grader.plan(spec, {name: "" for name in spec.files}, practice=submission.mode == "practice")
    return int(plan.deadline_seconds() + current_app.config["LMS_JOB_TIMEOUT_MARGIN_SECONDS"])


def enqueue_grading(submission: Submission) -> bool:
    """Enqueue the job of the submission's current attempt, unless another process already did (the claim on
    `queued_at` decides). Returns False, and leaves the row for recovery, if Redis is unreachable."""
    attempt = submission.attempts
    job_id = job_id_for(submission)
    claimed_at = utcnow()
    if not transition(submission, attempt, (Status.QUEUED,), Submission.queued_at.is_(None),
                      queued_at=claimed_at, job_id=job_id):
        return False
    try:
        push_job(submission, job_id)
    except RedisError as exc:
        breaker.failed()
        log.warning("could not enqueue submission %s: %s (recovery will enqueue it when Redis is back)",
                    submission.id, exc)
        transition(submission, attempt, (Status.QUEUED,), Submission.queued_at == claimed_at, queued_at=None)
        return False
    breaker.succeeded()
    return True


def push_job(submission: Submission, job_id: str) -> None:
    grading_queue().enqueue(
        GRADE_JOB, submission.id, submission.attempts,
        job_id=job_id, job_timeout=job_timeout_for(submission),
        result_ttl=0, failure_ttl=7 * 24 * 3600,  # the result lives on the row, not in Redis
        on_failure=Callback(JOB_FAILED_CALLBACK, timeout=60),
        description=f"grade submission {submission.id} (attempt {submission.attempts})",
    )


def requeue_lost_job(submission: Submission) -> bool:
    """Push again the job of an attempt that Redis lost (flushed, or restarted without its data), once."""
    if not transition(submission, submission.attempts, (Status.QUEUED,),
                      Submission.queued_at == submission.queued_at, queued_at=utcnow()):
        return False
    try:
        push_job(submission, job_id_for(submission))
    except RedisError as exc:
        log.warning("could not enqueue submission %s again: %s", submission.id, exc)
        return False
    return True


def job_status(job_id: str | None) -> str | None:
    """The RQ status of a job, or None if Redis has no such job (lost, expired, never enqueued)."""
    if not job_id:
        return None
    try:
        job = Job.fetch(job_id, connection=redis_connection(), serializer=JSONSerializer)
        return job.get_status(refresh=False)
    except NoSuchJobError:
        return None


def submission_channel(submission_id: int) -> str:
    return f"lms:submission:{submission_id}"


def notify_changed(submission) -> None:
    """Wake the web requests waiting on this submission (long-polling). Best effort: they time out anyway."""
    try:
        redis_connection().publish(submission_channel(submission.id), submission.status)
    except RedisError as exc:
        log.info("could not notify about submission %s: %s", submission.id, exc)


DB_POLL_SECONDS = 1.0  # how often a long-poll looks at the row itself while Redis cannot notify


def wait_for_change(submission_id: int, is_current, timeout: float) -> None:
    """Block until the worker announces a change of this submission or `timeout` passes. `is_current()` is
    called once subscribed, so a change that happened just before is not missed. While Redis is unreachable the
    row is read every second instead, so clients keep long-polling at the same pace rather than hammering."""
    deadline = time.monotonic() + timeout
    pubsub = None
    if breaker.available():
        try:
            pubsub = redis_connection().pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(submission_channel(submission_id))
        except RedisError:
            breaker.failed()
            pubsub = None
    try:
        if not is_current():
            return
        while (remaining := deadline - time.monotonic()) > 0:
            if pubsub is not None:
                try:
                    # None also comes back for the subscription's own confirmation: keep waiting for a real one.
                    if pubsub.get_message(timeout=remaining) is not None:
                        return
                    continue
                except RedisError:
                    breaker.failed()
                    pubsub.close()
                    pubsub = None
            time.sleep(min(DB_POLL_SECONDS, max(remaining, 0)))
            if not is_current():
                return
    finally:
        if pubsub is not None:
            pubsub.close()


def queue_position(job_id: str | None) -> int | None:
    """1 for the next job to run; None if not waiting in the queue (or Redis unreachable)."""
    if not job_id or not breaker.available():
        return None
    try:
        position = grading_queue().get_job_position(job_id)
    except RedisError:
        breaker.failed()
        return None
    return None if position is None else position + 1
