"""Dates for learners: publishing modules to a cohort, group overrides and extensions, the stored effective window
of each learner and exercise (OPERATIONS.md "Deadlines"), and the late policy. Writes check the actor's scope."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select

from lms.auth.models import User
from lms.catalog.models import Exercise, Module
from lms.clock import utcnow
from lms.deadlines.models import CohortGroup, DateOverride, EffectiveWindow, GroupMember, LatePolicy, Publication
from lms.extensions import db
from lms.programme.models import Cohort, Enrolment
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError, forbidden


@dataclass(frozen=True)
class Window:
    opens_at: datetime | None
    due_at: datetime | None
    cutoff_at: datetime | None
    extended: bool = False


def may_teach(actor: User, cohort: Cohort) -> bool:
    """Dates, extensions, policies and marks: the cohort's instructors and whoever manages it."""
    return scope_of(actor).sees_cohort(cohort)


def check_dates(opens_at, due_at, cutoff_at) -> None:
    if opens_at and due_at and due_at <= opens_at:
        raise ProgrammeError("bad_dates", _l("The due date comes after the opening."))
    if cutoff_at and due_at and cutoff_at < due_at:
        raise ProgrammeError("bad_dates", _l("The cut-off cannot come before the due date."))
    if cutoff_at and opens_at and cutoff_at <= opens_at:
        raise ProgrammeError("bad_dates", _l("The cut-off comes after the opening."))


# --- computing windows --------------------------------------------------------------------------------------------

def combine(module_dates: Publication, exercise_dates: Publication | None, group_overrides: list[DateOverride],
            extension: DateOverride | None) -> Window:
    """The effective window: the extension wins for each date it sets; else the most lenient group override
    (earliest opening, latest due date, latest cut-off); else the exercise's own dates, else the module's."""
    def base(name):
        value = getattr(exercise_dates, name) if exercise_dates is not None else None
        return value if value is not None else getattr(module_dates, name)

    dates = {name: base(name) for name in ("opens_at", "due_at", "cutoff_at")}
    for name, pick in (("opens_at", min), ("due_at", max), ("cutoff_at", max)):
        values = [getattr(o, name) for o in group_overrides if getattr(o, name) is not None]
        if values:
            dates[name] = pick(values)
    extended = False
    if extension is not None:
        for name in dates:
            if getattr(extension, name) is not None:
                dates[name], extended = getattr(extension, name), True
    if dates["cutoff_at"] and dates["due_at"] and dates["cutoff_at"] < dates["due_at"]:
        dates["cutoff_at"] = dates["due_at"]  # a due date moved past the cut-off takes the cut-off with it
    return Window(extended=extended, **dates)


def refresh_windows(cohort_id: int, user_ids=None, commit: bool = True) -> int:
    """Rewrite the stored windows of a cohort (or of some of its learners) from the publications, overrides,
    groups and active enrolments. Returns how many rows it wrote."""
    learners = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort_id, Enrolment.withdrawn_at.is_(None))
    if user_ids is not None:
        learners = learners.where(Enrolment.user_id.in_(list(user_ids)))
    learner_ids = list(db.session.scalars(learners))
    stale = delete(EffectiveWindow).where(EffectiveWindow.cohort_id == cohort_id)
    if user_ids is not None:
        stale = stale.where(EffectiveWindow.user_id.in_(list(user_ids)))
    db.session.execute(stale)
    publications = db.session.scalars(select(Publication).where(Publication.cohort_id == cohort_id)).all()
    modules = {p.module_id: p for p in publications if p.exercise_id is None}
    own_dates = {p.exercise_id: p for p in publications if p.exercise_id is not None}
    exercises = db.session.execute(select(Exercise.id, Exercise.module_id).where(
        Exercise.module_id.in_(list(modules)), Exercise.archived.is_(False))).all() if modules else []
    overrides = db.session.scalars(select(DateOverride).where(DateOverride.cohort_id == cohort_id)).all()
    groups_of: dict[int, set[int]] = {}
    for group_id, user_id in db.session.execute(
            select(GroupMember.group_id, GroupMember.user_id).join(CohortGroup)
            .where(CohortGroup.cohort_id == cohort_id)):
        groups_of.setdefault(user_id, set()).add(group_id)
    rows = []
    for user_id in learner_ids:
        mine = groups_of.get(user_id, set())
        for exercise_id, module_id in exercises:
            group_overrides = [o for o in overrides if o.exercise_id == exercise_id and o.group_id in mine]
            extension = next((o for o in overrides if o.exercise_id == exercise_id and o.user_id == user_id), None)
            window = combine(modules[module_id], own_dates.get(exercise_id), group_overrides, extension)
            rows.append({"cohort_id": cohort_id, "user_id": user_id, "exercise_id": exercise_id,
                         "opens_at": window.opens_at, "due_at": window.due_at, "cutoff_at": window.cutoff_at,
                         "extended": window.extended})
    if rows:
        db.session.execute(EffectiveWindow.__table__.insert(), rows)
    if commit:
        db.session.commit()
    return len(rows)


def refresh_for_modules(module_ids) -> None:
    """After a content import: the cohorts that publish these modules get their windows again (new exercises)."""
    cohorts = db.session.scalars(select(Publication.cohort_id).where(
        Publication.module_id.in_(list(module_ids)), Publication.exercise_id.is_(None)).distinct()).all()
    for cohort_id in cohorts:
        refresh_windows(cohort_id, commit=False)
    db.session.commit()


# --- what a learner may open ----------------------------------------------------------------------------------------

def windows_of(user: User, exercise_ids=None) -> dict[int, EffectiveWindow]:
    """The learner's windows in their active cohorts, by exercise (several cohorts: the most lenient)."""
    query = (select(EffectiveWindow).join(Enrolment, and_(Enrolment.cohort_id == EffectiveWindow.cohort_id,
                                                          Enrolment.user_id == EffectiveWindow.user_id))
             .where(EffectiveWindow.user_id == user.id, Enrolment.withdrawn_at.is_(None)))
    if exercise_ids is not None:
        query = query.where(EffectiveWindow.exercise_id.in_(list(exercise_ids)))
    found: dict[int, EffectiveWindow] = {}
    for window in db.session.scalars(query):
        kept = found.get(window.exercise_id)
        if kept is None or (window.cutoff_at or datetime.max) > (kept.cutoff_at or datetime.max):
            found[window.exercise_id] = window
    return found


def window_for(user: User, exercise: Exercise) -> EffectiveWindow | None:
    return windows_of(user, [exercise.id]).get(exercise.id)


def is_open(window: EffectiveWindow | None, now: datetime | None = None) -> bool:
    return window is not None and (window.opens_at is None or window.opens_at <= (now or utcnow()))


def open_exercise_ids(user: User) -> set[int]:
    now = utcnow()
    return {exercise_id for exercise_id, window in windows_of(user).items() if is_open(window, now)}


def open_module_ids(user: User) -> set[int]:
    ids = open_exercise_ids(user)
    if not ids:
        return set()
    return set(db.session.scalars(select(Exercise.module_id).where(Exercise.id.in_(ids)).distinct()))


def gates(user) -> bool:
    """Learners see their cohorts' opened modules only; staff see the whole catalog (to author and review it)."""
    return not user.is_staff


# --- writes --------------------------------------------------------------------------------------------------------

def publish_module(actor: User, cohort: Cohort, module: Module, opens_at: datetime | None, due_at: datetime | None,
                   cutoff_at: datetime | None) -> Publication:
    """Publish (or re-date) a module in a cohort: its exercises open at `opens_at` (now if none)."""
    if not may_teach(actor, cohort):
        raise forbidden()
    if module.track_id != cohort.track_id or module.archived:
        raise ProgrammeError("bad_module", _l("This module is not one of the cohort's track."))
    opens_at = opens_at or utcnow()
    check_dates(opens_at, due_at, cutoff_at)
    publication = db.session.scalar(select(Publication).where(
        Publication.cohort_id == cohort.id, Publication.module_id == module.id, Publication.exercise_id.is_(None)))
    if publication is None:
        publication = Publication(cohort_id=cohort.id, module_id=module.id)
        db.session.add(publication)
    publication.opens_at, publication.due_at, publication.cutoff_at = opens_at, due_at, cutoff_at
    publication.published_by, publication.published_at = actor.id, utcnow()
    db.session.flush()
    refresh_windows(cohort.id, commit=False)
    record(cohort, actor, "publish", module=module.slug, opens_at=opens_at, due_at=due_at, cutoff_at=cutoff_at)
    regrade_cohort(cohort.id)  # a new due date changes which attempts are late
    db.session.commit()
    return publication


def unpublish_module(actor: User, cohort: Cohort, module: Module) -> None:
    if not may_teach(actor, cohort):
        raise forbidden()
    exercise_ids = select(Exercise.id).where(Exercise.module_id == module.id)
    db.session.execute(delete(Publication).where(Publication.cohort_id == cohort.id,
                                                 Publication.module_id == module.id))
    db.session.execute(delete(DateOverride).where(DateOverride.cohort_id == cohort.id,
                                                  DateOverride.exercise_id.in_(exercise_ids)))
    refresh_windows(cohort.id, commit=False)
    record(cohort, actor, "unpublish", module=module.slug)
    db.session.commit()


def set_exercise_dates(actor: User, cohort: Cohort, exercise: Exercise, opens_at, due_at, cutoff_at) -> None:
    """An exercise's own dates in a published module; all three empty: back to the module's."""
    if not may_teach(actor, cohort):
        raise forbidden()
    module_dates = db.session.scalar(select(Publication).where(
        Publication.cohort_id == cohort.id, Publication.module_id == exercise.module_id,
        Publication.exercise_id.is_(None)))
    if module_dates is None:
        raise ProgrammeError("not_published", _l("Publish the module to this cohort first."))
    combined = combine(module_dates, Publication(opens_at=opens_at, due_at=due_at, cutoff_at=cutoff_at), [], None)
    check_dates(combined.opens_at, combined.due_at, combined.cutoff_at)
    row = db.session.scalar(select(Publication).where(Publication.cohort_id == cohort.id,
                                                      Publication.exercise_id == exercise.id))
    if opens_at is None and due_at is None and cutoff_at is None:
        if row is not None:
            db.session.delete(row)
    else:
        row = row or Publication(cohort_id=cohort.id, module_id=exercise.module_id, exercise_id=exercise.id)
        row.opens_at, row.due_at, row.cutoff_at, row.published_by = opens_at, due_at, cutoff_at, actor.id
        db.session.add(row)
    db.session.flush()
    refresh_windows(cohort.id, commit=False)
    record(cohort, actor, "exercise_dates", exercise=exercise.slug, opens_at=opens_at, due_at=due_at,
           cutoff_at=cutoff_at)
    regrade_cohort(cohort.id)
    db.session.commit()


def active_learner(cohort: Cohort, user_id: int) -> bool:
    return bool(db.session.scalar(select(Enrolment.id).where(
        Enrolment.cohort_id == cohort.id, Enrolment.user_id == user_id, Enrolment.withdrawn_at.is_(None))))


def published_exercise(cohort: Cohort, exercise: Exercise) -> bool:
    return bool(db.session.scalar(select(Publication.id).where(
        Publication.cohort_id == cohort.id, Publication.module_id == exercise.module_id,
        Publication.exercise_id.is_(None)))) and not exercise.archived


def grant_extension(actor: User, cohort: Cohort, learner: User, exercise: Exercise, due_at: datetime | None,
                    cutoff_at: datetime | None, reason: str, opens_at: datetime | None = None) -> DateOverride:
    """A learner's own dates for one exercise (replacing an earlier extension), with the reason, listed."""
    if not may_teach(actor, cohort):
        raise forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ProgrammeError("bad_reason", _l("Say why the extension is granted."))
    if not active_learner(cohort, learner.id):
        raise ProgrammeError("not_enrolled", _l("This learner is not in this cohort."))
    if not published_exercise(cohort, exercise):
        raise ProgrammeError("not_published", _l("This exercise is not published to this cohort."))
    if due_at is None and cutoff_at is None and opens_at is None:
        raise ProgrammeError("bad_dates", _l("Give at least one date."))
    check_dates(opens_at, due_at, cutoff_at)
    db.session.execute(delete(DateOverride).where(DateOverride.cohort_id == cohort.id,
                                                  DateOverride.exercise_id == exercise.id,
                                                  DateOverride.user_id == learner.id))
    extension = DateOverride(cohort_id=cohort.id, exercise_id=exercise.id, user_id=learner.id, opens_at=opens_at,
                             due_at=due_at, cutoff_at=cutoff_at, reason=reason[:500], granted_by=actor.id,
                             granted_at=utcnow())
    db.session.add(extension)
    db.session.flush()
    refresh_windows(cohort.id, [learner.id], commit=False)
    record(cohort, actor, "extension", learner=learner.email, exercise=exercise.slug, due_at=due_at,
           cutoff_at=cutoff_at, reason=reason[:500])
    regrade_cell(cohort.id, learner.id, exercise.id)
    db.session.commit()
    return extension


def revoke_extension(actor: User, cohort: Cohort, extension: DateOverride) -> None:
    if not may_teach(actor, cohort) or extension.cohort_id != cohort.id or extension.user_id is None:
        raise forbidden()
    user_id, exercise_id = extension.user_id, extension.exercise_id
    db.session.delete(extension)
    db.session.flush()
    refresh_windows(cohort.id, [user_id], commit=False)
    record(cohort, actor, "extension_revoked", learner_id=user_id, exercise_id=exercise_id)
    regrade_cell(cohort.id, user_id, exercise_id)
    db.session.commit()


def create_group(actor: User, cohort: Cohort, name: str) -> CohortGroup:
    if not may_teach(actor, cohort):
        raise forbidden()
    name = (name or "").strip()[:80]
    if not name:
        raise ProgrammeError("bad_name", _l("Give the group a name."))
    if db.session.scalar(select(CohortGroup.id).where(CohortGroup.cohort_id == cohort.id, CohortGroup.name == name)):
        raise ProgrammeError("duplicate", _l("This cohort already has a group of that name."))
    group = CohortGroup(cohort_id=cohort.id, name=name)
    db.session.add(group)
    db.session.commit()
    return group


def set_group_members(actor: User, group: CohortGroup, user_ids) -> None:
    cohort = db.session.get(Cohort, group.cohort_id)
    if not may_teach(actor, cohort):
        raise forbidden()
    wanted = set(user_ids)
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(
        Enrolment.cohort_id == cohort.id, Enrolment.withdrawn_at.is_(None), Enrolment.user_id.in_(wanted))))
    if wanted - enrolled:
        raise ProgrammeError("not_enrolled", _l("Only learners of this cohort can be in its groups."))
    db.session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    db.session.add_all(GroupMember(group_id=group.id, user_id=user_id) for user_id in sorted(wanted))
    db.session.flush()
    refresh_windows(cohort.id, commit=False)
    record(cohort, actor, "group_members", group=group.name, learners=len(wanted))
    regrade_cohort(cohort.id)
    db.session.commit()


def set_group_dates(actor: User, group: CohortGroup, exercise: Exercise, opens_at, due_at, cutoff_at) -> None:
    cohort = db.session.get(Cohort, group.cohort_id)
    if not may_teach(actor, cohort):
        raise forbidden()
    if not published_exercise(cohort, exercise):
        raise ProgrammeError("not_published", _l("This exercise is not published to this cohort."))
    check_dates(opens_at, due_at, cutoff_at)
    db.session.execute(delete(DateOverride).where(DateOverride.group_id == group.id,
                                                  DateOverride.exercise_id == exercise.id))
    if opens_at or due_at or cutoff_at:
        db.session.add(DateOverride(cohort_id=cohort.id, exercise_id=exercise.id, group_id=group.id,
                                    opens_at=opens_at, due_at=due_at, cutoff_at=cutoff_at, granted_by=actor.id))
    db.session.flush()
    refresh_windows(cohort.id, commit=False)
    record(cohort, actor, "group_dates", group=group.name, exercise=exercise.slug, opens_at=opens_at,
           due_at=due_at, cutoff_at=cutoff_at)
    regrade_cohort(cohort.id)
    db.session.commit()


POLICY_FIELDS = ("grace_minutes", "penalty", "interval_hours", "rate_percent", "cap_percent", "floor_percent",
                 "steps", "counting")


def policy_for(cohort_id: int, exercise_id: int | None = None) -> LatePolicy:
    """The exercise's own policy, else the cohort's, else the defaults (15 min grace, 10 % per day, cap 50 %)."""
    rows = db.session.scalars(select(LatePolicy).where(
        LatePolicy.cohort_id == cohort_id,
        or_(LatePolicy.exercise_id.is_(None), LatePolicy.exercise_id == exercise_id))).all()
    own = next((r for r in rows if r.exercise_id is not None), None)
    return own or next((r for r in rows if r.exercise_id is None), None) or default_policy(cohort_id)


def default_policy(cohort_id: int) -> LatePolicy:
    return LatePolicy(cohort_id=cohort_id, grace_minutes=15, penalty="linear", interval_hours=24, rate_percent=10.0,
                      cap_percent=50.0, floor_percent=0.0, steps=[], counting="best")


def set_late_policy(actor: User, cohort: Cohort, values: dict, exercise: Exercise | None = None) -> LatePolicy:
    if not may_teach(actor, cohort):
        raise forbidden()
    check_policy(values)
    if exercise is not None and not published_exercise(cohort, exercise):
        raise ProgrammeError("not_published", _l("This exercise is not published to this cohort."))
    exercise_id = exercise.id if exercise else None
    row = db.session.scalar(select(LatePolicy).where(
        LatePolicy.cohort_id == cohort.id,
        LatePolicy.exercise_id.is_(None) if exercise_id is None else LatePolicy.exercise_id == exercise_id))
    if row is None:
        row = default_policy(cohort.id)
        row.exercise_id = exercise_id
        db.session.add(row)
    for name in POLICY_FIELDS:
        if name in values:
            setattr(row, name, values[name])
    row.updated_by, row.updated_at = actor.id, utcnow()
    db.session.flush()
    record(cohort, actor, "late_policy", exercise=exercise.slug if exercise else None,
           **{name: getattr(row, name) for name in POLICY_FIELDS})
    regrade_cohort(cohort.id)  # every change of policy recomputes the cohort's grades
    db.session.commit()
    return row


def check_policy(values: dict) -> None:
    if values.get("penalty", "linear") not in ("none", "linear", "steps"):
        raise ProgrammeError("bad_policy", _l("Choose no penalty, a linear penalty or steps."))
    if values.get("interval_hours", 24) not in (1, 24):
        raise ProgrammeError("bad_policy", _l("The penalty counts per started hour or per started day."))
    if values.get("counting", "best") not in ("best", "last"):
        raise ProgrammeError("bad_policy", _l("The best or the last attempt counts."))
    for name in ("rate_percent", "cap_percent", "floor_percent"):
        if not 0 <= float(values.get(name, 0)) <= 100:
            raise ProgrammeError("bad_policy", _l("Percentages are between 0 and 100."))
    if not 0 <= int(values.get("grace_minutes", 15)) <= 7 * 24 * 60:
        raise ProgrammeError("bad_policy", _l("The grace period is between 0 minutes and a week."))
    steps = values.get("steps") or []
    bounds = [s.get("up_to_hours") for s in steps]
    if any(not isinstance(s.get("percent"), (int, float)) or not 0 <= s["percent"] <= 100 for s in steps) or \
            any(b is not None and (not isinstance(b, (int, float)) or b <= 0) for b in bounds) or \
            [b for b in bounds if b is not None] != sorted(b for b in bounds if b is not None):
        raise ProgrammeError("bad_policy", _l("Each step gives a bound in hours, in increasing order, and a "
                                              "percentage between 0 and 100."))


def record(cohort: Cohort, actor: User | None, action: str, **detail) -> None:
    from lms.gradebook.models import GradebookEvent

    plain = {key: (value.isoformat(timespec="minutes") if isinstance(value, datetime) else value)
             for key, value in detail.items()}
    db.session.add(GradebookEvent(cohort_id=cohort.id, actor_id=actor.id if actor else None, action=action,
                                  detail=plain, created_at=utcnow()))


def regrade_cell(cohort_id: int, user_id: int, exercise_id: int) -> None:
    from lms.gradebook.services import recompute_grades

    recompute_grades(cohort_id, user_ids=[user_id], exercise_ids=[exercise_id], commit=False)


def regrade_cohort(cohort_id: int) -> None:
    from lms.gradebook.services import recompute_grades

    recompute_grades(cohort_id, commit=False)


@dataclass(frozen=True)
class Timing:
    """What a learner is told before submitting: their dates, the late rule, the attempts left."""
    window: EffectiveWindow
    policy: LatePolicy
    attempts_used: int
    closed: bool  # past the cut-off: graded submissions refused
    late_now: bool  # a graded submission now would be late


def timing_for(user: User, exercise: Exercise, window: EffectiveWindow | None) -> Timing | None:
    """`window`: the learner's, already read by the page (None: nothing to tell, as for staff)."""
    from sqlalchemy import func

    from lms.submissions.models import Mode, Status, Submission

    if window is None:
        return None
    policy = policy_for(window.cohort_id, exercise.id)
    used = db.session.scalar(select(func.count(Submission.id)).where(
        Submission.user_id == user.id, Submission.exercise_id == exercise.id, Submission.mode == Mode.GRADED,
        Submission.status != Status.ERROR)) or 0
    now = utcnow()
    late_now = window.due_at is not None and now > window.due_at + timedelta(minutes=policy.grace_minutes)
    return Timing(window=window, policy=policy, attempts_used=used,
                  closed=window.cutoff_at is not None and now > window.cutoff_at, late_now=late_now)


def enrol_in_open_cohorts(user_ids, centre_name: str, region_code: str, opens_at: datetime) -> None:
    """Open cohorts: one per track in the centre `centre_name`, publishing every module (open since `opens_at`,
    no due date), and `user_ids` enrolled in the one of each track where they have no active cohort. For load
    tests, benchmarks and the test suite's learners, who must reach the whole catalog as cohort learners."""
    from lms.catalog.models import Track
    from lms.programme.models import Centre, Region
    from lms.programme.services import add_months

    tracks = db.session.scalars(select(Track).where(Track.archived.is_(False))).all()
    if not tracks:
        return
    centre = db.session.scalar(select(Centre).where(Centre.name == centre_name))
    if centre is None:
        region = db.session.scalar(select(Region).where(Region.code == region_code))
        centre = Centre(region_id=region.id, name=centre_name, city="")
        db.session.add(centre)
        db.session.flush()
    user_ids = list(user_ids)
    for track in tracks:
        name = f"{centre_name} · {track.slug}"
        cohort = db.session.scalar(select(Cohort).where(Cohort.centre_id == centre.id, Cohort.name == name))
        if cohort is None:
            starts_on = utcnow().date()
            cohort = Cohort(name=name, centre_id=centre.id, track_id=track.id, starts_on=starts_on,
                            ends_on=add_months(starts_on, 5), capacity=100_000, status="running")
            db.session.add(cohort)
            db.session.flush()
        published = set(db.session.scalars(select(Publication.module_id).where(Publication.cohort_id == cohort.id)))
        for module in db.session.scalars(select(Module).where(Module.track_id == track.id,
                                                              Module.archived.is_(False))):
            if module.id not in published:
                db.session.add(Publication(cohort_id=cohort.id, module_id=module.id, opens_at=opens_at))
        if user_ids:
            placed = set(db.session.scalars(
                select(Enrolment.user_id).join(Cohort, Cohort.id == Enrolment.cohort_id)
                .where(Enrolment.user_id.in_(user_ids), Enrolment.withdrawn_at.is_(None),
                       Cohort.track_id == track.id)))
            db.session.add_all(Enrolment(cohort_id=cohort.id, user_id=user_id)
                               for user_id in user_ids if user_id not in placed)
        db.session.flush()
        refresh_windows(cohort.id, commit=False)
    db.session.commit()
