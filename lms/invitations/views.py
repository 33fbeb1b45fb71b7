"""Invitation links (choose a password), the printable slips, pre-enrolment and deactivation from a cohort page.
Writes go through lms.invitations.services; the cohort comes from the user's scope (404 outside it)."""
from __future__ import annotations

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from lms.auth.access import staff_required
from lms.auth.models import User
from lms.extensions import db
from lms.invitations import mail, services
from lms.invitations.forms import AccountStatusForm, InviteForm, PasswordChoiceForm
from lms.invitations.models import PendingEnrolment
from lms.programme.forms import EnrolForm
from lms.programme.services import ProgrammeError
from lms.programme.views import refused, render_cohort, visible_cohort_or_404

bp = Blueprint("invitations", __name__)
COHORT = "/programme/cohorts/<int:cohort_id>"


# --- the learner's side: the link -----------------------------------------------------------------------------------

@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str):
    try:
        invitation = services.invitation_for(token)
    except ProgrammeError as error:
        status = 404 if error.code == "unknown" else 410
        return render_template("errors/error.html", status=status, message=str(error.message)), status
    form = PasswordChoiceForm()
    if not form.validate_on_submit():
        return render_template("invitations/accept.html", form=form, learner=invitation.user), \
            400 if request.method == "POST" else 200
    try:
        user = services.accept(invitation, form.password.data)
    except ProgrammeError as error:
        return render_template("errors/error.html", status=410, message=str(error.message)), 410
    login_user(user)
    services.after_login(user)
    flash(_("Welcome, %(name)s: your password is set.", name=user.name), "info")
    return redirect(url_for("catalog.index"), 303)


# --- the manager's side: slips to print (and e-mails) ------------------------------------------------------------

def qr_data_uri(link: str) -> str:
    return segno.make(link, error="m").svg_data_uri(scale=3, border=2)


def slips(cohort, learners: list[User], status: int = 200):
    """New invitations for `learners`, shown once: the printable page (and e-mails when a server is set)."""
    try:
        issued = services.invite(current_user, cohort, learners)
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error))
    rows = [{"learner": learner, "link": url_for("invitations.accept", token=token, _external=True),
             "expires_at": expires_at} for learner, token, expires_at in issued]
    for row in rows:
        row["qr"] = qr_data_uri(row["link"])
    mail_errors = None
    if mail.mail_configured() and rows:
        mail_errors = mail.send_all([mail.invitation_message(row["learner"], cohort, row["link"], row["expires_at"])
                                     for row in rows])
    # Not cached: the page holds live links.
    return render_template("invitations/slips.html", cohort=cohort, rows=rows, mailed=mail_errors is not None,
                           mail_errors=mail_errors or {}), status, {"Cache-Control": "no-store"}


@bp.route(f"{COHORT}/invitations", methods=["POST"])
@staff_required
def invite(cohort_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    form = InviteForm(prefix="invite")
    if not form.validate_on_submit():
        return render_cohort(cohort, 400)
    try:
        if form.learner.data:
            if not form.learner.data.isdigit():
                abort(400)
            learners = [services.learner_of(cohort, int(form.learner.data))]
        else:
            learners = services.not_logged_in_yet(cohort)
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error))
    if not learners:
        flash(_("Every learner of this cohort has logged in already."), "info")
        return redirect(url_for("programme.cohort", cohort_id=cohort.id), 303)
    return slips(cohort, learners)


def invite_new_learner(cohort, form: EnrolForm):
    """The enrol form with an unknown address and a name: the account, the enrolment, and its invitation."""
    try:
        learner = services.create_invited_learner(current_user, cohort, form.email.data, form.name.data)
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error), enrol_form=form)
    flash(_("%(name)s has an account now and joined the cohort: give them their invitation.", name=learner.name),
          "info")
    return slips(cohort, [learner])


# --- pre-enrolment -------------------------------------------------------------------------------------------------

@bp.route(f"{COHORT}/pending", methods=["POST"])
@staff_required
def pre_enrol(cohort_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    form = EnrolForm(prefix="enrol")
    if not form.validate_on_submit():
        return render_cohort(cohort, 400, enrol_form=form)
    try:
        pending = services.pre_enrol(current_user, cohort, form.email.data, form.name.data or "")
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error), enrol_form=form)
    flash(_("%(email)s is pre-enrolled: the seat is theirs when their account is created.", email=pending.email),
          "info")
    return redirect(url_for("programme.cohort", cohort_id=cohort.id), 303)


@bp.route(f"{COHORT}/pending/<int:pending_id>/cancel", methods=["POST"])
@staff_required
def cancel_pending(cohort_id: int, pending_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    pending = db.session.get(PendingEnrolment, pending_id)
    if pending is None or pending.cohort_id != cohort.id or pending.claimed_at is not None:
        abort(404)
    if not InviteForm(prefix="invite").validate_on_submit():
        return render_cohort(cohort, 400)
    try:
        services.cancel_pending(current_user, pending)
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error))
    flash(_("The pre-enrolment is cancelled."), "info")
    return redirect(url_for("programme.cohort", cohort_id=cohort.id), 303)


# --- deactivation --------------------------------------------------------------------------------------------------

@bp.route(f"{COHORT}/learners/<int:user_id>/<any(deactivate, reactivate):action>", methods=["POST"])
@staff_required
def account_status(cohort_id: int, user_id: int, action: str):
    cohort = visible_cohort_or_404(cohort_id)
    learner = db.session.get(User, user_id) or abort(404)
    form = AccountStatusForm(prefix="account")
    if not form.validate_on_submit():
        return render_cohort(cohort, 400)
    try:
        services.set_active(current_user, cohort, learner, action == "reactivate", form.reason.data or "")
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error))
    flash(_("%(name)s's account is reactivated.", name=learner.name) if action == "reactivate"
          else _("%(name)s's account is deactivated: their work and grades are kept.", name=learner.name), "info")
    return redirect(url_for("programme.cohort", cohort_id=cohort.id), 303)
