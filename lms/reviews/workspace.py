"""The exercise page of a reviewed task: the rubric before submitting, a field per deliverable file (the link as a
one-line field), and the learner's submissions in review with a way to their released reviews."""
from __future__ import annotations

from posixpath import splitext

from sqlalchemy import select

from graders.base import ExerciseSpec, Grader
from lms.catalog.models import Exercise
from lms.catalog.workspaces import register_workspace
from lms.extensions import db
from lms.reviews import services
from lms.submissions.models import Mode, Submission


@register_workspace(services.KIND)
def reviewed_task_workspace(exercise: Exercise, user) -> dict:
    options = ExerciseSpec.from_dict(exercise.spec).options
    fields = [{"name": name, "link": name == options.get("link"), "starter": exercise.starter_files.get(name, ""),
               "language": Grader.EDITOR_LANGUAGES.get(splitext(name)[1], "text")} for name in exercise.files]
    in_review = []
    if getattr(user, "is_authenticated", False):
        in_review = list(db.session.scalars(select(Submission).where(
            Submission.user_id == user.id, Submission.exercise_id == exercise.id, Submission.mode == Mode.GRADED,
            Submission.verdict.in_(services.IN_REVIEW)).order_by(Submission.id.desc()).limit(20)))
    return {"rubric": options.get("rubric") or [], "fields": fields, "link_hosts": options.get("link_hosts") or [],
            "in_review": in_review}
