"""The gradebook export: one row per active learner, the final mark of each published exercise, the totals."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.auth.models import User
from lms.exports.registry import Export, Table, cohort_in_scope, register
from lms.gradebook.queries import read_gradebook
from lms.i18n import localized


def gradebook_table(user: User, arguments: dict) -> Table:
    cohort = cohort_in_scope(user, arguments)
    module_id = int(arguments["module"]) if str(arguments.get("module", "")).isdigit() else None
    book = read_gradebook(cohort, module_id=module_id, everyone=True)
    columns = [_("Name"), _("Email")] + [localized(e.title) for e in book.exercises] + [
        _("Points"), _("Current (%)"), _("Final (%)")]
    rows = []
    for row in book.rows:
        marks = []
        for cell in row.cells:
            if cell.excused:
                marks.append(_("excused"))
            elif cell.missing:
                marks.append(_("missing") if cell.overdue else None)
            else:
                marks.append(cell.grade.final)
        rows.append([row.learner.name, row.learner.email, *marks, row.earned, row.current_percent,
                     row.final_percent])
    return Table(filename=f"gradebook-cohort-{cohort.id}", sheet=cohort.name, columns=columns, rows=rows)


register(Export("gradebook", _l("Gradebook"), gradebook_table))
