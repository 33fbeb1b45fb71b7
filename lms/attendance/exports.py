"""The "attendance" export: one row per learner of a cohort, their mark at each held session, and their rate."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms import clock
from lms.attendance import services
from lms.attendance.forms import MARK_LABELS
from lms.attendance.models import SessionStatus
from lms.auth.models import User
from lms.exports.registry import Export, Table, cohort_in_scope, register


def percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def attendance(user: User, arguments: dict) -> Table:
    cohort = cohort_in_scope(user, arguments)
    sessions = services.sessions_of(cohort.id)
    held = [s for s in sessions if s.status == SessionStatus.CLOSED]  # the open ones are ahead, or under way
    columns = [_("Name"), _("Email"), _("Status")]
    columns += [clock.to_local(s.starts_at).strftime("%Y-%m-%d %H:%M") for s in held]
    columns += [_("Points"), _("Sessions counted"), _("Rate (%)"), _("Best rate still reachable (%)")]
    rows = []
    for record in services.records(cohort, sessions):
        learner = record.enrolment.user
        marks = [str(MARK_LABELS[record.marks[s.id].status]) if s.id in record.marks else "" for s in held]
        rows.append([learner.name, learner.email, _("Active") if record.enrolment.active else _("Withdrew"), *marks,
                     record.points, record.counted, percent(record.rate), percent(record.best)])
    return Table(filename=f"attendance-cohort-{cohort.id}", sheet=cohort.name, columns=columns, rows=rows)


register(Export("attendance", _l("Attendance"), attendance))
