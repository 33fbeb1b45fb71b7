"""What a submission looks like to its reader: the same dict feeds the JSON API and the live page.

Hidden checks appear with their name and pass/fail only; staff diagnostics never leave through here.
"""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from lms.grading.queue import queue_position
from lms.i18n import localized
from lms.submissions.models import Status, Submission
from lms.submissions.notebooks import code_cells, is_notebook

VERDICT_LABELS = {
    "passed": _l("Passed"),
    "failed": _l("Wrong answer"),
    "time_limit": _l("Time limit exceeded"),
    "memory_limit": _l("Memory limit exceeded"),
    "output_limit": _l("Output limit exceeded"),
    "process_limit": _l("Too many processes"),
    "runtime_error": _l("Runtime error"),
    "grading_error": _l("Grading error"),
    "awaiting_review": _l("Awaiting review"),
    "reviewed": _l("Reviewed"),
}
STATUS_LABELS = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "completed": _l("Graded"),
    "error": _l("Grading error"),
}
# Queued, but the job has not reached the queue yet (Redis unreachable when it was sent): it is saved, and is
# enqueued as soon as the queue is back.
WAITING_FOR_QUEUE_LABEL = _l("Saved: waiting for the grading queue to come back")
CHECK_STATUS_LABELS = {
    "passed": _l("passed"),
    "failed": _l("failed"),
    "error": _l("error"),
    "timeout": _l("time limit"),
    "missing": _l("no result"),
    "skipped": _l("skipped"),
}


PRACTICE_VERDICT_LABELS = {
    "passed": _l("Public tests pass"),
    "failed": _l("Public tests fail"),
}


def verdict_label(submission: Submission) -> str | None:
    if not submission.verdict:
        return None
    if submission.mode == "practice" and submission.verdict in PRACTICE_VERDICT_LABELS:
        return str(PRACTICE_VERDICT_LABELS[submission.verdict])
    return str(VERDICT_LABELS[submission.verdict])


def _check(check: dict) -> dict:
    shown = {"id": check.get("id"), "name": localized(check.get("name")), "passed": bool(check.get("passed")),
             "hidden": bool(check.get("hidden")),
             "status": str(CHECK_STATUS_LABELS.get(check.get("status"), check.get("status", "")))}
    if not check.get("hidden"):
        message = check.get("message", "")
        shown["message"] = localized(message) if isinstance(message, dict) else message
        details = dict(check.get("details") or {})
        if isinstance(details.get("transcript"), list):  # an exchange's problem may be fr/ar/en texts
            details["transcript"] = [{**x, "problem": localized(x.get("problem"))} if isinstance(x, dict) else x
                                     for x in details["transcript"]]
        shown["details"] = details
    return shown


def present(submission: Submission, with_files: bool = False) -> dict:
    data = {
        "id": submission.id,
        "exercise": submission.exercise.uuid,
        "mode": submission.mode,
        "status": submission.status,
        "status_label": str(STATUS_LABELS.get(submission.status, submission.status)),
        "final": submission.is_final,
        "verdict": submission.verdict,
        "verdict_label": verdict_label(submission),
        "score": submission.score,
        "max_score": submission.max_score,
        "percent": submission.percent,
        "attempt": submission.attempts,
        "created_at": submission.created_at.isoformat() + "Z",
        "queue_position": None,
        "retrying": submission.status == Status.QUEUED and submission.attempts > 1,
        "waiting_for_queue": submission.status == Status.QUEUED and submission.queued_at is None,
    }
    if data["waiting_for_queue"]:
        data["status_label"] = str(WAITING_FOR_QUEUE_LABEL)
    if submission.status == Status.QUEUED:
        data["queue_position"] = queue_position(submission.job_id)
    if submission.is_final:
        feedback = submission.feedback or {}
        data["checks"] = [_check(c) for c in feedback.get("checks", [])]
        data["public_tests"] = [_check(t) for t in feedback.get("public_tests", [])]
        data["message"] = feedback.get("message", "")
        data["artifacts"] = [{"name": a["name"], "caption": localized(a.get("caption")),
                              "url": url_for("submissions.artifact", submission_id=submission.id, name=a["name"])}
                             for a in feedback.get("artifacts", [])]
        data["finished_at"] = submission.stored_at.isoformat() + "Z" if submission.stored_at else None
    if with_files:
        data["files"] = submission.files
    return data


def files_shown(files: dict[str, str]) -> list[dict]:
    """A submission's files as its pages show them: a notebook as its code cells (never its JSON), others as text."""
    shown = []
    for name, text in files.items():
        cells = code_cells(text) if is_notebook(name) else None
        shown.append({"name": name, "text": text, "cells": cells})
    return shown
