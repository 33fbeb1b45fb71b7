from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.auth.forms import EmptyForm, LanguageForm, LoginForm
from lms.auth.services import authenticate, issue_api_token, set_locale

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only redirect inside this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return default


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            from lms.invitations.services import after_login

            login_user(user)
            after_login(user)  # pre-enrolments of this address are claimed
            return redirect(safe_next(form.next.data, url_for("catalog.index")))
        flash(_("Wrong email or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account():
    return render_template("auth/account.html", form=EmptyForm(), token=None)


@bp.post("/account/api-token")
@login_required
def new_api_token():
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.account"))
    token = issue_api_token(current_user)
    return render_template("auth/account.html", form=form, token=token)


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.language.data
        if current_user.is_authenticated:
            set_locale(current_user, form.language.data)
    came_from = form.next.data or (request.referrer and urlsplit(request.referrer).path)
    return redirect(safe_next(came_from, url_for("catalog.index")))
