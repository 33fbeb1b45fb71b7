"""Regrades (issue 11): run the graded submissions of an exercise (or one of them) again with its current checks,
on the low-priority regrade queue; show how many scores would go up, down or stay; apply or discard; keep each
change in the submission's history and update the stored grades."""
from __future__ import annotations

import logging

from flask import current_app
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from rq import Callback, Queue
from rq.serializers import JSONSerializer
from sqlalchemy import func, select, update

from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.clock import utcnow
from lms.extensions import db
from lms.gradebook.services import update_stored_grades
from lms.grading.queue import job_timeout_for, redis_connection
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError, forbidden
from lms.regrades.models import BatchStatus, RegradeBatch, RegradeResult, ScoreChange
from lms.submissions.models import Mode, Status, Submission

log = logging.getLogger(__name__)
REGRADE_JOB = "lms.regrades.jobs.regrade_one"
REGRADE_FAILED_CALLBACK = "lms.regrades.jobs.regrade_job_failed"
MAX_BATCH = 5000


def regrade_queue(connection=None) -> Queue:
    """Workers take from it only when no submission waits on the grading queue (RQ reads queues in order)."""
    return Queue(current_app.config["LMS_REGRADE_QUEUE_NAME"], connection=connection or redis_connection(),
                 serializer=JSONSerializer)


def regradable(actor: User, exercise: Exercise):
    """The graded submissions of the exercise that have a score, of the learners the actor sees."""
    return select(Submission).where(
        Submission.exercise_id == exercise.id, Submission.mode == Mode.GRADED, Submission.status == Status.COMPLETED,
        Submission.score.is_not(None), scope_of(actor).learner_condition(Submission.user_id))


def request_regrade(actor: User, exercise: Exercise, submission: Submission | None = None) -> RegradeBatch:
    if not actor.is_staff:
        raise forbidden()
    if exercise.kind == "reviewed-task":
        raise ProgrammeError("reviewed", _l("A reviewed task is graded by its review: answer a regrade request there."))
    query = regradable(actor, exercise)
    if submission is not None:
        query = query.where(Submission.id == submission.id)
    rows = db.session.execute(select(Submission.id, Submission.score, Submission.verdict)
                              .where(Submission.id.in_(query.with_only_columns(Submission.id)))
                              .order_by(Submission.id).limit(MAX_BATCH + 1)).all()
    if not rows:
        raise ProgrammeError("nothing", _l("No graded submission to regrade here."))
    if len(rows) > MAX_BATCH:
        raise ProgrammeError("too_many", _l("At most %(count)d submissions per regrade.", count=MAX_BATCH))
    batch = RegradeBatch(exercise_id=exercise.id, requested_by=actor.id, content_version=exercise.content_version,
                         status=BatchStatus.RUNNING, total=len(rows), created_at=utcnow())
    db.session.add(batch)
    db.session.flush()
    db.session.execute(RegradeResult.__table__.insert(), [
        {"batch_id": batch.id, "submission_id": sid, "old_score": score, "old_verdict": verdict, "new_feedback": {}}
        for sid, score, verdict in rows])
    db.session.commit()
    enqueue_missing(batch)
    return batch


def enqueue_missing(batch: RegradeBatch) -> int:
    """Queue the results still waiting (all of a new batch; after Redis lost them, those left). Returns how many."""
    waiting = db.session.scalars(select(RegradeResult.submission_id).where(
        RegradeResult.batch_id == batch.id, RegradeResult.finished_at.is_(None))).all()
    if not waiting:
        return 0
    sample = db.session.get(Submission, waiting[0])
    timeout = job_timeout_for(sample)
    try:
        queue = regrade_queue()
        for submission_id in waiting:
            queue.enqueue(REGRADE_JOB, batch.id, submission_id, job_id=f"regrade-{batch.id}-{submission_id}",
                          job_timeout=timeout, result_ttl=0, failure_ttl=24 * 3600,
                          on_failure=Callback(REGRADE_FAILED_CALLBACK, timeout=60),
                          description=f"regrade submission {submission_id} (batch {batch.id})")
    except RedisError as exc:
        log.warning("regrade batch %s: could not queue its jobs (%s); the page offers to queue them again",
                    batch.id, exc)
        return 0
    return len(waiting)


def finish_if_complete(batch_id: int) -> None:
    """A batch whose every result is in is ready to be applied."""
    pending = db.session.scalar(select(func.count()).where(RegradeResult.batch_id == batch_id,
                                                           RegradeResult.finished_at.is_(None)))
    if not pending:
        db.session.execute(update(RegradeBatch).where(RegradeBatch.id == batch_id,
                                                      RegradeBatch.status == BatchStatus.RUNNING)
                           .values(status=BatchStatus.READY))
        db.session.commit()


def counts(batch: RegradeBatch) -> dict[str, int]:
    found = {"up": 0, "down": 0, "same": 0, "error": 0, "pending": 0}
    for result in batch.results:
        found["pending" if result.finished_at is None else result.change] += 1
    return found


def may_decide(actor: User, batch: RegradeBatch) -> bool:
    return actor.is_admin or batch.requested_by == actor.id


def apply_batch(actor: User, batch: RegradeBatch) -> int:
    """Write the new grades that differ, each with its history row, and the stored grades they change. A
    submission whose grade changed since the preview (another regrade) is left alone. Returns how many changed."""
    if not may_decide(actor, batch):
        raise forbidden()
    if batch.status != BatchStatus.READY:
        raise ProgrammeError("not_ready", _l("This regrade is not finished, or was already applied or discarded."))
    differing = [r for r in batch.results
                 if r.change in ("up", "down") or (r.change == "same" and r.new_verdict != r.old_verdict)]
    submissions = {s.id: s for s in db.session.scalars(select(Submission).where(
        Submission.id.in_([r.submission_id for r in differing])))}
    changed = []  # the learners whose grade changed
    for result in differing:
        same_grade = (Submission.score.is_(None) if result.old_score is None else Submission.score == result.old_score)
        submission = submissions[result.submission_id]
        done = db.session.execute(
            update(Submission).where(Submission.id == result.submission_id, Submission.status == Status.COMPLETED,
                                     same_grade)
            .values(score=result.new_score, max_score=result.new_max_score, verdict=result.new_verdict,
                    feedback=result.new_feedback, content_version=batch.content_version)
            .execution_options(synchronize_session=False)).rowcount
        if done:
            db.session.add(ScoreChange(submission_id=result.submission_id, batch_id=batch.id,
                                       old_score=result.old_score, new_score=result.new_score,
                                       old_verdict=result.old_verdict, new_verdict=result.new_verdict,
                                       old_content_version=submission.content_version,
                                       new_content_version=batch.content_version, changed_by=actor.id,
                                       changed_at=utcnow()))
            changed.append(submission.user_id)
    batch.status, batch.decided_at = BatchStatus.APPLIED, utcnow()
    db.session.commit()
    update_stored_grades(set(changed), batch.exercise_id)  # the learners' stored grades, in each of their cohorts
    return len(changed)


def discard_batch(actor: User, batch: RegradeBatch) -> None:
    if not may_decide(actor, batch):
        raise forbidden()
    if batch.status == BatchStatus.APPLIED:
        raise ProgrammeError("not_ready", _l("This regrade was applied already."))
    batch.status, batch.decided_at = BatchStatus.DISCARDED, utcnow()
    db.session.commit()
