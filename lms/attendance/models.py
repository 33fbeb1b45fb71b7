from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.programme.models import Cohort


class SessionStatus(StrEnum):
    OPEN = "open"  # planned or under way: marks and check-ins are taken
    CLOSED = "closed"  # held: counts in the rates


class MarkStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"


class MarkSource(StrEnum):
    INSTRUCTOR = "instructor"
    SELF = "self"  # the learner's QR or typed-code check-in
    CLOSE = "close"  # unmarked when the session closed; reopening removes these


class AttendancePolicy(db.Model):
    """A cohort's attendance rules, when they differ from the defaults (a row only once someone changes them)."""

    __tablename__ = "attendance_policies"
    __table_args__ = (CheckConstraint("threshold >= 0 AND threshold <= 1", name="ck_attendance_policies_threshold"),
                      CheckConstraint("late_weight >= 0 AND late_weight <= 1",
                                      name="ck_attendance_policies_late_weight"))

    DEFAULT_THRESHOLD, DEFAULT_LATE_WEIGHT = 0.8, 0.5

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    threshold: Mapped[float] = mapped_column(default=DEFAULT_THRESHOLD)
    late_weight: Mapped[float] = mapped_column(default=DEFAULT_LATE_WEIGHT)


class AttendanceSession(db.Model):
    """One class meeting of a cohort. Times are naive UTC like every row; pages show them in LMS_TIMEZONE."""

    __tablename__ = "attendance_sessions"
    __table_args__ = (Index("ix_attendance_sessions_cohort_starts", "cohort_id", "starts_at"),
                      CheckConstraint("ends_at > starts_at", name="ck_attendance_sessions_times"))

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    room: Mapped[str] = mapped_column(String(80), default="")
    secret: Mapped[str] = mapped_column(String(64))  # the check-in codes' HMAC key: never leaves the server
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.OPEN)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    cohort: Mapped[Cohort] = relationship()


class AttendanceMark(db.Model):
    __tablename__ = "attendance_marks"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_attendance_marks_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("attendance_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(foreign_keys=[user_id])
