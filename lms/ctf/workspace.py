"""The ctf-flag exercise page's workspace: the learner's own download, the flag field, the tries left before a pause
and the hints with their costs (their text only once opened)."""
from __future__ import annotations

from flask import url_for

from graders.ctf_flag import FLAG_FILE
from lms.catalog.models import Exercise
from lms.catalog.workspaces import register_workspace
from lms.ctf.pacing import KIND, tries_of
from lms.ctf.services import artifact_for, has_artifact, has_downloaded, hints_shown


@register_workspace(KIND)
def ctf_workspace(exercise: Exercise, user) -> dict:
    artifact = artifact_for(user, exercise) if has_artifact(exercise) else None
    return {"ctf": {
        "artifact_name": artifact.name if artifact else None,
        "artifact_url": url_for("ctf.artifact", exercise_uuid=exercise.uuid) if artifact else None,
        "downloaded": artifact is not None and has_downloaded(user, exercise),
        "flag_file": FLAG_FILE,
        "starter": exercise.starter_files.get(FLAG_FILE, ""),
        "tries": tries_of(user, exercise),
        "hints": hints_shown(user, exercise),
        "hints_url": url_for("ctf.hints", exercise_uuid=exercise.uuid),
        "reports_url": url_for("ctf.reports", exercise=exercise.uuid) if user.is_staff else None,
    }}
