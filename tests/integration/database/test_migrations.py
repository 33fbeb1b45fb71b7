"""The migrations, on SQLite and on PostgreSQL: each one up and down with rows in the tables, the schema they build is
the models', and `flask db upgrade` (what scripts/run.sh runs) works from the command line with LMS_DATABASE_URL."""
import os
import subprocess
import sys

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from lms import create_app
from lms.catalog.content import iter_exercises, load_library
from lms.config import ROOT
from lms.extensions import db

FIRST_REVISION = "7b01ea3616d2"  # the initial schema: users, catalog, submissions


def revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory(str(ROOT / "migrations"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def migrated_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})


def add_rows_of_the_first_schema() -> None:
    """A learner's submission to an exercise of a module of a track, written as the first schema has them (ids
    left to the database, as the application does: PostgreSQL's sequences then stay right)."""
    json_columns = {"title", "summary", "statements", "starter_files", "public_tests", "hints", "pacing", "spec",
                    "files", "feedback", "diagnostics"}
    now = sa.func.current_timestamp()

    def insert(connection, table_name: str, **values) -> int:
        table = sa.table(table_name, sa.column("id"), *(sa.column(c, sa.JSON() if c in json_columns else None)
                                                   for c in values))
        return connection.scalar(sa.insert(table).values(**values).returning(table.c.id))

    with db.engine.begin() as connection:
        track = insert(connection, "tracks", slug="back-end", title={"fr": "Back-end"}, summary={}, position=0,
                       archived=False)
        module = insert(connection, "modules", track_id=track, slug="bases", title={"fr": "Bases"}, summary={},
                        position=0, pass_min_percent=70, archived=False)
        exercise = insert(connection, "exercises", uuid="5f1c5b8e-6d1e-4a52-9d6a-1f0e3c2b7a90", module_id=module,
                          slug="moyenne", kind="python", title={"fr": "Moyenne"}, statements={"fr": "..."},
                          starter_files={}, public_tests={}, hints={}, pacing={},
                          spec={"kind": "python", "files": ["solution.py"]}, points=10.0, position=0,
                          archived=False, content_version="v1", updated_at=now)
        user = insert(connection, "users", email="learner@t.ma", name="Learner", role="learner", password_hash="x",
                      active=True, created_at=now)
        insert(connection, "submissions", user_id=user, exercise_id=exercise, files={"solution.py": "pass"},
               status="completed", verdict="passed", score=10.0, max_score=10.0, feedback={}, diagnostics={},
               attempts=1, content_version="v1", created_at=now)


def test_each_migration_goes_up_and_down_with_rows_in_the_tables(database_url):
    from lms.submissions.models import Submission

    steps = revisions()
    assert steps[0] == FIRST_REVISION
    with migrated_app(database_url).app_context():
        downgrade(revision="base")
        assert tables() <= {"alembic_version"}
        upgrade(revision=FIRST_REVISION)
        add_rows_of_the_first_schema()
        for revision in steps[1:]:
            upgrade(revision=revision)
            assert current_revision() == revision
        submission = db.session.scalar(select(Submission))
        assert (submission.mode, submission.exercise.slug, submission.user.email) == (
            "graded", "moyenne", "learner@t.ma")
        again = Submission(user_id=submission.user_id, exercise_id=submission.exercise_id, files={},
                           content_version="v1")
        db.session.add(again)
        db.session.commit()  # the next id is free
        assert again.id > submission.id
        db.session.remove()
        for revision in reversed(steps[:-1]):
            downgrade(revision=revision)
            assert current_revision() == revision
        downgrade(revision="base")
        assert tables() <= {"alembic_version"}
        db.engine.dispose()


def test_the_migrations_build_the_schema_of_the_models(database_url):
    with migrated_app(database_url).app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "compare_server_default": True})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()


def flask_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LMS_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_flask_db_upgrade_from_the_command_line(empty_database_url):
    """As scripts/run.sh prepares a new installation; a PostgreSQL URL may name no driver (psycopg is used)."""
    from lms.auth.models import User
    from lms.catalog.models import Exercise

    url = empty_database_url.replace("postgresql+psycopg://", "postgresql://")
    for args in (["db", "upgrade"], ["lms", "import-content", "exercises"], ["lms", "demo-users"]):
        result = flask_cli(url, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    with migrated_app(empty_database_url).app_context():
        assert current_revision() == revisions()[-1]
        bundled = list(iter_exercises(load_library(ROOT / "exercises")))
        assert len(db.session.scalars(select(Exercise)).all()) == len(bundled)
        assert len(db.session.scalars(select(User)).all()) == 4
        db.session.remove()
        db.engine.dispose()
