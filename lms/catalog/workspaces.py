"""The exercise page's workspace per kind: most kinds show an editor per file; a kind registered here shows its
own form instead (a quiz's questions, a flag field beside the learner's own download), from the template
`catalog/workspaces/<kind>.html` and what its context function gives for this learner. The form still posts the
exercise's files (`file:<name>` fields) to the one submission path."""
from __future__ import annotations

from typing import Callable

from lms.catalog.models import Exercise

WorkspaceContext = Callable[[Exercise, object], dict]
WORKSPACES: dict[str, WorkspaceContext] = {}


def register_workspace(kind: str):
    def decorator(function: WorkspaceContext) -> WorkspaceContext:
        if kind in WORKSPACES:
            raise ValueError(f"workspace of kind {kind!r} registered twice")
        WORKSPACES[kind] = function
        return function
    return decorator


def workspace_for(exercise: Exercise, user) -> dict | None:
    """{"template", **context} of the exercise's own workspace, or None for the editors."""
    function = WORKSPACES.get(exercise.kind)
    if function is None:
        return None
    return {"template": f"catalog/workspaces/{exercise.kind}.html", **function(exercise, user)}
