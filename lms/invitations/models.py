"""Invitations (one-time links to choose a password), pre-enrolments of addresses without an account yet, and the
record of accounts deactivated and reactivated."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.programme.models import Cohort


class Invitation(db.Model):
    """Only the token's hash is stored: the link is shown (and mailed) once."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class PendingEnrolment(db.Model):
    """An address pre-enrolled in a cohort before its account exists; claimed (an Enrolment written) when the
    account is created or first logs in. A refused claim keeps the row with its reason."""

    __tablename__ = "pending_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower-case
    name: Mapped[str] = mapped_column(String(120), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    refusal: Mapped[str | None] = mapped_column(String(300))
    cohort: Mapped[Cohort] = relationship()


class AccountEvent(db.Model):
    """An account deactivated or reactivated: by whom, when and why."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(16))  # deactivated / reactivated
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
