"""Graders, one per exercise kind, found through a registry keyed by the `kind` named in exercise.yaml."""
from __future__ import annotations

from graders.base import ExerciseSpec, Grader, GradeResult, SpecError, Verdict

GRADERS: dict[str, type[Grader]] = {}


def register(cls: type[Grader]) -> type[Grader]:
    if cls.kind in GRADERS:
        raise ValueError(f"grader kind {cls.kind!r} registered twice")
    GRADERS[cls.kind] = cls
    return cls


def get_grader(kind: str) -> Grader:
    try:
        return GRADERS[kind]()
    except KeyError:
        raise SpecError(f"unknown exercise kind {kind!r}; known kinds: {', '.join(sorted(GRADERS))}") from None


# Importing a kind's module registers it.
from graders import (ctf_flag, data_analysis, exploit_lab, fullstack, http_service, javascript,  # noqa: E402,F401
                     ml_model, python, quiz, reviewed_task, secure_fix, sql_query, structured_task, web_page)

__all__ = ["GRADERS", "ExerciseSpec", "GradeResult", "Grader", "SpecError", "Verdict", "get_grader", "register"]
