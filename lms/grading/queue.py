"""Step 2 of a submission's path: putting its grading job on the RQ queue (JSON serializer, dotted path).

The Submission row is committed before anything is enqueued; if Redis is down the row stays `queued` without
`queued_at` and the recovery loop enqueues it later. Nothing is lost either way.
"""
from __future__ import annotations

import logging
import time

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from lms.clock import utcnow
from lms.extensions import db

log = logging.getLogger(__name__)
GRADE_JOB = "lms.grading.jobs.grade_submission"


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
    plan = get_grader(spec.kind).plan(spec, {name: "" for name in spec.files},
                                      practice=submission.mode == "practice")
    return int(plan.deadline_seconds() + current_app.config["LMS_JOB_TIMEOUT_MARGIN_SECONDS"])


def enqueue_grading(submission) -> bool:
    """Enqueue the job of the submission's current attempt; returns False (and logs) if Redis is unreachable."""
    job_id = job_id_for(submission)
    try:
        grading_queue().enqueue(
            GRADE_JOB, submission.id, submission.attempts,
            job_id=job_id, job_timeout=job_timeout_for(submission),
            result_ttl=0, failure_ttl=7 * 24 * 3600,  # the result lives on the row, not in Redis
            description=f"grade submission {submission.id} (attempt {submission.attempts})",
        )
    except RedisError as exc:
        log.warning("could not enqueue submission %s: %s (recovery will retry)", submission.id, exc)
        return False
    submission.job_id = job_id
    submission.queued_at = utcnow()
    db.session.commit()
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


def wait_for_change(submission_id: int, is_current, timeout: float) -> None:
    """Block until the worker announces a change of this submission or `timeout` passes. `is_current()` is
    called once subscribed, so a change that happened just before is not missed."""
    try:
        pubsub = redis_connection().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(submission_channel(submission_id))
    except RedisError:
        return
    try:
        if not is_current():
            return
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            # None also comes back for the subscription's own confirmation: keep waiting for a real message.
            if pubsub.get_message(timeout=remaining) is not None:
                return
    except RedisError:
        pass
    finally:
        pubsub.close()


def queue_position(job_id: str | None) -> int | None:
    """1 for the next job to run; None if not waiting in the queue (or Redis unreachable)."""
    if not job_id:
        return None
    try:
        position = grading_queue().get_job_position(job_id)
    except RedisError:
        return None
    return None if position is None else position + 1
