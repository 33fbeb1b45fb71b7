"""One notion of "now" for rows and services: naive UTC, as SQLite stores it."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
