"""Locale choice and helpers for content that comes in several languages ({"fr": ..., "ar": ..., "en": ...})."""
from __future__ import annotations

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

RTL_LANGUAGES = {"ar"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if request.args.get("lang") in languages:
        return request.args["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def text_direction() -> str:
    return "rtl" if current_language() in RTL_LANGUAGES else "ltr"


def localized(value, language: str | None = None) -> str:
    """Pick the text of a multilingual mapping for the current language, falling back to French then any."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    language = language or current_language()
    for key in (language, current_app.config["BABEL_DEFAULT_LOCALE"], "en"):
        if value.get(key):
            return value[key]
    return next((v for v in value.values() if v), "")
