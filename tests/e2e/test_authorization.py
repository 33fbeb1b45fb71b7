"""Who sees what: learners only their own submissions, staff pages refuse learners, CSRF on every form."""
import pytest

from lms.submissions.services import create_submission
from tests.conftest import solution_of


@pytest.fixture
def someone_elses_submission(content, make_user):
    owner = make_user()
    return create_submission(owner, content["moyenne"], {"solution.py": "SECRET_CODE_OF_OWNER = 1"})


def test_learner_cannot_read_another_learners_submission(client, auth, make_user, someone_elses_submission):
    auth.login(make_user())
    page = client.get(f"/submissions/{someone_elses_submission.id}")
    api = client.get(f"/api/v1/submissions/{someone_elses_submission.id}?files=1")
    assert page.status_code == 404 and api.status_code == 404
    assert b"SECRET_CODE_OF_OWNER" not in page.data + api.data


def test_learner_lists_only_their_own(client, auth, make_user, someone_elses_submission, content):
    learner = make_user()
    mine = create_submission(learner, content["palindrome"], solution_of("palindrome"))
    auth.login(learner)
    ids = [s["id"] for s in client.get("/api/v1/submissions").json["submissions"]]
    assert ids == [mine.id]


@pytest.mark.parametrize("path", ["/teach/", "/admin/", "/teach/submissions/1"])
def test_staff_pages_refuse_learners(client, auth, make_user, someone_elses_submission, path):
    auth.login(make_user())
    assert client.get(path).status_code == 403


def test_admin_page_refuses_instructors_but_teaching_page_shows_their_learners(client, auth, make_user, programme,
                                                                               someone_elses_submission):
    instructor = make_user("instructor")
    cohort = programme.cohort()
    programme.enrol(someone_elses_submission.user, cohort)
    programme.grant(instructor, "instructor", cohort=cohort)
    auth.login(instructor)
    assert client.get("/admin/").status_code == 403
    teaching = client.get("/teach/")
    assert teaching.status_code == 200 and f"/teach/submissions/{someone_elses_submission.id}" in teaching.text
    detail = client.get(f"/teach/submissions/{someone_elses_submission.id}")
    assert detail.status_code == 200 and b"SECRET_CODE_OF_OWNER" in detail.data


def test_an_instructor_of_another_cohort_sees_nothing_of_this_learner(client, auth, make_user, programme,
                                                                      someone_elses_submission):
    programme.enrol(someone_elses_submission.user, programme.cohort())
    instructor = make_user("instructor")
    programme.grant(instructor, "instructor", cohort=programme.cohort())
    auth.login(instructor)
    teaching = client.get("/teach/")
    assert teaching.status_code == 200 and f"/teach/submissions/{someone_elses_submission.id}" not in teaching.text
    for path in (f"/teach/submissions/{someone_elses_submission.id}", f"/submissions/{someone_elses_submission.id}",
                 f"/api/v1/submissions/{someone_elses_submission.id}?files=1"):
        answer = client.get(path)
        assert answer.status_code == 404 and b"SECRET_CODE_OF_OWNER" not in answer.data, path


def test_admin_sees_the_sandbox_pools(client, auth, make_user):
    auth.login(make_user("admin"))
    page = client.get("/admin/")
    assert page.status_code == 200 and b'id="pools"' in page.data


def test_anonymous_is_sent_to_login(client):
    response = client.get("/tracks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/api/v1/submissions").status_code == 401


def test_wrong_password_is_refused(client, make_user, auth):
    user = make_user()
    response = auth.login(user, password="not-the-password")
    assert response.status_code == 401
    assert client.get("/tracks").status_code == 302


def test_forms_and_session_api_calls_need_the_csrf_token(client, auth, make_user, content):
    user = make_user()
    assert client.post("/login", data={"email": user.email, "password": "x"}).status_code == 400
    auth.login(user)
    response = client.post(f"/api/v1/exercises/{content['moyenne'].uuid}/submissions",
                           json={"files": solution_of("moyenne")})
    assert response.status_code == 400
    assert client.post(f"/exercises/{content['moyenne'].uuid}/submit", data={}).status_code == 400


def test_invalid_api_token(client):
    response = client.get("/api/v1/submissions", headers={"Authorization": "Bearer lms_forged"})
    assert response.status_code == 401 and response.json["error"] == "unauthorized"


def test_passwords_are_hashed(make_user):
    user = make_user()
    assert "correct-horse" not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_output_is_escaped(client, auth, make_user, content, run_worker_burst):
    learner = make_user()
    submission = create_submission(learner, content["moyenne"], {"solution.py": "<script>alert(1)</script>"})
    auth.login(learner)
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
