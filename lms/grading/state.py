"""A submission's grading state changes by compare-and-set: each change names the attempt and the statuses it
starts from, and happens only if the row still says so. Web requests, workers, RQ's abandoned-job handling and the
recovery loop may all act on one row at once (a worker thought dead that was only slow, a job enqueued twice); the
row decides, so an attempt that was replaced can never overwrite the grade of the one that replaced it.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from lms.extensions import db
from lms.submissions.models import Status, Submission

LIVE = (Status.QUEUED, Status.RUNNING)


def transition(submission: Submission, attempt: int, from_statuses, *where, new_rows=(), **values) -> bool:
    """Set `values` on the row if it is still at `attempt` in one of `from_statuses` (and `where` holds); commit.
    `new_rows` (e.g. the grade's artifacts) are added in the same transaction, only if the change happens. The
    object in the session is updated too when the change happened. Returns whether it happened."""
    result = db.session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.attempts == attempt,
               Submission.status.in_([str(s) for s in from_statuses]), *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount == 1
    if changed and new_rows:
        db.session.add_all(new_rows)
    db.session.commit()
    if changed:
        for name, value in values.items():
            set_committed_value(submission, name, value)  # what the row now holds, not marked as a change
    return changed
