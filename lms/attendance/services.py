"""Writes on attendance (sessions, marks, check-ins, close and reopen, the cohort's policy) and the codes and rates
read from them. Each write checks the actor's scope first and refuses with a ProgrammeError, as in
lms.programme.services; "now" is lms.clock's, so tests move time there."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms import clock
from lms.attendance.models import (AttendanceMark, AttendancePolicy, AttendanceSession, MarkSource, MarkStatus,
                                   SessionStatus)
from lms.auth.models import User
from lms.extensions import db
from lms.programme.models import Cohort, Enrolment
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError, forbidden

SLOT_SECONDS = 15  # a check-in code lives one slot, and is still taken during the next one
MAX_SERIES = 200  # sessions in one weekly series (a 6-month bootcamp, Monday to Friday, is ~130)
CODE_DIGITS = 6


# --- times: the forms speak the programme's local time, the rows naive UTC --------------------------------------

def utc_from_local(day: date, at: time) -> datetime:
    return clock.from_local(datetime.combine(day, at))


# --- who runs a session -------------------------------------------------------------------------------------------

def check_runs(actor: User, cohort: Cohort) -> None:
    """Its instructors and those who manage the cohort run its sessions (OPERATIONS.md, the issue)."""
    if not scope_of(actor).sees_cohort(cohort):
        raise forbidden()


def policy_of(cohort_id: int) -> AttendancePolicy:
    return db.session.get(AttendancePolicy, cohort_id) or AttendancePolicy(
        cohort_id=cohort_id, threshold=AttendancePolicy.DEFAULT_THRESHOLD,
        late_weight=AttendancePolicy.DEFAULT_LATE_WEIGHT)


def set_policy(actor: User, cohort: Cohort, threshold: float, late_weight: float) -> AttendancePolicy:
    if not scope_of(actor).manages_cohort(cohort):
        raise forbidden()
    if not (0 <= threshold <= 1 and 0 <= late_weight <= 1):
        raise ProgrammeError("bad_policy", _l("The threshold and the weight of a late arrival are between 0 and "
                                              "100 %."))
    policy = db.session.get(AttendancePolicy, cohort.id) or AttendancePolicy(cohort_id=cohort.id)
    policy.threshold, policy.late_weight = threshold, late_weight
    db.session.add(policy)
    db.session.commit()
    return policy


# --- sessions -------------------------------------------------------------------------------------------------------

def new_session(actor: User, cohort: Cohort, day: date, starts: time, ends: time, room: str) -> AttendanceSession:
    if ends <= starts:
        raise ProgrammeError("bad_times", _l("A session ends after it starts."))
    return AttendanceSession(cohort_id=cohort.id, starts_at=utc_from_local(day, starts),
                             ends_at=utc_from_local(day, ends), room=room.strip()[:80],
                             secret=secrets.token_hex(32), status=SessionStatus.OPEN, created_by=actor.id,
                             created_at=clock.utcnow())


def create_session(actor: User, cohort: Cohort, day: date, starts: time, ends: time, room: str = ""
                   ) -> AttendanceSession:
    check_runs(actor, cohort)
    session = new_session(actor, cohort, day, starts, ends, room)
    db.session.add(session)
    db.session.commit()
    return session


def create_series(actor: User, cohort: Cohort, first_day: date, last_day: date, weekdays: list[int], starts: time,
                  ends: time, room: str = "") -> list[AttendanceSession]:
    """A session on each chosen weekday (0 = Monday) from first_day to last_day, both included."""
    check_runs(actor, cohort)
    if last_day < first_day:
        raise ProgrammeError("bad_dates", _l("The last day comes after the first."))
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    days = [d for d in days if d.weekday() in set(weekdays)]
    if not days:
        raise ProgrammeError("bad_dates", _l("No chosen weekday falls between these dates."))
    if len(days) > MAX_SERIES:
        raise ProgrammeError("bad_dates", _l("A series has at most %(count)s sessions.", count=MAX_SERIES))
    sessions = [new_session(actor, cohort, d, starts, ends, room) for d in days]
    db.session.add_all(sessions)
    db.session.commit()
    return sessions


def expected(session: AttendanceSession, enrolment: Enrolment) -> bool:
    """Whether the learner was in the cohort for this session: joined before it ended, not gone before it began.
    Only those sessions count in their rate."""
    return enrolment.enrolled_at < session.ends_at and (enrolment.withdrawn_at is None
                                                        or enrolment.withdrawn_at > session.starts_at)


def active_roster(cohort_id: int) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort_id,
                                                           Enrolment.withdrawn_at.is_(None))
                                   .options(selectinload(Enrolment.user)).join(User, User.id == Enrolment.user_id)
                                   .order_by(User.name, User.id)))


def active_enrolment(cohort_id: int, user_id: int) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort_id, Enrolment.user_id == user_id,
                                                     Enrolment.withdrawn_at.is_(None)))


def mark(actor: User, session: AttendanceSession, learner_id: int, status: str) -> AttendanceMark:
    """The instructor's mark, replacing any other (a self check-in, a close's absence). Allowed on a closed
    session too: marks taken on the printed roster are entered afterwards."""
    check_runs(actor, session.cohort)
    if status not in set(MarkStatus):
        raise ProgrammeError("bad_status", _l("Choose present, late, excused or absent."))
    if active_enrolment(session.cohort_id, learner_id) is None:
        raise ProgrammeError("not_enrolled", _l("This learner is not on the cohort's roster."))
    row = db.session.scalar(select(AttendanceMark).where(AttendanceMark.session_id == session.id,
                                                         AttendanceMark.user_id == learner_id))
    row = row or AttendanceMark(session_id=session.id, user_id=learner_id)
    row.status, row.source, row.marked_by, row.marked_at = status, MarkSource.INSTRUCTOR, actor.id, clock.utcnow()
    db.session.add(row)
    db.session.commit()
    return row


def close(actor: User, session: AttendanceSession) -> int:
    """Closes the session; the learners still unmarked are absent (source close). Returns how many."""
    check_runs(actor, session.cohort)
    if session.status == SessionStatus.CLOSED:
        raise ProgrammeError("closed", _l("This session is already closed."))
    marked = set(db.session.scalars(select(AttendanceMark.user_id).where(AttendanceMark.session_id == session.id)))
    now = clock.utcnow()
    absent = [AttendanceMark(session_id=session.id, user_id=e.user_id, status=MarkStatus.ABSENT,
                             source=MarkSource.CLOSE, marked_by=actor.id, marked_at=now)
              for e in active_roster(session.cohort_id) if e.user_id not in marked and expected(session, e)]
    db.session.add_all(absent)
    session.status, session.closed_at = SessionStatus.CLOSED, now
    db.session.commit()
    return len(absent)


def reopen(actor: User, session: AttendanceSession) -> None:
    """Opens the session again and takes back the absences its closing wrote; the marks given stay."""
    check_runs(actor, session.cohort)
    if session.status != SessionStatus.CLOSED:
        raise ProgrammeError("open", _l("This session is open."))
    db.session.execute(delete(AttendanceMark).where(AttendanceMark.session_id == session.id,
                                                    AttendanceMark.source == MarkSource.CLOSE))
    session.status, session.closed_at = SessionStatus.OPEN, None
    db.session.commit()


# --- self check-in: a code that changes every slot ----------------------------------------------------------------

def slot_at(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp()) // SLOT_SECONDS


def digest(session: AttendanceSession, slot: int) -> bytes:
    return hmac.new(session.secret.encode(), f"{session.id}:{slot}".encode(), hashlib.sha256).digest()


def token_for(session: AttendanceSession, moment: datetime) -> str:
    """The QR code's token: HMAC-SHA256(session secret, session id + slot), 80 bits of it in hex."""
    return digest(session, slot_at(moment)).hex()[:20]


def code_for(session: AttendanceSession, moment: datetime) -> str:
    """The short code to type when the camera fails: the same HMAC, as six digits."""
    return str(int.from_bytes(digest(session, slot_at(moment))[-8:], "big") % 10 ** CODE_DIGITS).zfill(CODE_DIGITS)


def seconds_left(moment: datetime) -> int:
    return SLOT_SECONDS - int(moment.replace(tzinfo=UTC).timestamp()) % SLOT_SECONDS


def valid_code(session: AttendanceSession, given: str, maker, now: datetime) -> bool:
    """The code of this slot or of the previous one (a code scanned in its last second still works)."""
    given = given.strip()
    return any(hmac.compare_digest(given, maker(session, now - timedelta(seconds=SLOT_SECONDS * back)))
               for back in (0, 1))


@dataclass
class CheckIn:
    ok: bool
    message: object  # a lazy string
    status: int = 200


def check_in(learner: User, session: AttendanceSession, given: str, typed: bool = False) -> CheckIn:
    """A learner's own check-in with the code shown in the room. No IP rule: a whole centre shares one address."""
    if active_enrolment(session.cohort_id, learner.id) is None:
        return CheckIn(False, _l("You are not enrolled in this session's cohort."), 403)
    if session.status == SessionStatus.CLOSED:
        return CheckIn(False, _l("This session is closed: ask your instructor."), 409)
    if not valid_code(session, given, code_for if typed else token_for, clock.utcnow()):
        return CheckIn(False, _l("This code has expired or is wrong: scan the code shown in the room again."), 400)
    existing = db.session.scalar(select(AttendanceMark).where(AttendanceMark.session_id == session.id,
                                                              AttendanceMark.user_id == learner.id))
    if existing is not None:
        return already(existing)
    db.session.add(AttendanceMark(session_id=session.id, user_id=learner.id, status=MarkStatus.PRESENT,
                                  source=MarkSource.SELF, marked_by=learner.id, marked_at=clock.utcnow()))
    try:
        db.session.commit()
    except IntegrityError:  # the same learner's second scan, a moment apart: the first one counts
        db.session.rollback()
        return already(db.session.scalar(select(AttendanceMark).where(AttendanceMark.session_id == session.id,
                                                                      AttendanceMark.user_id == learner.id)))
    return CheckIn(True, _l("You are checked in. Your instructor sees it on the roster."))


def already(existing: AttendanceMark) -> CheckIn:
    if existing.source == MarkSource.SELF:
        return CheckIn(False, _l("You are already checked in for this session."), 409)
    return CheckIn(False, _l("Your instructor has already marked you for this session."), 409)


# --- rates ----------------------------------------------------------------------------------------------------------

POINTS = {MarkStatus.PRESENT: 1.0, MarkStatus.ABSENT: 0.0}  # late: the cohort's weight; excused: left out


@dataclass
class Record:
    """A learner's attendance in a cohort: the marks of the sessions held while they were in it, and the rate."""
    enrolment: Enrolment
    threshold: float
    marks: dict[int, AttendanceMark] = field(default_factory=dict)  # session id -> mark
    points: float = 0.0
    counted: int = 0  # closed sessions that count (excused ones left out)
    left: int = 0  # open sessions still ahead

    @property
    def rate(self) -> float | None:
        return self.points / self.counted if self.counted else None

    @property
    def best(self) -> float | None:
        """The rate if the learner is present at every session left."""
        total = self.counted + self.left
        return (self.points + self.left) / total if total else None

    @property
    def below(self) -> bool:
        return self.rate is not None and self.rate < self.threshold

    @property
    def out_of_reach(self) -> bool:
        return self.best is not None and self.best < self.threshold


def sessions_of(cohort_id: int) -> list[AttendanceSession]:
    return list(db.session.scalars(select(AttendanceSession).where(AttendanceSession.cohort_id == cohort_id)
                                   .order_by(AttendanceSession.starts_at, AttendanceSession.id)))


def records(cohort: Cohort, sessions: list[AttendanceSession], user_id: int | None = None) -> list[Record]:
    """The records of the cohort's learners (withdrawn ones too: their history stays), or of one learner."""
    policy = policy_of(cohort.id)
    query = (select(Enrolment).where(Enrolment.cohort_id == cohort.id).options(selectinload(Enrolment.user))
             .join(User, User.id == Enrolment.user_id).order_by(Enrolment.withdrawn_at.is_not(None), User.name))
    marks = select(AttendanceMark).join(AttendanceSession, AttendanceSession.id == AttendanceMark.session_id).where(
        AttendanceSession.cohort_id == cohort.id)
    if user_id is not None:
        query, marks = query.where(Enrolment.user_id == user_id), marks.where(AttendanceMark.user_id == user_id)
    by_user: dict[int, dict[int, AttendanceMark]] = {}
    for row in db.session.scalars(marks):
        by_user.setdefault(row.user_id, {})[row.session_id] = row
    result = []
    for enrolment in db.session.scalars(query):
        record = Record(enrolment, policy.threshold)
        for session in sessions:
            if not expected(session, enrolment):
                continue
            given = by_user.get(enrolment.user_id, {}).get(session.id)
            if given is not None:
                record.marks[session.id] = given
            if session.status == SessionStatus.OPEN:
                record.left += enrolment.active
            elif given is not None and given.status != MarkStatus.EXCUSED:
                record.points += policy.late_weight if given.status == MarkStatus.LATE else POINTS[given.status]
                record.counted += 1
        result.append(record)
    return result
