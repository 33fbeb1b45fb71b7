"""A learner's quiz questions for the page, and answers.json built from the form's `q:<id>` fields."""
from __future__ import annotations

import json

from graders import get_grader
from graders.base import ExerciseSpec
from graders.quiz import ANSWERS_FILE, MAX_LIST_ANSWER, MAX_TEXT_ANSWER
from lms.catalog.models import Exercise
from lms.grading.trusted import learner_for


def questions_of(exercise: Exercise, user) -> list[dict]:
    """The questions as this learner meets them (their variant, their order): texts and tokens, no answer key."""
    spec = ExerciseSpec.from_dict(exercise.spec)
    return get_grader(exercise.kind).learner_questions(spec, learner_for(user.id, exercise.uuid))


def _field(form, name: str) -> str:
    return (form.get(name) or "").strip()[:MAX_TEXT_ANSWER + 1]


def answers_from_form(questions: list[dict], form) -> dict[str, str]:
    """answers.json from the page's fields (what static/js/quiz.js builds in the browser): only this learner's
    questions are read; the grader judges what the values are worth."""
    answers = {}
    for question in questions:
        qid, kind = question["id"], question["type"]
        name = f"q:{qid}"
        if kind == "multiple":
            value = [v for v in form.getlist(name)[:MAX_LIST_ANSWER] if v]
        elif kind in ("single", "short", "numerical"):
            value = _field(form, name)
        elif kind == "matching":
            value = {x["token"]: _field(form, f"{name}:{x['token']}") for x in question["left"]}
        elif kind == "ordering":
            value = {x["token"]: _field(form, f"{name}:{x['token']}") for x in question["items"]}
        else:  # cloze
            value = {g["id"]: _field(form, f"{name}:{g['id']}") for g in question["gaps"]}
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v}
        if value:
            answers[qid] = value
    return {ANSWERS_FILE: json.dumps(answers, ensure_ascii=False)}
