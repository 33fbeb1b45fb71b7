"""Review pages. Staff: the queue (oldest first, of the learners they see), the review screen beside the
deliverable, the answer to a regrade request. Learners: their released review and their one regrade request. Any
submitted file downloads as plain text, never as a page or a picture the browser would run."""
from __future__ import annotations

from posixpath import splitext

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from graders.base import ExerciseSpec, Grader
from graders.reviewed_task import link_problem
from lms.auth.access import staff_required
from lms.auth.forms import EmptyForm
from lms.catalog.models import Exercise
from lms.catalog.workspaces import register_workspace
from lms.extensions import db
from lms.programme.services import ProgrammeError
from lms.programme.views import refused
from lms.reviews import services
from lms.reviews.models import ReviewStatus
from lms.submissions.models import Mode, Submission
from lms.submissions.presenters import present

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@register_workspace(services.KIND)
def reviewed_task_workspace(exercise: Exercise, user) -> dict:
    """The exercise page of a reviewed task: the rubric before submitting, a field per deliverable file (the link
    as a one-line field), and the learner's submissions in review, each with a way to its released review."""
    options = ExerciseSpec.from_dict(exercise.spec).options
    fields = [{"name": name, "link": name == options.get("link"), "starter": exercise.starter_files.get(name, ""),
               "language": Grader.EDITOR_LANGUAGES.get(splitext(name)[1], "text")} for name in exercise.files]
    in_review = []
    if getattr(user, "is_authenticated", False):
        in_review = list(db.session.scalars(select(Submission).where(
            Submission.user_id == user.id, Submission.exercise_id == exercise.id, Submission.mode == Mode.GRADED,
            Submission.verdict.in_(services.IN_REVIEW)).order_by(Submission.id.desc()).limit(20)))
    return {"rubric": options.get("rubric") or [], "fields": fields, "link_hosts": options.get("link_hosts") or [],
            "in_review": in_review}


def deliverable(submission: Submission) -> list[dict]:
    """The submitted files as the review screen shows them: a link as text (and a link only if it is a valid
    https one), any other file as numbered lines of text, escaped by the template; never rendered as markup."""
    link_file = ExerciseSpec.from_dict(submission.exercise.spec).options.get("link")
    shown = []
    for name, text in submission.files.items():
        if name == link_file:
            link = text.strip()
            shown.append({"name": name, "link": link, "href": link if link_problem(link) is None else None})
        else:
            shown.append({"name": name, "lines": text.splitlines() or [""]})
    return shown


def review_exercises() -> list[Exercise]:
    return list(db.session.scalars(select(Exercise).where(Exercise.kind == services.KIND,
                                                          Exercise.archived.is_(False)).order_by(Exercise.slug)))


@bp.route("/")
@staff_required
def queue():
    exercise_id = request.args.get("exercise", type=int)
    status = request.args.get("status") or None
    if status is not None and status not in tuple(ReviewStatus):
        abort(400)
    rows = services.review_queue(current_user, exercise_id, status)
    return render_template("reviews/queue.html", rows=rows, exercises=review_exercises(), exercise_id=exercise_id,
                           status=status, statuses=ReviewStatus)


def render_review(submission: Submission, status: int = 200):
    return render_template(
        "reviews/review.html", submission=submission, data=present(submission),
        review=services.review_of(submission), rubric=services.rubric_of(submission.exercise),
        files=deliverable(submission), regrade=services.regrade_request_of(submission),
        events=services.history(submission), form=EmptyForm()), status


def submission_to_review(submission_id: int) -> Submission:
    return services.reviewable_submission(current_user, submission_id) or abort(404)


@bp.route("/submissions/<int:submission_id>")
@staff_required
def review(submission_id: int):
    return render_review(submission_to_review(submission_id))


@bp.route("/submissions/<int:submission_id>", methods=["POST"])
@staff_required
def save(submission_id: int):
    submission = submission_to_review(submission_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    release = request.form.get("action") == "release"
    try:
        services.save_review(current_user, submission, request.form, release=release)
    except ProgrammeError as error:
        return render_review(submission, refused(error))
    flash(_("Review released: the learner sees it.") if release else _("Draft saved."), "info")
    return redirect(url_for("reviews.review", submission_id=submission.id), 303)


@bp.route("/submissions/<int:submission_id>/answer", methods=["POST"])
@staff_required
def answer(submission_id: int):
    submission = submission_to_review(submission_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.answer_regrade(current_user, submission, request.form)
    except ProgrammeError as error:
        return render_review(submission, refused(error))
    flash(_("Answer sent: the learner sees it with the review."), "info")
    return redirect(url_for("reviews.review", submission_id=submission.id), 303)


@bp.route("/submissions/<int:submission_id>/files/<path:name>")
@login_required
def download(submission_id: int, name: str):
    """A submitted file, to its author and to whoever may review it: always plain text, as an attachment, in a
    sandbox, never sniffed, so an HTML or SVG deliverable never runs in anyone's browser."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or (submission.user_id != current_user.id
                              and services.reviewable_submission(current_user, submission_id) is None):
        abort(404)
    if submission.exercise.kind != services.KIND or name not in submission.files:
        abort(404)
    response = Response(submission.files[name], mimetype="text/plain")
    response.headers.set("Content-Disposition", "attachment", filename=name.rsplit("/", 1)[-1])
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def own_submission(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.user_id != current_user.id or submission.exercise.kind != services.KIND:
        abort(404)
    return submission


def render_mine(submission: Submission, status: int = 200):
    return render_template("reviews/mine.html", submission=submission, data=present(submission),
                           review=services.released_review(current_user, submission),
                           rubric=services.rubric_of(submission.exercise), files=deliverable(submission),
                           regrade=services.regrade_request_of(submission), form=EmptyForm()), status


@bp.route("/mine/<int:submission_id>")
@login_required
def mine(submission_id: int):
    return render_mine(own_submission(submission_id))


@bp.route("/mine/<int:submission_id>/regrade", methods=["POST"])
@login_required
def regrade(submission_id: int):
    submission = own_submission(submission_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.request_regrade(current_user, submission, request.form.get("reason"))
    except ProgrammeError as error:
        return render_mine(submission, refused(error))
    flash(_("Your regrade request is sent to your instructor."), "info")
    return redirect(url_for("reviews.mine", submission_id=submission.id), 303)
