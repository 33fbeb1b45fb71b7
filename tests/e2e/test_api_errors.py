"""Bad input gets a clear 4xx with a stable code and a message; nothing is queued for it."""
import io
import zipfile

import pytest

from lms.extensions import db
from lms.submissions.models import Submission
from tests.conftest import solution_of


@pytest.fixture
def api(client, make_user):
    from lms.auth.services import issue_api_token

    learner = make_user()
    headers = {"Authorization": f"Bearer {issue_api_token(learner)}"}

    def post(exercise_uuid, payload):
        return client.post(f"/api/v1/exercises/{exercise_uuid}/submissions", json=payload, headers=headers)

    return post


def count_submissions():
    return db.session.query(Submission).count()


@pytest.mark.parametrize("files, status, code", [
    ({"other.py": "x = 1"}, 400, "wrong_files"),
    ({"solution.py": "x", "conftest.py": "x"}, 400, "wrong_files"),
    ({}, 400, "wrong_files"),
    ({"solution.py": 12}, 400, "wrong_files"),
    ({"solution.py": "x" * (64 * 1024 + 1)}, 413, "too_large"),
    ("solution.py", 400, "wrong_files"),
])
def test_bad_files_are_refused(api, content, files, status, code):
    response = api(content["moyenne"].uuid, {"files": files})
    assert response.status_code == status
    assert response.json["error"] == code and response.json["message"]
    assert count_submissions() == 0


def test_unknown_exercise(api, content):
    response = api("00000000-0000-4000-8000-000000000000", {"files": solution_of("moyenne")})
    assert response.status_code == 404 and response.json["error"] == "unknown_exercise"


def test_not_json(api, content):
    response = api(content["moyenne"].uuid, ["nope"])
    assert response.status_code == 400 and response.json["error"] == "bad_request"


def test_request_body_over_the_hard_cap(api, content):
    response = api(content["moyenne"].uuid, {"files": {"solution.py": "x" * (2 * 1024 * 1024)}})
    assert response.status_code == 413


def test_too_fast(api, content):
    assert api(content["moyenne"].uuid, {"files": solution_of("moyenne")}).status_code == 202
    response = api(content["moyenne"].uuid, {"files": solution_of("moyenne")})
    assert response.status_code == 429 and response.json["error"] == "too_fast"
    assert count_submissions() == 1


def test_too_many_pending(api, content, app):
    app.config["LMS_MAX_PENDING_PER_USER"] = 2
    for slug in ("moyenne", "palindrome"):
        assert api(content[slug].uuid, {"files": solution_of(slug)}).status_code == 202
    response = api(content["fizzbuzz"].uuid, {"files": solution_of("fizzbuzz")})
    assert response.status_code == 429 and "2" in response.json["message"]


def test_attempts_run_out(api, content):
    exercise = content["moyenne"]
    exercise.pacing = {"cooldown_seconds": 0, "max_attempts": 1}
    db.session.commit()
    assert api(exercise.uuid, {"files": solution_of("moyenne")}).status_code == 202
    response = api(exercise.uuid, {"files": solution_of("moyenne")})
    assert response.status_code == 403 and response.json["error"] == "no_attempts_left"


def test_messages_follow_the_language(api, content, client):
    response = api("00000000-0000-4000-8000-000000000000", {"files": {}})
    assert response.status_code == 404
    english = client.post("/api/v1/exercises/00000000-0000-4000-8000-000000000000/submissions?lang=en", json={})
    assert english.status_code == 401 and english.json["error"] == "unauthorized"


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def upload(client, make_user):
    from lms.auth.services import issue_api_token

    headers = {"Authorization": f"Bearer {issue_api_token(make_user())}"}

    def post(exercise_uuid, data: bytes, filename="solution.zip"):
        return client.post(f"/api/v1/exercises/{exercise_uuid}/submissions", headers=headers,
                           data={"archive": (io.BytesIO(data), filename)}, content_type="multipart/form-data")

    return post


def test_archive_upload_is_accepted(upload, content):
    response = upload(content["moyenne"].uuid, zip_of({"solution.py": solution_of("moyenne")["solution.py"].encode()}))
    assert response.status_code == 202
    assert db.session.get(Submission, response.json["id"]).files == solution_of("moyenne")


@pytest.mark.parametrize("entries, code, words", [
    ({"../solution.py": b"x"}, "bad_archive", ".."),
    ({"/etc/solution.py": b"x"}, "bad_archive", "absolute"),
    ({"solution.py": b"x" * 2_000_000}, "bad_archive", ""),
    ({"solution.py": b"\xff\xfe\x00binary"}, "wrong_files", ""),
    ({"solution.py": b"x = 1", "conftest.py": b"import os"}, "wrong_files", "conftest.py"),
])
def test_bad_archives_are_refused_before_use(upload, content, entries, code, words):
    response = upload(content["moyenne"].uuid, zip_of(entries))
    assert response.status_code == 400 and response.json["error"] == code
    assert words in response.json["message"]
    assert count_submissions() == 0


def test_not_an_archive(upload, content):
    response = upload(content["moyenne"].uuid, b"just some text")
    assert response.status_code == 400 and response.json["error"] == "bad_archive"
