"""Every write of a review: save a draft, release it (the submission gets its score, the gradebook its cell), a
learner's one regrade request and the instructor's answer, which may change the review. Each is logged."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from graders.base import ExerciseSpec, Verdict
from graders.reviewed_task import RubricError, score_from_levels
from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.clock import utcnow
from lms.extensions import db
from lms.gradebook.services import grade_landed
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError, forbidden
from lms.regrades.models import ScoreChange
from lms.reviews.models import RegradeRequest, Review, ReviewEvent, ReviewStatus
from lms.submissions.models import Mode, Status, Submission

KIND = "reviewed-task"
IN_REVIEW = (Verdict.AWAITING_REVIEW.value, Verdict.REVIEWED.value)  # passed the pre-checks: an instructor's work
MAX_COMMENT = 4000
MAX_OVERALL = 8000
MAX_REASON = 2000
QUEUE_LIMIT = 200


def rubric_of(exercise: Exercise) -> list[dict]:
    return list(ExerciseSpec.from_dict(exercise.spec).options.get("rubric") or [])


# --- what staff see -------------------------------------------------------------------------------------------------

def reviewable(actor: User) -> Select:
    """Graded reviewed-task submissions past their pre-checks, of the learners the actor sees, with their review."""
    return (select(Submission, Review).join(Exercise, Exercise.id == Submission.exercise_id)
            .outerjoin(Review, Review.submission_id == Submission.id)
            .where(Exercise.kind == KIND, Submission.mode == Mode.GRADED, Submission.status == Status.COMPLETED,
                   Submission.verdict.in_(IN_REVIEW), scope_of(actor).learner_condition(Submission.user_id)))


def review_queue(actor: User, exercise_id: int | None = None, status: str | None = None) -> list:
    """(submission, review or None) rows, oldest submission first."""
    query = reviewable(actor)
    if exercise_id is not None:
        query = query.where(Submission.exercise_id == exercise_id)
    if status == ReviewStatus.UNREVIEWED:
        query = query.where(Review.id.is_(None))
    elif status in (ReviewStatus.DRAFT, ReviewStatus.RELEASED):
        query = query.where(Review.status == status)
    return db.session.execute(query.order_by(Submission.created_at, Submission.id).limit(QUEUE_LIMIT)).all()


def reviewable_submission(actor: User, submission_id: int) -> Submission | None:
    """The submission if the actor may review it (None: not theirs to see, or not a deliverable in review)."""
    row = db.session.execute(reviewable(actor).where(Submission.id == submission_id)).first()
    return row[0] if row else None


def review_of(submission: Submission) -> Review | None:
    return db.session.scalar(select(Review).where(Review.submission_id == submission.id))


def regrade_request_of(submission: Submission) -> RegradeRequest | None:
    return db.session.scalar(select(RegradeRequest).where(RegradeRequest.submission_id == submission.id))


def history(submission: Submission) -> list[ReviewEvent]:
    return list(db.session.scalars(select(ReviewEvent).where(ReviewEvent.submission_id == submission.id)
                                   .order_by(ReviewEvent.created_at, ReviewEvent.id)))


# --- what the learner sees ------------------------------------------------------------------------------------------

def released_review(learner: User, submission: Submission) -> Review | None:
    """The review of the learner's own submission, once released; a draft is never theirs to see."""
    if submission.user_id != learner.id:
        return None
    review = review_of(submission)
    return review if review is not None and review.status == ReviewStatus.RELEASED else None


def reviews_of_learner(learner: User, exercise: Exercise) -> dict[int, Review]:
    """{submission id: released review} of the learner's submissions to the exercise."""
    rows = db.session.scalars(select(Review).join(Submission, Submission.id == Review.submission_id).where(
        Submission.user_id == learner.id, Submission.exercise_id == exercise.id,
        Review.status == ReviewStatus.RELEASED))
    return {review.submission_id: review for review in rows}


# --- writes ---------------------------------------------------------------------------------------------------------

def read_marks(rubric: list[dict], form: Mapping) -> dict[str, dict]:
    """The review form's fields (`level:<criterion>` = a level's index or empty, `comment:<criterion>`) as marks;
    anything else in the form is ignored."""
    marks = {}
    for criterion in rubric:
        cid = criterion["id"]
        raw = (form.get(f"level:{cid}") or "").strip()
        level = None
        if raw:
            if not raw.isdigit() or int(raw) >= len(criterion["levels"]):
                raise ProgrammeError("bad_level", _l("Choose one of the levels of the rubric."))
            level = int(raw)
        comment = (form.get(f"comment:{cid}") or "").strip()
        if len(comment) > MAX_COMMENT:
            raise ProgrammeError("too_long", _l("A comment has at most %(count)d characters.", count=MAX_COMMENT))
        marks[cid] = {"level": level, "comment": comment,
                      "points": float(criterion["levels"][level]["points"]) if level is not None else None}
    return marks


def _score(rubric: list[dict], marks: dict[str, dict]) -> float:
    try:
        return score_from_levels(rubric, {cid: mark["level"] for cid, mark in marks.items()
                                          if mark["level"] is not None})
    except RubricError:
        raise ProgrammeError("incomplete", _l("Choose a level for every criterion before releasing.")) from None


def _overall(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_OVERALL:
        raise ProgrammeError("too_long", _l("The overall comment has at most %(count)d characters.",
                                            count=MAX_OVERALL))
    return comment


def _log(submission: Submission, actor: User | None, action: str, now: datetime, **detail) -> None:
    db.session.add(ReviewEvent(submission_id=submission.id, actor_id=actor.id if actor else None, action=action,
                               detail=detail, created_at=now))


def _may_review(actor: User, submission: Submission) -> None:
    if not actor.is_staff or reviewable_submission(actor, submission.id) is None:
        raise forbidden()


def _write_score(actor: User, submission: Submission, score: float, now: datetime) -> None:
    """The review's score becomes the submission's, kept in its history of grades (as a regrade's is)."""
    points = float(ExerciseSpec.from_dict(submission.exercise.spec).points)
    if submission.score != score or submission.verdict != Verdict.REVIEWED:
        db.session.add(ScoreChange(submission_id=submission.id, old_score=submission.score, new_score=score,
                                   old_verdict=submission.verdict, new_verdict=Verdict.REVIEWED.value,
                                   old_content_version=submission.content_version,
                                   new_content_version=submission.content_version, changed_by=actor.id,
                                   changed_at=now))
    submission.score, submission.max_score, submission.verdict = score, points, Verdict.REVIEWED.value


def save_review(actor: User, submission: Submission, form: Mapping, release: bool = False) -> Review:
    """Save the review as a draft, or release it: then every criterion has a level, the score is written on the
    submission and the learner's gradebook cells are updated. A released review changes only through the answer
    to a regrade request."""
    _may_review(actor, submission)
    rubric = rubric_of(submission.exercise)
    marks = read_marks(rubric, form)
    comment = _overall(form.get("comment"))
    review = review_of(submission)
    if review is not None and review.status == ReviewStatus.RELEASED:
        raise ProgrammeError("closed", _l("This review is released: it changes only through the answer to a "
                                          "regrade request."))
    score = _score(rubric, marks) if release else None
    now = utcnow()
    if review is None:
        review = Review(submission_id=submission.id, created_at=now)
        db.session.add(review)
    review.reviewer_id, review.marks, review.comment, review.updated_at = actor.id, marks, comment, now
    review.max_score = float(ExerciseSpec.from_dict(submission.exercise.spec).points)
    if release:
        review.status, review.score, review.released_at = ReviewStatus.RELEASED, score, now
        _write_score(actor, submission, score, now)
        _log(submission, actor, "released", now, score=score)
    else:
        review.status = ReviewStatus.DRAFT
        _log(submission, actor, "draft_saved", now)
    db.session.commit()
    if release:
        grade_landed(submission)
    return review


def request_regrade(learner: User, submission: Submission, reason: str) -> RegradeRequest:
    """The learner's one request to look again at a released review, with their reason."""
    if released_review(learner, submission) is None:
        raise forbidden()
    if regrade_request_of(submission) is not None:
        raise ProgrammeError("duplicate", _l("You already asked for a regrade of this submission: one request per "
                                             "submission."))
    reason = (reason or "").strip()
    if not reason:
        raise ProgrammeError("bad_reason", _l("Say why the review should be looked at again."))
    if len(reason) > MAX_REASON:
        raise ProgrammeError("too_long", _l("Your reason has at most %(count)d characters.", count=MAX_REASON))
    now = utcnow()
    request = RegradeRequest(submission_id=submission.id, reason=reason, created_at=now,
                             score_before=submission.score)
    db.session.add(request)
    _log(submission, learner, "regrade_requested", now)
    db.session.commit()
    return request


def answer_regrade(actor: User, submission: Submission, form: Mapping) -> RegradeRequest:
    """The instructor's answer to the request; the levels and comments sent with it become the review (released
    again, with its new score)."""
    _may_review(actor, submission)
    request = regrade_request_of(submission)
    if request is None:
        raise ProgrammeError("not_found", _l("No regrade request for this submission."))
    if request.answered_at is not None:
        raise ProgrammeError("closed", _l("This regrade request is already answered."))
    answer = (form.get("answer") or "").strip()
    if not answer:
        raise ProgrammeError("bad_reason", _l("Write your answer to the learner."))
    if len(answer) > MAX_REASON:
        raise ProgrammeError("too_long", _l("Your answer has at most %(count)d characters.", count=MAX_REASON))
    rubric = rubric_of(submission.exercise)
    marks = read_marks(rubric, form)
    score = _score(rubric, marks)
    review = review_of(submission)
    now = utcnow()
    before = review.score
    review.reviewer_id, review.marks, review.comment = actor.id, marks, _overall(form.get("comment"))
    review.score, review.updated_at = score, now
    request.answer, request.answered_by, request.answered_at = answer, actor.id, now
    request.score_before, request.score_after = before, score
    _write_score(actor, submission, score, now)
    _log(submission, actor, "regrade_answered", now, before=before, after=score)
    db.session.commit()
    grade_landed(submission)
    return request
