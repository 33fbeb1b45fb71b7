"""Helpers for the i18n and browser tests: a language switch for test clients (the catalogs are compiled by
tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CSRF_FIELD, fresh_database

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "lms" / "translations"


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):
    """Pages in a real browser run on SQLite only: what they read and write goes through the views and services
    that the HTTP and end-to-end tests run on both backends; a second backend here would add minutes of Chromium,
    not database coverage."""
    yield from fresh_database(request, tmp_path, migrated=True)


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def choose_language(client, language: str, page: str = "/login"):
    """Use the language switch of the page header, as a person would (POST /language with the CSRF token)."""
    response = client.post("/language", data={"language": language, "next": page,
                                              "csrf_token": csrf_token(client, page)})
    assert response.status_code == 302, response.status_code
    return response
