"""Kinds that run no code are graded in the request that hands them in (lms.grading.jobs.grade_in_request): the API's
answer carries the result, nothing goes through Redis; with inline grading off, or when it fails midway, the queue
takes the submission and a real worker grades it, so nothing is lost."""
import json

import pytest
from sqlalchemy import select

from graders.quiz import QuizGrader, reference_answer
from lms.auth.services import issue_api_token
from tests.e2e.test_quiz_flow import keyed_questions, quizzes  # noqa: F401 - the fixture


@pytest.fixture
def hand_in(quizzes, make_user, client):  # noqa: F811
    """POST this learner's right answers to a bundled quiz over the API; the answer and the learner."""
    from lms.extensions import db

    exercise = quizzes["achat-paiement"]
    exercise.pacing = {}
    db.session.commit()
    learner = make_user()

    def post():
        answers = {q_id: reference_answer(q) for q_id, q in keyed_questions(exercise, learner).items()}
        return client.post(f"/api/v1/exercises/{exercise.uuid}/submissions", json={"files": {"answers.json": json.dumps(answers)}},
                           headers={"Authorization": f"Bearer {issue_api_token(learner)}"})

    return post


def queued_jobs(app, redis_connection) -> int:
    return redis_connection.llen(f"rq:queue:{app.config['LMS_QUEUE_NAME']}")


def test_quiz_is_graded_in_the_request_that_hands_it_in(app, hand_in, redis_connection):
    answer = hand_in()
    assert answer.status_code == 202, answer.get_data(as_text=True)
    data = answer.get_json()
    assert data["final"] is True and data["status"] == "completed" and data["verdict"] == "passed"
    assert data["score"] == data["max_score"] > 0
    assert queued_jobs(app, redis_connection) == 0  # no job, no worker needed


def test_with_inline_grading_off_the_queue_grades_it(app, hand_in, redis_connection, run_worker_burst, client):
    app.config["LMS_INLINE_TRUSTED_GRADING"] = False
    answer = hand_in()
    data = answer.get_json()
    assert data["final"] is False and data["status"] == "queued"
    assert queued_jobs(app, redis_connection) == 1
    run_worker_burst()
    from lms.extensions import db
    from lms.submissions.models import Submission

    row = db.session.scalar(select(Submission).where(Submission.id == data["id"]))
    assert (row.status, row.verdict) == ("completed", "passed")


def test_inline_grading_that_fails_is_retried_through_the_queue(app, hand_in, redis_connection, run_worker_burst,
                                                                monkeypatch):
    calls = []
    original = QuizGrader.grade

    def flaky(self, spec, files, learner):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug on the trusted side")
        return original(self, spec, files, learner)

    monkeypatch.setattr(QuizGrader, "grade", flaky)
    answer = hand_in()
    assert answer.status_code == 202
    data = answer.get_json()
    # The learner is told it is being graded again, not that it failed; the next attempt is in the queue.
    assert (data["status"], data["final"]) == ("queued", False)
    assert queued_jobs(app, redis_connection) == 1
    from lms.extensions import db
    from lms.submissions.models import Submission

    row = db.session.scalar(select(Submission).where(Submission.id == data["id"]))
    assert (row.status, row.attempts) == ("queued", 2)
    assert "inline grading failed: RuntimeError: a bug on the trusted side" in row.error_reason
    run_worker_burst()
    db.session.refresh(row)
    assert (row.status, row.verdict, row.attempts) == ("completed", "passed", 2)
