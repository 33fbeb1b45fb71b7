"""Reading a cohort's gradebook: one query for the columns, one for the learners of the page, one for their stored
grades and one for their windows, whatever the number of learners (OPERATIONS.md "Gradebook")."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from lms.auth.models import User
from lms.catalog.models import Exercise, Module
from lms.clock import utcnow
from lms.deadlines.models import EffectiveWindow, Publication
from lms.extensions import db
from lms.gradebook.models import Grade, GradeStatus
from lms.programme.models import Cohort, Enrolment

PAGE_SIZE = 100
STATUS_FILTERS = ("missing", "late", "extended", "excused")


class Cell:
    """One learner x exercise of the page: its stored grade, its window and what the page shows of them (worked
    out once here: a 100 x 25 page reads each many times)."""

    __slots__ = ("grade", "window", "points", "excused", "missing", "overdue", "closed", "late", "extended")

    def __init__(self, grade: Grade | None, window: EffectiveWindow | None, points: float, now: datetime):
        self.grade, self.window, self.points = grade, window, points
        self.excused = grade is not None and grade.status == GradeStatus.EXCUSED
        self.missing = not self.excused and (grade is None or grade.final is None)
        # Missing after the due date (a zero in the final score once past the cut-off).
        self.overdue = self.missing and window is not None and window.due_at is not None and now > window.due_at
        self.closed = window is not None and window.cutoff_at is not None and now > window.cutoff_at
        self.late = grade is not None and grade.status == GradeStatus.LATE
        self.extended = window is not None and window.extended

    def has(self, status: str) -> bool:
        """The gradebook's status filter: "missing" is work not handed in by its due date."""
        return self.overdue if status == "missing" else getattr(self, status)


@dataclass
class Row:
    learner: User
    cells: list[Cell]

    @property
    def earned(self) -> float:
        return round(sum(c.grade.final for c in self.cells if not c.excused and not c.missing), 2)

    @property
    def current_percent(self) -> float | None:
        """Over the exercises graded so far (missing work does not count yet)."""
        possible = sum(c.points for c in self.cells if not c.excused and not c.missing)
        return round(100 * self.earned / possible, 1) if possible else None

    @property
    def final_percent(self) -> float | None:
        """Missing work past its cut-off counts as zero; excused work is left out."""
        possible = sum(c.points for c in self.cells if not c.excused and (not c.missing or c.closed))
        return round(100 * self.earned / possible, 1) if possible else None


@dataclass
class Gradebook:
    cohort: Cohort
    modules: list[Module]
    exercises: list[Exercise]
    rows: list[Row]
    total_learners: int
    page: int
    pages: int
    column_averages: list[float | None] = field(default_factory=list)
    column_submitted: list[int] = field(default_factory=list)


def published_exercises(cohort: Cohort, module_id: int | None = None) -> list[Exercise]:
    query = (select(Exercise).join(Module, Module.id == Exercise.module_id)
             .join(Publication, (Publication.module_id == Module.id) & (Publication.cohort_id == cohort.id)
                   & Publication.exercise_id.is_(None))
             .where(Exercise.archived.is_(False)).order_by(Module.position, Exercise.position)
             .options(contains_eager(Exercise.module)))
    if module_id:
        query = query.where(Module.id == module_id)
    return list(db.session.scalars(query))


def read_gradebook(cohort: Cohort, module_id: int | None = None, status: str | None = None, page: int = 1,
                   page_size: int = PAGE_SIZE, everyone: bool = False) -> Gradebook:
    exercises = published_exercises(cohort, module_id)
    modules = list(dict.fromkeys(e.module for e in exercises)) if not module_id else \
        [m for m in [db.session.get(Module, module_id)] if m]
    learners_query = (select(User).join(Enrolment, Enrolment.user_id == User.id)
                      .where(Enrolment.cohort_id == cohort.id, Enrolment.withdrawn_at.is_(None)))
    total = db.session.scalar(select(func.count()).select_from(learners_query.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    if not everyone:
        learners_query = learners_query.limit(page_size).offset((page - 1) * page_size)
    learners = list(db.session.scalars(learners_query.order_by(User.name, User.id)))
    user_ids, exercise_ids = [u.id for u in learners], [e.id for e in exercises]
    grades, windows = {}, {}
    if user_ids and exercise_ids:
        grades = {(g.user_id, g.exercise_id): g for g in db.session.scalars(select(Grade).where(
            Grade.cohort_id == cohort.id, Grade.user_id.in_(user_ids), Grade.exercise_id.in_(exercise_ids)))}
        windows = {(w.user_id, w.exercise_id): w for w in db.session.scalars(select(EffectiveWindow).where(
            EffectiveWindow.cohort_id == cohort.id, EffectiveWindow.user_id.in_(user_ids),
            EffectiveWindow.exercise_id.in_(exercise_ids)))}
    now = utcnow()
    rows = [Row(learner, [Cell(grades.get((learner.id, e.id)), windows.get((learner.id, e.id)), e.points, now)
                          for e in exercises]) for learner in learners]
    if status in STATUS_FILTERS:
        rows = [row for row in rows if any(cell.has(status) for cell in row.cells)]
    book = Gradebook(cohort=cohort, modules=modules, exercises=exercises, rows=rows, total_learners=total,
                     page=page, pages=pages)
    for index in range(len(exercises)):
        finals = [row.cells[index].grade.final for row in rows
                  if not row.cells[index].missing and not row.cells[index].excused]
        book.column_averages.append(round(sum(finals) / len(finals), 2) if finals else None)
        book.column_submitted.append(len(finals))
    return book
