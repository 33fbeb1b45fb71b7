"""The quiz's workspace on the exercise page (lms.catalog.workspaces): the learner's own questions."""
from __future__ import annotations

from flask import url_for

from lms.catalog.workspaces import register_workspace
from lms.quizzes.services import questions_of


@register_workspace("quiz")
def quiz_workspace(exercise, user) -> dict:
    return {"questions": questions_of(exercise, user),
            "form_url": url_for("quizzes.submit", exercise_uuid=exercise.uuid)}
