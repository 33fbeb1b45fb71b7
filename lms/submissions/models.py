from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.clock import utcnow
from lms.extensions import db


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"  # graded: see verdict and score
    ERROR = "error"  # the platform could not grade it, after retries

    @property
    def is_final(self) -> bool:
        return self in (Status.COMPLETED, Status.ERROR)


class Mode(StrEnum):
    GRADED = "graded"  # hidden and example checks: a score
    PRACTICE = "practice"  # the public tests only: feedback, no score, no attempt used


class Submission(db.Model):
    """The durable record of one attempt. Redis only carries the job; this row is the truth."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_user_exercise_created", "user_id", "exercise_id", "created_at"),
        Index("ix_submissions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), index=True)
    files: Mapped[dict] = mapped_column(JSON, default=dict)
    mode: Mapped[str] = mapped_column(String(16), default=Mode.GRADED, server_default=Mode.GRADED.value)
    status: Mapped[str] = mapped_column(String(16), default=Status.QUEUED)
    verdict: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float | None]
    max_score: Mapped[float] = mapped_column(default=0.0)
    feedback: Mapped[dict] = mapped_column(JSON, default=dict)  # what the learner sees
    diagnostics: Mapped[dict] = mapped_column(JSON, default=dict)  # staff only
    error_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)  # grading attempts (infrastructure retries)
    job_id: Mapped[str | None] = mapped_column(String(64))
    content_version: Mapped[str] = mapped_column(String(64), default="")
    worker_name: Mapped[str | None] = mapped_column(String(64))
    warm: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    container_started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    stored_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    exercise: Mapped[Exercise] = relationship()

    @property
    def is_final(self) -> bool:
        return Status(self.status).is_final

    @property
    def percent(self) -> int | None:
        if self.score is None or not self.max_score:
            return None
        return round(100 * self.score / self.max_score)


class SubmissionArtifact(db.Model):
    """A picture shown with a submission's feedback (a screenshot of a visible viewport), stored with the grade in
    the same transaction: the database row is the truth for every web host, whichever worker graded it."""

    __tablename__ = "submission_artifacts"
    __table_args__ = (Index("ix_submission_artifacts_submission_name", "submission_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    caption: Mapped[dict] = mapped_column(JSON, default=dict)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
