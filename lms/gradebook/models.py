from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class GradeStatus(StrEnum):
    MISSING = "missing"  # nothing graded yet (no row is the same)
    ON_TIME = "on_time"
    LATE = "late"  # the attempt that counts was late
    EXCUSED = "excused"  # left out of every total


class Grade(db.Model):
    """One learner's stored grade for one exercise of a cohort, written when a grade lands or a policy changes.
    Scores are points of the exercise: raw (the counting attempt's score), penalty (its late deduction), final."""

    __tablename__ = "grades"
    __table_args__ = (Index("ix_grades_user_exercise", "user_id", "exercise_id"),)

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=GradeStatus.MISSING)
    raw: Mapped[float | None]
    penalty: Mapped[float] = mapped_column(default=0.0)
    final: Mapped[float | None]
    max_score: Mapped[float] = mapped_column(default=0.0)
    attempts: Mapped[int] = mapped_column(default=0)  # graded attempts that reached a score
    late_minutes: Mapped[int | None]  # of the counting attempt, past the due date and the grace
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))  # the attempt that counts
    override: Mapped[float | None]  # an instructor's mark, which replaces the computed one
    override_reason: Mapped[str | None] = mapped_column(String(500))
    excused_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class GradebookEvent(db.Model):
    """What changed a cohort's grades by hand (an override, an excuse, a policy, an extension): who, when, what."""

    __tablename__ = "gradebook_events"
    __table_args__ = (Index("ix_gradebook_events_cohort", "cohort_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
