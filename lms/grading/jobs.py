"""Step 3 of a submission's path: the RQ job. Load the row, ask the kind's grader for a plan, run it in the
sandbox, judge, store. Phase timestamps are written on the row as we go.

Retries are for the platform's failures only (engine down, container never ready, the worker died): the row goes
back to `queued` with the next attempt number. A learner's wrong answer, crash or limit is a final grade. Every
change of the row is a compare-and-set on its attempt (lms/grading/state.py): an attempt that was given up on
(its worker thought dead) can never overwrite the grade of the attempt that replaced it.
"""
from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from docker.errors import DockerException
from flask import current_app, has_app_context
from requests.exceptions import RequestException
from rq.exceptions import AbandonedJobError
from rq.timeouts import JobTimeoutException
from sqlalchemy.orm import joinedload

from graders import get_grader
from graders.base import ExerciseSpec, GradeResult, SpecError, Verdict
from lms.clock import utcnow
from lms.extensions import db
from lms.grading.queue import notify_changed
from lms.grading.sandbox import get_runner
from lms.gradebook.services import grade_landed
from lms.grading.state import LIVE, transition
from lms.grading.trusted import after_grade, grade_trusted
from lms.leaderboards.services import score_row
from lms.submissions.models import Mode, Status, Submission, SubmissionArtifact
from sandboxes.container import SandboxError
from sandboxes.runner import RuntimeUnavailable

log = logging.getLogger(__name__)
_fallback_app = None


def in_app_context(function, *args):
    """Run `function` inside the current app context, or one of this process's own (RQ calls job functions and
    callbacks by dotted path, with no Flask app around them)."""
    if has_app_context():
        return function(*args)
    global _fallback_app
    if _fallback_app is None:
        from lms import create_app

        _fallback_app = create_app()
    with _fallback_app.app_context():
        return function(*args)


def grade_submission(submission_id: int, attempt: int) -> str:
    """RQ entry point (enqueued by dotted path with JSON arguments)."""
    return in_app_context(grade, submission_id, attempt)


def worker_name() -> str:
    """This process's name as written on the rows it grades (the RQ worker's name: unique per worker start)."""
    return os.environ.get("LMS_WORKER_NAME", f"{socket.gethostname()}-{os.getpid()}")


def grade(submission_id: int, attempt: int) -> str:
    try:
        # The worker is the only writer of a running attempt's row: keep what it loaded across its commits
        # rather than reading the row (and the exercise) again after each one.
        db.session().expire_on_commit = False
        submission = db.session.get(Submission, submission_id, options=[joinedload(Submission.exercise)])
        if submission is None:
            return "missing"
        if not transition(submission, attempt, (Status.QUEUED,), status=Status.RUNNING, started_at=utcnow(),
                          worker_name=worker_name()[:64]):
            return "skipped"  # a duplicate job of an attempt already replaced, running elsewhere or finished
        notify_changed(submission)
        outcome = _run_and_store(submission, attempt)
        notify_changed(submission)
        return outcome
    finally:
        db.session.remove()


def _run_and_store(submission: Submission, attempt: int) -> str:
    try:
        spec = ExerciseSpec.from_dict(submission.exercise.spec)
        grader = get_grader(spec.kind)
        if not grader.runs_code:
            return _judge_and_store(submission, attempt, spec, grader)
        plan = grader.plan(spec, submission.files, practice=submission.mode == Mode.PRACTICE)
    except (SpecError, KeyError) as exc:
        return finish_with_error(submission, f"exercise definition cannot be graded: {exc}", attempt)
    plan.labels = {"lms.submission": str(submission.id)}
    runner = get_runner()
    try:
        result = runner.run(plan)
    except RuntimeUnavailable as exc:
        return finish_with_error(submission, str(exc), attempt)
    except (SandboxError, DockerException, RequestException, OSError) as exc:
        # The platform failed. If the engine itself is gone, this worker takes no job until it answers again
        # (the runner's flag): one attempt lost per outage, not one per job in the queue.
        if not runner.check_engine():
            log.warning("Docker engine unreachable: submission %s will be retried once it is back", submission.id)
        return retry_or_fail(submission, f"{type(exc).__name__}: {exc}"[:500], attempt)
    finished = utcnow()
    grade_result = grader.judge(spec, plan, result)
    if not store_grade(submission, attempt, grade_result, dict(result.timings_ms), finished_at=finished,
                       container_started_at=submission.started_at + timedelta(
                           milliseconds=result.timings_ms["acquire"]), warm=result.warm):
        log.warning("submission %s attempt %s was replaced while it ran: its grade is dropped", submission.id, attempt)
        return "superseded"
    grade_landed(submission)  # the learner's stored grade in their cohorts' gradebooks
    return grade_result.verdict.value


def grade_in_request(submission: Submission) -> bool:
    """Grade a just-created submission of a kind that judges inline (graders.base.TrustedGrader.grades_inline:
    quiz answers, a flag) here, in the request that handed it in: the answer carries the result, with no queue hop
    and no long-poll. False when the kind is not one, inline grading is off, or the row is not ours to claim: the
    queue takes it then. A failure midway is the platform's: the attempt is retried through the queue, and a row
    left running (this process died) is recovered as a worker's would be (lms/grading/recovery.py)."""
    from graders import GRADERS

    grader = GRADERS.get(submission.exercise.kind)
    if not current_app.config["LMS_INLINE_TRUSTED_GRADING"] or grader is None or not grader.grades_inline:
        return False
    attempt = submission.attempts
    if not transition(submission, attempt, (Status.QUEUED,), Submission.queued_at.is_(None), status=Status.RUNNING,
                      started_at=utcnow(), worker_name=f"web:{worker_name()}"[:64]):
        return False
    try:
        _run_and_store(submission, attempt)
    except Exception as exc:  # noqa: BLE001 - a bug or the database gone: the platform's failure, never lost
        log.exception("inline grading of submission %s failed", submission.id)
        db.session.rollback()
        try:
            retry_or_fail(submission, f"inline grading failed: {type(exc).__name__}: {exc}"[:500], attempt)
        except Exception:  # noqa: BLE001 - the database too: recovery finds the row running and retries it
            db.session.rollback()
    return True


def _judge_and_store(submission: Submission, attempt: int, spec: ExerciseSpec, grader) -> str:
    """A kind that runs no code: judged here, on the trusted side; a bug in it is the platform's failure."""
    try:
        grade_result = grade_trusted(grader, spec, submission)
    except SpecError as exc:
        return finish_with_error(submission, f"exercise definition cannot be graded: {exc}", attempt)
    finished = utcnow()
    if not store_grade(submission, attempt, grade_result, {"judge": round((finished - submission.started_at)
                                                                         .total_seconds() * 1000)},
                       finished_at=finished, container_started_at=None, warm=None):
        return "superseded"
    grade_landed(submission)
    after_grade(submission, grade_result)
    return grade_result.verdict.value


def store_grade(submission: Submission, attempt: int, grade_result: GradeResult, timings_ms: dict,
                **phases) -> bool:
    """`phases`: the row's phase timestamps and facts of the run (finished_at, container_started_at, warm)."""
    graded = submission.mode == Mode.GRADED
    new_rows = [SubmissionArtifact(submission_id=submission.id, name=a.name, content_type=a.content_type,
                                   caption=a.caption if isinstance(a.caption, dict) else {"fr": a.caption},
                                   data=a.data)
                for a in grade_result.artifacts]
    if graded and grade_result.ranking:  # a ranked kind's scores, for the leaderboard and the daily quota
        new_rows.append(score_row(submission, grade_result.ranking))
    return transition(
        submission, attempt, (Status.RUNNING,), new_rows=new_rows,
        status=Status.COMPLETED,
        verdict=grade_result.verdict.value,
        # A deliverable awaiting its review has no score yet: the gradebook does not count it until it is released.
        score=grade_result.score if graded and grade_result.verdict != Verdict.AWAITING_REVIEW else None,
        max_score=grade_result.max_score if graded else 0.0,
        feedback=grade_result.feedback(),
        diagnostics={**grade_result.diagnostics, "timings_ms": timings_ms},
        error_reason=None,
        stored_at=utcnow(),
        **phases,
    )


def finish_with_error(submission: Submission, reason: str, attempt: int | None = None) -> str:
    """A final platform-side failure: the learner sees "grading error", and the attempt does not count."""
    attempt = submission.attempts if attempt is None else attempt
    now = utcnow()
    if not transition(submission, attempt, LIVE, status=Status.ERROR, verdict=Verdict.GRADING_ERROR.value,
                      error_reason=reason[:1000], finished_at=now, stored_at=now):
        return "superseded"
    log.error("submission %s cannot be graded: %s", submission.id, reason)
    return Verdict.GRADING_ERROR.value


def retry_or_fail(submission: Submission, reason: str, attempt: int | None = None) -> str:
    """The platform failed this attempt: queue the next one, or give up after the configured attempts. Nothing
    happens if the row has moved on from `attempt` meanwhile (another process already did this)."""
    from lms.grading.queue import enqueue_grading

    attempt = submission.attempts if attempt is None else attempt
    if attempt >= current_app.config["LMS_MAX_GRADING_ATTEMPTS"]:
        return finish_with_error(submission, f"gave up after {attempt} attempts: {reason}", attempt)
    if not transition(submission, attempt, LIVE, attempts=attempt + 1, status=Status.QUEUED,
                      error_reason=f"grading error, retried: {reason}"[:1000], started_at=None, queued_at=None,
                      worker_name=None):
        return "superseded"
    log.warning("submission %s attempt %s failed on the platform side: %s; retrying", submission.id, attempt, reason)
    enqueue_grading(submission)
    notify_changed(submission)
    return "retried"


def grading_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's failure callback: the job raised (a bug, the database gone, RQ's own job timeout), or the started-job
    registry found it abandoned (its worker stopped sending heartbeats: killed, frozen, its host gone). The attempt
    is the platform's failure: the next one is queued now, not after a fixed delay."""
    submission_id, attempt = job.args[:2]
    if exc_type is AbandonedJobError:
        reason = "the worker grading it stopped (no heartbeat)"
    elif exc_type is JobTimeoutException:
        reason = "grading did not finish within the job's time limit"
    else:
        reason = f"the grading job failed: {getattr(exc_type, '__name__', exc_type)}: {exc_value}"[:300]
    in_app_context(_retry_by_id, submission_id, attempt, reason)


def _retry_by_id(submission_id: int, attempt: int, reason: str) -> None:
    submission = db.session.get(Submission, submission_id, populate_existing=True)
    if submission is not None and not submission.is_final and submission.attempts == attempt:
        retry_or_fail(submission, reason, attempt)
