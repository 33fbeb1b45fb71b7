"""Accounts: creation, authentication, API tokens (shown once, stored hashed)."""
from __future__ import annotations

import secrets

from sqlalchemy import func, select

from lms.auth.models import Role, User, hash_token
from lms.extensions import db


EMAIL_MAX = User.__table__.c.email.type.length
NAME_MAX = User.__table__.c.name.type.length


class AccountError(ValueError):
    pass


def create_user(email: str, name: str, password: str, role: str = Role.LEARNER, locale: str | None = None) -> User:
    email = email.strip().lower()
    name = name.strip() or email[:NAME_MAX]
    if "@" not in email or "\x00" in email:
        raise AccountError(f"invalid email address {email!r}")
    # The columns' limits, which PostgreSQL enforces (SQLite would store anything).
    if len(email) > EMAIL_MAX:
        raise AccountError(f"an email address has at most {EMAIL_MAX} characters")
    if len(name) > NAME_MAX:
        raise AccountError(f"a name has at most {NAME_MAX} characters")
    if "\x00" in name:
        raise AccountError(f"invalid name {name!r}")
    if len(password) < 8:
        raise AccountError("a password needs at least 8 characters")
    if role not in tuple(Role):
        raise AccountError(f"unknown role {role!r}")
    if find_user(email) is not None:
        raise AccountError(f"{email} already has an account")
    user = User(email=email, name=name, role=role, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    # Addresses pre-enrolled before the account existed join their cohorts now (imported here: invitations build on
    # accounts, not the other way round).
    from lms.invitations.services import claim_pending_enrolments

    claim_pending_enrolments(user)
    return user


def find_user(email: str) -> User | None:
    if "\x00" in email:
        return None  # no stored address has one, and PostgreSQL cannot even compare it
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def issue_api_token(user: User) -> str:
    """A new token replaces the old one; only its hash is kept, so it can be shown once."""
    token = "lms_" + secrets.token_urlsafe(32)
    user.api_token_hash = hash_token(token)
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    if not token:
        return None
    user = db.session.scalar(select(User).where(User.api_token_hash == hash_token(token)))
    return user if user is not None and user.active else None


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


DEMO_ACCOUNTS = (
    ("learner@demo.jobintech.ma", "Salma Learner", Role.LEARNER),
    ("learner2@demo.jobintech.ma", "Youssef Learner", Role.LEARNER),
    ("instructor@demo.jobintech.ma", "Karim Instructor", Role.INSTRUCTOR),
    ("admin@demo.jobintech.ma", "Nadia Admin", Role.ADMIN),
)


def create_demo_accounts() -> list[tuple[str, str, str]]:
    """Creates the demo accounts that do not exist yet, with random passwords; returns (email, password, role)
    of those created, so they can be printed once."""
    created = []
    for email, name, role in DEMO_ACCOUNTS:
        if find_user(email) is None:
            password = secrets.token_urlsafe(9)
            create_user(email, name, password, role)
            created.append((email, password, str(role)))
    return created
