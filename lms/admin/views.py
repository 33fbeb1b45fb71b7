"""Operator pages: sandbox pools of every live worker, the queue, submissions not yet final."""
from __future__ import annotations

import time

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from sqlalchemy import select

from lms.auth.access import admin_required
from lms.auth.models import User
from lms.extensions import db
from lms.grading.queue import grading_queue, redis_connection
from lms.grading.worker import pool_states
from lms.submissions.models import Status, Submission

bp = Blueprint("admin", __name__, url_prefix="/admin")
WORKER_STATE_LABELS = {
    "starting": _l("starting"),
    "idle": _l("waiting for work"),
    "grading": _l("grading"),
    "waiting for Redis": _l("waiting for Redis"),
    "waiting for the Docker engine": _l("waiting for the Docker engine"),
}


@bp.route("/")
@admin_required
def index():
    redis_error, pools, queued_jobs = None, [], None
    try:
        pools = pool_states(redis_connection())
        queued_jobs = grading_queue().count
    except RedisError as exc:
        redis_error = str(exc)
    pending = db.session.scalars(select(Submission).where(
        Submission.status.in_([Status.QUEUED, Status.RUNNING])).order_by(Submission.id).limit(100)).all()
    users = db.session.scalars(select(User).order_by(User.role, User.email).limit(200)).all()
    return render_template("admin/index.html", pools=pools, queued_jobs=queued_jobs, redis_error=redis_error,
                           pending=pending, users=users, now=time.time(), worker_state_labels=WORKER_STATE_LABELS)
