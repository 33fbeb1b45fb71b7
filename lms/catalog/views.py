from __future__ import annotations

import base64
import io
from pathlib import PurePosixPath

from flask import Blueprint, Response, abort, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from graders import get_grader
from graders.base import ExerciseSpec, Grader
from lms.auth.forms import EmptyForm
from lms.catalog.models import Exercise, Module, Track
from lms.catalog.rendering import render_markdown
from lms.catalog.workspaces import workspace_for
from lms.clock import utcnow
from lms.deadlines import services as deadlines
from lms.extensions import db
from lms.i18n import current_language, localized
from lms.leaderboards import services as leaderboards
from lms.submissions import notebooks
from lms.submissions.services import submissions_of

bp = Blueprint("catalog", __name__)


def exercise_and_window_or_404(exercise_uuid: str):
    """An exercise this user may open (staff: any; a learner: one opened in one of their cohorts), and the
    learner's window for it (None for staff)."""
    exercise = db.session.scalar(select(Exercise).filter_by(uuid=exercise_uuid))
    if exercise is None or exercise.archived:
        abort(404)
    if not deadlines.gates(current_user):
        return exercise, None
    window = deadlines.window_for(current_user, exercise)
    if not deadlines.is_open(window):
        abort(404)
    return exercise, window


def exercise_or_404(exercise_uuid: str) -> Exercise:
    return exercise_and_window_or_404(exercise_uuid)[0]


def opened_modules() -> set[int] | None:
    """None for staff (the whole catalog); for a learner, the modules with an opened exercise in their cohorts."""
    return deadlines.open_module_ids(current_user) if deadlines.gates(current_user) else None


@bp.route("/")
@login_required
def index():
    return redirect(url_for("catalog.tracks"))


@bp.route("/tracks")
@login_required
def tracks():
    query = select(Track).where(Track.archived.is_(False)).order_by(Track.position)
    modules = opened_modules()
    if modules is not None:
        query = query.where(Track.id.in_(select(Module.track_id).where(Module.id.in_(modules))))
    return render_template("catalog/tracks.html", tracks=db.session.scalars(query).all(),
                           no_cohort=modules is not None and not modules)


@bp.route("/tracks/<slug>")
@login_required
def track(slug: str):
    row = db.session.scalar(select(Track).filter_by(slug=slug, archived=False)) or abort(404)
    opened = opened_modules()
    modules = [m for m in row.modules if not m.archived and (opened is None or m.id in opened)]
    if opened is not None and not modules:
        abort(404)
    return render_template("catalog/track.html", track=row, modules=modules)


@bp.route("/tracks/<track_slug>/<module_slug>")
@login_required
def module(track_slug: str, module_slug: str):
    row = db.session.scalar(select(Module).join(Track).where(
        Track.slug == track_slug, Module.slug == module_slug, Module.archived.is_(False))) or abort(404)
    exercises = [e for e in row.exercises if not e.archived]
    windows = {}
    if deadlines.gates(current_user):
        windows = deadlines.windows_of(current_user, [e.id for e in exercises])
        exercises = [e for e in exercises if deadlines.is_open(windows.get(e.id))]
        if not exercises:
            abort(404)
    best, final = {}, {}
    for exercise in exercises:
        scores = [s.score for s in submissions_of(current_user, exercise, mode="graded") if s.score is not None]
        best[exercise.id] = max(scores) if scores else None
        # A ranked exercise whose private scores were revealed: they decide, not the public part's best.
        final[exercise.id] = leaderboards.final_result(current_user, exercise)
    return render_template("catalog/module.html", module=row, exercises=exercises, best=best, final=final,
                           windows=windows, now=utcnow())


@bp.route("/exercises/<exercise_uuid>")
@login_required
def exercise(exercise_uuid: str):
    row, window = exercise_and_window_or_404(exercise_uuid)
    statement = render_markdown(localized(row.statements, current_language()))
    # A notebook is handed in as a file (downloaded, run in the learner's Jupyter, uploaded), not typed in here.
    notebook = next((name for name in row.files if notebooks.is_notebook(name)), None)
    return render_template("catalog/exercise.html", exercise=row, statement=statement,
                           submissions=submissions_of(current_user, row, limit=20), form=EmptyForm(),
                           hints=row.hints.get(current_language()) or row.hints.get("fr") or [],
                           editors=[(name, editor_language(name)) for name in row.files if name != notebook],
                           editor_language=editor_language, notebook=notebook,
                           preview=live_preview(row), data_files=sorted(public_data(row)),
                           data_folder=get_grader(row.kind).public_data_folder, ranking=ranking_of(row),
                           expected=expected_results(row, current_user),
                           timing=deadlines.timing_for(current_user, row, window),
                           workspace=workspace_for(row, current_user))


def public_data(exercise: Exercise) -> dict[str, dict]:
    """The data files of the exercise a learner may download (a data-analysis exercise's visible datasets, an
    ml-model exercise's training data and inputs, an exploit lab's target sources)."""
    return get_grader(exercise.kind).public_data(ExerciseSpec.from_dict(exercise.spec))


def expected_results(exercise: Exercise, user) -> list[dict]:
    """Each check's expected result (hidden checks' included), for staff reviewing what a check demands before
    learners meet it; nothing for anyone else: it must never reach a learner's page."""
    if not user.is_staff:
        return []
    return get_grader(exercise.kind).expected_preview(ExerciseSpec.from_dict(exercise.spec))


def ranking_of(exercise: Exercise) -> dict | None:
    """A ranked exercise's quota left today for the learner, for the page's link to its leaderboard."""
    if not leaderboards.is_ranked(exercise):
        return None
    quota = leaderboards.daily_quota(exercise)
    return {"quota": quota, "left": max(0, quota - leaderboards.used_today(current_user, exercise)) if quota else None,
            "final": leaderboards.final_result(current_user, exercise)}


DATA_TYPES = {".csv": "text/csv", ".tsv": "text/tab-separated-values", ".json": "application/json",
              ".txt": "text/plain", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.route("/exercises/<exercise_uuid>/data/<path:name>")
@login_required
def exercise_data(exercise_uuid: str, name: str):
    """One of the exercise's public data files, as a download (never shown inline)."""
    content = public_data(exercise_or_404(exercise_uuid)).get(name) or abort(404)
    data = base64.b64decode(content["base64"]) if "base64" in content else content["text"].encode("utf-8")
    mimetype = DATA_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=name.replace("/", "-"), max_age=0)


STARTER_TYPES = {notebooks.SUFFIX: notebooks.MEDIA_TYPE}


@bp.route("/exercises/<exercise_uuid>/starter/<name>")
@login_required
def exercise_starter(exercise_uuid: str, name: str):
    """A starter file as a download (the notebook a learner opens in their own Jupyter), never shown inline."""
    row = exercise_or_404(exercise_uuid)
    if name not in row.files:
        abort(404)
    data = row.starter_files.get(name, "").encode("utf-8")
    mimetype = STARTER_TYPES.get(PurePosixPath(name).suffix.lower(), "text/plain")
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)


def editor_language(name: str) -> str:
    return Grader.EDITOR_LANGUAGES.get(PurePosixPath(name).suffix.lower(), "text")


# Kinds whose files make a page the learner's own browser can show as they type (index.html with its CSS and JS).
PREVIEW_KINDS = ("web-page",)


def live_preview(exercise: Exercise) -> dict | None:
    if exercise.kind not in PREVIEW_KINDS or "index.html" not in exercise.files:
        return None
    return {"javascript": (exercise.spec.get("options") or {}).get("javascript", True) is not False}


PREVIEW_FRAME = """<!doctype html><html><head><meta charset="utf-8"><title>preview</title></head><body><script>
window.addEventListener("message", function (event) {
  if (event.source !== window.parent || !event.data || event.data.type !== "lms-preview") return;
  document.open(); document.write(String(event.data.html)); document.close();
});
</script></body></html>"""


@bp.route("/preview-frame")
def preview_frame():
    """The empty document the exercise page's live preview writes the learner's page into. It only ever runs in an
    iframe sandboxed without same-origin rights (an opaque origin: no cookies, no API, no parent page), and its
    policy lets the page reach nothing but itself: no request leaves it, inline code and styles only."""
    response = Response(PREVIEW_FRAME, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "sandbox allow-scripts allow-forms; default-src 'none'; script-src 'unsafe-inline'; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:; media-src data:; form-action 'none'; "
        "base-uri 'none'; frame-ancestors 'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response
