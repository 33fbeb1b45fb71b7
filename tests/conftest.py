"""Shared fixtures: a fresh app and database per test, on SQLite and on PostgreSQL (every test that uses the database
runs on both), the real Redis (a test database number, flushed), the real Docker engine, a logged-in HTTP client,
row factories, and a live HTTP server for end-to-end tests."""
from __future__ import annotations

import itertools
import os
import re
import secrets
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
TEST_DATABASE_PREFIX = "lmstest_"  # PostgreSQL: then a token of the run, then the database's number


def pytest_terminal_summary(terminalreporter):
    """List the failed tests' ids in $LMS_FAILED_TESTS_FILE, for scripts/test.sh's one rerun of a few failures."""
    if path := os.environ.get("LMS_FAILED_TESTS_FILE"):
        failed = [report.nodeid for kind in ("failed", "error") for report in terminalreporter.stats.get(kind, [])
                  if report.nodeid]
        Path(path).write_text("".join(f"{nodeid}\n" for nodeid in dict.fromkeys(failed)))


@pytest.fixture(scope="session")
def redis_connection():
    connection = Redis.from_url(REDIS_URL)
    connection.ping()  # the suite needs the real Redis: fail loudly, never skip
    return connection


def migrate(url: str) -> None:
    """Build the schema by the real migrations, as `flask db upgrade` does."""
    from flask_migrate import upgrade

    from lms import create_app
    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A database built by the migrations once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    migrate(f"sqlite:///{path}")
    # The last connection closing checkpointed the WAL into the file we copy.
    assert not path.with_name(path.name + "-wal").exists()
    return path


def postgres_admin_url() -> str:
    """LMS_TEST_POSTGRES_URL (scripts/test.sh sets it), else the private cluster of scripts/services.sh in its
    default place. Its role may create databases."""
    if os.environ.get("LMS_TEST_POSTGRES_URL"):
        return os.environ["LMS_TEST_POSTGRES_URL"]
    password = ROOT / "var" / "postgres.password"
    if not password.exists():
        raise RuntimeError("PostgreSQL for the tests: set LMS_TEST_POSTGRES_URL, or start the private cluster "
                           "(bash scripts/services.sh start postgres)")
    port = os.environ.get("LMS_POSTGRES_PORT", "5433")
    return f"postgresql+psycopg://lms:{password.read_text().strip()}@127.0.0.1:{port}/postgres"


class PostgresDatabases:
    """Each test's database is a copy of one migrated template (CREATE DATABASE ... TEMPLATE: a few tens of ms,
    and as much to drop it). The names carry a token of this run, which its admin session also shows as its
    application_name: concurrent runs on one cluster never meet, and a run that died is seen to be gone."""

    def __init__(self, admin_url: str):
        from sqlalchemy import create_engine, make_url
        from sqlalchemy.pool import NullPool

        self.url = make_url(admin_url)
        run = f"{TEST_DATABASE_PREFIX}{secrets.token_hex(4)}"
        self.prefix = f"{run}_"
        self.template = f"{run}_template"
        self.numbers = itertools.count(1)
        engine = create_engine(self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                               connect_args={"connect_timeout": 5, "application_name": run})
        self.connection = engine.connect()  # the suite needs PostgreSQL: fail loudly, never skip

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def names(self) -> list[str]:
        from sqlalchemy import text

        return list(self.connection.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                                            {"pattern": TEST_DATABASE_PREFIX.replace("_", r"\_") + "%"}))

    def drop(self, name: str) -> None:
        from sqlalchemy import text

        # A server or worker that a test started in another process may still be connected: end our role's
        # sessions. Not WITH (FORCE), which a non-superuser cannot use while autovacuum works in the database;
        # a plain DROP ends autovacuum itself (and waits a few seconds for the sessions to go).
        self.connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
                                     " AND usename = current_user AND pid <> pg_backend_pid()"), {"name": name})
        self.connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))

    def drop_leftovers(self) -> None:
        """Databases of runs that died before their cleanup: no session of theirs is left."""
        from sqlalchemy import text

        live = set(self.connection.scalars(text("SELECT application_name FROM pg_stat_activity")))
        for name in self.names():
            if name.rsplit("_", 1)[0] not in live:
                self.drop(name)

    def create(self, name: str | None = None, template: str | None = None) -> str:
        from sqlalchemy import text

        name = name or f"{self.prefix}{next(self.numbers)}"
        clause = f' TEMPLATE "{template}"' if template else ""
        self.connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return name

    def close(self) -> None:
        for name in self.names():
            if name.startswith(self.prefix):
                self.drop(name)
        self.connection.close()


@pytest.fixture(scope="session")
def postgres_databases():
    """The PostgreSQL side: a template migrated once per session, copied for each test."""
    databases = PostgresDatabases(postgres_admin_url())
    try:
        databases.drop_leftovers()
        migrate(databases.url_of(databases.create(databases.template)))
        yield databases
    finally:
        databases.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh database, migrated and empty, on each backend in turn; a URL any process can use."""
    yield from fresh_database(request, tmp_path, migrated=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """A database with nothing in it, not even the migrations' table, as a new installation finds it."""
    yield from fresh_database(request, tmp_path, migrated=False)


def fresh_database(request, tmp_path, migrated: bool):
    """A new database on the backend `request.param` names, dropped (PostgreSQL) when the fixture ends; for
    fixtures of any scope."""
    if request.param == "sqlite":
        path = tmp_path / "lms.sqlite"
        if migrated:
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    databases = request.getfixturevalue("postgres_databases")
    name = databases.create(template=databases.template if migrated else None)
    yield databases.url_of(name)
    databases.drop(name)


@pytest.fixture
def app(database_url, redis_connection):
    from lms import create_app
    from lms.extensions import db

    redis_connection.flushdb()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "LMS_REDIS_URL": REDIS_URL,
        "LMS_SANDBOX_IMAGES": {"python": PYTHON_IMAGE},
        "TESTING": True,
        "SECRET_KEY": "test-only",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt costs ~0.3 s per account and login here
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
    g.pop("_scopes", None)  # lms.programme.scope's per-request cache
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
def admitted(app):
    """The learners the fixtures made this test, who reach the whole catalog through test cohorts
    (tests/cohort_support.py); `refresh()` after content changes publishes the new modules to them."""
    return Admitted()


class Admitted:
    def __init__(self):
        self.user_ids: set[int] = set()
        self.enabled = True  # tests of the programme's own rules turn it off: their learners start in no cohort

    def add(self, user) -> None:
        from tests.cohort_support import open_catalog

        if not self.enabled:
            return
        self.user_ids.add(user.id)
        open_catalog([user.id])

    def refresh(self) -> None:
        from tests.cohort_support import open_catalog

        if self.enabled:
            open_catalog(self.user_ids)


@pytest.fixture
def content(app, admitted):
    """The bundled library, imported (and published to the test cohorts); returns {slug: Exercise}."""
    from sqlalchemy import select

    from lms.catalog.importer import import_library
    from lms.catalog.models import Exercise
    from lms.extensions import db

    import_library(CONTENT_DIR)
    admitted.refresh()
    return {e.slug: e for e in db.session.scalars(select(Exercise))}


def solution_of(slug: str, kind: str = "solution") -> dict[str, str]:
    """The reference solution (or starter) files of a bundled exercise."""
    folder = next(CONTENT_DIR.glob(f"*/*/{slug}"))
    return {p.name: p.read_text() for p in (folder / kind).iterdir() if p.is_file()}


@pytest.fixture
def make_user(app, admitted):
    """An account; a learner is enrolled in the test cohorts that open the whole catalog, unless `enrol=False`
    (a learner in no cohort, who sees nothing) or the test enrols them in a cohort of its own."""
    from lms.auth.services import create_user

    counter = iter(range(1, 10_000))

    def factory(role: str = "learner", email: str | None = None, name: str | None = None, enrol: bool = True):
        number = next(counter)
        user = create_user(email or f"{role}{number}@test.ma", name or f"{role.title()} {number}", PASSWORD, role)
        if role == "learner" and enrol:
            admitted.add(user)
        return user

    return factory


class Programme:
    """Rows of the programme's organisation for a test: centres, cohorts, enrolments, role grants. Written directly
    (the services' own rules are tested in tests/integration/programme)."""

    def __init__(self, admitted=None):
        self.numbers = itertools.count(1)
        self.admitted = admitted

    def track(self):
        from sqlalchemy import select

        from lms.catalog.models import Track
        from lms.extensions import db

        track = db.session.scalar(select(Track).order_by(Track.position).limit(1))
        if track is None:
            track = Track(slug="test-track", title={"fr": "Piste de test", "en": "Test track"})
            db.session.add(track)
            db.session.commit()
        return track

    def exercise(self):
        """A small Python exercise of the test track, without importing the whole library (a few ms, not seconds)."""
        import uuid

        from lms.catalog.models import ContentSource, Exercise, Module
        from lms.extensions import db

        source = ContentSource(name=f"test-source-{next(self.numbers)}")
        module = Module(track_id=self.track().id, slug=f"test-module-{next(self.numbers)}", title={"fr": "Module"})
        db.session.add_all([source, module])
        db.session.flush()
        exercise = Exercise(uuid=str(uuid.uuid4()), module_id=module.id, source_id=source.id, slug="test-exercise",
                            kind="python", title={"fr": "Exercice de test", "en": "Test exercise"},
                            spec={"kind": "python", "files": ["solution.py"], "checks": []})
        db.session.add(exercise)
        db.session.commit()
        if self.admitted is not None:
            self.admitted.refresh()
        return exercise

    def centre(self, region: str = "casablanca-settat", name: str | None = None):
        from sqlalchemy import select

        from lms.extensions import db
        from lms.programme.models import Centre, Region

        region_row = db.session.scalar(select(Region).where(Region.code == region))
        centre = Centre(region_id=region_row.id, name=name or f"Centre {next(self.numbers)}", city="")
        db.session.add(centre)
        db.session.commit()
        return centre

    def cohort(self, centre=None, track=None, capacity: int = 30, name: str | None = None):
        from datetime import date

        from lms.extensions import db
        from lms.programme.models import Cohort

        cohort = Cohort(name=name or f"Cohorte {next(self.numbers)}", centre_id=(centre or self.centre()).id,
                        track_id=(track or self.track()).id, starts_on=date(2026, 9, 1), ends_on=date(2027, 2, 1),
                        capacity=capacity, status="running")
        db.session.add(cohort)
        db.session.commit()
        return cohort

    def enrol(self, learner, cohort):
        from lms.deadlines.services import refresh_windows
        from lms.extensions import db
        from lms.programme.models import Enrolment
        from tests.cohort_support import leave_test_cohort

        leave_test_cohort(learner.id, cohort.track_id)
        enrolment = Enrolment(cohort_id=cohort.id, user_id=learner.id)
        db.session.add(enrolment)
        db.session.flush()
        refresh_windows(cohort.id, [learner.id])
        return enrolment

    def publish(self, cohort, module, opens_at=None, due_at=None, cutoff_at=None):
        """A module published to a cohort (open since 2000 unless `opens_at`), its learners' windows stored."""
        from lms.deadlines.models import Publication
        from lms.deadlines.services import refresh_windows
        from lms.extensions import db
        from tests.cohort_support import OPEN_SINCE

        publication = Publication(cohort_id=cohort.id, module_id=module.id, opens_at=opens_at or OPEN_SINCE,
                                  due_at=due_at, cutoff_at=cutoff_at)
        db.session.add(publication)
        db.session.flush()
        refresh_windows(cohort.id)
        return publication

    def grant(self, user, role: str = "programme_staff", region=None, centre=None, cohort=None):
        from sqlalchemy import select

        from lms.extensions import db
        from lms.programme.models import Region, RoleGrant

        region_id = db.session.scalar(select(Region.id).where(Region.code == region)) if region else None
        grant = RoleGrant(user_id=user.id, role=role, region_id=region_id, centre_id=centre.id if centre else None,
                          cohort_id=cohort.id if cohort else None)
        db.session.add(grant)
        db.session.commit()
        return grant


@pytest.fixture
def programme(app, admitted):
    return Programme(admitted)


@pytest.fixture
def make_staff(make_user, programme):
    """A staff account that runs the whole programme (sees every learner)."""
    def factory(**kwargs):
        user = make_user("instructor", **kwargs)
        programme.grant(user, "programme_staff")
        return user

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
