"""A learner's whole path over real HTTP: log in, open the exercise, submit, a worker grades in a real container,
the status endpoint and the pages show the result."""
import re

import requests

from tests.conftest import CSRF_FIELD, PASSWORD, solution_of


def browser_login(base, user):
    session = requests.Session()
    token = CSRF_FIELD.search(session.get(f"{base}/login").text).group(1)
    response = session.post(f"{base}/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 200 and "/login" not in response.url
    return session


def test_learner_submits_and_sees_the_result(live_server, content, make_user, run_worker_burst):
    learner = make_user()
    exercise = content["moyenne"]
    session = browser_login(live_server, learner)

    page = session.get(f"{live_server}/exercises/{exercise.uuid}")
    assert page.status_code == 200
    assert 'data-code-editor' in page.text and "def moyenne" in page.text  # the starter, in the editor
    assert "Moyenne d&#39;une liste" in page.text or "Moyenne d'une liste" in page.text  # French by default
    csrf = CSRF_FIELD.search(page.text).group(1)

    response = session.post(f"{live_server}/api/v1/exercises/{exercise.uuid}/submissions",
                            json={"files": solution_of("moyenne")}, headers={"X-CSRFToken": csrf})
    assert response.status_code == 202
    queued = response.json()
    assert queued["status"] == "queued" and queued["queue_position"] == 1 and not queued["final"]

    run_worker_burst()  # a real RQ worker, in this thread (it needs signals); the server runs in its own

    status = session.get(f"{live_server}/api/v1/submissions/{queued['id']}").json()
    assert status["final"] and status["verdict"] == "passed" and status["score"] == 10.0
    assert {c["id"] for c in status["checks"]} >= {"empty-list"}
    assert all(c["passed"] for c in status["checks"])
    assert all("expect" not in c for c in status["checks"])

    detail = session.get(f"{live_server}/submissions/{queued['id']}").text
    assert "10.0 / 10.0" in detail and "Liste vide" in detail  # hidden check shown by name, in French
    exercise_page = session.get(f"{live_server}/exercises/{exercise.uuid}").text
    assert re.search(rf'data-submission-id="{queued["id"]}"', exercise_page)


def test_form_post_without_javascript_works_too(live_server, content, make_user, run_worker_burst):
    learner = make_user()
    exercise = content["palindrome"]
    session = browser_login(live_server, learner)
    page = session.get(f"{live_server}/exercises/{exercise.uuid}").text
    response = session.post(f"{live_server}/exercises/{exercise.uuid}/submit",
                            data={"csrf_token": CSRF_FIELD.search(page).group(1),
                                  "file:solution.py": solution_of("palindrome", "starter")["solution.py"]})
    assert response.status_code == 200 and "/submissions/" in response.url
    run_worker_burst()
    detail = session.get(response.url).text
    assert 'http-equiv="refresh"' not in detail  # final: the page stops refreshing itself
    assert "0.0 / 10.0" in detail


def test_api_token_flow(live_server, content, make_user, run_worker_burst, app):
    from lms.auth.services import issue_api_token

    learner = make_user()
    token = issue_api_token(learner)
    headers = {"Authorization": f"Bearer {token}"}
    exercise = content["fizzbuzz"]
    response = requests.post(f"{live_server}/api/v1/exercises/{exercise.uuid}/submissions",
                             json={"files": solution_of("fizzbuzz")}, headers=headers)
    assert response.status_code == 202, response.text
    submission_id = response.json()["id"]
    run_worker_burst()
    result = requests.get(f"{live_server}/api/v1/submissions/{submission_id}", headers=headers).json()
    assert result["verdict"] == "passed"
    listing = requests.get(f"{live_server}/api/v1/submissions", params={"exercise": exercise.uuid},
                           headers=headers).json()
    assert [s["id"] for s in listing["submissions"]] == [submission_id]


def test_long_polling_answers_when_the_worker_finishes(live_server, content, make_user, run_worker_burst):
    """A client waiting with ?wait= is answered when the status changes (the worker notifies through Redis), and
    every 2 s at most while queued (fresh queue position): a handful of requests, not a polling storm."""
    import threading
    import time

    from lms.auth.services import issue_api_token

    headers = {"Authorization": f"Bearer {issue_api_token(make_user())}"}
    exercise = content["moyenne"]
    submission = requests.post(f"{live_server}/api/v1/exercises/{exercise.uuid}/submissions",
                               json={"files": solution_of("moyenne")}, headers=headers).json()
    replies = []

    def follow():
        status = submission["status"]
        while not (replies and replies[-1][0]["final"]):
            reply = requests.get(f"{live_server}/api/v1/submissions/{submission['id']}",
                                 params={"wait": 20, "status": status}, headers=headers, timeout=30).json()
            replies.append((reply, time.monotonic()))
            status = reply["status"]

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(2.5)
    assert replies and not replies[-1][0]["final"]  # still queued: answered once after ~2 s, waiting again
    run_worker_burst()
    stored = time.monotonic()
    follower.join(timeout=60)
    final = replies[-1][0]
    assert final["final"] and final["verdict"] == "passed"
    assert len(replies) <= 8  # a handful (one per 2 s while queued, one per change), not a polling storm
    assert replies[-1][1] - stored < 1.0  # the last answer came right after the worker stored the grade


def test_practice_run_shows_public_tests_without_score_or_attempt(live_server, content, make_user,
                                                                    run_worker_burst, app):
    from lms.auth.services import issue_api_token
    from lms.extensions import db

    exercise = content["moyenne"]
    exercise.pacing = {"cooldown_seconds": 0, "max_attempts": 1}
    db.session.commit()
    headers = {"Authorization": f"Bearer {issue_api_token(make_user())}"}
    url = f"{live_server}/api/v1/exercises/{exercise.uuid}/submissions"
    practice = requests.post(url, json={"files": solution_of("moyenne", "starter"), "mode": "practice"},
                             headers=headers)
    assert practice.status_code == 202 and practice.json()["mode"] == "practice"
    run_worker_burst()
    result = requests.get(f"{live_server}/api/v1/submissions/{practice.json()['id']}", headers=headers).json()
    assert result["final"] and result["verdict"] == "failed" and result["score"] is None
    assert result["verdict_label"] == "Tests publics en échec"  # French by default
    assert result["checks"] == [] and result["public_tests"]
    assert any(not t["passed"] and t["message"] for t in result["public_tests"])
    # Practising cost no attempt: the single graded attempt is still there.
    graded = requests.post(url, json={"files": solution_of("moyenne")}, headers=headers)
    assert graded.status_code == 202
    assert requests.post(url, json={"files": solution_of("moyenne")}, headers=headers).status_code == 403
    bad = requests.post(url, json={"files": solution_of("moyenne"), "mode": "exam"}, headers=headers)
    assert bad.status_code == 400
