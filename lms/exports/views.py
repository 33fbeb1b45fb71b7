"""GET /exports/<name>.<csv|xlsx>?...: a registered export, scoped by the user's role, logged, as an attachment."""
from __future__ import annotations

import io

from flask import Blueprint, abort, request, send_file
from flask_login import current_user

from lms.auth.access import staff_required
from lms.exports.formats import csv_bytes, xlsx_bytes
from lms.exports.models import ExportLog
from lms.exports.registry import EXPORTS
from lms.extensions import db
from lms.i18n import text_direction

bp = Blueprint("exports", __name__, url_prefix="/exports")
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.route("/<name>.<file_format>")
@staff_required
def download(name: str, file_format: str):
    export = EXPORTS.get(name)
    if export is None or file_format not in FORMATS:
        abort(404)
    arguments = {key: value for key, value in request.args.items() if key != "lang"}
    table = export.build(current_user, arguments)
    if file_format == "csv":
        data = csv_bytes(table.columns, table.rows)
    else:
        data = xlsx_bytes(table.sheet, table.columns, table.rows, right_to_left=text_direction() == "rtl")
    db.session.add(ExportLog(user_id=current_user.id, export=name, file_format=file_format, parameters=arguments,
                             rows=len(table.rows)))
    db.session.commit()
    return send_file(io.BytesIO(data), mimetype=FORMATS[file_format], as_attachment=True,
                     download_name=f"{table.filename}.{file_format}", max_age=0)
