"""A cohort's gradebook (learners x exercises, from the stored grades), one cell's details with the learner's
submissions, and the instructor's override and excuse. Scoped: the cohort must be one the user sees."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.access import staff_required
from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.deadlines.models import EffectiveWindow
from lms.deadlines.services import may_teach, policy_for
from lms.extensions import db
from lms.gradebook import services
from lms.gradebook.forms import ExcuseForm, OverrideForm
from lms.gradebook.models import Grade
from lms.gradebook.queries import STATUS_FILTERS, published_exercises, read_gradebook
from lms.programme.services import ProgrammeError
from lms.programme.views import refused, visible_cohort_or_404
from lms.submissions.models import Mode, Submission

bp = Blueprint("gradebook", __name__, url_prefix="/gradebook")


@bp.route("/cohorts/<int:cohort_id>")
@staff_required
def cohort(cohort_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    status = request.args.get("status") if request.args.get("status") in STATUS_FILTERS else None
    module_id = request.args.get("module", type=int)
    book = read_gradebook(cohort, module_id=module_id, status=status, page=request.args.get("page", 1, type=int))
    all_modules = book.modules if not module_id else list(dict.fromkeys(e.module for e in published_exercises(cohort)))
    return render_template("gradebook/cohort.html", book=book, cohort=cohort, status=status, module_id=module_id,
                           all_modules=all_modules, statuses=STATUS_FILTERS)


def cell_parts(cohort_id: int, user_id: int, exercise_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    window = db.session.get(EffectiveWindow, (cohort.id, user_id, exercise_id))
    if window is None:  # not a learner of this cohort, or not an exercise published to it
        abort(404)
    return cohort, db.session.get(User, user_id), db.session.get(Exercise, exercise_id), window


def render_cell(cohort, learner, exercise, window, status: int = 200, **forms):
    grade = db.session.get(Grade, (cohort.id, learner.id, exercise.id))
    submissions = db.session.scalars(select(Submission).where(
        Submission.user_id == learner.id, Submission.exercise_id == exercise.id)
        .order_by(Submission.created_at.desc()).limit(100)).all()
    teaches = may_teach(current_user, cohort)
    override_form = forms.get("override_form") or OverrideForm(
        prefix="override", formdata=None,
        data={"points": grade.override if grade else None, "reason": grade.override_reason if grade else ""})
    excuse_form = forms.get("excuse_form") or ExcuseForm(
        prefix="excuse", formdata=None,
        data={"excused": bool(grade and grade.excused_reason), "reason": grade.excused_reason if grade else ""})
    return render_template("gradebook/cell.html", cohort=cohort, learner=learner, exercise=exercise, window=window,
                           grade=grade, submissions=submissions, policy=policy_for(cohort.id, exercise.id),
                           graded=Mode.GRADED, teaches=teaches, override_form=override_form,
                           excuse_form=excuse_form), status


@bp.route("/cohorts/<int:cohort_id>/learners/<int:user_id>/exercises/<int:exercise_id>")
@staff_required
def cell(cohort_id: int, user_id: int, exercise_id: int):
    return render_cell(*cell_parts(cohort_id, user_id, exercise_id))


@bp.route("/cohorts/<int:cohort_id>/learners/<int:user_id>/exercises/<int:exercise_id>/override",
          methods=["POST"])
@staff_required
def override(cohort_id: int, user_id: int, exercise_id: int):
    cohort, learner, exercise, window = cell_parts(cohort_id, user_id, exercise_id)
    form = OverrideForm(prefix="override")
    if not form.validate_on_submit():
        return render_cell(cohort, learner, exercise, window, 400, override_form=form)
    points = float(form.points.data) if form.points.data is not None else None
    try:
        services.set_override(current_user, cohort, learner, exercise, points, form.reason.data)
    except ProgrammeError as error:
        return render_cell(cohort, learner, exercise, window, refused(error), override_form=form)
    flash(_("Mark saved.") if points is not None else _("Back to the computed mark."), "info")
    return redirect(url_for("gradebook.cell", cohort_id=cohort.id, user_id=learner.id, exercise_id=exercise.id), 303)


@bp.route("/cohorts/<int:cohort_id>/learners/<int:user_id>/exercises/<int:exercise_id>/excuse", methods=["POST"])
@staff_required
def excuse(cohort_id: int, user_id: int, exercise_id: int):
    cohort, learner, exercise, window = cell_parts(cohort_id, user_id, exercise_id)
    form = ExcuseForm(prefix="excuse")
    if not form.validate_on_submit():
        return render_cell(cohort, learner, exercise, window, 400, excuse_form=form)
    try:
        services.set_excused(current_user, cohort, learner, exercise, form.excused.data, form.reason.data)
    except ProgrammeError as error:
        return render_cell(cohort, learner, exercise, window, refused(error), excuse_form=form)
    flash(_("Excused.") if form.excused.data else _("No longer excused."), "info")
    return redirect(url_for("gradebook.cell", cohort_id=cohort.id, user_id=learner.id, exercise_id=exercise.id), 303)
