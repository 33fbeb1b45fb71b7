"""Import a content library into the database as one content source: upsert by slug (tracks, modules) and uuid
(exercises), archive the exercises that disappeared from that source, and the tracks and modules no source provides
any more. Submissions keep the content version they were graded with."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import case, func, select

from lms.catalog.content import (ContentError, ExerciseDefinition, TrackDefinition, iter_exercises,
                                 load_library)
from lms.catalog.models import ContentSource, Exercise, Module, Track
from lms.catalog.sources import SourceIdentity, identify_source
from lms.clock import utcnow
from lms.extensions import db


class SourceConflict(ContentError):
    """Exercises of the library belong to another source, and the operator did not ask to move them."""


@dataclass
class ImportReport:
    source: SourceIdentity
    new_source: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)  # (exercise, the source it was taken from)
    left: list[tuple[str, str]] = field(default_factory=list)  # (exercise, the source it was moved to before)
    archived: list[str] = field(default_factory=list)
    archived_modules: list[str] = field(default_factory=list)  # no source provides them any more
    archived_tracks: list[str] = field(default_factory=list)


@dataclass
class SourceSummary:
    source: ContentSource
    active: int
    archived: int


def import_library(root: Path | str, source_name: str | None = None, move_from: Iterable[str] = (),
                   imported_by: str | None = None) -> ImportReport:
    """`source_name` overrides the name found in the folder (see sources.py); `move_from` names the other sources
    whose exercises this library may take over (same uuid)."""
    tracks = load_library(root)  # validates everything before the first write
    if not tracks:
        raise ContentError(f"{root}: no track found (a <track>/track.yaml)")
    identity = identify_source(root, source_name)
    source = db.session.scalar(select(ContentSource).filter_by(name=identity.name))
    report = ImportReport(source=identity, new_source=source is None)
    source = source or ContentSource(name=identity.name, moved_out=[])
    rows, left = claimable_rows(source, tracks, set(move_from))
    source.kind, source.location, source.git_commit = identity.kind, identity.location, identity.git_commit
    source.imported_at, source.imported_by = utcnow(), imported_by
    db.session.add(source)
    db.session.flush()
    provided_tracks, provided_modules, seen_exercises = {}, {}, set()
    for track_def in tracks:
        track = db.session.scalar(select(Track).filter_by(slug=track_def.slug)) or Track(slug=track_def.slug)
        track.title, track.summary, track.position, track.archived = (
            track_def.title, track_def.summary, track_def.position, False)
        db.session.add(track)
        db.session.flush()
        provided_tracks[track.id] = track
        for module_def in track_def.modules:
            module = db.session.scalar(select(Module).filter_by(track_id=track.id, slug=module_def.slug))
            module = module or Module(track_id=track.id, slug=module_def.slug)
            module.title, module.summary, module.position = module_def.title, module_def.summary, module_def.position
            module.pass_min_percent, module.archived = module_def.pass_min_percent, False
            db.session.add(module)
            db.session.flush()
            provided_modules[module.id] = module
            for position, exercise_def in enumerate(module_def.exercises):
                exercise = rows.get(exercise_def.uuid)
                label = f"{track_def.slug}/{module_def.slug}/{exercise_def.slug}"
                if exercise_def.uuid in left:
                    report.left.append((label, left[exercise_def.uuid].source.name))
                    continue
                if exercise is None:
                    exercise = Exercise(uuid=exercise_def.uuid)
                    report.created.append(label)
                elif exercise.source_id != source.id:
                    report.moved.append((label, exercise.source.name))
                    previous = exercise.source
                    previous.moved_out = sorted({*previous.moved_out, exercise.uuid})
                    source.moved_out = [uuid for uuid in source.moved_out if uuid != exercise.uuid]
                elif (exercise.content_version == exercise_def.content_version and not exercise.archived
                      and exercise.module_id == module.id and exercise.position == position):
                    report.unchanged.append(label)
                    seen_exercises.add(exercise.id)
                    continue
                else:
                    report.updated.append(label)
                exercise.source, exercise.module_id, exercise.position = source, module.id, position
                write_definition(exercise, exercise_def)
                db.session.add(exercise)
                db.session.flush()
                seen_exercises.add(exercise.id)
    source.tracks, source.modules = list(provided_tracks.values()), list(provided_modules.values())
    db.session.flush()
    for exercise in db.session.scalars(select(Exercise).where(
            Exercise.source_id == source.id, Exercise.archived.is_(False), Exercise.id.not_in(seen_exercises))):
        exercise.archived = True
        report.archived.append(f"{exercise.module.track.slug}/{exercise.module.slug}/{exercise.slug}")
    for module in db.session.scalars(select(Module).where(Module.archived.is_(False), ~Module.sources.any())):
        module.archived = True
        report.archived_modules.append(f"{module.track.slug}/{module.slug}")
    for track in db.session.scalars(select(Track).where(Track.archived.is_(False), ~Track.sources.any())):
        track.archived = True
        report.archived_tracks.append(track.slug)
    db.session.commit()
    from lms.deadlines.services import refresh_for_modules

    refresh_for_modules(provided_modules)  # cohorts that publish these modules see their new exercises
    return report


def write_definition(exercise: Exercise, definition: ExerciseDefinition) -> None:
    exercise.slug = definition.slug
    exercise.kind = definition.kind
    exercise.title = definition.title
    exercise.statements = definition.statements
    exercise.starter_files = definition.starter_files
    exercise.public_tests = definition.public_tests
    exercise.hints = definition.hints
    exercise.pacing = definition.pacing
    exercise.spec = definition.spec
    exercise.points = definition.points
    exercise.archived = False
    exercise.content_version = definition.content_version
    exercise.updated_at = utcnow()


def claimable_rows(source: ContentSource, tracks: list[TrackDefinition],
                   move_from: set[str]) -> tuple[dict[str, Exercise], dict[str, Exercise]]:
    """The existing rows of the library's uuids that this import may write, by uuid, and those it leaves to the
    source they were moved to. Another source's exercise (archived there or not) is refused unless the operator
    names that source in `move_from`: never taken silently."""
    definitions = {e.uuid: e for e in iter_exercises(tracks)}
    unknown = move_from - set(db.session.scalars(select(ContentSource.name).where(ContentSource.name.in_(move_from))))
    if unknown:
        raise SourceConflict(f"no content source named {', '.join(sorted(unknown))} (see `flask lms sources`)")
    existing = {e.uuid: e for e in db.session.scalars(select(Exercise).where(Exercise.uuid.in_(definitions)))}
    rows, left, conflicts = {}, {}, []
    for uuid, definition in definitions.items():
        row = existing.get(uuid)
        if row is None:
            continue
        if row.source_id == source.id or row.source.name in move_from:
            rows[uuid] = row
        elif uuid in source.moved_out:
            left[uuid] = row
        else:
            conflicts.append(
                f"  exercise {uuid} ({definition.path}) belongs to source {row.source.name!r} "
                f"({row.source.location}{', archived there' if row.archived else ''}): give it a new uuid, "
                f"or pass --move-from {row.source.name} to move it to {source.name!r}")
    if conflicts:
        raise SourceConflict(f"refusing to import source {source.name!r}, nothing was changed:\n"
                             + "\n".join(conflicts))
    return rows, left


def source_summaries() -> list[SourceSummary]:
    """Every source with its active and archived exercise counts, in one query."""
    active = func.count(case((Exercise.archived.is_(False), Exercise.id)))
    archived = func.count(case((Exercise.archived.is_(True), Exercise.id)))
    query = (select(ContentSource, active, archived).outerjoin(ContentSource.exercises)
             .group_by(ContentSource.id).order_by(ContentSource.name))
    return [SourceSummary(*row) for row in db.session.execute(query)]


def count_exercises(root: Path | str) -> int:
    return sum(1 for _ in iter_exercises(load_library(root)))
