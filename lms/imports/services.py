"""The import's two steps. `start_import` stores the file's lines and checks each one (the dry run: nothing written
but the batch). `commit_import` checks them again under a lock on their cohorts, then writes every accepted line in
one transaction: all the valid lines, or nothing at all when any line fails, as the operator chose."""
from __future__ import annotations

import re
import secrets
from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.auth.models import Role, User
from lms.auth.services import EMAIL_MAX, NAME_MAX
from lms.clock import utcnow
from lms.extensions import db
from lms.imports.models import BatchStatus, ImportBatch, ImportMode
from lms.imports.parsing import FileRefused, read_file
from lms.programme.models import Cohort, CohortStatus, Enrolment
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError, forbidden, joined

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CHUNK = 500  # addresses per IN (...) query

# The reason of each refused line, rendered in the reader's language (the report stores the code and parameters).
ERRORS = {
    "bad_email": _l("Invalid email address."),
    "missing_name": _l("The name is missing."),
    "long_name": _l("The name is longer than %(max)s characters."),
    "duplicate": _l("Same email address as line %(line)s."),
    "missing_cohort": _l("The cohort is missing."),
    "unknown_cohort": _l("Unknown cohort: none of yours has this name or number."),
    "ambiguous_cohort": _l("Several of your cohorts have this name: give its number (%(ids)s)."),
    "closed": _l("This cohort is closed."),
    "full": _l("The cohort is full (%(capacity)s learners, counting the lines above)."),
    "not_learner": _l("This address belongs to a staff account, not a learner's."),
    "exists": _l("An account already has this address (mode: add only)."),
    "no_account": _l("No account has this address (mode: update only)."),
    "in_cohort": _l("Already in this cohort."),
    "withdrew": _l("This learner withdrew from this cohort."),
    "other_cohort": _l("Already active in another cohort of this track (%(cohort)s)."),
}


def error_message(entry: dict) -> str:
    return str(ERRORS[entry["error"]]) % entry.get("params", {}) if entry.get("error") else ""


def start_import(actor: User, filename: str, data: bytes, mode: str, cohort: Cohort | None = None) -> ImportBatch:
    scope = scope_of(actor)
    if not scope.manages_something or (cohort is not None and not scope.manages_cohort(cohort)):
        raise forbidden()
    if mode not in tuple(ImportMode):
        raise ProgrammeError("bad_mode", _l("Choose how to import."))
    try:
        headers, lines = read_file(filename, data, cohort_optional=cohort is not None)
    except FileRefused as refused:
        raise ProgrammeError("bad_file", refused.message) from None
    batch = ImportBatch(user_id=actor.id, filename=filename[:255], mode=mode, status=BatchStatus.DRY_RUN,
                        cohort_id=cohort.id if cohort else None, headers=headers,
                        rows=[line.as_json() for line in lines], created_at=utcnow())
    record(batch, check_lines(actor, batch))
    db.session.add(batch)
    db.session.commit()
    return batch


def commit_import(actor: User, batch: ImportBatch, all_or_nothing: bool) -> ImportBatch:
    if batch.user_id != actor.id or not scope_of(actor).manages_something:
        raise forbidden()
    # The batch's row lock: the same file committed twice at once lands once.
    db.session.execute(select(ImportBatch.id).where(ImportBatch.id == batch.id).with_for_update())
    db.session.refresh(batch)
    if batch.status == BatchStatus.COMMITTED:
        db.session.rollback()
        raise ProgrammeError("committed", _l("This import is already done."))
    report = check_lines(actor, batch, lock=True)  # the database may have changed since the dry run
    errors = sum(1 for entry in report if entry["outcome"] == "error")
    if errors and all_or_nothing or errors == len(report):
        db.session.rollback()  # drop the locks; then keep the fresh report, so the page says what changed
        batch = db.session.get(ImportBatch, batch.id)
        record(batch, report)
        batch.status = BatchStatus.FAILED
        db.session.commit()
        raise ProgrammeError("has_errors", _l("Nothing was imported. Lines with an error: %(count)s.", count=errors))
    enrolments = write_lines(report)
    db.session.flush()
    for cohort_id in {e.cohort_id for e in enrolments}:  # the new learners get their cohort's dates
        joined(cohort_id, [e.user_id for e in enrolments if e.cohort_id == cohort_id])
    record(batch, report)
    batch.status, batch.committed_at = BatchStatus.COMMITTED, utcnow()
    batch.created_accounts = sum(1 for e in report if e["outcome"] == "create")
    batch.updated_accounts = sum(1 for e in report if e["outcome"] == "update")
    batch.enrolments = sum(1 for e in report if e.get("enrol"))
    db.session.commit()
    return batch


def record(batch: ImportBatch, report: list[dict]) -> None:
    batch.report = report
    batch.total_rows = len(report)
    batch.error_rows = sum(1 for entry in report if entry["outcome"] == "error")
    batch.valid_rows = batch.total_rows - batch.error_rows


def write_lines(report: list[dict]) -> list[Enrolment]:
    """The accepted lines, added to the session (the caller commits once); returns the new enrolments."""
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        [e["user_id"] for e in report if e.get("user_id") and e["outcome"] != "error"])))}
    now = utcnow()
    enrolments = []
    for entry in report:
        if entry["outcome"] == "error":
            continue
        if entry["outcome"] == "create":
            user = User(email=entry["email"].lower(), name=entry["name"], role=Role.LEARNER, created_at=now,
                        active=True, password_hash=unusable_password())
            db.session.add(user)
        else:
            user = users[entry["user_id"]]
            if entry["outcome"] == "update":
                user.name = entry["name"]
        if entry.get("enrol"):
            enrolments.append(Enrolment(cohort_id=entry["cohort_id"], user=user, enrolled_at=now))
            db.session.add(enrolments[-1])
    return enrolments


def unusable_password() -> str:
    """A hash no password matches ("!" is no method werkzeug knows): the learner sets theirs from an invitation.
    Hashing a random password instead would cost a scrypt (~0.3 s) per account: 25 minutes for 5,000."""
    return "!" + secrets.token_hex(16)


def check_lines(actor: User, batch: ImportBatch, lock: bool = False) -> list[dict]:
    """One report entry per line: its outcome (create, update, enrol or error) and, for an error, its code and
    parameters. Every query is per file, not per line."""
    scope = scope_of(actor)
    managed = [c for c in db.session.scalars(scope.cohorts().options(selectinload(Cohort.centre)))
               if scope.manages_cohort(c)]
    by_id = {str(c.id): c for c in managed}
    by_name = defaultdict(list)
    for cohort in managed:
        by_name[cohort.name.strip().casefold()].append(cohort)
    default = by_id.get(str(batch.cohort_id)) if batch.cohort_id else None

    def find_cohort(cell: str) -> tuple[Cohort | None, str | None, dict]:
        if not cell:
            return (default, None, {}) if default else (None, "missing_cohort", {})
        cohort = by_id.get(cell.lstrip("#"))
        named = by_name.get(cell.casefold(), [])
        if cohort is None and len(named) > 1:
            return None, "ambiguous_cohort", {"ids": ", ".join(str(c.id) for c in named)}
        cohort = cohort or (named[0] if named else None)
        return (cohort, None, {}) if cohort else (None, "unknown_cohort", {})

    lines = batch.rows
    targets = {line["line"]: find_cohort(line["cohort"]) for line in lines}
    cohort_ids = sorted({cohort.id for cohort, _, _ in targets.values() if cohort})
    if lock and cohort_ids:
        # As in programme.services.enrol_learner: enrolments into one cohort wait for each other (PostgreSQL).
        db.session.execute(select(Cohort.id).where(Cohort.id.in_(cohort_ids)).with_for_update())
    seats = dict(db.session.execute(
        select(Enrolment.cohort_id, func.count(Enrolment.id))
        .where(Enrolment.cohort_id.in_(cohort_ids), Enrolment.withdrawn_at.is_(None))
        .group_by(Enrolment.cohort_id)).all()) if cohort_ids else {}

    emails = sorted({line["email"].lower() for line in lines if valid_email(line["email"])})
    accounts, enrolments = {}, defaultdict(list)  # email -> User; user id -> [(Enrolment, Cohort)]
    for start in range(0, len(emails), CHUNK):
        chunk = emails[start:start + CHUNK]
        found = db.session.scalars(select(User).where(func.lower(User.email).in_(chunk))).all()
        accounts.update({user.email.lower(): user for user in found})
        for enrolment, cohort in db.session.execute(
                select(Enrolment, Cohort).join(Cohort, Cohort.id == Enrolment.cohort_id)
                .where(Enrolment.user_id.in_([user.id for user in found]))).all():
            enrolments[enrolment.user_id].append((enrolment, cohort))

    mode, first_line, report = batch.mode, {}, []
    for line in lines:
        cohort, cohort_error, params = targets[line["line"]]
        entry = {"line": line["line"], "name": line["name"], "email": line["email"],
                 "cohort": cohort.name if cohort else line["cohort"], "cohort_id": cohort.id if cohort else None}
        email = line["email"].lower()
        account = accounts.get(email)

        def refuse(code: str, **details) -> None:
            entry.update(outcome="error", error=code, params=details)

        if not valid_email(line["email"]):
            refuse("bad_email")
        elif email in first_line:
            refuse("duplicate", line=first_line[email])
        elif len(line["name"]) > NAME_MAX:
            refuse("long_name", max=NAME_MAX)
        elif cohort_error:
            refuse(cohort_error, **params)
        elif cohort.status == CohortStatus.CLOSED:
            refuse("closed")
        elif account is not None and account.role != Role.LEARNER:
            refuse("not_learner")
        elif account is not None and mode == ImportMode.ADD:
            refuse("exists")
        elif account is None and mode == ImportMode.UPDATE:
            refuse("no_account")
        elif account is None and not line["name"]:
            refuse("missing_name")
        else:
            rename = account is not None and bool(line["name"]) and line["name"] != account.name
            here = [e for e, c in enrolments.get(account.id, []) if c.id == cohort.id] if account else []
            elsewhere = [c for e, c in (enrolments.get(account.id, []) if account else [])
                         if e.active and c.id != cohort.id and c.track_id == cohort.track_id
                         and c.status != CohortStatus.CLOSED]
            if here and not here[0].active:
                refuse("withdrew")
            elif here and not rename:
                refuse("in_cohort")
            elif elsewhere:
                refuse("other_cohort", cohort=elsewhere[0].name)
            elif not here and seats.get(cohort.id, 0) >= cohort.capacity:
                refuse("full", capacity=cohort.capacity)
            else:
                entry.update(outcome="create" if account is None else "update" if rename else "enrol",
                             enrol=not here, user_id=account.id if account else None)
                if not here:
                    seats[cohort.id] = seats.get(cohort.id, 0) + 1
        if valid_email(line["email"]):
            first_line.setdefault(email, line["line"])
        report.append(entry)
    return report


def valid_email(email: str) -> bool:
    return len(email) <= EMAIL_MAX and "\x00" not in email and bool(EMAIL.match(email))
