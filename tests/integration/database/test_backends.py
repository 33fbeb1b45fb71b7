"""Where SQLite and PostgreSQL differ, the LMS behaves the same on both: what PostgreSQL refuses (NUL characters,
strings longer than their column) is refused before it reaches the database, times are naive UTC whatever the
server's time zone, and a long-polling request holds no transaction while it waits."""
import threading
import time
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select, text

from lms.auth.services import AccountError, authenticate, create_user, issue_api_token
from lms.extensions import db
from lms.submissions.models import Submission
from lms.submissions.services import create_submission
from tests.conftest import PASSWORD, solution_of


def test_a_nul_character_in_a_url_is_refused_not_a_server_error(app, client, make_user, auth):
    auth.login(make_user("instructor"))
    for path, status in (("/api/v1/exercises/%00", 404), ("/exercises/x%00y", 404), ("/tracks/%00", 404),
                         ("/tracks/back-end/%00", 404), ("/api/v1/submissions?exercise=%00", 400),
                         ("/teach/?verdict=%00", 400)):
        assert client.get(path).status_code == status, path


def test_a_nul_character_in_a_login_finds_nobody(app, make_user):
    user = make_user()
    assert authenticate(user.email + "\x00", PASSWORD) is None
    assert authenticate(user.email, PASSWORD) == user


@pytest.mark.parametrize("email, name, reason", [
    ("x" * 250 + "@t.ma", "Long", "at most 254"),
    ("long@t.ma", "n" * 121, "at most 120"),
    ("nul\x00@t.ma", "Nul", "invalid"),
    ("nul@t.ma", "N\x00ul", "invalid"),
])
def test_accounts_refuse_what_their_columns_cannot_hold(app, email, name, reason):
    with pytest.raises(AccountError, match=reason):
        create_user(email, name, PASSWORD)


def test_a_long_email_without_a_name_still_makes_an_account(app):
    email = "x" * 200 + "@t.ma"
    user = create_user(email, "", PASSWORD)
    assert user.email == email and len(user.name) <= 120


def test_times_are_naive_utc_whatever_the_server_time_zone(app):
    if db.engine.dialect.name == "postgresql":
        # A server whose sessions start in another time zone than UTC.
        db.session.execute(text(f"ALTER DATABASE \"{db.engine.url.database}\" SET timezone TO 'Asia/Tokyo'"))
        db.session.commit()
        db.engine.dispose()
        assert db.session.scalar(text("SHOW TIME ZONE")) == "UTC"
    user = create_user("tz@t.ma", "Tz", PASSWORD)
    # An aware time is stored as its UTC wall time, on both backends.
    user.created_at = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(type(user), user.id).created_at == datetime(2026, 3, 1, 12, 30)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_long_poll_holds_no_transaction_while_it_waits(app, live_server, content, make_user):
    """Else each waiting request keeps a backend "idle in transaction" (and its pooled connection) for up to 25 s,
    and a migration's ALTER TABLE waits behind it."""
    learner = make_user()
    headers = {"Authorization": f"Bearer {issue_api_token(learner)}"}
    submission = create_submission(learner, content["moyenne"], solution_of("moyenne"))  # no worker: stays queued
    done = threading.Event()

    def poll():
        try:
            requests.get(f"{live_server}/api/v1/submissions/{submission.id}", params={"wait": 2, "status": "queued"},
                         headers=headers, timeout=10)
        finally:
            done.set()

    thread = threading.Thread(target=poll)
    started = time.monotonic()
    thread.start()
    states = []
    db.session.rollback()
    while not done.wait(0.1):
        # A request's own short reads show "idle in transaction" for a few ms between statements; what must not
        # happen is one that stays so while the request waits (the wait is 2 s).
        states += db.session.scalars(text(
            "SELECT state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND (state <> 'idle in transaction' OR now() - state_change > interval '0.8 seconds')"))
        db.session.rollback()
    thread.join()
    assert time.monotonic() - started >= 1.5  # it did wait
    assert "idle in transaction" not in states, states
    assert db.session.scalar(select(Submission.status).filter_by(id=submission.id)) == "queued"
