"""The content-sources migration on a database created at the previous revision, with rows in it: the exercises,
tracks and modules it holds go to the bundled source, whose next import recognises them; and it goes back down."""
from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from lms.catalog.content import iter_exercises, load_library
from lms.catalog.models import ContentSource, Exercise, Module, Track
from lms.clock import utcnow
from lms.extensions import db
from tests.conftest import CONTENT_DIR

PREVIOUS = "cc8857a9e131"
SOURCES = "a82a78c87826"
PRIVATE_UUID = "0b9c3c0e-8f4e-4d0a-9a55-6f1d8f2f7a11"  # imported from another folder before sources existed


def fill_previous_revision() -> None:
    """What the previous importer wrote from exercises/ (plus one exercise of another folder), and a submission."""
    tables = sa.MetaData()
    tables.reflect(bind=db.engine)
    tracks, modules, exercises = tables.tables["tracks"], tables.tables["modules"], tables.tables["exercises"]
    now = utcnow()
    with db.engine.begin() as connection:
        for track in load_library(CONTENT_DIR):
            track_id = connection.execute(tracks.insert().values(
                slug=track.slug, title=track.title, summary=track.summary, position=track.position,
                archived=False)).inserted_primary_key[0]
            for module in track.modules:
                module_id = connection.execute(modules.insert().values(
                    track_id=track_id, slug=module.slug, title=module.title, summary=module.summary,
                    position=module.position, pass_min_percent=module.pass_min_percent,
                    archived=False)).inserted_primary_key[0]
                definitions = [(e.uuid, e.slug, e.content_version, e) for e in module.exercises]
                if module.slug == "python-bases":
                    definitions.append((PRIVATE_UUID, "privee", "old", module.exercises[0]))
                for position, (uuid, slug, version, e) in enumerate(definitions):
                    connection.execute(exercises.insert().values(
                        uuid=uuid, module_id=module_id, slug=slug, kind=e.kind, title=e.title,
                        statements=e.statements, starter_files=e.starter_files, public_tests=e.public_tests,
                        hints=e.hints, pacing=e.pacing, spec=e.spec, points=e.points, position=position,
                        archived=False, content_version=version, updated_at=now))
        user_id = connection.execute(tables.tables["users"].insert().values(
            email="learner@test.ma", name="Learner", role="learner", password_hash="x", active=True,
            created_at=now)).inserted_primary_key[0]
        exercise_id = connection.scalar(select(exercises.c.id).where(exercises.c.slug == "moyenne"))
        connection.execute(tables.tables["submissions"].insert().values(
            user_id=user_id, exercise_id=exercise_id, files={}, status="completed", max_score=10.0, feedback={},
            diagnostics={}, attempts=1, content_version="old", created_at=now))


def test_the_migration_gives_existing_content_to_the_bundled_source(app):
    db.session.remove()
    downgrade(revision="base")
    upgrade(revision=PREVIOUS)
    fill_previous_revision()
    upgrade(revision=SOURCES)

    bundled = db.session.scalar(select(ContentSource))
    assert (bundled.name, bundled.kind, bundled.imported_at) == ("bundled-demo", "folder", None)
    assert {e.source_id for e in db.session.scalars(select(Exercise))} == {bundled.id}
    library = load_library(CONTENT_DIR)
    assert sorted(t.slug for t in bundled.tracks) == sorted(t.slug for t in library)
    assert sorted(m.slug for m in bundled.modules) == sorted(m.slug for t in library for m in t.modules)

    # The next start (which runs every migration first) imports them and recognises them; the other folder's
    # exercise went with them and is archived.
    upgrade()
    result = app.test_cli_runner().invoke(args=["lms", "import-content", str(CONTENT_DIR)])
    assert result.exit_code == 0, result.output
    assert "source bundled-demo (name from source.yaml)" in result.output
    bundled_count = len(list(iter_exercises(library)))
    assert f"bundled-demo: 0 created, 0 updated, {bundled_count} unchanged, 0 moved in, 1 archived" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Exercise).filter_by(uuid=PRIVATE_UUID)).archived
    assert [s.name for s in db.session.scalars(select(ContentSource))] == ["bundled-demo"]
    assert not any(m.archived for m in db.session.scalars(select(Module)))
    assert not any(t.archived for t in db.session.scalars(select(Track)) if t.modules)
    assert db.session.scalar(select(sa.func.count()).select_from(sa.table("submissions"))) == 1

    db.session.remove()
    downgrade(revision=PREVIOUS)
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("exercises")}
    assert "source_id" not in columns and "content_sources" not in sa.inspect(db.engine).get_table_names()
    db.engine.dispose()
    upgrade()


def test_the_migration_of_an_empty_database_creates_no_source(app):
    db.session.remove()
    downgrade(revision=PREVIOUS)
    upgrade(revision=SOURCES)
    assert db.session.scalars(select(ContentSource)).all() == []
