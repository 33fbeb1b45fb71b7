"""Over real HTTP: a learner's submission to a bundled exercise hunts for the hidden checks' arguments in its own
process and tries to show them (at import, in the visible example); neither the API's answer nor the submission
page holds any of them, while the learner still sees the example's error and traceback. The staff diagnostics do
hold them: the hunt itself works, in the hidden phase, where nothing is shown."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import CONTENT_DIR
from tests.e2e.test_submission_flow import browser_login

# The hunt: every string argument of every call the process can find in its memory.
HUNT = """
import gc

def hidden_arguments():
    found = set()
    for obj in gc.get_objects():
        if isinstance(obj, dict) and isinstance(obj.get("args"), list):
            found.update(arg for arg in obj["args"] if isinstance(arg, str) and arg)
    return " | ".join(sorted(found))
"""
ATTACKS = {
    "raised-at-import": HUNT + """
raise ImportError("found: " + hidden_arguments())

def normaliser_telephone(numero):
    return None
""",
    # Raised by every call: shown for the statement's example, a visible check.
    "raised-in-the-visible-example": HUNT + """
def normaliser_telephone(numero):
    raise ValueError("found: " + hidden_arguments())
""",
}


def hidden_arguments(slug: str) -> list[str]:
    folder = next(CONTENT_DIR.glob(f"*/*/{slug}"))
    checks = yaml.safe_load(Path(folder, "tests", "hidden", "checks.yaml").read_text())["checks"]
    return [arg for check in checks for arg in check["call"]["args"] if isinstance(arg, str) and len(arg) > 3]


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_hidden_arguments_reach_neither_the_api_nor_the_page(live_server, content, make_user, run_worker_burst,
                                                             attack):
    from lms.auth.services import issue_api_token
    from lms.extensions import db
    from lms.submissions.models import Submission

    secrets = hidden_arguments("telephone-maroc")
    assert len(secrets) >= 5
    learner = make_user()
    headers = {"Authorization": f"Bearer {issue_api_token(learner)}"}
    exercise = content["telephone-maroc"]
    response = requests.post(f"{live_server}/api/v1/exercises/{exercise.uuid}/submissions",
                             json={"files": {"solution.py": ATTACKS[attack]}}, headers=headers)
    assert response.status_code == 202, response.text
    submission_id = response.json()["id"]
    run_worker_burst()

    answer = requests.get(f"{live_server}/api/v1/submissions/{submission_id}", headers=headers)
    page = browser_login(live_server, learner).get(f"{live_server}/submissions/{submission_id}")
    assert answer.status_code == 200 and page.status_code == 200 and f"/submissions/{submission_id}" in page.url
    data = answer.json()
    assert data["final"] and data["verdict"] == "runtime_error" and data["score"] < data["max_score"]
    for secret in secrets:
        assert secret not in answer.text and secret not in page.text, f"{secret!r} shown to the learner"

    # What the learner does see: the visible example's own error, with its traceback.
    example = next(c for c in data["checks"] if c["id"] == "example-local-with-spaces")
    assert not example["hidden"] and "found: " in example["message"] and "Traceback" in example["message"]
    assert "found: " in data["message"]
    hidden = [c for c in data["checks"] if c["hidden"]]
    assert hidden and all("message" not in c for c in hidden)

    # The hunt works where nothing is shown: the hidden phase's process held them (staff diagnostics).
    row = db.session.get(Submission, submission_id)
    assert any(secret in str(row.diagnostics) for secret in secrets)
