"""Stored grades (OPERATIONS.md "Late penalty" and "Gradebook"): the late deduction of each attempt, then the
attempt that counts (best or last), written per learner and exercise when a grade lands or an input changes."""
from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select

from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.clock import utcnow
from lms.deadlines.models import EffectiveWindow, LatePolicy
from lms.deadlines.services import default_policy, may_teach, record
from lms.extensions import db
from lms.gradebook.models import Grade, GradeStatus
from lms.programme.models import Cohort, Enrolment
from lms.programme.services import ProgrammeError, forbidden
from lms.submissions.models import Mode, Status, Submission

log = logging.getLogger(__name__)


def minutes_late(accepted_at: datetime, due_at: datetime | None, grace_minutes: int) -> int:
    """Minutes past the due date and the grace, 0 when on time. accepted_at is when the web tier committed the
    submission, so time in the queue never makes work late."""
    if due_at is None:
        return 0
    late = accepted_at - due_at - timedelta(minutes=grace_minutes)
    return math.ceil(late.total_seconds() / 60) if late > timedelta(0) else 0


def deduction_percent(policy: LatePolicy, late_minutes: int, raw_percent: float) -> float:
    """How many percent of the exercise's points come off a late attempt (never below the floor, never below 0)."""
    if late_minutes <= 0 or policy.penalty == "none":
        return 0.0
    if policy.penalty == "steps":
        hours = late_minutes / 60
        rule = next((s for s in policy.steps or [] if s.get("up_to_hours") is None or hours <= s["up_to_hours"]),
                    None)
        wanted = float(rule["percent"]) if rule else 100.0  # later than every step: everything above the floor
    else:
        started = math.ceil(late_minutes / (60 * policy.interval_hours))
        wanted = min(policy.rate_percent * started, policy.cap_percent)
    return max(0.0, min(wanted, raw_percent - policy.floor_percent))


def recompute_grades(cohort_id: int, user_ids=None, exercise_ids=None, commit: bool = True) -> int:
    """Rewrite the stored grades of a cohort (or some learners / exercises of it) from the graded attempts, the
    stored windows and the late policies; manual overrides and excuses are kept. One query per input."""
    windows_query = select(EffectiveWindow).where(EffectiveWindow.cohort_id == cohort_id)
    if user_ids is not None:
        windows_query = windows_query.where(EffectiveWindow.user_id.in_(list(user_ids)))
    if exercise_ids is not None:
        windows_query = windows_query.where(EffectiveWindow.exercise_id.in_(list(exercise_ids)))
    windows = {(w.user_id, w.exercise_id): w for w in db.session.scalars(windows_query)}
    if not windows:
        return 0
    users = {u for u, _ in windows}
    exercises = {e for _, e in windows}
    points = dict(db.session.execute(select(Exercise.id, Exercise.points).where(Exercise.id.in_(exercises))).all())
    attempts: dict[tuple[int, int], list] = {}
    for row in db.session.execute(
            select(Submission.id, Submission.user_id, Submission.exercise_id, Submission.score,
                   Submission.max_score, Submission.created_at)
            .where(Submission.user_id.in_(users), Submission.exercise_id.in_(exercises),
                   Submission.mode == Mode.GRADED, Submission.status == Status.COMPLETED,
                   Submission.score.is_not(None))
            .order_by(Submission.created_at, Submission.id)):
        attempts.setdefault((row.user_id, row.exercise_id), []).append(row)
    policies = db.session.scalars(select(LatePolicy).where(LatePolicy.cohort_id == cohort_id)).all()
    cohort_policy = next((p for p in policies if p.exercise_id is None), None) or default_policy(cohort_id)
    own_policy = {p.exercise_id: p for p in policies if p.exercise_id is not None}
    stored = {(g.user_id, g.exercise_id): g for g in db.session.scalars(
        select(Grade).where(Grade.cohort_id == cohort_id, Grade.user_id.in_(users),
                            Grade.exercise_id.in_(exercises)))}
    now = utcnow()
    for key, window in windows.items():
        policy = own_policy.get(key[1], cohort_policy)
        grade = stored.get(key) or Grade(cohort_id=cohort_id, user_id=key[0], exercise_id=key[1])
        apply_attempts(grade, attempts.get(key, []), window, policy, points.get(key[1], 0.0))
        grade.updated_at = now
        db.session.add(grade)
    if commit:
        db.session.commit()
    return len(windows)


def apply_attempts(grade: Grade, attempts: list, window: EffectiveWindow, policy: LatePolicy,
                   points: float) -> None:
    """The penalty of each attempt first, then the one that counts: a late retake never replaces a better
    on-time score under "best"."""
    marked = []
    for attempt in attempts:
        if window.cutoff_at is not None and attempt.created_at > window.cutoff_at:
            continue  # accepted after the cut-off (it moved earlier since): it does not count
        maximum = attempt.max_score or points or 0.0
        raw = attempt.score * points / maximum if maximum else 0.0  # in the exercise's points
        late = minutes_late(attempt.created_at, window.due_at, policy.grace_minutes)
        raw_percent = 100.0 * raw / points if points else 0.0
        penalty = points * deduction_percent(policy, late, raw_percent) / 100.0
        marked.append((raw - penalty, attempt, raw, penalty, late))
    grade.max_score, grade.attempts = points, len(marked)
    if not marked:
        grade.raw, grade.penalty, grade.submission_id, grade.late_minutes = None, 0.0, None, None
    else:
        chosen = max(marked, key=lambda m: (m[0], m[1].created_at)) if policy.counting == "best" else marked[-1]
        _, attempt, raw, penalty, late = chosen
        grade.raw, grade.penalty, grade.submission_id, grade.late_minutes = (
            round(raw, 4), round(penalty, 4), attempt.id, late)
    settle(grade)


def settle(grade: Grade) -> None:
    """Status and final score from what the row holds."""
    if grade.excused_reason:
        grade.status = GradeStatus.EXCUSED
    elif grade.raw is None and grade.override is None:
        grade.status = GradeStatus.MISSING
    elif grade.late_minutes:
        grade.status = GradeStatus.LATE
    else:
        grade.status = GradeStatus.ON_TIME
    if grade.override is not None:
        grade.final = grade.override
    elif grade.raw is not None:
        grade.final = round(max(0.0, grade.raw - grade.penalty), 4)
    else:
        grade.final = None


def grade_landed(submission: Submission) -> None:
    """A graded attempt got its score: the stored grades of the learner's active cohorts that publish the
    exercise. Called by the worker after the grade is committed; a failure here never loses the grade itself
    (`flask lms recompute-grades` rewrites every stored grade)."""
    if submission.mode != Mode.GRADED:
        return
    try:
        update_stored_grades([submission.user_id], submission.exercise_id)
    except Exception:  # noqa: BLE001 - the grade is stored; the gradebook is rebuilt from it
        db.session.rollback()
        log.exception("stored grade of submission %s not updated", submission.id)


def update_stored_grades(user_ids, exercise_id: int) -> None:
    """The stored grades of these learners for one exercise, in each of their active cohorts that publish it: one
    recomputation per cohort, one commit."""
    learners_of: dict[int, list[int]] = {}
    for cohort_id, user_id in db.session.execute(
            select(EffectiveWindow.cohort_id, EffectiveWindow.user_id).join(Enrolment, and_(
                Enrolment.cohort_id == EffectiveWindow.cohort_id, Enrolment.user_id == EffectiveWindow.user_id))
            .where(EffectiveWindow.user_id.in_(list(user_ids)), EffectiveWindow.exercise_id == exercise_id,
                   Enrolment.withdrawn_at.is_(None))):
        learners_of.setdefault(cohort_id, []).append(user_id)
    for cohort_id, learners in learners_of.items():
        recompute_grades(cohort_id, learners, [exercise_id], commit=False)
    db.session.commit()


def recompute_all() -> int:
    total = 0
    for cohort_id in db.session.scalars(select(Cohort.id)):
        total += recompute_grades(cohort_id)
    return total


def grade_cell(cohort: Cohort, learner: User, exercise: Exercise) -> Grade:
    grade = db.session.get(Grade, (cohort.id, learner.id, exercise.id))
    if grade is None:
        if db.session.get(EffectiveWindow, (cohort.id, learner.id, exercise.id)) is None:
            raise ProgrammeError("not_published", _l("This exercise is not published to this learner's cohort."))
        recompute_grades(cohort.id, [learner.id], [exercise.id], commit=False)
        grade = db.session.get(Grade, (cohort.id, learner.id, exercise.id))
    return grade


def set_override(actor: User, cohort: Cohort, learner: User, exercise: Exercise, points: float | None,
                 reason: str) -> Grade:
    """An instructor's mark replacing the computed one (None: back to the computed one); a reason is needed."""
    if not may_teach(actor, cohort):
        raise forbidden()
    reason = (reason or "").strip()
    if points is not None and not reason:
        raise ProgrammeError("bad_reason", _l("Say why the mark is changed."))
    if points is not None and not 0 <= points <= exercise.points:
        raise ProgrammeError("bad_score", _l("A mark is between 0 and %(points)s.", points=exercise.points))
    grade = grade_cell(cohort, learner, exercise)
    before = grade.final
    grade.override, grade.override_reason = points, (reason[:500] if points is not None else None)
    settle(grade)
    grade.updated_at = utcnow()
    record(cohort, actor, "override", learner=learner.email, exercise=exercise.slug, before=before,
           after=grade.final, reason=reason[:500])
    db.session.commit()
    return grade


def set_excused(actor: User, cohort: Cohort, learner: User, exercise: Exercise, excused: bool,
                reason: str) -> Grade:
    if not may_teach(actor, cohort):
        raise forbidden()
    reason = (reason or "").strip()
    if excused and not reason:
        raise ProgrammeError("bad_reason", _l("Say why the learner is excused."))
    grade = grade_cell(cohort, learner, exercise)
    grade.excused_reason = reason[:500] if excused else None
    settle(grade)
    grade.updated_at = utcnow()
    record(cohort, actor, "excused" if excused else "unexcused", learner=learner.email, exercise=exercise.slug,
           reason=reason[:500])
    db.session.commit()
    return grade
