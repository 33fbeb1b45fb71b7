"""What the ctf-flag kind does around its trusted-side grade (lms/grading/trusted.py): before, the facts the grader
needs and the learner must not be able to forge (the hints they had opened when they submitted, whether a wrong flag
is one made for another learner); after, the report of such a flag to the instructors of both learners."""
from __future__ import annotations

import logging

from graders.base import GradeResult
from graders.ctf_flag import MAX_FLAG_CHARS, submitted_flag
from lms.ctf.services import flag_owner, opened_hint_ids, report_shared_flag, spec_of
from lms.grading.trusted import register_after_grade, register_learner_facts
from lms.submissions.models import Submission

KIND = "ctf-flag"
log = logging.getLogger(__name__)


@register_learner_facts(KIND)
def facts_of(submission: Submission) -> dict:
    exercise = submission.exercise
    submitted = submitted_flag(submission.files)[:MAX_FLAG_CHARS + 1]
    return {"opened_hints": opened_hint_ids(submission.user_id, exercise.id, until=submission.created_at),
            "flag_owner_id": flag_owner(exercise, spec_of(exercise), submitted, submission.user_id)}


@register_after_grade(KIND)
def report_if_shared(submission: Submission, grade_result: GradeResult) -> None:
    owner_id = grade_result.diagnostics.get("flag_of_learner")
    if owner_id is None:
        return
    report_shared_flag(submission, owner_id)
    log.warning("ctf-flag: submission %s by user %s holds the flag of user %s (reported)", submission.id,
                submission.user_id, owner_id)
