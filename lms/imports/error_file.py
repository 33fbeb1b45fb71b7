"""The error file of an import: the refused lines as the file had them, with an "error" column; an export of the
registry (CSV with a BOM, formulas neutralised; XLSX), taken only by the import's author."""
from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.auth.models import User
from lms.exports.registry import Export, Table, register
from lms.extensions import db
from lms.imports.models import ImportBatch
from lms.imports.services import error_message


def batch_of_author(user: User, batch_id) -> ImportBatch:
    try:
        batch = db.session.get(ImportBatch, int(batch_id))
    except (TypeError, ValueError):
        abort(404)
    if batch is None or batch.user_id != user.id:
        abort(404)
    return batch


def refused_lines(user: User, arguments: dict) -> Table:
    batch = batch_of_author(user, arguments.get("batch"))
    cells_of = {row["line"]: row["cells"] for row in batch.rows}
    width = max([len(batch.headers)] + [len(cells) for cells in cells_of.values()])
    rows = []
    for entry in batch.report:
        if entry["outcome"] == "error":
            cells = cells_of.get(entry["line"], [])
            rows.append(cells + [""] * (width - len(cells))
                        + [_("Line %(line)s: %(error)s", line=entry["line"], error=error_message(entry))])
    columns = batch.headers + [""] * (width - len(batch.headers)) + [_("Error")]
    return Table(filename=f"import-{batch.id}-errors", sheet=_("Errors"), columns=columns, rows=rows)


register(Export("import-errors", _l("Refused lines of an import"), refused_lines))
