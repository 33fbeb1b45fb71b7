"""Who sees which learner: every role, on its scope only, on every page and API answer that shows a submission or a
cohort (issue 11's test matrix). Two regions, three centres, four cohorts, a learner and a submission in each."""
from dataclasses import dataclass

import pytest

from lms.extensions import db
from lms.gradebook.services import grade_landed
from lms.submissions.models import Status, Submission


@dataclass
class World:
    cohorts: dict
    learners: dict
    submissions: dict
    staff: dict


@pytest.fixture
def world(make_user, programme):
    casablanca_1 = programme.centre("casablanca-settat", "Centre Casa Anfa")
    casablanca_2 = programme.centre("casablanca-settat", "Centre Mohammedia")
    rabat = programme.centre("rabat-sale-kenitra", "Centre Rabat Agdal")
    cohorts = {"anfa-a": programme.cohort(casablanca_1, name="Anfa A"),
               "anfa-b": programme.cohort(casablanca_1, name="Anfa B"),
               "mohammedia": programme.cohort(casablanca_2, name="Mohammedia 1"),
               "rabat": programme.cohort(rabat, name="Agdal 1")}
    learners, submissions = {}, {}
    exercise = programme.exercise()
    for key, cohort in cohorts.items():
        learner = make_user(name=f"Learner {key}")
        programme.enrol(learner, cohort)
        programme.publish(cohort, exercise.module)
        submission = Submission(user_id=learner.id, exercise_id=exercise.id, status=Status.COMPLETED,
                                verdict="passed", score=10.0, max_score=10.0,
                                files={"solution.py": f"CODE_OF_{key.upper().replace('-', '_')} = 1"})
        db.session.add(submission)
        learners[key], submissions[key] = learner, submission
    db.session.commit()
    for submission in submissions.values():
        grade_landed(submission)  # each learner's stored grade, in their cohort's gradebook
    staff = {"admin": make_user("admin"), "programme": make_user("instructor"), "coordinator": make_user("instructor"),
             "manager": make_user("instructor"), "instructor": make_user("instructor"),
             "no-grant": make_user("instructor"), "learner": learners["anfa-a"]}
    programme.grant(staff["programme"], "programme_staff")
    programme.grant(staff["coordinator"], "regional_coordinator", region="casablanca-settat")
    programme.grant(staff["manager"], "centre_manager", centre=casablanca_1)
    programme.grant(staff["instructor"], "instructor", cohort=cohorts["anfa-a"])
    # A grant on a learner account gives it nothing: its role is what the account is.
    programme.grant(learners["anfa-a"], "programme_staff")
    return World(cohorts, learners, submissions, staff)


EVERYONE = {"anfa-a", "anfa-b", "mohammedia", "rabat"}
SEES = {
    "admin": EVERYONE,
    "programme": EVERYONE,
    "coordinator": {"anfa-a", "anfa-b", "mohammedia"},
    "manager": {"anfa-a", "anfa-b"},
    "instructor": {"anfa-a"},
    "no-grant": set(),
}


@pytest.mark.parametrize("role", list(SEES))
def test_each_role_sees_the_learners_and_cohorts_of_its_scope_only(client, auth, world, role):
    auth.login(world.staff[role])
    teaching = client.get("/teach/").text
    programme_page = client.get("/programme/")
    assert programme_page.status_code == 200
    for key, submission in world.submissions.items():
        visible = key in SEES[role]
        code = f"CODE_OF_{key.upper().replace('-', '_')}".encode()
        assert (f"/teach/submissions/{submission.id}\"" in teaching) is visible, key
        for path in (f"/teach/submissions/{submission.id}", f"/submissions/{submission.id}",
                     f"/api/v1/submissions/{submission.id}?files=1"):
            answer = client.get(path)
            assert answer.status_code == (200 if visible else 404), (path, key)
            assert (code in answer.data) is visible, (path, key)
        cohort = world.cohorts[key]
        assert (f"/programme/cohorts/{cohort.id}\"" in programme_page.text) is visible, key
        roster = client.get(f"/programme/cohorts/{cohort.id}")
        assert roster.status_code == (200 if visible else 404), key
        assert (world.learners[key].email in roster.text) is visible, key
        learner = world.learners[key]
        for path in (f"/gradebook/cohorts/{cohort.id}", f"/programme/cohorts/{cohort.id}/schedule",
                     f"/gradebook/cohorts/{cohort.id}/learners/{learner.id}/exercises/{submission.exercise_id}",
                     f"/exports/gradebook.csv?cohort={cohort.id}"):
            answer = client.get(path)
            assert answer.status_code == (200 if visible else 404), (path, key)
            assert (learner.name.encode() in answer.data) is visible, (path, key)


def test_a_learner_account_runs_nothing_whatever_its_grants(client, auth, world):
    auth.login(world.staff["learner"])
    cohort = world.cohorts["anfa-a"]
    for path in ("/teach/", "/programme/", f"/programme/cohorts/{cohort.id}",
                 f"/teach/submissions/{world.submissions['anfa-b'].id}", f"/gradebook/cohorts/{cohort.id}",
                 f"/programme/cohorts/{cohort.id}/schedule", f"/exports/gradebook.csv?cohort={cohort.id}"):
        assert client.get(path).status_code == 403, path
    for path in (f"/submissions/{world.submissions['anfa-b'].id}",
                 f"/api/v1/submissions/{world.submissions['anfa-b'].id}?files=1"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/submissions/{world.submissions['anfa-a'].id}").status_code == 200  # their own


def test_a_withdrawn_learners_history_stays_with_those_who_ran_the_cohort(client, auth, world):
    from lms.programme.models import Enrolment
    from lms.clock import utcnow

    enrolment = db.session.query(Enrolment).filter_by(user_id=world.learners["anfa-a"].id).one()
    enrolment.withdrawn_at, enrolment.withdrawal_reason = utcnow(), "a job offer"
    db.session.commit()
    auth.login(world.staff["instructor"])
    assert client.get(f"/teach/submissions/{world.submissions['anfa-a'].id}").status_code == 200
    roster = client.get(f"/programme/cohorts/{world.cohorts['anfa-a'].id}").text
    assert "a job offer" in roster and world.learners["anfa-a"].email in roster
