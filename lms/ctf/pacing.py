"""Wrong flags are rate-limited per learner and challenge (`options.wrong_tries`: at most `max` per `minutes`,
5 per 10 by default): what stops guessing flags by brute force. A try still being graded counts as a wrong one
until its grade says otherwise, so tries sent in a burst cannot get past the limit while they wait in the queue."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from graders.ctf_flag import wrong_tries
from lms.catalog.models import Exercise
from lms.clock import utcnow
from lms.ctf.services import spec_of
from lms.extensions import db
from lms.submissions.models import Mode, Status, Submission
from lms.submissions.services import SubmissionRejected

KIND = "ctf-flag"


@dataclass(frozen=True)
class Tries:
    limit: int  # wrong flags allowed per window
    minutes: int  # the window
    left: int  # before the pause
    wait_seconds: int  # 0, or how long until the next try is allowed


def tries_of(user, exercise: Exercise) -> Tries:
    rule = wrong_tries(spec_of(exercise))
    now = utcnow()
    window = timedelta(minutes=rule["minutes"])
    moments = sorted(db.session.scalars(select(Submission.created_at).where(
        Submission.user_id == user.id, Submission.exercise_id == exercise.id, Submission.mode == Mode.GRADED,
        Submission.created_at > now - window,
        or_(Submission.status.in_([Status.QUEUED, Status.RUNNING]),
            (Submission.status == Status.COMPLETED) & (Submission.verdict != "passed")))))
    left = max(0, rule["max"] - len(moments))
    wait = 0
    if not left:  # the pause lasts until the oldest wrong try that counts leaves the window
        wait = max(1, math.ceil((moments[-rule["max"]] + window - now).total_seconds()))
    return Tries(limit=rule["max"], minutes=rule["minutes"], left=left, wait_seconds=wait)


def check_wrong_flags(user, exercise: Exercise, mode: str) -> None:
    """Called by create_submission: a learner who has used their wrong tries waits (HTTP 429)."""
    if exercise.kind != KIND or mode != Mode.GRADED:
        return
    tries = tries_of(user, exercise)
    if tries.left:
        return
    raise SubmissionRejected("too_many_wrong_flags", _l(
        "%(limit)d wrong flags in %(minutes)d minutes: wait %(wait)d min before trying again.",
        limit=tries.limit, minutes=tries.minutes, wait=math.ceil(tries.wait_seconds / 60)), 429)
