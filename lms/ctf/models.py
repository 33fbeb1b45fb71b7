from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.clock import utcnow
from lms.extensions import db
from lms.submissions.models import Submission


class ArtifactDownload(db.Model):
    """A learner downloaded their artifact (who, when): whose flags a handed-in flag may be compared with."""

    __tablename__ = "ctf_artifact_downloads"
    __table_args__ = (Index("ix_ctf_artifact_downloads_exercise_user", "exercise_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    downloaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class HintOpening(db.Model):
    """A hint a learner chose to open; its cost comes off the grades of the submissions made after it."""

    __tablename__ = "ctf_hint_openings"
    __table_args__ = (UniqueConstraint("user_id", "exercise_id", "hint_id", name="uq_ctf_hint_openings"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), index=True)
    hint_id: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class SharedFlagReport(db.Model):
    """A learner handed in the flag made for another learner: for the instructors of the cohorts of both."""

    __tablename__ = "ctf_shared_flag_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), index=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # whom the flag was made for
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submission: Mapped[Submission] = relationship()
    exercise: Mapped[Exercise] = relationship()
    submitter: Mapped[User] = relationship(foreign_keys=[submitter_id])
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
