"""The LMS Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask, abort, jsonify, render_template, request
from flask_babel import gettext as _

from lms.config import ROOT, load_config
from lms.extensions import babel, csrf, db, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(load_config())
    if config:
        app.config.update(config)

    from lms import i18n

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    from lms.admin.views import bp as admin_bp
    from lms.api.views import bp as api_bp
    from lms.attendance.views import bp as attendance_bp
    from lms.auth.views import bp as auth_bp
    from lms.catalog.views import bp as catalog_bp
    from lms.ctf.views import bp as ctf_bp
    from lms.deadlines.views import bp as deadlines_bp
    from lms.exports.views import bp as exports_bp
    from lms.gradebook.views import bp as gradebook_bp
    from lms.imports.views import bp as imports_bp
    from lms.invitations.views import bp as invitations_bp
    from lms.leaderboards.views import bp as leaderboards_bp
    from lms.programme.views import bp as programme_bp
    from lms.quizzes.views import bp as quizzes_bp
    from lms.regrades.views import bp as regrades_bp
    from lms.reviews.views import bp as reviews_bp
    from lms.submissions.views import bp as submissions_bp
    from lms.teaching.views import bp as teaching_bp

    for blueprint in (auth_bp, catalog_bp, submissions_bp, leaderboards_bp, teaching_bp, programme_bp,
                      deadlines_bp, gradebook_bp, regrades_bp, attendance_bp, imports_bp, invitations_bp, exports_bp,
                      admin_bp, api_bp, reviews_bp, ctf_bp, quizzes_bp):
        app.register_blueprint(blueprint)
    # Each named export registers itself in lms.exports.registry when its module is first imported.
    import lms.attendance.exports  # noqa: F401
    import lms.gradebook.exports  # noqa: F401
    import lms.imports.error_file  # noqa: F401

    csrf.exempt(api_bp)  # the API checks CSRF itself for session requests; token requests carry no cookie

    from lms.cli import lms_cli

    app.cli.add_command(lms_cli)
    register_templating(app)
    register_error_pages(app)
    app.before_request(refuse_nul_characters)
    if not app.debug:
        logging.basicConfig(level=logging.INFO)
    return app


@login_manager.user_loader
def load_user(user_id: str):
    from lms.auth.models import User

    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None  # a deactivated account's sessions end too


def refuse_nul_characters():
    """PostgreSQL text cannot hold a NUL character, so a URL carrying one names nothing here; looked up, it would
    fail the query (SQLite would just find nothing). Form fields and JSON are checked where they are read."""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400)


def register_templating(app: Flask) -> None:
    from flask_login import current_user

    from lms.auth.forms import EmptyForm, LanguageForm
    from lms.i18n import current_language, localized, text_direction
    from lms.submissions.presenters import VERDICT_LABELS

    @app.context_processor
    def inject():
        return {"lang": current_language(), "dir": text_direction(), "tr": localized,
                "language_form": LanguageForm(language=current_language(), next=request.full_path),
                "logout_form": EmptyForm(), "verdict_labels": VERDICT_LABELS, "current_user": current_user}

    from lms.clock import to_local

    @app.template_filter("local_time")
    def local_time(moment):
        """A stored moment shown in the programme's time zone."""
        return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
        return response


def register_error_pages(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    def page(status: int, title: str, message: str):
        if wants_json():
            return jsonify({"error": title, "message": message}), status
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return page(400, "csrf", _("Your form expired or was not sent from this site. Reload the page and try again."))

    @app.errorhandler(403)
    def forbidden(exc):
        return page(403, "forbidden", _("You are not allowed to see this page."))

    @app.errorhandler(404)
    def not_found(exc):
        return page(404, "not_found", _("This page does not exist."))

    @app.errorhandler(413)
    def too_large(exc):
        return page(413, "too_large", _("What you sent is too large."))
