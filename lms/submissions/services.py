"""Step 1 of a submission's path: validate what the learner sent, write the row, commit, then enqueue."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select

from lms.auth.models import User
from lms.catalog.models import Exercise
from lms.clock import utcnow
from lms.extensions import db
from lms.grading.queue import enqueue_grading
from lms.leaderboards.services import daily_quota, used_today
from lms.programme.scope import scope_of
from lms.submissions.models import Mode, Status, Submission, SubmissionArtifact
from lms.submissions.notebooks import NotebookRefused, clean_notebook, is_notebook
from sandboxes.archives import ArchiveRejected, extract_archive


class SubmissionRejected(Exception):
    """Bad input or pacing: carries an HTTP status, a stable code for API clients, and a translated message."""

    def __init__(self, code: str, message, http_status: int = 400):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.http_status = http_status


def files_from_archive(data: bytes) -> dict[str, str]:
    """An uploaded zip/tar, checked by sandboxes.archives before anything is used (traversal, links, bombs),
    as text files; the usual file checks then apply."""
    try:
        extracted = extract_archive(data)
    except ArchiveRejected as exc:
        raise SubmissionRejected("bad_archive", _l("Archive refused: %(reason)s", reason=exc.reason)) from None
    try:
        return {name: content.decode("utf-8") for name, content in extracted.items()}
    except UnicodeDecodeError:
        raise SubmissionRejected("wrong_files", _l("Each file must be text.")) from None


def files_from_notebook(exercise: Exercise, filename: str, data: bytes) -> dict[str, str]:
    """An uploaded .ipynb file as the exercise's notebook (checked and stripped by validate_files, as a notebook
    sent as text through the API is)."""
    notebooks = [name for name in exercise.files if is_notebook(name)]
    if not notebooks:
        raise SubmissionRejected("wrong_files", _l("This exercise does not take a notebook."))
    if not is_notebook(filename or ""):
        raise SubmissionRejected("wrong_files", _l("Upload a Jupyter notebook: a file whose name ends in .ipynb."))
    limit = current_app.config["LMS_MAX_NOTEBOOK_BYTES"]
    if len(data) > limit:
        raise SubmissionRejected("too_large", _l("Your notebook is %(size)d bytes; the limit is %(limit)d bytes.",
                                                 size=len(data), limit=limit), 413)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionRejected("bad_notebook", _l("This file is not a notebook: it is not UTF-8 text.")) from None
    return {notebooks[0]: text}


def cleaned_notebooks(files: dict[str, str]) -> dict[str, str]:
    """Each notebook of `files` checked and reduced to its cells' sources (its outputs were made elsewhere)."""
    limit = current_app.config["LMS_MAX_NOTEBOOK_BYTES"]
    cleaned = {}
    for name, text in files.items():
        if not is_notebook(name):
            cleaned[name] = text
            continue
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise SubmissionRejected("too_large", _l("Your notebook is %(size)d bytes; the limit is %(limit)d bytes.",
                                                     size=size, limit=limit), 413)
        try:
            cleaned[name] = clean_notebook(text)
        except NotebookRefused as exc:
            raise SubmissionRejected("bad_notebook", exc.message, exc.http_status) from None
    return cleaned


def validate_files(exercise: Exercise, files) -> dict[str, str]:
    if not isinstance(files, dict) or not files:
        raise SubmissionRejected("wrong_files", _l("Send the exercise's files as a mapping of name to code."))
    expected = set(exercise.files)
    unknown = sorted(set(files) - expected)
    if unknown:
        raise SubmissionRejected("wrong_files", _l("Unexpected file(s): %(names)s. This exercise accepts: %(allowed)s.",
                                                   names=", ".join(unknown)[:200], allowed=", ".join(sorted(expected))))
    missing = sorted(expected - set(files))
    if missing:
        raise SubmissionRejected("wrong_files", _l("Missing file(s): %(names)s.", names=", ".join(missing)))
    if not all(isinstance(text, str) for text in files.values()):
        raise SubmissionRejected("wrong_files", _l("Each file must be text."))
    files = cleaned_notebooks(files)  # what is stored and measured is the stripped notebook
    size = sum(len(text.encode("utf-8", "surrogatepass")) for text in files.values())
    limit = current_app.config["LMS_MAX_SUBMISSION_BYTES"]
    if size > limit:
        raise SubmissionRejected("too_large", _l("Your code is %(size)d bytes; the limit is %(limit)d bytes.",
                                                 size=size, limit=limit), 413)
    try:
        for text in files.values():
            text.encode("utf-8")
    except UnicodeEncodeError:
        raise SubmissionRejected("wrong_files", _l("Your code contains invalid characters.")) from None
    if any("\x00" in text for text in files.values()):
        raise SubmissionRejected("wrong_files", _l("Your code contains invalid characters."))
    return {name: files[name] for name in exercise.files}


def check_pacing(user: User, exercise: Exercise, mode: str = Mode.GRADED) -> None:
    now = utcnow()
    pending = db.session.scalar(select(func.count(Submission.id)).where(
        Submission.user_id == user.id, Submission.status.in_([Status.QUEUED, Status.RUNNING])))
    if pending >= current_app.config["LMS_MAX_PENDING_PER_USER"]:
        raise SubmissionRejected("too_fast", lazy_ngettext(
            "You already have %(num)d submission being graded; wait for its result.",
            "You already have %(num)d submissions being graded; wait for their results.", pending), 429)
    last = db.session.scalar(select(func.max(Submission.created_at)).where(
        Submission.user_id == user.id, Submission.exercise_id == exercise.id, Submission.mode == mode))
    cooldown = exercise.cooldown_seconds
    if last is not None and cooldown and now - last < timedelta(seconds=cooldown):
        wait = max(1, round(cooldown - (now - last).total_seconds()))
        raise SubmissionRejected("too_fast", _l("Please wait %(seconds)d s before submitting again.",
                                                seconds=wait), 429)
    quota = daily_quota(exercise) if mode == Mode.GRADED else 0
    if quota and used_today(user, exercise) >= quota:
        raise SubmissionRejected("quota_reached", lazy_ngettext(
            "You have used today's %(num)d submission for this exercise; more tomorrow (Morocco time).",
            "You have used today's %(num)d submissions for this exercise; more tomorrow (Morocco time).", quota), 429)
    if exercise.max_attempts and mode == Mode.GRADED:
        used = db.session.scalar(select(func.count(Submission.id)).where(
            Submission.user_id == user.id, Submission.exercise_id == exercise.id, Submission.mode == Mode.GRADED,
            Submission.status != Status.ERROR))  # the platform's failures do not cost an attempt
        if used >= exercise.max_attempts:
            raise SubmissionRejected("no_attempts_left", lazy_ngettext(
                "You have used your %(num)d attempt for this exercise.",
                "You have used all %(num)d attempts for this exercise.", exercise.max_attempts), 403)


def check_window(user: User, exercise: Exercise, mode: str) -> None:
    """A learner submits only to an opened exercise of one of their cohorts, and graded work only until its
    cut-off (their own, with extensions); practice runs stay open after it."""
    from lms.clock import to_local
    from lms.deadlines.services import gates, is_open, window_for

    if not gates(user):
        return
    window = window_for(user, exercise)
    if not is_open(window):
        raise SubmissionRejected("unknown_exercise", _l("This exercise is not open to you."), 404)
    if mode == Mode.GRADED and window.cutoff_at is not None and utcnow() > window.cutoff_at:
        raise SubmissionRejected("closed", _l(
            "The cut-off for this exercise was %(when)s (Morocco time): graded submissions are closed. You can still "
            "run the public tests.", when=to_local(window.cutoff_at).strftime("%Y-%m-%d %H:%M")), 403)


def create_submission(user: User, exercise: Exercise, files, mode: str = Mode.GRADED) -> Submission:
    """`mode`: graded (a score) or practice (the public tests only, which cost no attempt)."""
    if exercise.archived:
        raise SubmissionRejected("unknown_exercise", _l("This exercise is no longer available."), 404)
    if mode not in tuple(Mode):
        raise SubmissionRejected("bad_request", _l("Unknown mode: use graded or practice."))
    if mode == Mode.PRACTICE and not exercise.public_tests:
        raise SubmissionRejected("bad_request", _l("This exercise has no public tests to run."))
    check_window(user, exercise, mode)
    files = validate_files(exercise, files)
    check_pacing(user, exercise, mode)
    from lms.ctf.pacing import check_wrong_flags  # a kind's own limit (imported here: lms.ctf imports this module)
    check_wrong_flags(user, exercise, mode)
    submission = Submission(user_id=user.id, exercise_id=exercise.id, files=files, status=Status.QUEUED, mode=mode,
                            max_score=exercise.points if mode == Mode.GRADED else 0.0,
                            content_version=exercise.content_version, created_at=utcnow(), attempts=1)
    db.session.add(submission)
    db.session.commit()  # the row exists before any job does
    from lms.grading.jobs import grade_in_request  # (lms.grading.jobs imports the gradebook, which imports us)

    if not grade_in_request(submission):
        enqueue_grading(submission)
    return submission


def visible_submission(user: User, submission_id: int) -> Submission | None:
    """A learner sees only their own submissions; staff, those of the learners of the cohorts they run."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or (submission.user_id != user.id and not scope_of(user).sees_learner(submission.user_id)):
        return None
    return submission


def submissions_of(user: User, exercise: Exercise | None = None, limit: int = 50,
                   mode: str | None = None) -> list[Submission]:
    query = select(Submission).where(Submission.user_id == user.id)
    if mode is not None:
        query = query.where(Submission.mode == mode)
    if exercise is not None:
        query = query.where(Submission.exercise_id == exercise.id)
    return list(db.session.scalars(query.order_by(Submission.id.desc()).limit(limit)))


IMAGE_TYPES = ("image/png", "image/jpeg")
ARTIFACT_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{0,63}$")


def artifact_of(submission: Submission, name: str) -> SubmissionArtifact | None:
    """A stored picture of this submission's feedback, by name (images only)."""
    if not ARTIFACT_NAME.match(name):
        return None
    found = db.session.scalar(select(SubmissionArtifact).where(SubmissionArtifact.submission_id == submission.id,
                                                               SubmissionArtifact.name == name))
    return found if found is not None and found.content_type in IMAGE_TYPES else None
