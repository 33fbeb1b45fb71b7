from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.catalog.models import Exercise
from lms.clock import utcnow
from lms.extensions import db


class BatchStatus(StrEnum):
    RUNNING = "running"  # its jobs are on the regrade queue
    READY = "ready"  # every result is in: the preview can be applied
    APPLIED = "applied"
    DISCARDED = "discarded"


class RegradeBatch(db.Model):
    """A regrade of one submission or of every graded submission of an exercise (that the requester sees), run
    with the exercise's current checks. Nothing changes on the submissions until it is applied."""

    __tablename__ = "regrade_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content_version: Mapped[str] = mapped_column(String(64), default="")  # the checks it ran
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.RUNNING)
    total: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    exercise: Mapped[Exercise] = relationship()
    results: Mapped[list["RegradeResult"]] = relationship(order_by="RegradeResult.submission_id",
                                                          cascade="all, delete-orphan")


class RegradeResult(db.Model):
    """One submission's new grade in a batch (or why it could not be had)."""

    __tablename__ = "regrade_results"

    batch_id: Mapped[int] = mapped_column(ForeignKey("regrade_batches.id"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    old_score: Mapped[float | None]
    old_verdict: Mapped[str | None] = mapped_column(String(32))
    new_score: Mapped[float | None]
    new_max_score: Mapped[float | None]
    new_verdict: Mapped[str | None] = mapped_column(String(32))
    new_feedback: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)  # the platform failed: this one is left as it was
    finished_at: Mapped[datetime | None]

    @property
    def change(self) -> str:
        if self.error or self.new_score is None:
            return "error"
        old = self.old_score or 0.0
        return "up" if self.new_score > old + 1e-9 else "down" if self.new_score < old - 1e-9 else "same"


class ScoreChange(db.Model):
    """The history of a submission's grade: each applied regrade, from what to what, by whom."""

    __tablename__ = "score_changes"
    __table_args__ = (Index("ix_score_changes_submission", "submission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("regrade_batches.id"))
    old_score: Mapped[float | None]
    new_score: Mapped[float | None]
    old_verdict: Mapped[str | None] = mapped_column(String(32))
    new_verdict: Mapped[str | None] = mapped_column(String(32))
    old_content_version: Mapped[str] = mapped_column(String(64), default="")
    new_content_version: Mapped[str] = mapped_column(String(64), default="")
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
