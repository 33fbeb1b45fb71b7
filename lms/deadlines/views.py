"""A cohort's schedule: modules published with their dates, exercises' own dates, the late policy, extensions
and groups. For the cohort's instructors and managers; writes go through lms.deadlines.services."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from lms.auth.access import staff_required
from lms.auth.forms import EmptyForm
from lms.auth.models import User
from lms.catalog.models import Exercise, Module
from lms.clock import from_local, to_local
from lms.deadlines import services
from lms.deadlines.forms import (DatesForm, ExerciseDatesForm, ExtensionForm, GroupForm, LatePolicyForm,
                                 MembersForm, format_steps, parse_steps)
from lms.deadlines.models import CohortGroup, DateOverride, LatePolicy, Publication
from lms.extensions import db
from lms.i18n import localized
from lms.programme.models import Cohort, Enrolment
from lms.programme.services import ProgrammeError
from lms.programme.views import refused, visible_cohort_or_404

bp = Blueprint("deadlines", __name__, url_prefix="/programme/cohorts")


def local_dates(form) -> dict:
    return {name: from_local(getattr(form, name).data) for name in ("opens_at", "due_at", "cutoff_at")
            if hasattr(form, name)}


def learners_of(cohort: Cohort) -> list[User]:
    return list(db.session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.cohort_id == cohort.id, Enrolment.withdrawn_at.is_(None)).order_by(User.name)))


def render_schedule(cohort: Cohort, status: int = 200, **forms):
    modules = db.session.scalars(select(Module).where(Module.track_id == cohort.track_id,
                                                      Module.archived.is_(False))
                                 .options(selectinload(Module.exercises)).order_by(Module.position)).all()
    publications = db.session.scalars(select(Publication).where(Publication.cohort_id == cohort.id)).all()
    by_module = {p.module_id: p for p in publications if p.exercise_id is None}
    own_dates = {p.exercise_id: p for p in publications if p.exercise_id is not None}
    published = [e for m in modules if m.id in by_module for e in m.exercises if not e.archived]
    exercise_choices = [SelectChoice(e.id, localized(e.title)) for e in published]
    learners = learners_of(cohort)
    extensions = db.session.scalars(select(DateOverride).where(DateOverride.cohort_id == cohort.id,
                                                               DateOverride.user_id.is_not(None))
                                    .options(selectinload(DateOverride.user), selectinload(DateOverride.exercise),
                                             selectinload(DateOverride.granter))
                                    .order_by(DateOverride.granted_at.desc())).all()
    groups = db.session.scalars(select(CohortGroup).where(CohortGroup.cohort_id == cohort.id)
                                .options(selectinload(CohortGroup.members)).order_by(CohortGroup.name)).all()
    group_dates = db.session.scalars(select(DateOverride).where(DateOverride.cohort_id == cohort.id,
                                                                DateOverride.group_id.is_not(None))
                                     .options(selectinload(DateOverride.exercise))).all()
    policy = db.session.scalar(select(LatePolicy).where(LatePolicy.cohort_id == cohort.id,
                                                        LatePolicy.exercise_id.is_(None))) \
        or services.default_policy(cohort.id)
    publish_forms = {}
    for module in modules:
        publication = by_module.get(module.id)
        form = forms.get("publish_forms", {}).get(module.id) or DatesForm(
            prefix=f"module-{module.id}", formdata=None,
            data={name: to_local(getattr(publication, name)) for name in ("opens_at", "due_at", "cutoff_at")}
            if publication else None)
        publish_forms[module.id] = form
    exercise_form = forms.get("exercise_form") or ExerciseDatesForm(prefix="exercise", formdata=None)
    exercise_form.exercise.choices = exercise_choices
    extension_form = forms.get("extension_form") or ExtensionForm(prefix="extension", formdata=None)
    extension_form.learner.choices = [SelectChoice(u.id, f"{u.name} <{u.email}>") for u in learners]
    extension_form.exercise.choices = exercise_choices
    policy_form = forms.get("policy_form") or LatePolicyForm(prefix="policy", formdata=None, data={
        "grace_minutes": policy.grace_minutes, "penalty": policy.penalty, "interval_hours": policy.interval_hours,
        "rate_percent": policy.rate_percent, "cap_percent": policy.cap_percent,
        "floor_percent": policy.floor_percent, "steps": format_steps(policy.steps), "counting": policy.counting})
    policy_form.exercise.choices = [SelectChoice(0, _("The whole cohort"))] + exercise_choices
    own_policies = db.session.scalars(select(LatePolicy).where(LatePolicy.cohort_id == cohort.id,
                                                               LatePolicy.exercise_id.is_not(None))).all()
    member_forms = {}
    for group in groups:
        form = MembersForm(prefix=f"group-{group.id}", formdata=None,
                           data={"learners": [m.user_id for m in group.members]})
        form.learners.choices = [SelectChoice(u.id, u.name) for u in learners]
        member_forms[group.id] = form
    group_date_form = forms.get("group_date_form") or ExerciseDatesForm(prefix="group-dates", formdata=None)
    group_date_form.exercise.choices = exercise_choices
    return render_template(
        "deadlines/schedule.html", cohort=cohort, modules=modules, by_module=by_module, own_dates=own_dates,
        publish_forms=publish_forms, exercise_form=exercise_form, extension_form=extension_form,
        extensions=extensions, policy_form=policy_form, own_policies=own_policies,
        exercise_titles={e.id: localized(e.title) for e in published}, groups=groups, group_form=forms.get("group_form")
        or GroupForm(prefix="group", formdata=None), member_forms=member_forms, group_date_form=group_date_form,
        group_dates=group_dates, learner_names={u.id: u.name for u in learners}, empty_form=EmptyForm()), status


def cohort_for_teaching(cohort_id: int) -> Cohort:
    cohort = visible_cohort_or_404(cohort_id)
    if not services.may_teach(current_user, cohort):
        abort(403)
    return cohort


def done(cohort: Cohort, message: str):
    flash(message, "info")
    return redirect(url_for("deadlines.schedule", cohort_id=cohort.id), 303)


def failed(cohort: Cohort, error: ProgrammeError, **forms):
    return render_schedule(cohort, refused(error), **forms)


@bp.route("/<int:cohort_id>/schedule")
@staff_required
def schedule(cohort_id: int):
    return render_schedule(cohort_for_teaching(cohort_id))


@bp.route("/<int:cohort_id>/schedule/modules/<int:module_id>", methods=["POST"])
@staff_required
def publish(cohort_id: int, module_id: int):
    cohort = cohort_for_teaching(cohort_id)
    module = db.session.get(Module, module_id) or abort(404)
    form = DatesForm(prefix=f"module-{module.id}")
    if not form.validate_on_submit():
        return render_schedule(cohort, 400, publish_forms={module.id: form})
    try:
        services.publish_module(current_user, cohort, module, **local_dates(form))
    except ProgrammeError as error:
        return failed(cohort, error, publish_forms={module.id: form})
    return done(cohort, _("Module %(title)s published to the cohort.", title=localized(module.title)))


@bp.route("/<int:cohort_id>/schedule/modules/<int:module_id>/unpublish", methods=["POST"])
@staff_required
def unpublish(cohort_id: int, module_id: int):
    cohort = cohort_for_teaching(cohort_id)
    module = db.session.get(Module, module_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.unpublish_module(current_user, cohort, module)
    return done(cohort, _("Module %(title)s withdrawn from the cohort.", title=localized(module.title)))


@bp.route("/<int:cohort_id>/schedule/exercises", methods=["POST"])
@staff_required
def exercise_dates(cohort_id: int):
    cohort = cohort_for_teaching(cohort_id)
    form = ExerciseDatesForm(prefix="exercise")
    chosen(form, "exercise")
    if not form.validate_on_submit():
        return render_schedule(cohort, 400)
    exercise = db.session.get(Exercise, form.exercise.data) or abort(400)
    try:
        services.set_exercise_dates(current_user, cohort, exercise, **local_dates(form))
    except ProgrammeError as error:
        return failed(cohort, error)
    return done(cohort, _("Dates of %(title)s saved.", title=localized(exercise.title)))


def chosen(form, *names):
    """A select field's choices are the value sent (each is checked by the service)."""
    for name in names:
        field = getattr(form, name)
        field.choices = [SelectChoice(field.data, "")] if field.data else []


@bp.route("/<int:cohort_id>/schedule/extensions", methods=["POST"])
@staff_required
def grant_extension(cohort_id: int):
    cohort = cohort_for_teaching(cohort_id)
    form = ExtensionForm(prefix="extension")
    chosen(form, "learner", "exercise")
    if not form.validate_on_submit():
        return render_schedule(cohort, 400)
    learner = db.session.get(User, form.learner.data) or abort(400)
    exercise = db.session.get(Exercise, form.exercise.data) or abort(400)
    try:
        services.grant_extension(current_user, cohort, learner, exercise, from_local(form.due_at.data),
                                 from_local(form.cutoff_at.data), form.reason.data)
    except ProgrammeError as error:
        return failed(cohort, error)
    return done(cohort, _("Extension granted to %(name)s.", name=learner.name))


@bp.route("/<int:cohort_id>/schedule/extensions/<int:extension_id>/revoke", methods=["POST"])
@staff_required
def revoke_extension(cohort_id: int, extension_id: int):
    cohort = cohort_for_teaching(cohort_id)
    extension = db.session.get(DateOverride, extension_id)
    if extension is None or extension.cohort_id != cohort.id or extension.user_id is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.revoke_extension(current_user, cohort, extension)
    return done(cohort, _("Extension withdrawn."))


@bp.route("/<int:cohort_id>/schedule/late-policy", methods=["POST"])
@staff_required
def late_policy(cohort_id: int):
    cohort = cohort_for_teaching(cohort_id)
    form = LatePolicyForm(prefix="policy")
    form.exercise.choices = [SelectChoice(form.exercise.data or 0, "")]
    if not form.validate_on_submit():
        return render_schedule(cohort, 400, policy_form=form)
    try:
        steps = parse_steps(form.steps.data)
    except ValueError:
        flash(_("Write the steps as hours:percent pairs, e.g. 24:10, 72:30, *:60."), "error")
        return render_schedule(cohort, 400, policy_form=form)
    values = {"grace_minutes": form.grace_minutes.data, "penalty": form.penalty.data,
              "interval_hours": form.interval_hours.data, "rate_percent": float(form.rate_percent.data),
              "cap_percent": float(form.cap_percent.data), "floor_percent": float(form.floor_percent.data),
              "steps": steps, "counting": form.counting.data}
    if values["penalty"] == "steps" and not steps:
        flash(_("Give at least one step."), "error")
        return render_schedule(cohort, 400, policy_form=form)
    try:
        exercise = db.session.get(Exercise, form.exercise.data) if form.exercise.data else None
        services.set_late_policy(current_user, cohort, values, exercise=exercise)
    except ProgrammeError as error:
        return failed(cohort, error, policy_form=form)
    return done(cohort, _("Late policy saved; the cohort's grades were recomputed."))


@bp.route("/<int:cohort_id>/schedule/groups", methods=["POST"])
@staff_required
def create_group(cohort_id: int):
    cohort = cohort_for_teaching(cohort_id)
    form = GroupForm(prefix="group")
    if not form.validate_on_submit():
        return render_schedule(cohort, 400, group_form=form)
    try:
        group = services.create_group(current_user, cohort, form.name.data)
    except ProgrammeError as error:
        return failed(cohort, error, group_form=form)
    return done(cohort, _("Group %(name)s created.", name=group.name))


def group_or_404(cohort: Cohort, group_id: int) -> CohortGroup:
    group = db.session.get(CohortGroup, group_id)
    if group is None or group.cohort_id != cohort.id:
        abort(404)
    return group


@bp.route("/<int:cohort_id>/schedule/groups/<int:group_id>/members", methods=["POST"])
@staff_required
def group_members(cohort_id: int, group_id: int):
    cohort = cohort_for_teaching(cohort_id)
    group = group_or_404(cohort, group_id)
    form = MembersForm(prefix=f"group-{group.id}")
    form.learners.choices = [SelectChoice(value, "") for value in form.learners.data or []]
    if not form.validate_on_submit():
        return render_schedule(cohort, 400)
    try:
        services.set_group_members(current_user, group, form.learners.data or [])
    except ProgrammeError as error:
        return failed(cohort, error)
    return done(cohort, _("Members of %(name)s saved.", name=group.name))


@bp.route("/<int:cohort_id>/schedule/groups/<int:group_id>/dates", methods=["POST"])
@staff_required
def group_dates(cohort_id: int, group_id: int):
    cohort = cohort_for_teaching(cohort_id)
    group = group_or_404(cohort, group_id)
    form = ExerciseDatesForm(prefix="group-dates")
    chosen(form, "exercise")
    if not form.validate_on_submit():
        return render_schedule(cohort, 400)
    exercise = db.session.get(Exercise, form.exercise.data) or abort(400)
    try:
        services.set_group_dates(current_user, group, exercise, **local_dates(form))
    except ProgrammeError as error:
        return failed(cohort, error)
    return done(cohort, _("Dates of %(title)s for %(group)s saved.", title=localized(exercise.title),
                          group=group.name))
