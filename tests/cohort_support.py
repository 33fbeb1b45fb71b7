"""Test learners reach the catalog the way real ones do: as learners of a cohort that publishes every module.
Each track gets a test cohort (in a centre of Dakhla-Oued Ed-Dahab, a region no scope test uses) publishing all its
modules, open since 2000 with no due date; learners made by the fixtures are enrolled in it unless a test enrols
them elsewhere or asks for an unenrolled learner (make_user(..., enrol=False))."""
from __future__ import annotations

from datetime import datetime

TEST_REGION = "dakhla-oued-ed-dahab"
TEST_CENTRE = "Centre des tests"
OPEN_SINCE = datetime(2000, 1, 1)


def open_catalog(user_ids) -> None:
    from lms.deadlines.services import enrol_in_open_cohorts

    enrol_in_open_cohorts(user_ids, TEST_CENTRE, TEST_REGION, opens_at=OPEN_SINCE)


def leave_test_cohort(user_id: int, track_id: int) -> None:
    """A test enrols a learner in a cohort of its own: they leave the track's test cohort first."""
    from sqlalchemy import delete, select

    from lms.deadlines.models import EffectiveWindow
    from lms.extensions import db
    from lms.programme.models import Centre, Cohort, Enrolment

    test_cohorts = select(Cohort.id).join(Centre).where(Centre.name == TEST_CENTRE, Cohort.track_id == track_id)
    db.session.execute(delete(EffectiveWindow).where(EffectiveWindow.user_id == user_id,
                                                     EffectiveWindow.cohort_id.in_(test_cohorts)))
    db.session.execute(delete(Enrolment).where(Enrolment.user_id == user_id, Enrolment.cohort_id.in_(test_cohorts)))
    db.session.flush()
