from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.submissions.models import Submission


class ReviewStatus(StrEnum):
    UNREVIEWED = "unreviewed"  # no review row yet (a queue filter, never stored)
    DRAFT = "draft"  # saved, seen by staff only
    RELEASED = "released"  # the learner sees it; its score is the submission's


class Review(db.Model):
    """An instructor's review of one submission: the level chosen per criterion (its index in the rubric, with the
    points it gave when it was saved), a comment per criterion and an overall one."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.DRAFT)
    # {criterion id: {"level": index or None, "points": float or None, "comment": str}}
    marks: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None]
    max_score: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]

    submission: Mapped[Submission] = relationship()
    reviewer: Mapped[User] = relationship()


class RegradeRequest(db.Model):
    """A learner's one request to look again at a released review, and the instructor's answer."""

    __tablename__ = "review_regrade_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    score_before: Mapped[float | None]
    score_after: Mapped[float | None]


class ReviewEvent(db.Model):
    """Every change of a review or a regrade request: who, when, what."""

    __tablename__ = "review_events"
    __table_args__ = (Index("ix_review_events_submission", "submission_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()
