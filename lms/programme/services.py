"""Writes on the programme's organisation: centres, cohorts, enrolments and role grants. Each checks the actor's
scope first and refuses with a named reason (ProgrammeError), so views stay thin and the rules are tested here."""
from __future__ import annotations

import calendar
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.auth.models import Role, User
from lms.auth.services import find_user
from lms.catalog.models import Track
from lms.clock import utcnow
from lms.extensions import db
from lms.programme.models import (SCOPE_OF_ROLE, Centre, Cohort, CohortStatus, Enrolment, Region, RoleGrant,
                                  ScopedRole)
from lms.programme.scope import scope_of

MIN_MONTHS, MAX_MONTHS = 4, 6  # a JobInTech bootcamp lasts 4 to 6 months
NEXT_STATUSES = {CohortStatus.PLANNED: (CohortStatus.RUNNING, CohortStatus.CLOSED),
                 CohortStatus.RUNNING: (CohortStatus.CLOSED,), CohortStatus.CLOSED: ()}


class ProgrammeError(Exception):
    """A refused write: `code` names it (forbidden: HTTP 403; the others: 400 or 409), `message` says it."""

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code, self.message = code, message


def forbidden() -> ProgrammeError:
    return ProgrammeError("forbidden", _l("This is outside what you run."))


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer (31 January + 1 = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_cohort_dates(starts_on: date, ends_on: date) -> None:
    if not add_months(starts_on, MIN_MONTHS) <= ends_on <= add_months(starts_on, MAX_MONTHS):
        raise ProgrammeError("bad_dates", _l("A bootcamp lasts from 4 to 6 months: with this start, it ends between "
                                             "%(earliest)s and %(latest)s.",
                                             earliest=add_months(starts_on, MIN_MONTHS).isoformat(),
                                             latest=add_months(starts_on, MAX_MONTHS).isoformat()))


def create_centre(actor: User, region: Region, name: str, city: str = "") -> Centre:
    if not scope_of(actor).manages_region(region.id):
        raise forbidden()
    name = name.strip()
    if not name:
        raise ProgrammeError("bad_name", _l("Give the centre a name."))
    if db.session.scalar(select(Centre.id).where(Centre.region_id == region.id, Centre.name == name)):
        raise ProgrammeError("duplicate", _l("This region already has a centre of that name."))
    centre = Centre(region_id=region.id, name=name, city=city.strip())
    db.session.add(centre)
    db.session.commit()
    return centre


def create_cohort(actor: User, centre: Centre, track: Track, name: str, starts_on: date, ends_on: date,
                  capacity: int) -> Cohort:
    if not scope_of(actor).manages_centre(centre):
        raise forbidden()
    name = name.strip()
    if not name:
        raise ProgrammeError("bad_name", _l("Give the cohort a name."))
    if track.archived:
        raise ProgrammeError("bad_track", _l("This track is archived."))
    if capacity < 1:
        raise ProgrammeError("bad_capacity", _l("The capacity is at least one learner."))
    check_cohort_dates(starts_on, ends_on)
    if db.session.scalar(select(Cohort.id).where(Cohort.centre_id == centre.id, Cohort.name == name)):
        raise ProgrammeError("duplicate", _l("This centre already has a cohort of that name."))
    cohort = Cohort(name=name, centre_id=centre.id, track_id=track.id, starts_on=starts_on, ends_on=ends_on,
                    capacity=capacity, status=CohortStatus.PLANNED)
    db.session.add(cohort)
    db.session.commit()
    return cohort


def set_cohort_status(actor: User, cohort: Cohort, status: str) -> None:
    if not scope_of(actor).manages_cohort(cohort):
        raise forbidden()
    if status not in NEXT_STATUSES.get(CohortStatus(cohort.status), ()):
        raise ProgrammeError("bad_status", _l("A cohort goes from planned to running to closed, and a closed one "
                                              "stays closed."))
    cohort.status = status
    db.session.commit()


def active_count(cohort: Cohort) -> int:
    return db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.cohort_id == cohort.id,
                                                                     Enrolment.withdrawn_at.is_(None))) or 0


def seats_taken(cohort: Cohort, besides_pending_id: int | None = None) -> int:
    """Active enrolments and unclaimed pre-enrolments (they hold a seat for the learner to come)."""
    from lms.invitations.models import PendingEnrolment

    pending = select(func.count(PendingEnrolment.id)).where(
        PendingEnrolment.cohort_id == cohort.id, PendingEnrolment.claimed_at.is_(None),
        PendingEnrolment.id != (besides_pending_id or 0))
    return active_count(cohort) + (db.session.scalar(pending) or 0)


def seats_taken_by_cohort(cohort_ids: list[int]) -> dict[int, int]:
    """`seats_taken` of many cohorts in two queries (the programme index)."""
    from lms.invitations.models import PendingEnrolment

    if not cohort_ids:
        return {}
    taken = dict.fromkeys(cohort_ids, 0)
    for column, condition in ((Enrolment.cohort_id, Enrolment.withdrawn_at.is_(None)),
                              (PendingEnrolment.cohort_id, PendingEnrolment.claimed_at.is_(None))):
        for cohort_id, count in db.session.execute(select(column, func.count()).where(
                column.in_(cohort_ids), condition).group_by(column)):
            taken[cohort_id] += count
    return taken


def enrol_learner(actor: User, cohort: Cohort, email: str) -> Enrolment:
    if not scope_of(actor).manages_cohort(cohort):
        raise forbidden()
    learner = find_user(email)
    if learner is None:
        raise ProgrammeError("unknown_user", _l("No account has this email address: give the learner's name too, "
                                                "to create their account and print their invitation."))
    return admit(cohort, learner)


def admit(cohort: Cohort, learner: User, pending_id: int | None = None) -> Enrolment:
    """The rules of any enrolment, by a manager or by a claimed pre-enrolment (whose seat is its own)."""
    if cohort.status == CohortStatus.CLOSED:
        raise ProgrammeError("closed", _l("This cohort is closed."))
    if learner.role != Role.LEARNER:
        raise ProgrammeError("not_learner", _l("This account is not a learner's."))
    # The row lock on the cohort serialises enrolments into it, so two at once cannot both take its last seat
    # (PostgreSQL; SQLite writes one transaction at a time anyway).
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())
    existing = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id,
                                                         Enrolment.user_id == learner.id))
    if existing is not None:
        db.session.rollback()
        raise ProgrammeError("duplicate", _l("This learner is already in this cohort.") if existing.active
                             else _l("This learner withdrew from this cohort."))
    if seats_taken(cohort, pending_id) >= cohort.capacity:
        db.session.rollback()
        raise ProgrammeError("full", _l("This cohort is full (%(capacity)s learners).", capacity=cohort.capacity))
    elsewhere = db.session.scalar(
        select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.user_id == learner.id, Enrolment.withdrawn_at.is_(None), Cohort.track_id == cohort.track_id,
               Cohort.status != CohortStatus.CLOSED))
    if elsewhere is not None:
        db.session.rollback()
        raise ProgrammeError("other_cohort", _l("This learner is already active in another cohort of this track "
                                                "(%(cohort)s).", cohort=elsewhere.name))
    enrolment = Enrolment(cohort_id=cohort.id, user_id=learner.id, enrolled_at=utcnow())
    db.session.add(enrolment)
    db.session.flush()
    joined(cohort.id, [learner.id])
    db.session.commit()
    return enrolment


def joined(cohort_id: int, user_ids) -> None:
    """New learners in a cohort get its dates (their stored windows), before the caller commits."""
    from lms.deadlines.services import refresh_windows

    refresh_windows(cohort_id, user_ids, commit=False)


def withdraw_learner(actor: User, enrolment: Enrolment, reason: str) -> None:
    if not scope_of(actor).manages_cohort(enrolment.cohort):
        raise forbidden()
    reason = reason.strip()
    if not reason:
        raise ProgrammeError("bad_reason", _l("Say why the learner withdraws."))
    if not enrolment.active:
        raise ProgrammeError("duplicate", _l("This learner already withdrew."))
    enrolment.withdrawn_at, enrolment.withdrawal_reason = utcnow(), reason[:500]
    db.session.flush()
    joined(enrolment.cohort_id, [enrolment.user_id])  # a withdrawn learner keeps no window: nothing opens to them
    db.session.commit()


def staff_account(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise ProgrammeError("unknown_user", _l("No account has this email address."))
    if user.role != Role.INSTRUCTOR:
        raise ProgrammeError("not_staff", _l("Roles are given to staff accounts only."))
    return user


def assign_instructor(actor: User, cohort: Cohort, email: str) -> RoleGrant:
    if not scope_of(actor).manages_cohort(cohort):
        raise forbidden()
    return _grant(actor, staff_account(email), ScopedRole.INSTRUCTOR, cohort=cohort)


def grant_role(actor: User, email: str, role: str, region: Region | None = None, centre: Centre | None = None,
               cohort: Cohort | None = None) -> RoleGrant:
    """Regional, centre and programme roles: given by admins and programme staff. Instructors: see
    assign_instructor (whoever manages the cohort)."""
    scope = scope_of(actor)
    if role == ScopedRole.INSTRUCTOR:
        if cohort is None:
            raise ProgrammeError("bad_scope", _l("Choose the cohort."))
        return assign_instructor(actor, cohort, email)
    if not scope.grants_roles:
        raise forbidden()
    return _grant(actor, staff_account(email), ScopedRole(role), region=region, centre=centre)


def _grant(actor: User, user: User, role: ScopedRole, region=None, centre=None, cohort=None) -> RoleGrant:
    needed = SCOPE_OF_ROLE[role]
    given = {"region": region, "centre": centre, "cohort": cohort}
    if needed != "programme" and given[needed] is None:
        raise ProgrammeError("bad_scope", _l("Choose the scope of this role."))
    values = {f"{kind}_id": (given[kind].id if kind == needed and given[kind] is not None else None)
              for kind in ("region", "centre", "cohort")}
    duplicate = db.session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role,
        *[(getattr(RoleGrant, column).is_(None) if value is None else getattr(RoleGrant, column) == value)
          for column, value in values.items()]))
    if duplicate:
        raise ProgrammeError("duplicate", _l("This account already has this role here."))
    grant = RoleGrant(user_id=user.id, role=role, granted_by=actor.id, granted_at=utcnow(), **values)
    db.session.add(grant)
    db.session.commit()
    return grant


def revoke_grant(actor: User, grant: RoleGrant) -> None:
    scope = scope_of(actor)
    allowed = scope.manages_cohort(grant.cohort) if grant.role == ScopedRole.INSTRUCTOR else scope.grants_roles
    if not allowed:
        raise forbidden()
    db.session.delete(grant)
    db.session.commit()


DEMO_CENTRE = ("casablanca-settat", "Centre JobInTech Casablanca", "Casablanca")


def create_demo_programme(starts_on: date) -> Cohort | None:
    """The demo's organisation: a centre in Casablanca-Settat and one running cohort per track, the demo learners
    in the first one and the demo instructor teaching it. Only what is missing is written; None when the centre was
    there already or no track is imported yet."""
    from lms.auth.services import DEMO_ACCOUNTS

    region_code, centre_name, city = DEMO_CENTRE
    region = db.session.scalar(select(Region).where(Region.code == region_code))
    tracks = db.session.scalars(select(Track).where(Track.archived.is_(False)).order_by(Track.position)).all()
    if region is None or not tracks or db.session.scalar(select(Centre.id).where(Centre.name == centre_name)):
        return None
    centre = Centre(region_id=region.id, name=centre_name, city=city)
    db.session.add(centre)
    db.session.flush()
    cohorts = [Cohort(name=f"{localized_title(track)} · {starts_on.year}", centre_id=centre.id, track_id=track.id,
                      starts_on=starts_on, ends_on=add_months(starts_on, 5), capacity=30,
                      status=CohortStatus.RUNNING) for track in tracks]
    db.session.add_all(cohorts)
    db.session.flush()
    for email, _name, role in DEMO_ACCOUNTS:
        user = find_user(email)
        if user is None:
            continue
        if role == Role.LEARNER:  # one active cohort per track: the demo learners try every track
            db.session.add_all(Enrolment(cohort_id=cohort.id, user_id=user.id, enrolled_at=utcnow())
                               for cohort in cohorts)
        elif role == Role.INSTRUCTOR:
            db.session.add_all(RoleGrant(user_id=user.id, role=ScopedRole.INSTRUCTOR, cohort_id=cohort.id)
                               for cohort in cohorts)
    db.session.flush()
    publish_demo_modules(cohorts, tracks)
    db.session.commit()
    return cohorts[0]


def publish_demo_modules(cohorts: list[Cohort], tracks: list[Track]) -> None:
    """Every module of the demo cohorts open since the start, due two weeks apart from one week from now (cut-off
    three days after each), so the demo shows dates, extensions and late work."""
    from datetime import timedelta

    from lms.deadlines.models import Publication
    from lms.deadlines.services import refresh_windows

    now = utcnow().replace(minute=0, second=0, microsecond=0)
    start = datetime.combine(cohorts[0].starts_on, datetime.min.time())
    for cohort, track in zip(cohorts, tracks):
        for number, module in enumerate(m for m in track.modules if not m.archived):
            due = now + timedelta(days=7 + 14 * number, hours=23 - now.hour)
            db.session.add(Publication(cohort_id=cohort.id, module_id=module.id, opens_at=min(start, now),
                                       due_at=due, cutoff_at=due + timedelta(days=3)))
        db.session.flush()
        refresh_windows(cohort.id, commit=False)


def localized_title(track: Track) -> str:
    return track.title.get("fr") or track.title.get("en") or track.slug


def operator_grant(email: str, role: str, region_code: str | None = None, centre_name: str | None = None) -> RoleGrant:
    """`flask lms grant-role`: the server's operator gives a role without a signed-in actor (the first programme
    staff of a new installation). ValueError names what is wrong."""
    user = find_user(email)
    if user is None or user.role != Role.INSTRUCTOR:
        raise ValueError("no staff account has this email address (create it with --role instructor)")
    region = centre = None
    if role == ScopedRole.REGIONAL_COORDINATOR:
        region = db.session.scalar(select(Region).where(Region.code == (region_code or "")))
        if region is None:
            codes = ", ".join(db.session.scalars(select(Region.code).order_by(Region.position)))
            raise ValueError(f"--region: one of {codes}")
    elif role == ScopedRole.CENTRE_MANAGER:
        centre = db.session.scalar(select(Centre).where(Centre.name == (centre_name or "")))
        if centre is None:
            raise ValueError("--centre: the name of an existing centre")
    grant = RoleGrant(user_id=user.id, role=ScopedRole(role), region_id=region.id if region else None,
                      centre_id=centre.id if centre else None, granted_at=utcnow())
    db.session.add(grant)
    db.session.commit()
    return grant
