"""Programme pages: the cohorts, centres and regions a staff account runs, a cohort's roster, and the forms that
change them. Each query starts from the user's scope (lms.programme.scope); writes go through services."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice
from sqlalchemy.orm import selectinload

from lms.auth.access import staff_required
from lms.catalog.models import Track
from lms.extensions import db
from lms.i18n import localized
from lms.programme import services
from lms.programme.forms import CentreForm, CohortForm, EmailForm, EnrolForm, GrantForm, StatusForm, WithdrawForm
from lms.programme.models import Centre, Cohort, CohortStatus, Enrolment, Region, RoleGrant, ScopedRole
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError

bp = Blueprint("programme", __name__, url_prefix="/programme")
HTTP_STATUS = {"forbidden": 403, "duplicate": 409, "full": 409, "other_cohort": 409, "closed": 409, "not_found": 404,
               "has_account": 409, "deactivated": 409}


def refused(error: ProgrammeError) -> int:
    """The HTTP status of a refused write, its message flashed for the page rendered with it."""
    if error.code == "forbidden":
        abort(403)
    flash(str(error.message), "error")
    return HTTP_STATUS.get(error.code, 400)


def visible_cohort_or_404(cohort_id: int) -> Cohort:
    cohort = db.session.scalar(scope_of(current_user).cohorts().where(Cohort.id == cohort_id)
                               .options(selectinload(Cohort.centre).selectinload(Centre.region),
                                        selectinload(Cohort.track)))
    return cohort or abort(404)


# --- the programme page: cohorts in scope, with filters, and the forms to add centres and cohorts ----------------

def all_regions() -> list[Region]:
    return db.session.scalars(select(Region).order_by(Region.position)).all()


def centres_in(scope) -> list[Centre]:
    return db.session.scalars(scope.centres().options(selectinload(Centre.region)).order_by(Centre.name)).all()


def centre_form_for(scope, regions=None) -> CentreForm | None:
    allowed = [r for r in regions or all_regions() if scope.manages_region(r.id)]
    if not allowed:
        return None
    form = CentreForm(prefix="centre")
    form.region.choices = [SelectChoice(r.id, localized(r.name)) for r in allowed]
    return form


def cohort_form_for(scope, centres=None, tracks=None) -> CohortForm | None:
    allowed = [c for c in (centres if centres is not None else centres_in(scope)) if scope.manages_centre(c)]
    if not allowed:
        return None
    form = CohortForm(prefix="cohort")
    form.centre.choices = [SelectChoice(c.id, f"{c.name} ({localized(c.region.name)})") for c in allowed]
    if tracks is None:
        tracks = db.session.scalars(select(Track).order_by(Track.position)).all()
    form.track.choices = [SelectChoice(t.id, localized(t.title)) for t in tracks if not t.archived]
    return form


def grant_form_for(scope, regions=None, centres=None) -> GrantForm | None:
    if not scope.grants_roles:
        return None
    form = GrantForm(prefix="grant")
    form.region.choices = [SelectChoice(0, "—")] + [SelectChoice(r.id, localized(r.name))
                                                     for r in regions or all_regions()]
    # Whoever gives roles sees every centre (scope.everything): those in scope are all of them.
    form.centre.choices = [SelectChoice(0, "—")] + [SelectChoice(c.id, c.name)
                                                     for c in (centres if centres is not None else centres_in(scope))]
    return form


def render_index(status: int = 200, centre_form=None, cohort_form=None, grant_form=None):
    scope = scope_of(current_user)
    filters = {key: request.args.get(key, type=int) for key in ("region", "centre", "track")}
    filters["status"] = request.args.get("status") if request.args.get("status") in set(CohortStatus) else None
    query = scope.cohorts().join(Centre, Centre.id == Cohort.centre_id)
    if filters["region"]:
        query = query.where(Centre.region_id == filters["region"])
    if filters["centre"]:
        query = query.where(Cohort.centre_id == filters["centre"])
    if filters["track"]:
        query = query.where(Cohort.track_id == filters["track"])
    if filters["status"]:
        query = query.where(Cohort.status == filters["status"])
    cohorts = db.session.scalars(query.options(selectinload(Cohort.centre).selectinload(Centre.region),
                                               selectinload(Cohort.track))
                                 .order_by(Cohort.starts_on.desc(), Cohort.name).limit(500)).all()
    counts = services.seats_taken_by_cohort([c.id for c in cohorts])  # pre-enrolments hold their seats too
    centres, every_region = centres_in(scope), all_regions()
    region_ids = {c.region_id for c in centres}
    regions = [r for r in every_region if scope.everything or r.id in region_ids or r.id in scope.region_ids]
    tracks = db.session.scalars(select(Track).order_by(Track.position)).all()
    return render_template("programme/index.html", cohorts=cohorts, counts=counts, centres=centres, regions=regions,
                           tracks=tracks, filters=filters, scope=scope,
                           centre_form=centre_form or centre_form_for(scope, every_region),
                           cohort_form=cohort_form or cohort_form_for(scope, centres, tracks),
                           grant_form=grant_form or grant_form_for(scope, every_region, centres)), status


@bp.route("/")
@staff_required
def index():
    return render_index()


@bp.route("/centres", methods=["POST"])
@staff_required
def create_centre():
    scope = scope_of(current_user)
    form = centre_form_for(scope) or abort(403)
    if not form.validate_on_submit():
        return render_index(400, centre_form=form)
    region = db.session.get(Region, form.region.data) or abort(400)
    try:
        centre = services.create_centre(current_user, region, form.name.data, form.city.data or "")
    except ProgrammeError as error:
        return render_index(refused(error), centre_form=form)
    flash(_("Centre %(name)s created.", name=centre.name), "info")
    return redirect(url_for("programme.index"), 303)


@bp.route("/cohorts", methods=["POST"])
@staff_required
def create_cohort():
    scope = scope_of(current_user)
    form = cohort_form_for(scope) or abort(403)
    if not form.validate_on_submit():
        return render_index(400, cohort_form=form)
    centre = db.session.get(Centre, form.centre.data) or abort(400)
    track = db.session.get(Track, form.track.data) or abort(400)
    try:
        cohort = services.create_cohort(current_user, centre, track, form.name.data, form.starts_on.data,
                                        form.ends_on.data, form.capacity.data)
    except ProgrammeError as error:
        return render_index(refused(error), cohort_form=form)
    flash(_("Cohort %(name)s created.", name=cohort.name), "info")
    return redirect(url_for("programme.cohort", cohort_id=cohort.id), 303)


@bp.route("/grants", methods=["POST"])
@staff_required
def grant():
    form = grant_form_for(scope_of(current_user)) or abort(403)
    if not form.validate_on_submit():
        return render_index(400, grant_form=form)
    region = db.session.get(Region, form.region.data) if form.region.data else None
    centre = db.session.get(Centre, form.centre.data) if form.centre.data else None
    try:
        services.grant_role(current_user, form.email.data, form.role.data, region=region, centre=centre)
    except ProgrammeError as error:
        return render_index(refused(error), grant_form=form)
    flash(_("Role given."), "info")
    return redirect(url_for("programme.index"), 303)


# --- one cohort: its facts, roster and instructors ---------------------------------------------------------------

def render_cohort(cohort: Cohort, status: int = 200, **forms):
    scope = scope_of(current_user)
    manages = scope.manages_cohort(cohort)
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id)
                                    .options(selectinload(Enrolment.user))
                                    .order_by(Enrolment.withdrawn_at.is_not(None), Enrolment.enrolled_at)).all()
    instructors = db.session.scalars(select(RoleGrant).where(RoleGrant.cohort_id == cohort.id,
                                                             RoleGrant.role == ScopedRole.INSTRUCTOR)
                                     .options(selectinload(RoleGrant.user))).all()
    status_form = None
    if manages and services.NEXT_STATUSES[CohortStatus(cohort.status)]:
        status_form = forms.get("status_form") or StatusForm(prefix="status")
        status_form.status.choices = [SelectChoice(s.value, s.value)
                                     for s in services.NEXT_STATUSES[CohortStatus(cohort.status)]]
    from lms.invitations.forms import AccountStatusForm, InviteForm
    from lms.invitations.models import PendingEnrolment

    pending = db.session.scalars(select(PendingEnrolment).where(PendingEnrolment.cohort_id == cohort.id,
                                                                PendingEnrolment.claimed_at.is_(None))
                                 .order_by(PendingEnrolment.created_at)).all()
    active = sum(1 for e in enrolments if e.active) + len(pending)  # a pre-enrolment holds its seat
    return render_template(
        "programme/cohort.html", cohort=cohort, enrolments=enrolments, instructors=instructors, manages=manages,
        active=active, status_form=status_form, pending=pending,
        invite_form=InviteForm(prefix="invite"),  # its instructors invite too (visible_cohort_or_404 let us in)
        account_form=AccountStatusForm(prefix="account") if manages else None,
        enrol_form=forms.get("enrol_form") or (EnrolForm(prefix="enrol") if manages else None),
        instructor_form=forms.get("instructor_form") or (EmailForm(prefix="instructor") if manages else None),
        withdraw_form=WithdrawForm(prefix="withdraw") if manages else None,
        failed_withdrawal=forms.get("failed_withdrawal")), status


@bp.route("/cohorts/<int:cohort_id>")
@staff_required
def cohort(cohort_id: int):
    return render_cohort(visible_cohort_or_404(cohort_id))


def by_email(cohort_id: int, prefix: str, write, done, form_class=EmailForm):
    """A cohort page's form of one e-mail address (enrol a learner, add an instructor): the write, then its
    message; a refusal renders the page with the form and its message."""
    cohort = visible_cohort_or_404(cohort_id)
    form = form_class(prefix=prefix)
    if not form.validate_on_submit():
        return render_cohort(cohort, 400, **{f"{prefix}_form": form})
    try:
        row = write(current_user, cohort, form.email.data)
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error), **{f"{prefix}_form": form})
    flash(done(row.user.name), "info")
    return redirect(url_for("programme.cohort", cohort_id=cohort.id), 303)


@bp.route("/cohorts/<int:cohort_id>/enrolments", methods=["POST"])
@staff_required
def enrol(cohort_id: int):
    form = EnrolForm(prefix="enrol")
    if form.validate_on_submit() and form.name.data and services.find_user(form.email.data) is None:
        from lms.invitations.views import invite_new_learner

        return invite_new_learner(visible_cohort_or_404(cohort_id), form)
    return by_email(cohort_id, "enrol", services.enrol_learner,
                    lambda name: _("%(name)s joined the cohort.", name=name), EnrolForm)


@bp.route("/cohorts/<int:cohort_id>/enrolments/<int:enrolment_id>/withdraw", methods=["POST"])
@staff_required
def withdraw(cohort_id: int, enrolment_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != cohort.id:
        abort(404)
    form = WithdrawForm(prefix="withdraw")
    if not form.validate_on_submit():
        flash(_("Say why the learner withdraws."), "error")
        return render_cohort(cohort, 400, failed_withdrawal=enrolment.id)
    try:
        services.withdraw_learner(current_user, enrolment, form.reason.data)
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error), failed_withdrawal=enrolment.id)
    flash(_("%(name)s withdrew from the cohort.", name=enrolment.user.name), "info")
    return redirect(url_for("programme.cohort", cohort_id=cohort.id), 303)


@bp.route("/cohorts/<int:cohort_id>/instructors", methods=["POST"])
@staff_required
def add_instructor(cohort_id: int):
    return by_email(cohort_id, "instructor", services.assign_instructor,
                    lambda name: _("%(name)s teaches this cohort.", name=name))


@bp.route("/cohorts/<int:cohort_id>/status", methods=["POST"])
@staff_required
def change_status(cohort_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    form = StatusForm(prefix="status")
    form.status.choices = [SelectChoice(s.value, s.value) for s in CohortStatus]
    if not form.validate_on_submit():
        return render_cohort(cohort, 400)
    try:
        services.set_cohort_status(current_user, cohort, form.status.data)
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error))
    return redirect(url_for("programme.cohort", cohort_id=cohort.id), 303)
