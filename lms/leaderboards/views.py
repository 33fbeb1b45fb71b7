"""A ranked exercise's leaderboard page (every signed-in user) and the instructor's reveal of its private scores."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.auth.access import staff_required
from lms.auth.forms import EmptyForm
from lms.catalog.views import exercise_or_404
from lms.leaderboards import services

bp = Blueprint("leaderboards", __name__)


def ranked_exercise_or_404(exercise_uuid: str):
    exercise = exercise_or_404(exercise_uuid)
    if not services.is_ranked(exercise):
        abort(404)
    return exercise


@bp.route("/exercises/<exercise_uuid>/leaderboard")
@login_required
def leaderboard(exercise_uuid: str):
    exercise = ranked_exercise_or_404(exercise_uuid)
    rows, facts = services.board(exercise)
    quota = facts["quota"]
    left = max(0, quota - services.used_today(current_user, exercise)) if quota else None
    return render_template("leaderboards/leaderboard.html", exercise=exercise, rows=rows, facts=facts, left=left,
                           form=EmptyForm())


@bp.route("/exercises/<exercise_uuid>/leaderboard/reveal", methods=["POST"])
@staff_required
def reveal(exercise_uuid: str):
    exercise = ranked_exercise_or_404(exercise_uuid)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.reveal(exercise, current_user)
    flash(_("The private scores now decide and are shown."))
    return redirect(url_for("leaderboards.leaderboard", exercise_uuid=exercise.uuid))
