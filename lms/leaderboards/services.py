"""A ranked exercise's leaderboard, its daily quota, and when its private scores decide: at each learner's own
deadline, or for everyone at the instructor's reveal. Writes happen here; the views only read and call."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, exists, func, or_, select

from graders.ml_metrics import METRICS, points_for, reaches
from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.clock import programme_zone, utcnow
from lms.extensions import db
from lms.deadlines.models import EffectiveWindow
from lms.leaderboards.models import LeaderboardReveal, ModelScore
from lms.programme.models import Enrolment
from lms.submissions.models import Mode, Status, Submission

ROUNDING = 3  # public scores are shown rounded: a board is no oracle for a fourth decimal


def is_ranked(exercise: Exercise) -> bool:
    return exercise.kind == "ml-model"


def daily_quota(exercise: Exercise) -> int:
    """Graded submissions a learner may make per day on this exercise (0: no quota)."""
    return int((exercise.spec.get("options") or {}).get("daily_quota", 0) or 0) if is_ranked(exercise) else 0


def score_row(submission: Submission, ranking: dict) -> ModelScore:
    """The leaderboard row of a graded submission's ranking, stored with its grade (lms.grading.jobs)."""
    return ModelScore(submission_id=submission.id, exercise_id=submission.exercise_id, user_id=submission.user_id,
                      metric=str(ranking["metric"]), higher_is_better=bool(ranking["higher_is_better"]),
                      threshold=float(ranking["threshold"]), public_score=float(ranking["public"]),
                      private_score=float(ranking["private"]), created_at=utcnow())


def local_day_start(now: datetime | None = None) -> datetime:
    """Midnight of the programme's day (LMS_TIMEZONE, Morocco's by default), as naive UTC like the rows."""
    now = (now or utcnow()).replace(tzinfo=timezone.utc).astimezone(programme_zone())
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(timezone.utc).replace(tzinfo=None)


def used_today(user: User, exercise: Exercise) -> int:
    """Today's graded submissions that count against the quota: those still being graded, and those whose run gave
    a valid predictions file (a score). A run that failed (an error, a malformed file, the platform) costs nothing."""
    scored = exists().where(ModelScore.submission_id == Submission.id)
    return db.session.scalar(select(func.count(Submission.id)).where(
        Submission.user_id == user.id, Submission.exercise_id == exercise.id, Submission.mode == Mode.GRADED,
        Submission.created_at >= local_day_start(),
        or_(Submission.status.in_([Status.QUEUED, Status.RUNNING]), scored))) or 0


def reveal_of(exercise: Exercise) -> LeaderboardReveal | None:
    return db.session.get(LeaderboardReveal, exercise.id)


def reveal(exercise: Exercise, by: User) -> LeaderboardReveal:
    """The instructor's signal: from now on the private scores decide and are shown. Once only."""
    row = reveal_of(exercise)
    if row is None:
        row = LeaderboardReveal(exercise_id=exercise.id, revealed_at=utcnow(), revealed_by=by.id)
        db.session.add(row)
        db.session.commit()
    return row


@dataclass
class BoardRow:
    rank: int
    user_id: int
    name: str
    public: float
    submissions: int
    private: float | None = None  # only once it decides: the learner's deadline passed, or revealed
    passes: bool | None = None  # the private score against the threshold, then


@dataclass
class FinalResult:
    """A learner's result on a revealed exercise: their best public score's submission, judged on the private part
    (the points by the same rule as a grade's: all at the threshold, else in proportion)."""
    submission_id: int
    private: float
    passes: bool
    points: float


def _higher_is_better(exercise: Exercise) -> bool:
    return METRICS.get((exercise.spec.get("options") or {}).get("metric"), ("", True))[1]


def _better(score: ModelScore, held: ModelScore | None, higher: bool) -> bool:
    """Ties keep the earlier submission."""
    return held is None or (score.public_score > held.public_score if higher else score.public_score < held.public_score)


def deadlines_passed(exercise: Exercise, user_ids) -> dict[int, datetime]:
    """The learners whose own deadline for this exercise has passed, with it: their cut-off, else their due date,
    extensions included (the latest over their active cohorts). There the private part decides their result, on
    the work accepted by then. A learner with no date in one of their cohorts has no deadline."""
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(EffectiveWindow.user_id, EffectiveWindow.due_at, EffectiveWindow.cutoff_at)
        .join(Enrolment, and_(Enrolment.cohort_id == EffectiveWindow.cohort_id,
                              Enrolment.user_id == EffectiveWindow.user_id))
        .where(EffectiveWindow.exercise_id == exercise.id, EffectiveWindow.user_id.in_(user_ids),
               Enrolment.withdrawn_at.is_(None)))
    latest: dict[int, datetime | None] = {}
    for user_id, due_at, cutoff_at in rows:
        deadline = cutoff_at or due_at
        held = latest.get(user_id, datetime.min)
        latest[user_id] = None if deadline is None or held is None else max(held, deadline)
    now = utcnow()
    return {user_id: deadline for user_id, deadline in latest.items() if deadline is not None and deadline <= now}


def best_scores(exercise: Exercise, user: User | None = None,
                accepted_by: dict[int, datetime] | None = None) -> dict[int, tuple[ModelScore, str, int]]:
    """Each learner's (or one learner's) best public score, with their name and number of scored submissions: the
    submission that ranks them, and that the private part judges once it decides. `accepted_by`: for these
    learners, only the submissions accepted by then count (their deadline passed: their result is settled)."""
    query = (select(ModelScore, User.name, Submission.created_at).join(User, User.id == ModelScore.user_id)
             .join(Submission, Submission.id == ModelScore.submission_id)
             .where(ModelScore.exercise_id == exercise.id).order_by(ModelScore.created_at, ModelScore.submission_id))
    if user is not None:
        query = query.where(ModelScore.user_id == user.id)
    accepted_by = accepted_by or {}
    higher = _higher_is_better(exercise)
    best: dict[int, tuple[ModelScore, str, int]] = {}
    for score, name, accepted_at in db.session.execute(query).all():
        if score.user_id in accepted_by and accepted_at > accepted_by[score.user_id]:
            continue
        held = best.get(score.user_id)
        count = (held[2] if held else 0) + 1
        best[score.user_id] = (score, name, count) if _better(score, held and held[0], higher) else (*held[:2], count)
    return best


def _private_passes(score: ModelScore) -> bool:
    return reaches(score.private_score, score.threshold, score.higher_is_better)


def final_result(user: User, exercise: Exercise) -> FinalResult | None:
    """Once the private part decides the learner's result on a ranked exercise (their deadline passed, or the
    instructor revealed the private scores), what it decides; None before that, or without a scored submission."""
    if not is_ranked(exercise):
        return None
    settled = deadlines_passed(exercise, [user.id])
    if not settled and reveal_of(exercise) is None:
        return None
    held = best_scores(exercise, user, accepted_by=settled).get(user.id)
    if held is None:
        return None
    score = held[0]
    return FinalResult(submission_id=score.submission_id, private=round(score.private_score, ROUNDING),
                       passes=_private_passes(score),
                       points=points_for(float(exercise.points), score.private_score, score.threshold,
                                         score.higher_is_better))


def board(exercise: Exercise) -> tuple[list[BoardRow], dict]:
    """Each learner's best public score, ranked; the private score of those whose result the private part decides
    (their deadline passed: their work accepted by then; or all, once the instructor revealed); and the board's
    facts (metric, threshold, direction, revealed, whether any private score is shown)."""
    revealed = reveal_of(exercise) is not None
    options = exercise.spec.get("options") or {}
    higher = _higher_is_better(exercise)
    learners = db.session.scalars(select(ModelScore.user_id).where(ModelScore.exercise_id == exercise.id).distinct())
    settled = deadlines_passed(exercise, learners)
    ordered = sorted(best_scores(exercise, accepted_by=settled).values(),
                     key=lambda held: ((-1 if higher else 1) * held[0].public_score, held[0].created_at))
    rows, rank, previous = [], 0, None
    for position, (score, name, count) in enumerate(ordered, start=1):
        shown = round(score.public_score, ROUNDING)
        if shown != previous:
            rank, previous = position, shown
        row = BoardRow(rank=rank, user_id=score.user_id, name=name, public=shown, submissions=count)
        if revealed or score.user_id in settled:
            row.private = round(score.private_score, ROUNDING)
            row.passes = _private_passes(score)
        rows.append(row)
    facts = {"metric": options.get("metric"), "threshold": options.get("threshold"), "higher_is_better": higher,
             "revealed": revealed, "quota": daily_quota(exercise),
             "private_shown": any(row.private is not None for row in rows)}
    return rows, facts
