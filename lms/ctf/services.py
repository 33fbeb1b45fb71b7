"""The ctf-flag kind's writes and reads on the web side: a learner's artifact (and its download recorded), the hints
they open, whose flag a handed-in text is, and the reports of shared flags instructors read."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from graders.base import ExerciseSpec
from graders.ctf_flag import DERIVED_SHAPE, expected_flag, flags_equal, hints_of, is_derived
from lms.catalog.models import Exercise
from lms.clock import utcnow
from lms.ctf.artifacts import ArtifactFile, make_artifact
from lms.ctf.models import ArtifactDownload, HintOpening, SharedFlagReport
from lms.extensions import db
from lms.grading.trusted import learner_for
from lms.programme.scope import scope_of
from lms.submissions.models import Submission

ARTIFACT_PURPOSE = "ctf-artifact"  # the seed of the noise around the flag: another key than the flag's own


def spec_of(exercise: Exercise) -> ExerciseSpec:
    return ExerciseSpec.from_dict(exercise.spec)


def has_artifact(exercise: Exercise) -> bool:
    return bool((exercise.spec.get("options") or {}).get("artifact"))


def artifact_for(user, exercise: Exercise) -> ArtifactFile:
    """This user's artifact, with their own flag inside (the same bytes on every download)."""
    spec = spec_of(exercise)
    learner = learner_for(user.id, spec.uuid)
    return make_artifact(spec.options["artifact"], expected_flag(spec, learner), learner.key(ARTIFACT_PURPOSE))


def download_artifact(user, exercise: Exercise) -> ArtifactFile:
    artifact = artifact_for(user, exercise)
    db.session.add(ArtifactDownload(exercise_id=exercise.id, user_id=user.id, downloaded_at=utcnow()))
    db.session.commit()
    return artifact


def has_downloaded(user, exercise: Exercise) -> bool:
    return db.session.scalar(select(ArtifactDownload.id).where(
        ArtifactDownload.exercise_id == exercise.id, ArtifactDownload.user_id == user.id).limit(1)) is not None


def opened_hint_ids(user_id: int, exercise_id: int, until: datetime | None = None) -> list[str]:
    """The hints this learner opened (before `until`, when given: those that count against a submission)."""
    query = select(HintOpening.hint_id).where(HintOpening.user_id == user_id, HintOpening.exercise_id == exercise_id)
    if until is not None:
        query = query.where(HintOpening.opened_at <= until)
    return list(db.session.scalars(query.order_by(HintOpening.opened_at, HintOpening.id)))


def hints_shown(user, exercise: Exercise) -> list[dict]:
    """Every hint with its cost; the text only of those this user opened."""
    opened = set(opened_hint_ids(user.id, exercise.id))
    return [{"id": hint["id"], "cost": float(hint["cost"]), "opened": hint["id"] in opened,
             "text": hint["text"] if hint["id"] in opened else None} for hint in hints_of(spec_of(exercise))]


def open_hint(user, exercise: Exercise, hint_id: str) -> dict | None:
    """Record that this user opened the hint (once: opening it again costs nothing more); None if there is no such
    hint."""
    hint = next((h for h in hints_of(spec_of(exercise)) if h["id"] == hint_id), None)
    if hint is None:
        return None
    if hint_id not in opened_hint_ids(user.id, exercise.id):
        db.session.add(HintOpening(user_id=user.id, exercise_id=exercise.id, hint_id=hint_id, opened_at=utcnow()))
        try:
            db.session.commit()
        except IntegrityError:  # the same hint opened twice at once: one row is enough
            db.session.rollback()
    return hint


def flag_owner(exercise: Exercise, spec: ExerciseSpec, submitted: str, submitter_id: int) -> int | None:
    """The learner (among those who downloaded the artifact, the submitter aside) whose derived flag `submitted` is;
    None when it is nobody's."""
    if not is_derived(spec) or not DERIVED_SHAPE.match(submitted) \
            or flags_equal(submitted, expected_flag(spec, learner_for(submitter_id, spec.uuid))):
        return None
    downloaders = db.session.scalars(select(ArtifactDownload.user_id).where(
        ArtifactDownload.exercise_id == exercise.id, ArtifactDownload.user_id != submitter_id).distinct())
    for user_id in downloaders:
        if flags_equal(submitted, expected_flag(spec, learner_for(user_id, spec.uuid))):
            return user_id
    return None


def report_shared_flag(submission: Submission, owner_id: int) -> SharedFlagReport:
    """Once per submission (a regrade finds it already reported)."""
    existing = db.session.scalar(select(SharedFlagReport).filter_by(submission_id=submission.id))
    if existing is not None:
        return existing
    report = SharedFlagReport(submission_id=submission.id, exercise_id=submission.exercise_id,
                              submitter_id=submission.user_id, owner_id=owner_id, created_at=utcnow())
    db.session.add(report)
    db.session.commit()
    return report


def reports_visible_to(user, exercise: Exercise | None = None, limit: int = 200) -> list[SharedFlagReport]:
    """The reports where either learner is in a cohort this user sees (both names are shown: that is the point)."""
    scope = scope_of(user)
    query = (select(SharedFlagReport)
             .where(or_(scope.learner_condition(SharedFlagReport.submitter_id),
                        scope.learner_condition(SharedFlagReport.owner_id)))
             .options(joinedload(SharedFlagReport.submitter), joinedload(SharedFlagReport.owner),
                      joinedload(SharedFlagReport.exercise))
             .order_by(SharedFlagReport.created_at.desc(), SharedFlagReport.id.desc()).limit(limit))
    if exercise is not None:
        query = query.where(SharedFlagReport.exercise_id == exercise.id)
    return list(db.session.scalars(query))

