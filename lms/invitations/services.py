"""Invitations, pre-enrolments and deactivation. Each write checks the actor's scope first and refuses with a named
ProgrammeError (as lms.programme.services does), so the views stay thin."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update

from lms.auth.models import Role, User, hash_token
from lms.auth.services import AccountError, create_user, find_user
from lms.clock import utcnow
from lms.extensions import db
from lms.invitations.models import AccountEvent, Invitation, PendingEnrolment
from lms.programme.models import Cohort, Enrolment
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError, admit, enrol_learner, forbidden, seats_taken


# --- invitations ---------------------------------------------------------------------------------------------------

def learner_of(cohort: Cohort, user_id: int) -> User:
    """An active learner of the cohort, or a refusal (a learner of another cohort is not invited from here)."""
    user = db.session.scalar(select(User).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.cohort_id == cohort.id, Enrolment.withdrawn_at.is_(None), User.id == user_id))
    if user is None:
        raise ProgrammeError("not_found", _l("This learner is not in this cohort."))
    if not user.active:
        raise ProgrammeError("deactivated", _l("This account is deactivated."))
    return user


def not_logged_in_yet(cohort: Cohort) -> list[User]:
    return db.session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.cohort_id == cohort.id, Enrolment.withdrawn_at.is_(None), User.active.is_(True),
        User.last_login_at.is_(None)).order_by(User.name)).all()


def invite(actor: User, cohort: Cohort, learners: list[User]) -> list[tuple[User, str, datetime]]:
    """A new invitation per learner (revoking their earlier ones); returns (learner, token, expires_at): the token
    exists only here, for the printed slip and the e-mail. The cohort's managers and its instructors, who hand the
    slips out in class, may invite its learners."""
    if not scope_of(actor).sees_cohort(cohort):
        raise forbidden()
    now = utcnow()
    expires_at = now + timedelta(days=current_app.config["LMS_INVITATION_DAYS"])
    ids = [learner.id for learner in learners]
    db.session.execute(update(Invitation).where(Invitation.user_id.in_(ids), Invitation.used_at.is_(None))
                       .values(revoked=True))
    issued = []
    for learner in learners:
        token = secrets.token_urlsafe(32)
        db.session.add(Invitation(user_id=learner.id, token_hash=hash_token(token), created_by=actor.id,
                                  created_at=now, expires_at=expires_at))
        issued.append((learner, token, expires_at))
    db.session.commit()
    return issued


def invitation_for(token: str) -> Invitation:
    """The invitation of a token still usable; 'unknown' (404) or 'gone' (410) with what happened to it."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        raise ProgrammeError("unknown", _l("This invitation link is not valid. Check it, or ask your instructor "
                                           "for a new one."))
    if invitation.used_at is not None:
        raise ProgrammeError("gone", _l("This invitation was already used. Log in with your password, or ask your "
                                        "instructor for a new invitation."))
    if invitation.revoked:
        raise ProgrammeError("gone", _l("This invitation was replaced by a newer one: use the latest link you "
                                        "received."))
    if invitation.expires_at <= utcnow():
        raise ProgrammeError("gone", _l("This invitation has expired. Ask your instructor for a new one."))
    if not invitation.user.active:
        raise ProgrammeError("gone", _l("This account is deactivated."))
    return invitation


def accept(invitation: Invitation, password: str) -> User:
    # Marked used in the same UPDATE that checks it still is not: two tabs cannot both use it.
    used = db.session.execute(update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
                              .values(used_at=utcnow()))
    if used.rowcount != 1:
        db.session.rollback()
        raise ProgrammeError("gone", _l("This invitation was already used. Log in with your password, or ask your "
                                        "instructor for a new invitation."))
    user = invitation.user
    user.set_password(password)
    db.session.commit()
    return user


def after_login(user: User) -> None:
    """Every successful login: remembered (invitations go to who has not logged in yet), pre-enrolments claimed."""
    user.last_login_at = utcnow()
    db.session.commit()
    claim_pending_enrolments(user)


# --- pre-enrolment -------------------------------------------------------------------------------------------------

def pre_enrol(actor: User, cohort: Cohort, email: str, name: str = "") -> PendingEnrolment:
    if not scope_of(actor).manages_cohort(cohort):
        raise forbidden()
    email = email.strip().lower()
    if find_user(email) is not None:
        raise ProgrammeError("has_account", _l("This address has an account already: enrol the learner instead."))
    if db.session.scalar(select(exists().where(PendingEnrolment.cohort_id == cohort.id,
                                               PendingEnrolment.email == email,
                                               PendingEnrolment.claimed_at.is_(None)))):
        raise ProgrammeError("duplicate", _l("This address is pre-enrolled in this cohort already."))
    if cohort.status == "closed":
        raise ProgrammeError("closed", _l("This cohort is closed."))
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())
    if seats_taken(cohort) >= cohort.capacity:
        db.session.rollback()
        raise ProgrammeError("full", _l("This cohort is full (%(capacity)s learners).", capacity=cohort.capacity))
    pending = PendingEnrolment(cohort_id=cohort.id, email=email, name=name.strip()[:120], created_by=actor.id)
    db.session.add(pending)
    db.session.commit()
    return pending


def cancel_pending(actor: User, pending: PendingEnrolment) -> None:
    if not scope_of(actor).manages_cohort(pending.cohort):
        raise forbidden()
    db.session.delete(pending)
    db.session.commit()


def claim_pending_enrolments(user: User) -> list[Enrolment]:
    """The pre-enrolments of the user's address become enrolments, by the rules of any enrolment; one refused
    stays pending with its reason (tried again at the next login)."""
    if user.role != Role.LEARNER:
        return []
    rows = db.session.scalars(select(PendingEnrolment).where(PendingEnrolment.email == user.email.lower(),
                                                             PendingEnrolment.claimed_at.is_(None))
                              .order_by(PendingEnrolment.created_at)).all()
    claimed = []
    for pending_id, cohort_id in [(row.id, row.cohort_id) for row in rows]:
        try:
            claimed.append(admit(db.session.get(Cohort, cohort_id), user, pending_id))
        except ProgrammeError as error:
            refusal = str(error.message)[:300]
            if error.code == "duplicate":  # already in: the pre-enrolment has done its work
                db.session.execute(update(PendingEnrolment).where(PendingEnrolment.id == pending_id)
                                   .values(claimed_at=utcnow(), refusal=None))
            else:
                db.session.execute(update(PendingEnrolment).where(PendingEnrolment.id == pending_id)
                                   .values(refusal=refusal))
            db.session.commit()
            continue
        db.session.execute(update(PendingEnrolment).where(PendingEnrolment.id == pending_id)
                           .values(claimed_at=utcnow(), refusal=None))
        db.session.commit()
    return claimed


def create_invited_learner(actor: User, cohort: Cohort, email: str, name: str) -> User:
    """The enrol form with an unknown address and a name: the account (with an unusable random password; the
    learner chooses theirs through the invitation), enrolled in the cohort."""
    if not scope_of(actor).manages_cohort(cohort):
        raise forbidden()
    # Refused before the account is made, so a full or closed cohort leaves no account behind.
    if cohort.status == "closed":
        raise ProgrammeError("closed", _l("This cohort is closed."))
    if seats_taken(cohort) >= cohort.capacity:
        raise ProgrammeError("full", _l("This cohort is full (%(capacity)s learners).", capacity=cohort.capacity))
    try:
        learner = create_user(email, name, secrets.token_urlsafe(32), Role.LEARNER)
    except AccountError:
        db.session.rollback()
        raise ProgrammeError("bad_account", _l("This address or name cannot make an account: check them."))
    # create_user claimed any pre-enrolment of this address: here, it is an enrolment already.
    if db.session.scalar(select(exists().where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == learner.id))):
        return learner
    enrol_learner(actor, cohort, learner.email)  # refused: the account stays, not enrolled; the manager sees why
    return learner


# --- deactivation --------------------------------------------------------------------------------------------------

def set_active(actor: User, cohort: Cohort, user: User, active: bool, reason: str) -> None:
    """Deactivate (no login, no API token; history kept) or reactivate a learner of a cohort the actor manages."""
    if not scope_of(actor).manages_cohort(cohort):
        raise forbidden()
    if not db.session.scalar(select(exists().where(Enrolment.cohort_id == cohort.id,
                                                   Enrolment.user_id == user.id))):
        raise ProgrammeError("not_found", _l("This learner is not in this cohort."))
    if user.role != Role.LEARNER:
        raise ProgrammeError("not_learner", _l("This account is not a learner's."))
    reason = reason.strip()
    if not active and not reason:
        raise ProgrammeError("bad_reason", _l("Say why the account is deactivated."))
    if user.active == active:
        raise ProgrammeError("duplicate", _l("This account is active already.") if active
                             else _l("This account is deactivated already."))
    user.active = active
    db.session.add(AccountEvent(user_id=user.id, actor_id=actor.id, at=utcnow(),
                                action="reactivated" if active else "deactivated", reason=reason[:500]))
    db.session.commit()
