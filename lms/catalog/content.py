"""Reading the content library (exercises/ as files, see shared/design/EXERCISES.md) into plain definitions.

Nothing here touches the database: `importer.py` writes what this reads, and `checking.py` runs it.
"""
from __future__ import annotations

import hashlib
import re
import uuid as uuid_module
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from graders import SpecError, get_grader
from graders.base import ExerciseSpec

LANGUAGES = ("fr", "ar", "en")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_FILE_BYTES = 256 * 1024
SCORING_MODES = ("proportional", "all_or_nothing")


class ContentError(ValueError):
    """The content folder is invalid; the message names the file and the problem."""


@dataclass
class ExerciseDefinition:
    uuid: str
    slug: str
    kind: str
    title: dict
    statements: dict
    starter_files: dict
    solution_files: dict
    public_tests: dict
    hints: dict
    pacing: dict
    spec: dict
    points: float
    content_version: str
    path: Path

    def grading_spec(self) -> ExerciseSpec:
        return ExerciseSpec.from_dict(self.spec)


@dataclass
class ModuleDefinition:
    slug: str
    title: dict
    summary: dict
    position: int
    pass_min_percent: int
    exercises: list[ExerciseDefinition] = field(default_factory=list)


@dataclass
class TrackDefinition:
    slug: str
    title: dict
    summary: dict
    position: int
    modules: list[ModuleDefinition] = field(default_factory=list)


def read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: missing") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ContentError(f"{path}: must be a mapping")
    return data


def _multilingual(data: dict, key: str, path: Path, required: bool = True) -> dict:
    value = data.get(key) or {}
    if isinstance(value, str):
        value = {"fr": value}
    if not isinstance(value, dict) or not all(isinstance(v, (str, list)) for v in value.values()):
        raise ContentError(f"{path}: {key} must map languages ({', '.join(LANGUAGES)}) to text")
    if required and not value.get("fr"):
        raise ContentError(f"{path}: {key}.fr (French) is required")
    return value


def _read_text_files(folder: Path, pattern: str = "*") -> dict[str, str]:
    """Text files under folder whose names match `pattern`, keyed by their path relative to it (an exercise's
    files may sit in sub-folders: templates/index.html, static/app.js)."""
    files = {}
    if not folder.is_dir() or not pattern:
        return files
    for path in sorted(folder.rglob(pattern)):
        if path.is_symlink() or any(parent.is_symlink() for parent in path.parents if folder in parent.parents):
            raise ContentError(f"{path}: symbolic links are not allowed in content")
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ContentError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        files[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    return files


def folder_version(folder: Path) -> str:
    """A hash of every file of an exercise: the content version each submission is graded with."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_exercise(folder: Path, track_runtime: str | None = None, complete: bool = True) -> ExerciseDefinition:
    """`track_runtime`: the track's `runtime:` (e.g. runsc for a cybersecurity track), the default of its
    exercises. `complete=False` leaves the kind's completion and validation out (the spec as written: what
    lms.catalog.expectations starts from)."""
    meta_path = folder / "exercise.yaml"
    meta = read_yaml(meta_path)
    try:
        exercise_uuid = str(uuid_module.UUID(str(meta.get("uuid"))))
    except ValueError:
        raise ContentError(f"{meta_path}: uuid must be a UUID") from None
    kind = meta.get("kind")
    try:
        grader = get_grader(kind)
    except SpecError as exc:
        raise ContentError(f"{meta_path}: {exc}") from None
    if not SLUG.match(folder.name):
        raise ContentError(f"{folder}: folder name must be a slug ({SLUG.pattern})")
    statements = {lang: (folder / f"statement.{lang}.md").read_text(encoding="utf-8")
                  for lang in LANGUAGES if (folder / f"statement.{lang}.md").is_file()}
    if "fr" not in statements:
        raise ContentError(f"{folder}: statement.fr.md is required")
    files = meta.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise ContentError(f"{meta_path}: files must list the submitted file names")
    starter = _read_text_files(folder / "starter")
    solution = _read_text_files(folder / "solution")
    for name in files:
        if name not in solution:
            raise ContentError(f"{folder}/solution: {name} is missing (every exercise needs a reference solution)")
        starter.setdefault(name, "")
    scoring = meta.get("scoring", "proportional")
    if scoring not in SCORING_MODES:
        raise ContentError(f"{meta_path}: scoring must be one of {', '.join(SCORING_MODES)}")
    points = meta.get("points", 10)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= 1000:
        raise ContentError(f"{meta_path}: points must be a number between 0 and 1000")
    pacing = meta.get("pacing") or {}
    if not isinstance(pacing, dict) or set(pacing) - {"cooldown_seconds", "max_attempts"}:
        raise ContentError(f"{meta_path}: pacing takes cooldown_seconds and max_attempts")
    if not 0 <= float(pacing.get("cooldown_seconds", 0)) <= 3600 or not 0 <= int(pacing.get("max_attempts", 0)):
        raise ContentError(f"{meta_path}: pacing values out of range")
    # Checks in tests/public/checks.yaml are examples the learner sees (expected values included, and a message
    # when they fail); those in tests/hidden/checks.yaml show only their name and pass/fail.
    checks = []
    for visibility in ("public", "hidden"):
        path = folder / "tests" / visibility / "checks.yaml"
        for check in (read_yaml(path).get("checks") or []) if path.exists() else []:
            if not isinstance(check, dict):
                raise ContentError(f"{path}: each check must be a mapping")
            checks.append({**check, "hidden": visibility == "hidden"})
    spec = {
        "uuid": exercise_uuid,
        "kind": kind,
        "files": files,
        "checks": checks,
        "public_tests": _read_text_files(folder / "tests" / "public", grader.public_test_glob),
        "limits": meta.get("limits") or {},
        "runtime": meta.get("runtime") or track_runtime or "runc",
        "scoring": scoring,
        "points": float(points),
        "options": meta.get("options") or {},
    }
    if not isinstance(spec["options"], dict):
        raise ContentError(f"{meta_path}: options must be a mapping")
    try:
        grading_spec = ExerciseSpec.from_dict(spec)
    except SpecError as exc:
        raise ContentError(f"{meta_path}: {exc}") from None
    if grading_spec.runtime not in ("runc", "runsc"):
        raise ContentError(f"{meta_path}: runtime must be runc or runsc")
    problems = (grader.complete(grading_spec, folder, solution) or grader.validate(grading_spec)) if complete else []
    if problems:
        raise ContentError(f"{folder}: " + "; ".join(problems))
    spec["limits"] = grading_spec.limits.to_dict()
    spec["options"], spec["checks"] = grading_spec.options, grading_spec.checks  # as complete() left them
    return ExerciseDefinition(
        uuid=exercise_uuid, slug=folder.name, kind=kind,
        title=_multilingual(meta, "title", meta_path), statements=statements,
        starter_files={name: starter[name] for name in files}, solution_files=solution,
        public_tests=spec["public_tests"], hints=_multilingual(meta, "hints", meta_path, required=False),
        pacing={"cooldown_seconds": float(pacing.get("cooldown_seconds", 0)),
                "max_attempts": int(pacing.get("max_attempts", 0))},
        spec=spec, points=float(points), content_version=folder_version(folder), path=folder,
    )


def _slug(value, where: Path) -> str:
    """Track and module slugs are URL parts and 64-character columns (PostgreSQL refuses longer ones)."""
    if not isinstance(value, str) or not SLUG.match(value):
        raise ContentError(f"{where}: slug must be lowercase letters, digits and - ({SLUG.pattern}), got {value!r}")
    return value


def load_library(root: Path | str) -> list[TrackDefinition]:
    """Every track under root (folders with track.yaml), validated as a whole (uuids unique)."""
    root = Path(root)
    if not root.is_dir():
        raise ContentError(f"{root}: not a folder")
    tracks, seen_uuids = [], {}
    for track_path in sorted(p for p in root.iterdir() if (p / "track.yaml").is_file()):
        meta = read_yaml(track_path / "track.yaml")
        track_runtime = meta.get("runtime")
        if track_runtime not in (None, "runc", "runsc"):
            raise ContentError(f"{track_path / 'track.yaml'}: runtime must be runc or runsc")
        track = TrackDefinition(slug=_slug(meta.get("slug", track_path.name), track_path / "track.yaml"),
                                title=_multilingual(meta, "title", track_path / "track.yaml"),
                                summary=_multilingual(meta, "summary", track_path / "track.yaml", required=False),
                                position=int(meta.get("order", 0)))
        for module_path in sorted(p for p in track_path.iterdir() if (p / "module.yaml").is_file()):
            module_meta = read_yaml(module_path / "module.yaml")
            order = module_meta.get("exercises") or []
            module = ModuleDefinition(
                slug=_slug(module_meta.get("slug", module_path.name), module_path / "module.yaml"),
                title=_multilingual(module_meta, "title", module_path / "module.yaml"),
                summary=_multilingual(module_meta, "summary", module_path / "module.yaml", required=False),
                position=int(module_meta.get("order", 0)),
                pass_min_percent=int((module_meta.get("pass_rule") or {}).get("min_percent", 70)),
            )
            for name in order:
                if not (module_path / name / "exercise.yaml").is_file():
                    raise ContentError(f"{module_path}/module.yaml: exercise {name!r} has no folder")
                exercise = load_exercise(module_path / name, track_runtime)
                if exercise.uuid in seen_uuids:
                    raise ContentError(f"{exercise.path}: uuid also used by {seen_uuids[exercise.uuid]}")
                seen_uuids[exercise.uuid] = exercise.path
                module.exercises.append(exercise)
            track.modules.append(module)
        tracks.append(track)
    return tracks


def iter_exercises(tracks: list[TrackDefinition]):
    for track in tracks:
        for module in track.modules:
            yield from module.exercises
