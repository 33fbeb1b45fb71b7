from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db


class SourceKind(StrEnum):
    FOLDER = "folder"
    GIT = "git"  # a git checkout: its commit is recorded at each import


# Tracks and modules are shared: several sources may provide the same one (a private repository adding a module
# to the bundled back-end track). Each import rewrites its source's rows; what no source provides is archived.
source_tracks = db.Table(
    "content_source_tracks",
    Column("source_id", ForeignKey("content_sources.id"), primary_key=True),
    Column("track_id", ForeignKey("tracks.id"), primary_key=True, index=True),
)
source_modules = db.Table(
    "content_source_modules",
    Column("source_id", ForeignKey("content_sources.id"), primary_key=True),
    Column("module_id", ForeignKey("modules.id"), primary_key=True, index=True),
)


class ContentSource(db.Model):
    """A content library exercises are imported from: a folder or a git checkout, known by a name that survives
    moving it (see sources.py). Each exercise belongs to one source; importing a source archives only what
    disappeared from it."""

    __tablename__ = "content_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default=SourceKind.FOLDER)
    location: Mapped[str] = mapped_column(String(1024), default="")  # where it was last imported from
    git_commit: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[datetime | None]
    imported_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Uuids other sources took over (--move-from): this source's library may still hold them, and its later
    # imports leave them to their new owner instead of failing (the bundled import runs at every start).
    moved_out: Mapped[list] = mapped_column(JSON, default=list)
    exercises: Mapped[list["Exercise"]] = relationship(back_populates="source")
    tracks: Mapped[list["Track"]] = relationship(secondary=source_tracks, back_populates="sources")
    modules: Mapped[list["Module"]] = relationship(secondary=source_modules, back_populates="sources")


class Track(db.Model):
    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)
    modules: Mapped[list["Module"]] = relationship(back_populates="track", order_by="Module.position")
    sources: Mapped[list[ContentSource]] = relationship(secondary=source_tracks, back_populates="tracks")


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("track_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(default=0)
    pass_min_percent: Mapped[int] = mapped_column(default=70)
    archived: Mapped[bool] = mapped_column(default=False)
    track: Mapped[Track] = relationship(back_populates="modules")
    exercises: Mapped[list["Exercise"]] = relationship(back_populates="module", order_by="Exercise.position")
    sources: Mapped[list[ContentSource]] = relationship(secondary=source_modules, back_populates="modules")


class Exercise(db.Model):
    """An exercise as imported from its content source. `spec` holds the grading data, hidden checks included: it is
    read by workers only and never serialised for a learner."""

    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("content_sources.id", name="fk_exercises_source_id"),
                                           index=True)
    slug: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    statements: Mapped[dict] = mapped_column(JSON, default=dict)
    starter_files: Mapped[dict] = mapped_column(JSON, default=dict)
    public_tests: Mapped[dict] = mapped_column(JSON, default=dict)
    hints: Mapped[dict] = mapped_column(JSON, default=dict)
    pacing: Mapped[dict] = mapped_column(JSON, default=dict)
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    points: Mapped[float] = mapped_column(default=10.0)
    position: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)
    content_version: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    module: Mapped[Module] = relationship(back_populates="exercises")
    source: Mapped[ContentSource] = relationship(back_populates="exercises")

    @property
    def files(self) -> list[str]:
        return list(self.spec.get("files", []))

    @property
    def cooldown_seconds(self) -> float:
        return float(self.pacing.get("cooldown_seconds", 0) or 0)

    @property
    def max_attempts(self) -> int:
        return int(self.pacing.get("max_attempts", 0) or 0)
