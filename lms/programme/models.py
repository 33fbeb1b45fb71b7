from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.catalog.models import Track
from lms.clock import utcnow
from lms.extensions import db


class Region(db.Model):
    """One of Morocco's twelve regions (reference data, written by the migration that made the table)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[dict] = mapped_column(JSON, default=dict)  # {"fr": ..., "ar": ..., "en": ...}
    position: Mapped[int] = mapped_column(default=0)
    centres: Mapped[list["Centre"]] = relationship(back_populates="region", order_by="Centre.name")


class Centre(db.Model):
    __tablename__ = "centres"
    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_centres_region_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    region: Mapped[Region] = relationship(back_populates="centres")
    cohorts: Mapped[list["Cohort"]] = relationship(back_populates="centre", order_by="Cohort.starts_on")


class CohortStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    CLOSED = "closed"


class Cohort(db.Model):
    """A bootcamp: one track, taught in one centre between two dates, to at most `capacity` learners."""

    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("centre_id", "name", name="uq_cohorts_centre_name"),
                      CheckConstraint("capacity > 0", name="ck_cohorts_capacity"),
                      CheckConstraint("ends_on > starts_on", name="ck_cohorts_dates"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    capacity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=CohortStatus.PLANNED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    track: Mapped[Track] = relationship()
    centre: Mapped[Centre] = relationship(back_populates="cohorts")
    enrolments: Mapped[list["Enrolment"]] = relationship(back_populates="cohort")


class Enrolment(db.Model):
    """A learner in a cohort. Withdrawing keeps the row (and the learner's history), with its date and reason."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id", name="uq_enrolments_cohort_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))
    cohort: Mapped[Cohort] = relationship(back_populates="enrolments")
    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class ScopedRole(StrEnum):
    """What a staff account runs, each on the scope of its kind. Admins (users.role) run everything."""

    INSTRUCTOR = "instructor"  # a cohort: teaches it, follows its learners
    CENTRE_MANAGER = "centre_manager"  # a centre: its cohorts, their learners and instructors
    REGIONAL_COORDINATOR = "regional_coordinator"  # a region: its centres
    PROGRAMME_STAFF = "programme_staff"  # the whole programme


SCOPE_OF_ROLE = {ScopedRole.INSTRUCTOR: "cohort", ScopedRole.CENTRE_MANAGER: "centre",
                 ScopedRole.REGIONAL_COORDINATOR: "region", ScopedRole.PROGRAMME_STAFF: "programme"}


class RoleGrant(db.Model):
    """A staff account's role on one scope: exactly the column of the role's scope is set (none for the
    programme)."""

    __tablename__ = "role_grants"
    __table_args__ = (
        Index("ix_role_grants_user", "user_id"),
        CheckConstraint(
            "(role = 'instructor' AND cohort_id IS NOT NULL AND centre_id IS NULL AND region_id IS NULL)"
            " OR (role = 'centre_manager' AND centre_id IS NOT NULL AND cohort_id IS NULL AND region_id IS NULL)"
            " OR (role = 'regional_coordinator' AND region_id IS NOT NULL AND cohort_id IS NULL"
            " AND centre_id IS NULL)"
            " OR (role = 'programme_staff' AND region_id IS NULL AND centre_id IS NULL AND cohort_id IS NULL)",
            name="ck_role_grants_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    region: Mapped[Region | None] = relationship()
    centre: Mapped[Centre | None] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
