"""A quiz over HTTP (the Flask test client): a learner of a cohort opens it and sees their questions but no key,
answers without JavaScript, the real worker grades it (no sandbox), the submission page shows each question's
feedback; a second try through the API pays the penalty on the question answered wrongly before. And the answer
keys of every bundled quiz are in no page and no API answer."""
import json
import re
import shutil

import pytest
from sqlalchemy import select

from graders import get_grader
from graders.base import ExerciseSpec
from graders.quiz import literal_of, reference_answer
from lms.grading.trusted import learner_for
from tests.conftest import CONTENT_DIR, CSRF_FIELD

TRACK = "outils-entreprise"
GRADER = get_grader("quiz")


@pytest.fixture
def quizzes(app, admitted, tmp_path):
    """The enterprise-tools track alone, imported and published to the test cohorts: {slug: Exercise}."""
    from lms.catalog.importer import import_library
    from lms.catalog.models import Exercise
    from lms.extensions import db

    shutil.copytree(CONTENT_DIR / TRACK, tmp_path / "library" / TRACK)
    import_library(tmp_path / "library", source_name="quiz-tests")
    admitted.refresh()
    return {e.slug: e for e in db.session.scalars(select(Exercise))}


def keyed_questions(exercise, user):
    """The trusted side's view of this learner's questions (key included): what a learner who knows would answer."""
    spec = ExerciseSpec.from_dict(exercise.spec)
    return {q["id"]: q for q in GRADER.questions_for(spec, learner_for(user.id, exercise.uuid))}


def form_fields(question, answer) -> dict:
    """A right answer as the page's fields."""
    name = f"q:{question['id']}"
    if question["type"] == "ordering":
        return {f"{name}:{token}": str(place) for place, token in enumerate(answer, start=1)}
    if isinstance(answer, dict):
        return {f"{name}:{part}": value for part, value in answer.items()}
    return {name: answer}


def test_learner_answers_the_quiz_and_sees_feedback_per_question(quizzes, make_user, auth, client,
                                                                 run_worker_burst):
    from lms.extensions import db

    exercise = quizzes["achat-paiement"]
    exercise.pacing = {}  # no cooldown between the two tries of this test
    db.session.commit()
    learner = make_user()
    auth.login(learner)
    page = client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)
    assert page.count('<fieldset class="quiz-question"') == 5 and "js/quiz.js" in page
    assert "Entraînement, pas certification" in page and "Le montant attendu de la facture" in page
    assert re.search(r'<input type="radio" id="q-5-1"\s+name="q:facture-bloquee"', page)
    assert '<label for="q-2-answer">' in page and 'formaction="/exercises/' in page

    questions = keyed_questions(exercise, learner)
    fields = {"csrf_token": CSRF_FIELD.search(page).group(1)}
    for qid, question in questions.items():
        fields.update(form_fields(question, reference_answer(question)))
    fields["q:transaction-entree"] = "ME21N"  # wrong
    multiple = [c["token"] for c in questions["rapprochement"]["choices"] if c["correct"]][:2]
    del fields["q:rapprochement"]
    response = client.post(f"/exercises/{exercise.uuid}/quiz", data={**fields, "q:rapprochement": multiple})
    assert response.status_code == 303 and "/submissions/" in response.location
    run_worker_burst()

    detail = client.get(response.location).get_data(as_text=True)
    assert "7.33 / 10.0" in detail  # 3 right, 2 of 3 right choices, one wrong: (3 + 2/3) / 5
    assert "Réponse incorrecte." in detail and "transaction polyvalente des mouvements de stock" in detail
    assert "Réponse en partie juste : 67 % du crédit de la question." in detail
    assert "MIGO" not in detail  # the feedback names no right answer

    # Second try, as the page's script sends it: answers.json through the API; the question wrong before is
    # now right but earns 25 % less.
    answers = {qid: reference_answer(q) for qid, q in questions.items()}
    csrf = CSRF_FIELD.search(client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)).group(1)
    sent = client.post(f"/api/v1/exercises/{exercise.uuid}/submissions",
                       json={"files": {"answers.json": json.dumps(answers)}}, headers={"X-CSRFToken": csrf})
    assert sent.status_code == 202
    run_worker_burst()
    status = client.get(f"/api/v1/submissions/{sent.get_json()['id']}").get_json()
    assert status["score"] == 9.0 and all(c["passed"] for c in status["checks"])  # (3 + 0.75 + 0.75) / 5
    client.post("/language", data={"language": "ar", "csrf_token": csrf, "next": "/"})
    arabic = client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "المبلغ المنتظر للفاتورة" in arabic and "السؤال 1" in arabic


def key_values(spec: ExerciseSpec) -> set[str]:
    """What would give an answer away: accepted texts, numbers (those of 3 digits and more: shorter ones are on any
    page), explanations, and the mark of a right choice."""
    values = {'"correct"', "data-correct"}

    def add_rule(data):
        for pattern in data.get("accept") or []:
            values.add(literal_of(pattern).casefold())
        if isinstance(data.get("answer"), (int, float)) and abs(data["answer"]) >= 100:
            number = data["answer"]
            values.update({str(number), repr(float(number))})

    for check in spec.checks:
        for data in [check, *(check.get("variants") or [])]:
            add_rule(data)
            for gap in data.get("gaps") or []:
                add_rule(gap)
        values.update(text.casefold() for text in (check.get("explanation") or {}).values())
    return values


def test_no_answer_key_in_any_page_or_api_answer(quizzes, make_user, auth, client):
    learner = make_user()
    auth.login(learner)
    csrf = auth.csrf_token("/account")
    token = re.compile(r"\bt[0-9a-f]{12}\b")  # the tokens of choices: hex, where short numbers can turn up
    for language in ("fr", "ar"):
        client.post("/language", data={"language": language, "csrf_token": csrf, "next": "/"})
        for exercise in (e for e in quizzes.values() if e.kind == "quiz"):  # the track holds structured tasks too
            page = client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)
            api = json.dumps(client.get(f"/api/v1/exercises/{exercise.uuid}").get_json(), ensure_ascii=False)
            assert "<fieldset" in page and exercise.uuid in api
            seen = token.sub("", (page + api).casefold())
            for value in key_values(ExerciseSpec.from_dict(exercise.spec)):
                assert value not in seen, f"{exercise.slug}: {value!r} is on the page or in the API"
