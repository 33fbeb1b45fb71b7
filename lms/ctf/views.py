"""The ctf-flag pages: a learner's artifact download, the hints page (each hint's cost shown before it is opened),
and the reports of shared flags for instructors."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth.forms import EmptyForm
from lms.catalog.models import Exercise
from lms.catalog.views import exercise_and_window_or_404
from lms.ctf import grading, workspace
from lms.ctf.pacing import KIND
from lms.ctf.services import download_artifact, has_artifact, hints_shown, open_hint, reports_visible_to
from lms.extensions import db

bp = Blueprint("ctf", __name__)
# Imported with the blueprint for what they register: the kind's facts and after-grade hook, its workspace.
REGISTERED_WITH_THE_BLUEPRINT = (grading, workspace)


def ctf_exercise_or_404(exercise_uuid: str) -> Exercise:
    """A ctf-flag exercise open to this user, as its exercise page is."""
    exercise, _window = exercise_and_window_or_404(exercise_uuid)
    if exercise.kind != KIND:
        abort(404)
    return exercise


@bp.get("/exercises/<exercise_uuid>/artifact")
@login_required
def artifact(exercise_uuid: str):
    """This learner's own file, as a download (never shown inline: the web-page artifact is HTML)."""
    exercise = ctf_exercise_or_404(exercise_uuid)
    if not has_artifact(exercise):
        abort(404)
    found = download_artifact(current_user, exercise)
    mimetype = "application/octet-stream" if found.media_type.startswith("text/html") else found.media_type
    response = send_file(io.BytesIO(found.data), mimetype=mimetype, as_attachment=True, download_name=found.name,
                         max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/exercises/<exercise_uuid>/hints")
@login_required
def hints(exercise_uuid: str):
    exercise = ctf_exercise_or_404(exercise_uuid)
    return render_template("ctf/hints.html", exercise=exercise, hints=hints_shown(current_user, exercise),
                           form=EmptyForm())


@bp.post("/exercises/<exercise_uuid>/hints/<hint_id>/open")
@login_required
def open_hint_view(exercise_uuid: str, hint_id: str):
    exercise = ctf_exercise_or_404(exercise_uuid)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if open_hint(current_user, exercise, hint_id) is None:
        abort(404)
    flash(_("Hint opened: its cost comes off the grade of your next submissions."), "info")
    return redirect(url_for("ctf.hints", exercise_uuid=exercise.uuid, _anchor=f"hint-{hint_id}"), 303)


@bp.get("/ctf/reports")
@login_required
def reports():
    """Flags handed in by a learner they were not made for, where either learner is in a cohort this user sees."""
    if not current_user.is_staff:
        abort(403)
    exercise = None
    if request.args.get("exercise"):
        exercise = db.session.scalar(select(Exercise).filter_by(uuid=request.args["exercise"][:36])) or abort(404)
    return render_template("ctf/reports.html", reports=reports_visible_to(current_user, exercise), exercise=exercise)
