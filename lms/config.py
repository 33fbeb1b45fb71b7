"""Configuration from the environment, with defaults that run on one machine (SQLite, local Redis, Docker);
LMS_DATABASE_URL selects another database (PostgreSQL)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    path = Path(os.environ.get("LMS_VAR", ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key() -> str:
    """From LMS_SECRET_KEY, else a random key kept in var/secret_key (never in the code or the images)."""
    if os.environ.get("LMS_SECRET_KEY"):
        return os.environ["LMS_SECRET_KEY"]
    path = var_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url() -> str:
    """LMS_DATABASE_URL, else SQLite in var/. A PostgreSQL URL that names no driver gets psycopg (3), the one
    installed: SQLAlchemy's default for postgresql:// is psycopg2."""
    url = os.environ.get("LMS_DATABASE_URL") or f"sqlite:///{var_dir() / 'lms.sqlite'}"
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def load_config() -> dict:
    return {
        "SECRET_KEY": secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "LMS_REDIS_URL": os.environ.get("LMS_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "LMS_QUEUE_NAME": os.environ.get("LMS_QUEUE_NAME", "grading"),
        # Regrades: taken by the same workers, only when no submission waits on the grading queue.
        "LMS_REGRADE_QUEUE_NAME": os.environ.get("LMS_REGRADE_QUEUE_NAME", "regrade"),
        "LMS_SANDBOX_IMAGES": {"python": os.environ.get("LMS_SANDBOX_PYTHON_IMAGE", "lms/sandbox-python:latest")},
        "LMS_CONTENT_DIR": os.environ.get("LMS_CONTENT_DIR", str(ROOT / "exercises")),
        # Exercise kinds whose containers workers keep warm (comma-separated; empty: the profiles used most, any
        # kind). A host that grades only some kinds spares the others' start-up (a browser per web-page pool).
        "LMS_PREWARM_KINDS": [k.strip() for k in os.environ.get("LMS_PREWARM_KINDS", "").split(",") if k.strip()],
        "LMS_MAX_SUBMISSION_BYTES": 64 * 1024,
        # A notebook as uploaded, outputs and pictures included (they are stripped before the submission limit
        # above applies); under MAX_CONTENT_LENGTH, so that the learner gets this limit's message, not a bare 413.
        "LMS_MAX_NOTEBOOK_BYTES": 512 * 1024,
        "LMS_MAX_PENDING_PER_USER": 3,
        "LMS_TIMEZONE": os.environ.get("LMS_TIMEZONE", "Africa/Casablanca"),  # where a day (a daily quota) starts
        "LMS_MAX_GRADING_ATTEMPTS": 3,
        # Kinds that run no code and judge quickly (quiz, ctf-flag, structured-task) are graded in the request that
        # hands them in; off ("0"): through the queue, as every other kind.
        "LMS_INLINE_TRUSTED_GRADING": os.environ.get("LMS_INLINE_TRUSTED_GRADING", "1") != "0",
        "LMS_SWEEP_SECONDS": 10,  # workers reap unused sandbox containers and recover stuck rows this often
        "LMS_JOB_TIMEOUT_MARGIN_SECONDS": 30,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "LANGUAGES": ["fr", "ar", "en"],
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "lms" / "translations"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "LMS_INVITATION_DAYS": int(os.environ.get("LMS_INVITATION_DAYS", "14")),
        # Invitations are also e-mailed when a host is set.
        "LMS_SMTP_HOST": os.environ.get("LMS_SMTP_HOST", ""),
        "LMS_SMTP_PORT": int(os.environ.get("LMS_SMTP_PORT", "25")),
        "LMS_SMTP_FROM": os.environ.get("LMS_SMTP_FROM", "lms@localhost"),
        "LMS_SMTP_USER": os.environ.get("LMS_SMTP_USER", ""),
        "LMS_SMTP_PASSWORD": os.environ.get("LMS_SMTP_PASSWORD", ""),
        "LMS_SMTP_STARTTLS": os.environ.get("LMS_SMTP_STARTTLS", "") in ("1", "true", "yes"),
    }
