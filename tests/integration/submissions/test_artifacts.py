"""Screenshots stored with a grade: in the same transaction as the grade, listed in the feedback, served as images
only, to whoever may see the submission and nobody else."""
from __future__ import annotations

import base64

import pytest

from graders.base import Artifact, CheckFeedback, GradeResult, Verdict
from lms.clock import utcnow
from lms.grading.jobs import store_grade
from lms.grading.state import transition
from lms.submissions.models import Status, SubmissionArtifact
from lms.submissions.services import create_submission
from tests.conftest import solution_of

# A real 1x1 PNG.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


def running(submission):
    assert transition(submission, submission.attempts, (Status.QUEUED,), status=Status.RUNNING, started_at=utcnow())
    return submission


def screenshot_grade() -> GradeResult:
    check = CheckFeedback(id="layout", name={"fr": "Mise en page"}, passed=True, hidden=False, status="passed",
                          details={"artifact": "desktop.png"})
    return GradeResult(verdict=Verdict.PASSED, score=10.0, max_score=10.0, checks=[check],
                       artifacts=[Artifact(name="desktop.png", content_type="image/png", data=PIXEL,
                                           caption={"fr": "Bureau (1280 px)", "en": "Desktop (1280 px)"})])


@pytest.fixture
def graded(content, make_user):
    learner = make_user()
    submission = running(create_submission(learner, content["moyenne"], solution_of("moyenne")))
    assert store_grade(submission, submission.attempts, screenshot_grade(), {}, finished_at=utcnow())
    return learner, submission


def test_the_owner_sees_the_screenshot_in_the_feedback_and_gets_it_as_an_image(client, auth, graded):
    learner, submission = graded
    auth.login(learner)
    data = client.get(f"/api/v1/submissions/{submission.id}").json
    assert [a["caption"] for a in data["artifacts"]] == ["Bureau (1280 px)"]
    image = client.get(data["artifacts"][0]["url"])
    assert image.status_code == 200 and image.data == PIXEL and image.mimetype == "image/png"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert data["artifacts"][0]["url"] in page and "Captures d" in page


def test_nobody_else_gets_it_and_odd_names_are_not_found(client, auth, graded, make_user, make_staff):
    _, submission = graded
    url = f"/submissions/{submission.id}/artifacts/desktop.png"
    auth.login(make_user())
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(make_user("instructor"))
    assert client.get(url).status_code == 404  # an instructor who does not teach this learner
    auth.logout()
    auth.login(make_staff())
    assert client.get(url).status_code == 200  # staff follow their learners' work
    for name in ("missing.png", "..%2Fdesktop.png", "desktop.png%00", "A" * 80):
        assert client.get(f"/submissions/{submission.id}/artifacts/{name}").status_code == 404


def test_a_superseded_attempt_stores_no_picture(content, make_user):
    from lms.extensions import db

    submission = running(create_submission(make_user(), content["moyenne"], solution_of("moyenne")))
    # Another attempt took the row over: this one's grade, pictures included, is dropped.
    assert not store_grade(submission, submission.attempts + 1, screenshot_grade(), {}, finished_at=utcnow())
    assert db.session.query(SubmissionArtifact).count() == 0
