"""The regrade job (on the low-priority regrade queue): the submission's files graded again in a fresh sandbox with
the exercise's current checks; the new grade goes to the batch's result row, never to the submission itself."""
from __future__ import annotations

import logging

from sqlalchemy import update

from graders import get_grader
from graders.base import ExerciseSpec
from lms.clock import utcnow
from lms.extensions import db
from lms.grading.jobs import in_app_context
from lms.grading.sandbox import get_runner
from lms.grading.trusted import grade_trusted
from lms.regrades.models import RegradeResult
from lms.regrades.services import finish_if_complete
from lms.submissions.models import Submission

log = logging.getLogger(__name__)


def regrade_one(batch_id: int, submission_id: int) -> str:
    return in_app_context(run_regrade, batch_id, submission_id)


def run_regrade(batch_id: int, submission_id: int) -> str:
    try:
        result = db.session.get(RegradeResult, (batch_id, submission_id))
        if result is None or result.finished_at is not None:
            return "skipped"
        submission = db.session.get(Submission, submission_id)
        try:
            spec = ExerciseSpec.from_dict(submission.exercise.spec)
            grader = get_grader(spec.kind)
            if grader.runs_code:
                plan = grader.plan(spec, submission.files, practice=False)
                plan.labels = {"lms.submission": str(submission.id), "lms.regrade": str(batch_id)}
                graded = grader.judge(spec, plan, get_runner().run(plan))
            else:  # judged here, with the learner's keys and the attempts before this one, as at first
                graded = grade_trusted(grader, spec, submission)
        except Exception as exc:  # noqa: BLE001 - the platform or the definition failed: this one is left as it was
            log.warning("regrade of submission %s (batch %s) failed: %s", submission_id, batch_id, exc)
            store(batch_id, submission_id, error=f"{type(exc).__name__}: {exc}"[:1000])
            return "error"
        store(batch_id, submission_id, new_score=graded.score, new_max_score=graded.max_score,
              new_verdict=graded.verdict.value, new_feedback=graded.feedback())
        return graded.verdict.value
    finally:
        db.session.remove()


def store(batch_id: int, submission_id: int, **values) -> None:
    db.session.execute(update(RegradeResult).where(RegradeResult.batch_id == batch_id,
                                                   RegradeResult.submission_id == submission_id,
                                                   RegradeResult.finished_at.is_(None))
                       .values(finished_at=utcnow(), **values))
    db.session.commit()
    finish_if_complete(batch_id)


def regrade_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's failure callback (the job raised, timed out, or its worker died): the result records it."""
    batch_id, submission_id = job.args[:2]

    def record():
        try:
            store(batch_id, submission_id, error=f"{getattr(exc_type, '__name__', exc_type)}: {exc_value}"[:1000])
        finally:
            db.session.remove()

    in_app_context(record)
