"""The exercise page of a sql-query exercise shows staff what each check expects (the reference's rows, hidden
checks' included), marked as for instructors only; a learner's page and the API hold none of it. The values looked
for are the hidden databases' own: they appear in no statement, hint, visible example or visible database."""
from __future__ import annotations

import html
import json

import pytest

from tests.conftest import CONTENT_DIR

STAFF_MARK = {"fr": "visible par les formateurs uniquement", "en": "visible to instructors only",
              "ar": "مرئي للمكوِّنين فقط"}


def hidden_only_values(exercise) -> list[str]:
    """Cells of the hidden checks' expected rows (as shown on a page) found nowhere a learner can look: not in the
    visible example's expected rows, not in any file of the exercise that a learner may see."""
    checks = exercise.spec["checks"]
    folder = next(CONTENT_DIR.glob(f"*/*/{exercise.slug}"))
    seen = json.dumps([c["expect"] for c in checks if c.get("hidden") is False])
    seen += "".join(p.read_text() for p in folder.rglob("*") if p.is_file() and "hidden" not in p.parts
                    and p.name not in ("commerce-b.sql", "commerce-c.sql"))
    values = []
    for check in checks:
        if check.get("hidden") is False:
            continue
        expect = check["expect"]
        tables = list(expect["tables"].values()) if "tables" in expect else [expect]
        for table in tables:
            for row in table["rows"][:20]:  # the rows the preview shows
                values += [str(v) for v in row if isinstance(v, float) and str(v) not in seen]
    return values


@pytest.mark.parametrize("slug", ["chiffre-affaires-regions", "appliquer-remise"])
@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_staff_see_the_expected_rows_of_hidden_checks(client, auth, make_user, content, slug, role):
    exercise = content[slug]
    secrets = hidden_only_values(exercise)
    assert len(secrets) >= 3
    auth.login(make_user(role))
    page = client.get(f"/exercises/{exercise.uuid}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="expected-results"' in text
    assert STAFF_MARK["fr"] in text  # French by default
    assert all(secret in text for secret in secrets)
    assert "Une autre base (mêmes tables, autres données)" in html.unescape(text)  # the hidden check, by its name
    if slug == "appliquer-remise":
        assert "Table commandes attendue après l'instruction" in html.unescape(text)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_staff_preview_is_marked_in_every_language(client, auth, make_user, content, language):
    auth.login(make_user("instructor"))
    client.post("/language", data={"language": language, "csrf_token": auth.csrf_token("/account")})
    text = html.unescape(client.get(f"/exercises/{content['chiffre-affaires-regions'].uuid}").get_data(as_text=True))
    assert STAFF_MARK[language] in text


def test_learners_get_no_expected_rows_on_the_page_or_from_the_api(client, auth, make_user, content):
    from lms.auth.services import issue_api_token

    learner = make_user()
    auth.login(learner)
    for slug in ("chiffre-affaires-regions", "appliquer-remise"):
        exercise = content[slug]
        secrets = hidden_only_values(exercise)
        assert len(secrets) >= 3
        page = client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)
        session_api = client.get(f"/api/v1/exercises/{exercise.uuid}").get_data(as_text=True)
        token_api = client.get(f"/api/v1/exercises/{exercise.uuid}",
                               headers={"Authorization": f"Bearer {issue_api_token(learner)}"}).get_data(as_text=True)
        assert 'id="expected-results"' not in page and STAFF_MARK["fr"] not in html.unescape(page)
        for secret in secrets:
            assert secret not in page and secret not in session_api and secret not in token_api, secret
        assert exercise.uuid in token_api  # the API did answer


def test_the_api_gives_staff_no_expected_rows_either(client, auth, make_user, content):
    """The preview is a page for people: no API answer carries it, whoever asks."""
    instructor = make_user("instructor")
    auth.login(instructor)
    exercise = content["chiffre-affaires-regions"]
    answer = client.get(f"/api/v1/exercises/{exercise.uuid}").get_data(as_text=True)
    assert not any(secret in answer for secret in hidden_only_values(exercise))
