from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.auth.forms import EmptyForm
from lms.catalog.views import exercise_or_404
from lms.submissions.presenters import files_shown, present
from lms.submissions.services import (SubmissionRejected, artifact_of, create_submission, files_from_archive,
                                      files_from_notebook, submissions_of, visible_submission)

bp = Blueprint("submissions", __name__)


@bp.post("/exercises/<exercise_uuid>/submit")
@login_required
def submit(exercise_uuid: str):
    """The no-JavaScript path: a plain form post, then the submission's own page (which refreshes itself)."""
    exercise = exercise_or_404(exercise_uuid)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        upload = request.files.get("archive")
        notebook = request.files.get("notebook")
        if upload is not None and upload.filename:
            files = files_from_archive(upload.read())
        elif notebook is not None:
            files = files_from_notebook(exercise, notebook.filename, notebook.read())
        else:
            files = {name: request.form.get(f"file:{name}") for name in exercise.files
                     if f"file:{name}" in request.form}
        submission = create_submission(current_user, exercise, files, request.form.get("mode") or "graded")
    except SubmissionRejected as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("catalog.exercise", exercise_uuid=exercise.uuid)), 303
    return redirect(url_for("submissions.detail", submission_id=submission.id), 303)


@bp.route("/submissions")
@login_required
def mine():
    return render_template("submissions/list.html", submissions=submissions_of(current_user, limit=200))


@bp.route("/submissions/<int:submission_id>")
@login_required
def detail(submission_id: int):
    submission = visible_submission(current_user, submission_id) or abort(404)
    return render_template("submissions/detail.html", submission=submission, data=present(submission),
                           files=files_shown(submission.files),
                           staff_view=current_user.is_staff and submission.user_id != current_user.id)


@bp.route("/submissions/<int:submission_id>/artifacts/<name>")
@login_required
def artifact(submission_id: int, name: str):
    """A picture of the feedback (a screenshot), to whoever may see the submission. It was rendered from the
    learner's page: served as an image only, never sniffed, with no right to run anything."""
    submission = visible_submission(current_user, submission_id) or abort(404)
    found = artifact_of(submission, name) or abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=86400, immutable"
    response.headers["Content-Disposition"] = f'inline; filename="{found.name}"'
    return response
