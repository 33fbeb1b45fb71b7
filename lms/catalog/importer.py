"""Import the content library into the database: upsert by slug (tracks, modules) and uuid (exercises), archive
what disappeared. Submissions keep the content version they were graded with."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from lms.catalog.content import iter_exercises, load_library
from lms.catalog.models import Exercise, Module, Track
from lms.clock import utcnow
from lms.extensions import db


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)


def import_library(root: Path | str) -> ImportReport:
    tracks = load_library(root)  # validates everything before the first write
    report = ImportReport()
    seen_tracks, seen_modules, seen_exercises = set(), set(), set()
    for track_def in tracks:
        track = db.session.scalar(select(Track).filter_by(slug=track_def.slug)) or Track(slug=track_def.slug)
        track.title, track.summary, track.position, track.archived = (
            track_def.title, track_def.summary, track_def.position, False)
        db.session.add(track)
        db.session.flush()
        seen_tracks.add(track.id)
        for module_def in track_def.modules:
            module = db.session.scalar(select(Module).filter_by(track_id=track.id, slug=module_def.slug))
            module = module or Module(track_id=track.id, slug=module_def.slug)
            module.title, module.summary, module.position = module_def.title, module_def.summary, module_def.position
            module.pass_min_percent, module.archived = module_def.pass_min_percent, False
            db.session.add(module)
            db.session.flush()
            seen_modules.add(module.id)
            for position, exercise_def in enumerate(module_def.exercises):
                exercise = db.session.scalar(select(Exercise).filter_by(uuid=exercise_def.uuid))
                label = f"{track_def.slug}/{module_def.slug}/{exercise_def.slug}"
                if exercise is None:
                    exercise = Exercise(uuid=exercise_def.uuid)
                    report.created.append(label)
                elif (exercise.content_version == exercise_def.content_version and not exercise.archived
                      and exercise.module_id == module.id and exercise.position == position):
                    report.unchanged.append(label)
                    seen_exercises.add(exercise.id)
                    continue
                else:
                    report.updated.append(label)
                exercise.module_id = module.id
                exercise.slug = exercise_def.slug
                exercise.kind = exercise_def.kind
                exercise.title = exercise_def.title
                exercise.statements = exercise_def.statements
                exercise.starter_files = exercise_def.starter_files
                exercise.public_tests = exercise_def.public_tests
                exercise.hints = exercise_def.hints
                exercise.pacing = exercise_def.pacing
                exercise.spec = exercise_def.spec
                exercise.points = exercise_def.points
                exercise.position = position
                exercise.archived = False
                exercise.content_version = exercise_def.content_version
                exercise.updated_at = utcnow()
                db.session.add(exercise)
                db.session.flush()
                seen_exercises.add(exercise.id)
    for model, seen in ((Exercise, seen_exercises), (Module, seen_modules), (Track, seen_tracks)):
        for row in db.session.scalars(select(model).where(model.archived.is_(False), model.id.not_in(seen))):
            row.archived = True
            if model is Exercise:
                report.archived.append(row.uuid)
    db.session.commit()
    return report


def count_exercises(root: Path | str) -> int:
    return sum(1 for _ in iter_exercises(load_library(root)))
