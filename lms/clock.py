"""One notion of "now" for rows and services: naive UTC, as SQLite stores it."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def programme_zone():
    """The programme's time zone (LMS_TIMEZONE, Morocco's by default): dates are typed and shown in it."""
    from datetime import timedelta, timezone

    from flask import current_app, has_app_context

    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(current_app.config["LMS_TIMEZONE"] if has_app_context() else "Africa/Casablanca")
    except Exception:  # noqa: BLE001 - no tz database on this host: Morocco's usual offset
        return timezone(timedelta(hours=1))


def to_local(moment: datetime | None) -> datetime | None:
    """A stored naive-UTC moment as the programme's wall-clock time (naive)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(programme_zone()).replace(tzinfo=None)


def from_local(wall_clock: datetime | None) -> datetime | None:
    """A wall-clock time typed in a form (the programme's zone) as naive UTC, as rows store it."""
    if wall_clock is None:
        return None
    return wall_clock.replace(tzinfo=programme_zone()).astimezone(UTC).replace(tzinfo=None)
