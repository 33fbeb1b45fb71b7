from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.catalog.models import Exercise, Module
from lms.clock import utcnow
from lms.extensions import db


class Publication(db.Model):
    """A module published to a cohort (exercise_id NULL), or one exercise's own dates in it (exercise_id set: each
    date it leaves NULL comes from the module's row). Dates are naive UTC."""

    __tablename__ = "publications"
    __table_args__ = (
        Index("ix_publications_cohort_module", "cohort_id", "module_id"),
        CheckConstraint("due_at IS NULL OR opens_at IS NULL OR due_at > opens_at", name="ck_publications_due"),
        CheckConstraint("cutoff_at IS NULL OR due_at IS NULL OR cutoff_at >= due_at", name="ck_publications_cutoff"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    opens_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    cutoff_at: Mapped[datetime | None]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    module: Mapped[Module] = relationship()
    exercise: Mapped[Exercise | None] = relationship()


class CohortGroup(db.Model):
    """Part of a cohort (a sub-group, the evening class...) that may get its own dates."""

    __tablename__ = "cohort_groups"
    __table_args__ = (UniqueConstraint("cohort_id", "name", name="uq_cohort_groups_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    members: Mapped[list["GroupMember"]] = relationship(cascade="all, delete-orphan")


class GroupMember(db.Model):
    __tablename__ = "cohort_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("cohort_groups.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class DateOverride(db.Model):
    """Other dates for one exercise: for a group of the cohort, or for one learner (an extension, which wins). A
    NULL date leaves that date alone."""

    __tablename__ = "date_overrides"
    __table_args__ = (
        Index("ix_date_overrides_cohort_exercise", "cohort_id", "exercise_id"),
        CheckConstraint("(group_id IS NULL) <> (user_id IS NULL)", name="ck_date_overrides_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("cohort_groups.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opens_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    cutoff_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(500), default="")
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    exercise: Mapped[Exercise] = relationship()
    group: Mapped[CohortGroup | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    granter: Mapped[User | None] = relationship(foreign_keys=[granted_by])


class EffectiveWindow(db.Model):
    """The dates that apply to one learner for one exercise of a cohort, stored when an input changes
    (publication, override, extension, group, enrolment): pages and the submit path read it, never recompute."""

    __tablename__ = "effective_windows"
    __table_args__ = (Index("ix_effective_windows_user_exercise", "user_id", "exercise_id"),)

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), primary_key=True)
    opens_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    cutoff_at: Mapped[datetime | None]
    extended: Mapped[bool] = mapped_column(default=False)  # an extension of this learner set a date


class LatePolicy(db.Model):
    """How late work is marked in a cohort (exercise_id NULL), or for one exercise of it. OPERATIONS.md: linear
    deduction = min(rate x ceil(late / interval), cap, raw - floor), or steps (the first whose bound covers the
    lateness); in percent of the exercise's points."""

    __tablename__ = "late_policies"
    __table_args__ = (Index("ix_late_policies_cohort", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    grace_minutes: Mapped[int] = mapped_column(default=15)
    penalty: Mapped[str] = mapped_column(String(16), default="linear")  # none | linear | steps
    interval_hours: Mapped[int] = mapped_column(default=24)  # 1 (per started hour) or 24 (per started day)
    rate_percent: Mapped[float] = mapped_column(default=10.0)
    cap_percent: Mapped[float] = mapped_column(default=50.0)
    floor_percent: Mapped[float] = mapped_column(default=0.0)
    steps: Mapped[list] = mapped_column(JSON, default=list)  # [{"up_to_hours": 24, "percent": 10}, ...]
    counting: Mapped[str] = mapped_column(String(8), default="best")  # best | last
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
