"""The named exports. Each reads its rows from the user's scope (404 for what is outside it) and is written by
lms.exports.formats; the view logs every one taken."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.auth.models import User
from lms.extensions import db
from lms.programme.models import Centre, Cohort, Enrolment
from lms.programme.scope import scope_of


@dataclass(frozen=True)
class Table:
    filename: str  # without its extension
    sheet: str
    columns: list[str]
    rows: list[list]


@dataclass(frozen=True)
class Export:
    name: str
    title: object  # a lazy string
    build: Callable[[User, dict], Table]  # (user, request arguments) -> the table; aborts 404 outside the scope


EXPORTS: dict[str, Export] = {}


def register(export: Export) -> Export:
    if export.name in EXPORTS:
        raise ValueError(f"export {export.name!r} registered twice")
    EXPORTS[export.name] = export
    return export


def cohort_in_scope(user: User, arguments: dict) -> Cohort:
    try:
        cohort_id = int(arguments.get("cohort", ""))
    except ValueError:
        abort(404)
    cohort = db.session.scalar(scope_of(user).cohorts().where(Cohort.id == cohort_id)
                               .options(selectinload(Cohort.centre).selectinload(Centre.region)))
    return cohort or abort(404)


def status_of(enrolment: Enrolment) -> str:
    if not enrolment.active:
        return _("Withdrew")
    return _("Active") if enrolment.user.active else _("Account deactivated")  # history kept, login refused


def roster(user: User, arguments: dict) -> Table:
    cohort = cohort_in_scope(user, arguments)
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id)
                                    .options(selectinload(Enrolment.user)).order_by(Enrolment.enrolled_at)).all()
    rows = [[e.user.name, e.user.email, status_of(e), e.enrolled_at.date(),
             e.withdrawn_at.date() if e.withdrawn_at else None, e.withdrawal_reason or ""] for e in enrolments]
    columns = [_("Name"), _("Email"), _("Status"), _("Joined"), _("Withdrew on"), _("Reason")]
    return Table(filename=f"enrolment-cohort-{cohort.id}", sheet=cohort.name, columns=columns, rows=rows)


register(Export("enrolment", _l("Enrolment"), roster))
