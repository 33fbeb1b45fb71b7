from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class ImportMode(StrEnum):
    ADD = "add"  # new accounts only, each enrolled
    ADD_UPDATE = "add_update"  # also existing learners: their name updated, enrolled
    UPDATE = "update"  # existing learners only


class BatchStatus(StrEnum):
    DRY_RUN = "dry_run"  # checked, nothing written
    COMMITTED = "committed"
    FAILED = "failed"  # an all-or-nothing commit found errors: nothing written


class ImportBatch(db.Model):
    """One uploaded file: its parsed lines (kept, so the commit re-checks exactly what the dry run showed) and the
    per-line report of the last check or of the commit."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.DRY_RUN)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))  # for lines that name no cohort
    headers: Mapped[list] = mapped_column(JSON, default=list)  # the file's own header row
    rows: Mapped[list] = mapped_column(JSON, default=list)  # [{"line", "cells", "email", "name", "cohort"}]
    report: Mapped[list] = mapped_column(JSON, default=list)  # [{"line", "outcome", "error", "params", ...}]
    total_rows: Mapped[int] = mapped_column(default=0)
    valid_rows: Mapped[int] = mapped_column(default=0)
    error_rows: Mapped[int] = mapped_column(default=0)
    created_accounts: Mapped[int] = mapped_column(default=0)
    updated_accounts: Mapped[int] = mapped_column(default=0)
    enrolments: Mapped[int] = mapped_column(default=0)
    committed_at: Mapped[datetime | None]
