"""Grades of the kinds that run no code (graders.base.TrustedGrader): judged in the worker's process, with the
learner's server-derived keys and earlier attempts; and what a kind does once such a grade is stored."""
from __future__ import annotations

import hashlib
import hmac
from functools import partial
from typing import Callable

from flask import current_app
from sqlalchemy import select

from graders.base import ExerciseSpec, GradeResult, Learner, TrustedGrader
from lms.extensions import db
from lms.submissions.models import Mode, Status, Submission


def learner_key(secret: str, exercise_uuid: str, user_id: int, purpose: str) -> bytes:
    """HMAC of the learner and the exercise under a key of the application's secret, one per purpose: stable for a
    learner (the same flag on every download), different for every other one."""
    root = hmac.new(secret.encode(), b"lms-learner-keys", hashlib.sha256).digest()
    return hmac.new(root, f"{purpose}|{exercise_uuid}|{user_id}".encode(), hashlib.sha256).digest()


def learner_for(user_id: int, exercise_uuid: str, secret: str | None = None, previous=(), facts=None) -> Learner:
    secret = secret if secret is not None else current_app.config["SECRET_KEY"]
    return Learner(user_id=user_id, key=partial(learner_key, secret, exercise_uuid, user_id), previous=tuple(previous),
                   facts=dict(facts or {}))


def earlier_attempts(submission: Submission) -> list[dict]:
    """The learner's graded attempts at this exercise before this one that reached a grade, oldest first."""
    rows = db.session.execute(select(Submission.feedback, Submission.score).where(
        Submission.user_id == submission.user_id, Submission.exercise_id == submission.exercise_id,
        Submission.mode == Mode.GRADED, Submission.status == Status.COMPLETED, Submission.id < submission.id)
        .order_by(Submission.id))
    return [{"checks": (feedback or {}).get("checks", []), "score": score} for feedback, score in rows]


# What the server knows of the learner that a kind's grade depends on (Learner.facts; the ctf-flag kind: the hints
# they had opened): {kind: function(submission) -> dict}, read from our own rows before grading.
LearnerFacts = Callable[[Submission], dict]
LEARNER_FACTS: dict[str, LearnerFacts] = {}


def register_learner_facts(kind: str):
    def decorator(function: LearnerFacts) -> LearnerFacts:
        if kind in LEARNER_FACTS:
            raise ValueError(f"learner facts of kind {kind!r} registered twice")
        LEARNER_FACTS[kind] = function
        return function
    return decorator


def grade_trusted(grader: TrustedGrader, spec: ExerciseSpec, submission: Submission) -> GradeResult:
    previous = earlier_attempts(submission) if submission.mode == Mode.GRADED else []
    facts = LEARNER_FACTS[spec.kind](submission) if spec.kind in LEARNER_FACTS else {}
    return grader.grade_trusted(spec, submission.files, learner_for(submission.user_id, spec.uuid, previous=previous,
                                                                    facts=facts))


# What a kind does once a grade of its is stored (the ctf-flag kind reports a flag that is another learner's):
# {kind: function(submission, grade_result)}, called after the grade's commit.
AfterGrade = Callable[[Submission, GradeResult], None]
AFTER_GRADE: dict[str, AfterGrade] = {}


def register_after_grade(kind: str):
    def decorator(function: AfterGrade) -> AfterGrade:
        if kind in AFTER_GRADE:
            raise ValueError(f"after-grade hook of kind {kind!r} registered twice")
        AFTER_GRADE[kind] = function
        return function
    return decorator


def after_grade(submission: Submission, grade_result: GradeResult) -> None:
    function = AFTER_GRADE.get(submission.exercise.kind)
    if function is not None:
        function(submission, grade_result)
