"""Helpers for the i18n and browser tests: a language switch for test clients (the catalogs are compiled by
tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import CSRF_FIELD

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "lms" / "translations"


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
