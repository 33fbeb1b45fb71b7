"""A ranked exercise's leaderboard, its daily quota and the reveal of its private scores. Writes happen here; the
views only read and call."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import exists, func, or_, select

from graders.ml_metrics import METRICS, points_for, reaches
from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.clock import programme_zone, utcnow
from lms.extensions import db
from lms.leaderboards.models import LeaderboardReveal, ModelScore
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
    private: float | None = None  # only once revealed
    passes: bool | None = None  # the private score against the threshold, once revealed


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


def best_scores(exercise: Exercise, user: User | None = None) -> dict[int, tuple[ModelScore, str, int]]:
    """Each learner's (or one learner's) best public score, with their name and number of scored submissions: the
    submission that ranks them, and that the private part judges once revealed."""
    query = select(ModelScore, User.name).join(User, User.id == ModelScore.user_id).where(
        ModelScore.exercise_id == exercise.id).order_by(ModelScore.created_at, ModelScore.submission_id)
    if user is not None:
        query = query.where(ModelScore.user_id == user.id)
    higher = _higher_is_better(exercise)
    best: dict[int, tuple[ModelScore, str, int]] = {}
    for score, name in db.session.execute(query).all():
        held = best.get(score.user_id)
        count = (held[2] if held else 0) + 1
        best[score.user_id] = (score, name, count) if _better(score, held and held[0], higher) else (*held[:2], count)
    return best


def _private_passes(score: ModelScore) -> bool:
    return reaches(score.private_score, score.threshold, score.higher_is_better)


def final_result(user: User, exercise: Exercise) -> FinalResult | None:
    """Once the instructor revealed the private scores, what decides the learner's result on a ranked exercise
    (None before that, or without a scored submission)."""
    if not is_ranked(exercise) or reveal_of(exercise) is None:
        return None
    held = best_scores(exercise, user).get(user.id)
    if held is None:
        return None
    score = held[0]
    return FinalResult(submission_id=score.submission_id, private=round(score.private_score, ROUNDING),
                       passes=_private_passes(score),
                       points=points_for(float(exercise.points), score.private_score, score.threshold,
                                         score.higher_is_better))


def board(exercise: Exercise) -> tuple[list[BoardRow], dict]:
    """Each learner's best public score (their best submission's private score decides, once revealed), ranked;
    and the board's facts (metric, threshold, direction, revealed)."""
    revealed = reveal_of(exercise) is not None
    options = exercise.spec.get("options") or {}
    higher = _higher_is_better(exercise)
    ordered = sorted(best_scores(exercise).values(),
                     key=lambda held: ((-1 if higher else 1) * held[0].public_score, held[0].created_at))
    rows, rank, previous = [], 0, None
    for position, (score, name, count) in enumerate(ordered, start=1):
        shown = round(score.public_score, ROUNDING)
        if shown != previous:
            rank, previous = position, shown
        row = BoardRow(rank=rank, user_id=score.user_id, name=name, public=shown, submissions=count)
        if revealed:
            row.private = round(score.private_score, ROUNDING)
            row.passes = _private_passes(score)
        rows.append(row)
    facts = {"metric": options.get("metric"), "threshold": options.get("threshold"), "higher_is_better": higher,
             "revealed": revealed, "quota": daily_quota(exercise)}
    return rows, facts
