"""The quiz form posted without JavaScript: its `q:<id>` fields become answers.json, then the one submission path.
With JavaScript, static/js/quiz.js writes the same answers.json into the form and the page submits it via the API."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from lms.auth.forms import EmptyForm
from lms.catalog.views import exercise_or_404
from lms.quizzes.services import answers_from_form, questions_of
from lms.quizzes.workspace import quiz_workspace  # importing it registers the quiz's workspace
from lms.submissions.services import SubmissionRejected, create_submission

bp = Blueprint("quizzes", __name__)
__all__ = ["bp", "quiz_workspace"]


@bp.post("/exercises/<exercise_uuid>/quiz")
@login_required
def submit(exercise_uuid: str):
    exercise = exercise_or_404(exercise_uuid)
    if exercise.kind != "quiz":
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        files = answers_from_form(questions_of(exercise, current_user), request.form)
        submission = create_submission(current_user, exercise, files, "graded")
    except SubmissionRejected as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("catalog.exercise", exercise_uuid=exercise.uuid)), 303
    return redirect(url_for("submissions.detail", submission_id=submission.id), 303)
