"""Instructor pages: the submissions of the learners of the cohorts one runs, with the diagnostics learners never
see."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.auth.access import staff_required
from lms.auth.forms import EmptyForm
from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.extensions import db
from lms.programme.scope import scope_of
from lms.regrades.models import ScoreChange
from lms.submissions.models import Mode, Submission
from lms.submissions.presenters import files_shown, present

bp = Blueprint("teaching", __name__, url_prefix="/teach")


@bp.route("/")
@staff_required
def index():
    in_scope = scope_of(current_user).learner_condition(Submission.user_id)
    query = select(Submission).where(in_scope).order_by(Submission.id.desc()).limit(200)
    if request.args.get("exercise"):
        query = query.join(Exercise).where(Exercise.uuid == request.args["exercise"])
    if request.args.get("verdict"):
        query = query.where(Submission.verdict == request.args["verdict"])
    submissions = db.session.scalars(query).all()
    stats = db.session.execute(
        select(Exercise, func.count(Submission.id), func.count(func.distinct(Submission.user_id)),
               func.avg(Submission.score))
        .join(Submission, Submission.exercise_id == Exercise.id)
        .where(Submission.mode == Mode.GRADED, in_scope)  # practice runs of the public tests carry no score
        .group_by(Exercise.id).order_by(Exercise.position)
        .options(selectinload(Exercise.source))).all()
    return render_template("teaching/index.html", submissions=submissions, stats=stats)


@bp.route("/submissions/<int:submission_id>")
@staff_required
def submission(submission_id: int):
    row = db.session.get(Submission, submission_id)
    if row is None or not scope_of(current_user).sees_learner(row.user_id):
        abort(404)
    history = db.session.scalars(select(ScoreChange).where(ScoreChange.submission_id == row.id)
                                 .order_by(ScoreChange.changed_at)).all()
    return render_template("teaching/submission.html", submission=row, data=present(row),
                           files=files_shown(row.files), learner=db.session.get(User, row.user_id),
                           history=history, regrade_form=EmptyForm())
