"""Import pages: the upload form, a batch's per-line report (the dry run, then the commit's result) and its two
commit buttons. For those who manage cohorts; a batch is shown to its author only. Writes go through services."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.access import staff_required
from lms.extensions import db
from lms.imports import services
from lms.imports.error_file import batch_of_author
from lms.imports.forms import MODE_LABELS, CommitForm, UploadForm
from lms.imports.models import BatchStatus, ImportBatch
from lms.imports.parsing import MAX_BYTES, MAX_ROWS
from lms.programme.models import Cohort
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError

bp = Blueprint("imports", __name__, url_prefix="/imports")
UPLOAD_LIMIT = 4 * MAX_BYTES  # the request's: a file up to this gets parsing.py's clear message, beyond it a 413


def allow_larger_uploads():
    # The application's limit (1 MB) is under the import's cap: this request may carry a file up to the cap and more.
    if request.endpoint == "imports.upload":
        request.max_content_length = UPLOAD_LIMIT


# First of the application's before-request functions: CSRF protection reads the form, so the limit is set before.
bp.record_once(lambda state: state.app.before_request_funcs.setdefault(None, []).insert(0, allow_larger_uploads))


@bp.errorhandler(413)
def too_large(exc):
    # Plain text: any page of base.html reads the form again (its language form), which raises the 413 again.
    return Response(_("The file is larger than %(size)s MB.", size=MAX_BYTES // (1024 * 1024)), 413,
                    mimetype="text/plain")


def importer_scope():
    scope = scope_of(current_user)
    if not scope.manages_something:
        abort(403)
    return scope


def managed_cohort_or_404(cohort_id) -> Cohort | None:
    if not cohort_id:
        return None
    cohort = db.session.get(Cohort, cohort_id) if str(cohort_id).isdigit() else None
    if cohort is None or not scope_of(current_user).manages_cohort(cohort):
        abort(404)
    return cohort


def render_index(form: UploadForm | None = None, status: int = 200):
    cohort = managed_cohort_or_404(request.values.get("cohort"))
    form = form or UploadForm(cohort=cohort.id if cohort else "")
    batches = db.session.scalars(select(ImportBatch).where(ImportBatch.user_id == current_user.id)
                                 .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(20)).all()
    return render_template("imports/index.html", form=form, cohort=cohort, batches=batches, modes=MODE_LABELS,
                           max_mb=MAX_BYTES // (1024 * 1024), max_rows=MAX_ROWS), status


@bp.route("/")
@staff_required
def index():
    importer_scope()
    return render_index()


@bp.route("/", methods=["POST"])
@staff_required
def upload():
    importer_scope()
    form = UploadForm()
    if not form.validate_on_submit():
        return render_index(form, 400)
    cohort = managed_cohort_or_404(form.cohort.data)
    upload = form.file.data
    if not upload or not upload.filename:
        flash(_("Choose a file."), "error")
        return render_index(form, 400)
    data = upload.stream.read(MAX_BYTES + 1)  # no more than the cap plus one byte, enough to refuse the file
    try:
        batch = services.start_import(current_user, upload.filename, data, form.mode.data, cohort)
    except ProgrammeError as error:
        if error.code == "forbidden":
            abort(403)
        flash(str(error.message), "error")
        return render_index(form, 400)
    return redirect(url_for("imports.batch", batch_id=batch.id), 303)


def render_batch(batch: ImportBatch, status: int = 200):
    entries = [{**entry, "message": services.error_message(entry)} for entry in batch.report]
    return render_template("imports/batch.html", batch=batch, entries=entries, modes=MODE_LABELS,
                           commit_form=CommitForm() if batch.status != BatchStatus.COMMITTED else None), status


@bp.route("/<int:batch_id>")
@staff_required
def batch(batch_id: int):
    importer_scope()
    return render_batch(batch_of_author(current_user, batch_id))


@bp.route("/<int:batch_id>/commit", methods=["POST"])
@staff_required
def commit(batch_id: int):
    importer_scope()
    batch = batch_of_author(current_user, batch_id)
    form = CommitForm()
    policy = request.form.get("policy")
    if not form.validate_on_submit() or policy not in ("all_valid", "all_or_nothing"):
        flash(_("Choose what to import."), "error")
        return render_batch(batch, 400)
    try:
        batch = services.commit_import(current_user, batch, all_or_nothing=policy == "all_or_nothing")
    except ProgrammeError as error:
        if error.code == "forbidden":
            abort(403)
        flash(str(error.message), "error")
        return render_batch(db.session.get(ImportBatch, batch_id), 409)
    flash(_("Import done. Accounts created: %(created)s; updated: %(updated)s; enrolments: %(enrolled)s.",
            created=batch.created_accounts, updated=batch.updated_accounts, enrolled=batch.enrolments), "info")
    return redirect(url_for("imports.batch", batch_id=batch.id), 303)
