from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db


class Track(db.Model):
    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)
    modules: Mapped[list["Module"]] = relationship(back_populates="track", order_by="Module.position")


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


class Exercise(db.Model):
    """An exercise as imported from exercises/. `spec` holds the grading data, hidden checks included: it is
    read by workers only and never serialised for a learner."""

    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
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

    @property
    def files(self) -> list[str]:
        return list(self.spec.get("files", []))

    @property
    def cooldown_seconds(self) -> float:
        return float(self.pacing.get("cooldown_seconds", 0) or 0)

    @property
    def max_attempts(self) -> int:
        return int(self.pacing.get("max_attempts", 0) or 0)
