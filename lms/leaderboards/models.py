from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class ModelScore(db.Model):
    """The scores of one graded submission of a ranked exercise, written with its grade in the same transaction.
    Only runs that produced a valid predictions file have one: they are what the daily quota counts."""

    __tablename__ = "model_scores"
    __table_args__ = (Index("ix_model_scores_exercise_user", "exercise_id", "user_id"),)

    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    metric: Mapped[str] = mapped_column(String(16))
    higher_is_better: Mapped[bool] = mapped_column(default=True)
    threshold: Mapped[float]
    public_score: Mapped[float]
    private_score: Mapped[float]  # sealed: shown to no learner before the exercise's reveal
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaderboardReveal(db.Model):
    """An instructor's signal that an exercise's private scores decide and may be shown."""

    __tablename__ = "leaderboard_reveals"

    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), primary_key=True)
    revealed_at: Mapped[datetime] = mapped_column(default=utcnow)
    revealed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
