"""Step 3 of a submission's path: the RQ job. Load the row, ask the kind's grader for a plan, run it in the
sandbox, judge, store. Phase timestamps are written on the row as we go.

Retries are for the platform's failures only (engine down, container never ready): the row goes back to
`queued` with the next attempt number. A learner's wrong answer, crash or limit is a final grade.
"""
from __future__ import annotations

import logging
import os
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy.orm import joinedload

from graders import get_grader
from graders.base import ExerciseSpec, GradeResult, SpecError, Verdict
from lms.clock import utcnow
from lms.extensions import db
from lms.grading.queue import notify_changed
from lms.grading.sandbox import get_runner
from lms.submissions.models import Mode, Status, Submission
from sandboxes.container import SandboxError
from sandboxes.runner import RuntimeUnavailable

log = logging.getLogger(__name__)
_fallback_app = None


def grade_submission(submission_id: int, attempt: int) -> str:
    """RQ entry point (enqueued by dotted path with JSON arguments)."""
    if has_app_context():
        return grade(submission_id, attempt)
    global _fallback_app
    if _fallback_app is None:
        from lms import create_app

        _fallback_app = create_app()
    with _fallback_app.app_context():
        return grade(submission_id, attempt)


def worker_name() -> str:
    return os.environ.get("LMS_WORKER_NAME", f"pid-{os.getpid()}")


def grade(submission_id: int, attempt: int) -> str:
    try:
        # The worker is the only writer of a running attempt's row: keep what it loaded across its commits
        # rather than reading the row (and the exercise) again after each one.
        db.session().expire_on_commit = False
        submission = db.session.get(Submission, submission_id, options=[joinedload(Submission.exercise)])
        if submission is None:
            return "missing"
        if submission.is_final or submission.attempts != attempt:
            return "skipped"  # a duplicate job of an attempt already replaced or finished
        submission.status = Status.RUNNING
        submission.started_at = utcnow()
        submission.worker_name = worker_name()
        db.session.commit()
        notify_changed(submission)
        outcome = _run_and_store(submission)
        notify_changed(submission)
        return outcome
    finally:
        db.session.remove()


def _run_and_store(submission: Submission) -> str:
    try:
        spec = ExerciseSpec.from_dict(submission.exercise.spec)
        grader = get_grader(spec.kind)
        plan = grader.plan(spec, submission.files, practice=submission.mode == Mode.PRACTICE)
    except (SpecError, KeyError) as exc:
        return finish_with_error(submission, f"exercise definition cannot be graded: {exc}")
    plan.labels = {"lms.submission": str(submission.id)}
    try:
        result = get_runner().run(plan)
    except RuntimeUnavailable as exc:
        return finish_with_error(submission, str(exc))
    except SandboxError as exc:
        return retry_or_fail(submission, str(exc))
    finished = utcnow()
    grade_result = grader.judge(spec, plan, result)
    submission.container_started_at = submission.started_at + timedelta(milliseconds=result.timings_ms["acquire"])
    submission.finished_at = finished
    submission.warm = result.warm
    store_grade(submission, grade_result, dict(result.timings_ms))
    return grade_result.verdict.value


def store_grade(submission: Submission, grade_result: GradeResult, timings_ms: dict) -> None:
    submission.status = Status.COMPLETED
    submission.verdict = grade_result.verdict.value
    graded = submission.mode == Mode.GRADED
    submission.score = grade_result.score if graded else None
    submission.max_score = grade_result.max_score if graded else 0.0
    submission.feedback = grade_result.feedback()
    submission.diagnostics = {**grade_result.diagnostics, "timings_ms": timings_ms}
    submission.error_reason = None
    submission.stored_at = utcnow()
    db.session.commit()


def finish_with_error(submission: Submission, reason: str) -> str:
    """A final platform-side failure: the learner sees "grading error", and the attempt does not count."""
    log.error("submission %s cannot be graded: %s", submission.id, reason)
    submission.status = Status.ERROR
    submission.verdict = Verdict.GRADING_ERROR.value
    submission.error_reason = reason[:1000]
    submission.finished_at = submission.stored_at = utcnow()
    db.session.commit()
    return Verdict.GRADING_ERROR.value


def retry_or_fail(submission: Submission, reason: str) -> str:
    """The platform failed this attempt: queue the next one, or give up after the configured attempts."""
    from lms.grading.queue import enqueue_grading

    if submission.attempts >= current_app.config["LMS_MAX_GRADING_ATTEMPTS"]:
        return finish_with_error(submission, f"gave up after {submission.attempts} attempts: {reason}")
    log.warning("submission %s attempt %s failed on the platform side: %s; retrying",
                submission.id, submission.attempts, reason)
    submission.attempts += 1
    submission.status = Status.QUEUED
    submission.error_reason = f"grading error, retried: {reason}"[:1000]
    submission.started_at = submission.queued_at = None
    db.session.commit()
    enqueue_grading(submission)
    return "retried"
