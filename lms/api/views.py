"""JSON API for the submission flow, with a session (plus the CSRF header) or an API token (Bearer)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from lms.auth.services import user_for_token
from lms.catalog.models import Exercise
from lms.deadlines import services as deadlines
from lms.extensions import csrf, db
from lms.grading.queue import wait_for_change
from lms.i18n import current_language, localized
from lms.submissions.models import Mode, Status
from lms.submissions.presenters import present
from lms.submissions.services import (SubmissionRejected, create_submission, files_from_archive, files_from_notebook,
                                      submissions_of, visible_submission)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error(code: str, message, status: int):
    return jsonify({"error": code, "message": str(message)}), status


@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = user_for_token(header[7:].strip())
        if user is None:
            return error("unauthorized", _("Invalid API token."), 401)
        request.environ["lms.api_user"] = user
        return None  # token requests carry no cookie, so no CSRF to check
    if not current_user.is_authenticated:
        return error("unauthorized", _("Log in or send an API token."), 401)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()  # a browser session must prove the request comes from our page
    request.environ["lms.api_user"] = current_user._get_current_object()
    return None


def api_user():
    return request.environ["lms.api_user"]


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 413: "too_large"}.get(exc.code, "error")
    if exc.code == 413:  # a body over MAX_CONTENT_LENGTH (a large notebook, say): werkzeug's text is English only
        return error(code, _("What you sent is too large."), 413)
    return error(code, exc.description, exc.code)


def exercise_by_uuid(exercise_uuid: str) -> Exercise | None:
    exercise = db.session.scalar(select(Exercise).filter_by(uuid=exercise_uuid))
    return None if exercise is None or exercise.archived else exercise


@bp.get("/exercises/<exercise_uuid>")
def exercise_detail(exercise_uuid: str):
    exercise = exercise_by_uuid(exercise_uuid)
    if exercise is None or (deadlines.gates(api_user()) and not deadlines.is_open(
            deadlines.window_for(api_user(), exercise))):
        return error("unknown_exercise", _("No such exercise."), 404)
    return jsonify({"uuid": exercise.uuid, "kind": exercise.kind, "title": localized(exercise.title),
                    "statement": localized(exercise.statements, current_language()), "files": exercise.files,
                    "starter_files": exercise.starter_files, "public_tests": exercise.public_tests,
                    "points": exercise.points, "pacing": exercise.pacing})


@bp.post("/exercises/<exercise_uuid>/submissions")
def submit(exercise_uuid: str):
    exercise = exercise_by_uuid(exercise_uuid)
    if exercise is None:
        return error("unknown_exercise", _("No such exercise."), 404)
    """JSON {"files": {...}, "mode": "graded" | "practice"}, or a multipart `archive` or `notebook` (.ipynb) field
    (and `mode`). A notebook sent as the text of its file in "files" is checked and stripped the same way."""
    try:
        if "archive" in request.files:  # multipart upload of a zip or tar
            files = files_from_archive(request.files["archive"].read())
            mode = request.form.get("mode")
        elif "notebook" in request.files:
            notebook = request.files["notebook"]
            files = files_from_notebook(exercise, notebook.filename, notebook.read())
            mode = request.form.get("mode")
        else:
            payload = request.get_json(silent=True)
            if not isinstance(payload, dict) or "files" not in payload:
                return error("bad_request", _('Send JSON like {"files": {"solution.py": "..."}}, or an archive.'),
                             400)
            files, mode = payload["files"], payload.get("mode")
        submission = create_submission(api_user(), exercise, files, mode or Mode.GRADED)
    except SubmissionRejected as exc:
        return error(exc.code, exc.message, exc.http_status)
    response = jsonify(present(submission))
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/submissions/{submission.id}"
    return response


MAX_WAIT_SECONDS = 25


@bp.get("/submissions/<int:submission_id>")
def submission_detail(submission_id: int):
    """`?wait=N` (long-polling, at most 25 s): answer as soon as the status differs from `?status=` (default:
    the current one), the grade is final, or N seconds passed."""
    submission = visible_submission(api_user(), submission_id)
    if submission is None:
        return error("not_found", _("No such submission."), 404)
    wait = request.args.get("wait", type=float) or 0
    if wait > 0 and not submission.is_final:
        known = request.args.get("status") or submission.status
        db.session.rollback()  # the reads above must not stay open while the wait subscribes to Redis

        def unchanged() -> bool:
            db.session.refresh(submission)
            current = submission.status == known and not submission.is_final
            # End the read transaction before waiting: it would keep a pooled connection, and on PostgreSQL a
            # backend "idle in transaction" that a migration's ALTER TABLE waits behind, for up to 25 s.
            db.session.rollback()
            return current

        # While queued, come back every 2 s at most so the queue position shown stays fresh.
        limit = 2 if known == Status.QUEUED else MAX_WAIT_SECONDS
        wait_for_change(submission.id, unchanged, min(wait, limit))
        db.session.refresh(submission)
    return jsonify(present(submission, with_files=request.args.get("files") == "1"))


@bp.get("/submissions")
def submission_list():
    exercise = None
    if request.args.get("exercise"):
        exercise = exercise_by_uuid(request.args["exercise"])
        if exercise is None:
            return error("unknown_exercise", _("No such exercise."), 404)
    return jsonify({"submissions": [present(s) for s in submissions_of(api_user(), exercise, limit=100)]})
