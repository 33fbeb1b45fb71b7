"""Regrade pages for staff: start a regrade of an exercise (or, from a submission's page, of one submission), watch
its preview fill in (how many scores go up, down or stay), then apply or discard it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from lms.auth.access import staff_required
from lms.auth.forms import EmptyForm
from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.extensions import db
from lms.i18n import localized
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError
from lms.programme.views import refused
from lms.regrades import services
from lms.regrades.forms import RegradeForm
from lms.regrades.models import BatchStatus, RegradeBatch
from lms.submissions.models import Submission

bp = Blueprint("regrades", __name__, url_prefix="/regrades")


def regrade_form(form=None) -> RegradeForm:
    form = form or RegradeForm(formdata=None)
    exercises = db.session.scalars(select(Exercise).where(Exercise.archived.is_(False))
                                   .order_by(Exercise.module_id, Exercise.position)).all()
    form.exercise.choices = [SelectChoice(e.id, f"{localized(e.title)} ({e.slug})") for e in exercises]
    return form


def render_index(status: int = 200, form=None):
    query = select(RegradeBatch).options(selectinload(RegradeBatch.exercise)).order_by(RegradeBatch.id.desc())
    if not current_user.is_admin:
        query = query.where(RegradeBatch.requested_by == current_user.id)
    return render_template("regrades/index.html", batches=db.session.scalars(query.limit(50)).all(),
                           form=regrade_form(form)), status


@bp.route("/")
@staff_required
def index():
    return render_index()


def started(batch: RegradeBatch):
    flash(_("Regrade started: %(count)d submission(s) on the regrade queue.", count=batch.total), "info")
    return redirect(url_for("regrades.batch", batch_id=batch.id), 303)


@bp.route("/", methods=["POST"])
@staff_required
def start():
    form = regrade_form(RegradeForm())
    if not form.validate_on_submit():
        return render_index(400, form)
    exercise = db.session.get(Exercise, form.exercise.data) or abort(400)
    try:
        batch = services.request_regrade(current_user, exercise)
    except ProgrammeError as error:
        return render_index(refused(error), form)
    return started(batch)


@bp.route("/submissions/<int:submission_id>", methods=["POST"])
@staff_required
def start_one(submission_id: int):
    submission = db.session.get(Submission, submission_id)
    if submission is None or not scope_of(current_user).sees_learner(submission.user_id):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        batch = services.request_regrade(current_user, submission.exercise, submission)
    except ProgrammeError as error:
        flash(str(error.message), "error")
        return redirect(url_for("teaching.submission", submission_id=submission.id), 303)
    return started(batch)


def batch_or_404(batch_id: int) -> RegradeBatch:
    batch = db.session.get(RegradeBatch, batch_id)
    if batch is None or not services.may_decide(current_user, batch):
        abort(404)
    return batch


@bp.route("/<int:batch_id>")
@staff_required
def batch(batch_id: int):
    batch = batch_or_404(batch_id)
    submissions = {s.id: s for s in db.session.scalars(select(Submission).where(
        Submission.id.in_([r.submission_id for r in batch.results])))}
    learners = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({s.user_id for s in submissions.values()})))}
    show = request.args.get("show")
    results = [r for r in batch.results if r.finished_at is not None and (show or r.change != "same")]
    return render_template("regrades/batch.html", batch=batch, counts=services.counts(batch), results=results,
                           submissions=submissions, learners=learners, form=EmptyForm(), show=show,
                           statuses=BatchStatus)


def decide(batch_id: int, action):
    batch = batch_or_404(batch_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        message = action(batch)
    except ProgrammeError as error:
        flash(str(error.message), "error")
        return redirect(url_for("regrades.batch", batch_id=batch.id), 303 if error.code != "forbidden" else 403)
    flash(message, "info")
    return redirect(url_for("regrades.batch", batch_id=batch.id), 303)


@bp.route("/<int:batch_id>/apply", methods=["POST"])
@staff_required
def apply(batch_id: int):
    return decide(batch_id, lambda batch: _("Regrade applied: %(count)d score(s) changed.",
                                            count=services.apply_batch(current_user, batch)))


@bp.route("/<int:batch_id>/discard", methods=["POST"])
@staff_required
def discard(batch_id: int):
    return decide(batch_id, lambda batch: services.discard_batch(current_user, batch) or _("Regrade discarded."))


@bp.route("/<int:batch_id>/requeue", methods=["POST"])
@staff_required
def requeue(batch_id: int):
    return decide(batch_id, lambda batch: _("%(count)d submission(s) queued again.",
                                            count=services.enqueue_missing(batch)))
