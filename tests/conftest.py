"""Shared fixtures: a fresh app and database per test, the real Redis (a test database number, flushed), the real
Docker engine, a logged-in HTTP client, row factories, and a live HTTP server for end-to-end tests."""
from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import docker
import pytest
from flask import has_app_context
from redis import Redis
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("LMS_VAR", str(ROOT / "var" / "test"))
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PYTHON_IMAGE = os.environ.get("LMS_SANDBOX_PYTHON_IMAGE", "lms/sandbox-python:latest")
CONTENT_DIR = ROOT / "exercises"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def redis_connection():
    connection = Redis.from_url(REDIS_URL)
    connection.ping()  # the suite needs the real Redis: fail loudly, never skip
    return connection


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """A database built by the migrations once; each test gets a copy."""
    from flask_migrate import upgrade

    from lms import create_app
    from lms.extensions import db

    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()  # the last connection closing checkpoints the WAL into the file we copy
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def app(tmp_path, migrated_db, redis_connection):
    from lms import create_app
    from lms.extensions import db

    path = tmp_path / "lms.sqlite"
    shutil.copy(migrated_db, path)
    redis_connection.flushdb()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "LMS_REDIS_URL": REDIS_URL,
        "LMS_SANDBOX_IMAGES": {"python": PYTHON_IMAGE},
        "TESTING": True,
        "SECRET_KEY": "test-only",
    })
    # The test body holds an app context (for db.session); test-client requests would then share its `g`
    # (locale, logged-in user, CSRF token). In production each request has its own: drop those caches.
    app.before_request_funcs.setdefault(None, []).insert(0, fresh_request_caches)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    redis_connection.flushdb()


def fresh_request_caches():
    from flask import current_app, g
    from flask_babel import refresh

    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    refresh()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """What `pybabel compile -d lms/translations` does (the .mo files are not in git), when one is missing or
    older than its .po."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted((ROOT / "lms" / "translations").glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parts[-3])
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as handle:
            write_mo(handle, catalog)
        tmp.replace(mo)


@pytest.fixture
def content(app):
    """The bundled library, imported; returns {slug: Exercise}."""
    from sqlalchemy import select

    from lms.catalog.importer import import_library
    from lms.catalog.models import Exercise
    from lms.extensions import db

    import_library(CONTENT_DIR)
    return {e.slug: e for e in db.session.scalars(select(Exercise))}


def solution_of(slug: str, kind: str = "solution") -> dict[str, str]:
    """The reference solution (or starter) files of a bundled exercise."""
    folder = next(CONTENT_DIR.glob(f"*/*/{slug}"))
    return {p.name: p.read_text() for p in (folder / kind).iterdir() if p.is_file()}


@pytest.fixture
def make_user(app):
    from lms.auth.services import create_user

    counter = iter(range(1, 10_000))

    def factory(role: str = "learner", email: str | None = None, name: str | None = None):
        number = next(counter)
        return create_user(email or f"{role}{number}@test.ma", name or f"{role.title()} {number}", PASSWORD, role)

    return factory


class Auth:
    """Logs a test client in and out through the real forms (CSRF included)."""

    def __init__(self, client):
        self.client = client

    def csrf_token(self, path: str = "/login") -> str:
        return CSRF_FIELD.search(self.client.get(path).get_data(as_text=True)).group(1)

    def login(self, user, password: str = PASSWORD):
        token = self.csrf_token("/login")
        return self.client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})

    def logout(self):
        token = self.csrf_token("/account")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def run_worker_burst(app):
    """Grade everything queued with a real RQ worker in burst mode (cold containers)."""
    from lms.extensions import db
    from lms.grading.worker import run_worker

    def run(pool_size: int = 0):
        # Its own app context, so its own database session, as in a separate worker process.
        with app.app_context():
            run_worker(app, name="test-worker", pool_size=pool_size, burst=True)
        if has_app_context():
            db.session.expire_all()  # what the test holds was changed by the worker

    return run


@pytest.fixture(scope="session")
def docker_client():
    client = docker.from_env()
    client.ping()
    return client


def sandbox_containers(client) -> list:
    return client.containers.list(all=True, filters={"label": "lms.sandbox=1"}, ignore_removed=True)


@pytest.fixture(scope="session")
def runner(docker_client):
    """A cold-path runner shared by sandbox tests; checks at the end that it left no container."""
    from sandboxes.runner import SandboxRunner

    runner = SandboxRunner(docker_client, pool_size=0, images={"python": PYTHON_IMAGE}, scope="tests")
    yield runner
    runner.close()
    assert docker_client.containers.list(all=True, filters={"label": f"lms.owner={runner.owner}"},
                                         ignore_removed=True) == []


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1 (a thread), for end-to-end tests with `requests`."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
