"""Bring back submissions stuck in `queued` or `running`: their job was lost (Redis flushed or restarted), or the
worker running it died. Runs when a worker starts and then periodically. The row is the truth: we look at it
and at what Redis still knows, then re-enqueue the next attempt or fail it with a reason.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.grading.jobs import retry_or_fail
from lms.grading.queue import enqueue_grading, job_status, job_timeout_for
from lms.submissions.models import Status, Submission

log = logging.getLogger(__name__)
ALIVE_JOB_STATES = {"queued", "started", "deferred", "scheduled"}


@dataclass
class RecoveryReport:
    enqueued: list[int] = field(default_factory=list)  # never reached Redis: enqueued now
    retried: list[int] = field(default_factory=list)  # job lost or worker dead: next attempt
    failed: list[int] = field(default_factory=list)  # out of attempts


def recover_stuck_submissions(dead_worker: str | None = None) -> RecoveryReport:
    """`dead_worker`: a worker name known to have died (a worker passes its own name when it restarts), whose
    running submissions are recovered at once instead of after their timeout."""
    report = RecoveryReport()
    now = utcnow()
    stuck_queued = now - timedelta(seconds=current_app.config["LMS_STUCK_QUEUED_SECONDS"])
    rows = db.session.scalars(
        select(Submission).where(Submission.status.in_([Status.QUEUED, Status.RUNNING])).order_by(Submission.id)
    ).all()
    for submission in rows:
        try:
            state = job_status(submission.job_id)
        except RedisError as exc:
            log.warning("recovery skipped: Redis unreachable (%s)", exc)
            return report
        if submission.status == Status.QUEUED:
            if submission.queued_at is None and submission.created_at <= now - timedelta(seconds=2):
                if enqueue_grading(submission):
                    report.enqueued.append(submission.id)
            elif submission.queued_at and submission.queued_at <= stuck_queued and state not in ALIVE_JOB_STATES:
                _retry(submission, "the queued job was lost", report)
            continue
        # running
        started = submission.started_at or submission.created_at
        overdue = started <= now - timedelta(seconds=job_timeout_for(submission) + 30)
        died = dead_worker is not None and submission.worker_name == dead_worker
        if died or overdue or state in ("failed", "stopped", "canceled") or (
                state is None and started <= now - timedelta(seconds=30)):
            _retry(submission, "the worker grading it stopped", report)
    return report


def _retry(submission: Submission, reason: str, report: RecoveryReport) -> None:
    outcome = retry_or_fail(submission, reason)
    (report.retried if outcome == "retried" else report.failed).append(submission.id)
