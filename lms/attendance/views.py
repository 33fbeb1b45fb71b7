"""Attendance pages. Staff: a cohort's sessions and rates, a session's roster to mark (live), its rotating code, its
printable roster. Learners: the check-in by code, and their own record. Queries start from the user's scope
(lms.programme.scope); writes go through lms.attendance.services."""
from __future__ import annotations

import segno
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from lms import clock
from lms.attendance import services
from lms.attendance.forms import MARK_LABELS, CodeForm, MarkForm, PolicyForm, SeriesForm, SessionForm
from lms.attendance.models import AttendanceMark, AttendanceSession, SessionStatus
from lms.auth.access import staff_required
from lms.auth.forms import EmptyForm
from lms.extensions import db
from lms.programme.models import Centre, Cohort, Enrolment
from lms.programme.scope import scope_of
from lms.programme.services import ProgrammeError
from lms.programme.views import refused, visible_cohort_or_404

bp = Blueprint("attendance", __name__, url_prefix="/attendance")


@bp.app_template_filter("local")
def local_time(moment, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return clock.to_local(moment).strftime(pattern) if moment else ""


@bp.app_context_processor
def labels():
    return {"mark_labels": MARK_LABELS}


def visible_session_or_404(session_id: int) -> AttendanceSession:
    session = db.session.scalar(
        select(AttendanceSession).join(Cohort, Cohort.id == AttendanceSession.cohort_id)
        .where(AttendanceSession.id == session_id,
               Cohort.id.in_(scope_of(current_user).cohorts().with_only_columns(Cohort.id)))
        .options(selectinload(AttendanceSession.cohort).selectinload(Cohort.centre).selectinload(Centre.region)))
    return session or abort(404)


# --- a cohort: its sessions, its policy, its learners' rates --------------------------------------------------------

def render_cohort(cohort: Cohort, status: int = 200, **forms):
    sessions = services.sessions_of(cohort.id)
    records = services.records(cohort, sessions)
    policy = services.policy_of(cohort.id)
    manages = scope_of(current_user).manages_cohort(cohort)
    policy_form = forms.get("policy_form") or (PolicyForm(prefix="policy", threshold=round(policy.threshold * 100),
                                                          late_weight=round(policy.late_weight * 100))
                                               if manages else None)
    return render_template("attendance/cohort.html", cohort=cohort, sessions=sessions, policy=policy,
                           records=records, watch=[r for r in records if r.enrolment.active and (r.below or
                                                                                                 r.out_of_reach)],
                           session_form=forms.get("session_form") or SessionForm(prefix="session"),
                           series_form=forms.get("series_form") or SeriesForm(prefix="series"),
                           policy_form=policy_form), status


@bp.route("/cohorts/<int:cohort_id>")
@staff_required
def cohort(cohort_id: int):
    return render_cohort(visible_cohort_or_404(cohort_id))


@bp.route("/cohorts/<int:cohort_id>/sessions", methods=["POST"])
@staff_required
def create_session(cohort_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    form = SessionForm(prefix="session")
    if not form.validate_on_submit():
        return render_cohort(cohort, 400, session_form=form)
    try:
        services.create_session(current_user, cohort, form.day.data, form.starts.data, form.ends.data,
                                form.room.data or "")
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error), session_form=form)
    flash(_("Session planned."), "info")
    return redirect(url_for("attendance.cohort", cohort_id=cohort.id), 303)


@bp.route("/cohorts/<int:cohort_id>/series", methods=["POST"])
@staff_required
def create_series(cohort_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    form = SeriesForm(prefix="series")
    if not form.validate_on_submit():
        return render_cohort(cohort, 400, series_form=form)
    try:
        sessions = services.create_series(current_user, cohort, form.first_day.data, form.last_day.data,
                                          form.weekdays.data, form.starts.data, form.ends.data, form.room.data or "")
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error), series_form=form)
    flash(_("%(count)s sessions planned.", count=len(sessions)), "info")
    return redirect(url_for("attendance.cohort", cohort_id=cohort.id), 303)


@bp.route("/cohorts/<int:cohort_id>/policy", methods=["POST"])
@staff_required
def set_policy(cohort_id: int):
    cohort = visible_cohort_or_404(cohort_id)
    form = PolicyForm(prefix="policy")
    if not form.validate_on_submit():
        return render_cohort(cohort, 400, policy_form=form)
    try:
        services.set_policy(current_user, cohort, form.threshold.data / 100, form.late_weight.data / 100)
    except ProgrammeError as error:
        return render_cohort(cohort, refused(error), policy_form=form)
    flash(_("Attendance rules saved."), "info")
    return redirect(url_for("attendance.cohort", cohort_id=cohort.id), 303)


# --- a session: the roster to mark, live; close and reopen; the code; the printed roster ----------------------------

def marks_of(session: AttendanceSession) -> dict[int, AttendanceMark]:
    return {m.user_id: m for m in db.session.scalars(select(AttendanceMark)
                                                     .where(AttendanceMark.session_id == session.id))}


def render_session(session: AttendanceSession, status: int = 200):
    return render_template("attendance/session.html", session=session, cohort=session.cohort,
                           roster=services.active_roster(session.cohort_id), marks=marks_of(session),
                           form=MarkForm(), button_form=EmptyForm()), status


@bp.route("/sessions/<int:session_id>")
@staff_required
def session(session_id: int):
    return render_session(visible_session_or_404(session_id))


@bp.route("/sessions/<int:session_id>/marks.json")
@staff_required
def marks_json(session_id: int):
    """What the roster page polls: every mark of the session, self check-ins included."""
    session = visible_session_or_404(session_id)
    return jsonify({"status": session.status,
                    "marks": {str(uid): {"status": m.status, "source": m.source}
                              for uid, m in marks_of(session).items()}})


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/sessions/<int:session_id>/marks", methods=["POST"])
@staff_required
def mark(session_id: int):
    """One tap on the roster: fetch() asks for JSON; without JavaScript the form posts and the page comes back."""
    session = visible_session_or_404(session_id)
    form = MarkForm()
    try:
        if not form.validate_on_submit():
            raise ProgrammeError("bad_mark", _("Choose present, late, excused or absent for a learner of the roster."))
        row = services.mark(current_user, session, form.learner.data, form.status.data)
    except ProgrammeError as error:
        if wants_json():
            return jsonify({"error": str(error.message)}), 403 if error.code == "forbidden" else 400
        return render_session(session, refused(error))
    if wants_json():
        return jsonify({"learner": row.user_id, "status": row.status, "source": row.source})
    return redirect(url_for("attendance.session", session_id=session.id) + f"#learner-{row.user_id}", 303)


@bp.route("/sessions/<int:session_id>/close", methods=["POST"])
@staff_required
def close(session_id: int):
    session = visible_session_or_404(session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        absent = services.close(current_user, session)
    except ProgrammeError as error:
        return render_session(session, refused(error))
    flash(_("Session closed: %(count)s learners not marked are absent.", count=absent), "info")
    return redirect(url_for("attendance.session", session_id=session.id), 303)


@bp.route("/sessions/<int:session_id>/reopen", methods=["POST"])
@staff_required
def reopen(session_id: int):
    session = visible_session_or_404(session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.reopen(current_user, session)
    except ProgrammeError as error:
        return render_session(session, refused(error))
    flash(_("Session reopened: the absences its closing recorded are taken back."), "info")
    return redirect(url_for("attendance.session", session_id=session.id), 303)


def current_code(session: AttendanceSession) -> dict:
    now = clock.utcnow()
    url = url_for("attendance.check_in_by_qr", session_id=session.id, token=services.token_for(session, now),
                  _external=True)
    return {"url": url, "code": services.code_for(session, now), "qr": segno.make(url, error="m").svg_data_uri(
        scale=8, border=2), "seconds_left": services.seconds_left(now)}


@bp.route("/sessions/<int:session_id>/code")
@staff_required
def code(session_id: int):
    session = visible_session_or_404(session_id)
    if session.status == SessionStatus.CLOSED:
        flash(_("This session is closed: reopen it to take check-ins."), "error")
        return redirect(url_for("attendance.session", session_id=session.id), 303)
    return render_template("attendance/code.html", session=session, cohort=session.cohort, **current_code(session))


@bp.route("/sessions/<int:session_id>/code.json")
@staff_required
def code_json(session_id: int):
    session = visible_session_or_404(session_id)
    if session.status == SessionStatus.CLOSED:
        return jsonify({"error": _("This session is closed.")}), 409
    return jsonify(current_code(session))


@bp.route("/sessions/<int:session_id>/print")
@staff_required
def print_roster(session_id: int):
    session = visible_session_or_404(session_id)
    return render_template("attendance/print.html", session=session, cohort=session.cohort,
                           roster=services.active_roster(session.cohort_id))


# --- learners: check in, and their own record -----------------------------------------------------------------------

def render_check_in(result: services.CheckIn, session: AttendanceSession | None = None):
    return render_template("attendance/check_in.html", result=result, session=session), result.status


@bp.route("/check-in/<int:session_id>/<token>")
@login_required
def check_in_by_qr(session_id: int, token: str):
    """The QR code's address. It checks in on GET, because a phone's camera opens it: the token, valid 15 to 30
    seconds, is what proves the learner is in the room, and a second visit changes nothing."""
    session = db.session.get(AttendanceSession, session_id)
    if session is None or len(token) > 64:
        abort(404)
    return render_check_in(services.check_in(current_user, session, token), session)


def code_form_for(user) -> CodeForm:
    """The open sessions of the learner's cohorts, today's first."""
    form = CodeForm(prefix="code")
    sessions = db.session.scalars(
        select(AttendanceSession).join(Enrolment, Enrolment.cohort_id == AttendanceSession.cohort_id)
        .where(Enrolment.user_id == user.id, Enrolment.withdrawn_at.is_(None),
               AttendanceSession.status == SessionStatus.OPEN)
        .options(selectinload(AttendanceSession.cohort)).order_by(AttendanceSession.starts_at).limit(200)).all()
    today = clock.to_local(clock.utcnow()).date()
    sessions.sort(key=lambda s: clock.to_local(s.starts_at).date() != today)
    form.session.choices = [SelectChoice(s.id, f"{s.cohort.name} · {local_time(s.starts_at)}"
                                         + (f" · {s.room}" if s.room else "")) for s in sessions]
    return form


@bp.route("/check-in", methods=["POST"])
@login_required
def check_in_by_code():
    form = code_form_for(current_user)
    if not form.validate_on_submit():
        return render_me(400, code_form=form)
    session = db.session.get(AttendanceSession, form.session.data) or abort(400)
    return render_check_in(services.check_in(current_user, session, form.code.data, typed=True), session)


def render_me(status: int = 200, code_form=None):
    """The learner's own record, cohort by cohort: their rows only, whatever their role."""
    cohorts = db.session.scalars(select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id)
                                 .where(Enrolment.user_id == current_user.id).order_by(Cohort.starts_on.desc())).all()
    books = []
    for cohort in cohorts:
        sessions = services.sessions_of(cohort.id)
        record = services.records(cohort, sessions, user_id=current_user.id)[0]
        books.append((cohort, [s for s in sessions if services.expected(s, record.enrolment)], record))
    return render_template("attendance/me.html", books=books,
                           code_form=code_form or code_form_for(current_user)), status


@bp.route("/me")
@login_required
def me():
    return render_me()
