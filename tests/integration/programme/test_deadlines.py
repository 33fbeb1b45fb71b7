"""Modules published to a cohort with dates, through the schedule page: learners see only their cohorts' opened
modules, graded work closes at the cut-off (practice stays open), extensions and group dates move one learner's
window, and the learner is told their dates before submitting."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lms.auth.services import issue_api_token
from lms.clock import to_local, utcnow
from lms.deadlines.models import CohortGroup, EffectiveWindow
from lms.extensions import db
from lms.gradebook.models import GradebookEvent
from lms.programme.models import Enrolment
from lms.programme.services import withdraw_learner

SOLUTION = {"solution.py": "def answer():\n    return 42\n"}


@pytest.fixture
def post(post_form):
    return post_form


@pytest.fixture
def course(programme, make_user):
    centre = programme.centre("casablanca-settat", "Centre Casa Anfa")
    cohort = programme.cohort(centre, name="Fullstack Anfa")
    exercise = programme.exercise()
    exercise.public_tests = {"test_solution.py": "from solution import answer\n\ndef test_answer():\n"
                                                 "    assert answer() == 42\n"}
    db.session.commit()
    instructor = make_user("instructor", name="Karim Instructor")
    programme.grant(instructor, "instructor", cohort=cohort)
    learner = make_user(name="Salma Bennani")
    programme.enrol(learner, cohort)
    return SimpleNamespace(cohort=cohort, exercise=exercise, module=exercise.module, instructor=instructor,
                           learner=learner, schedule=f"/programme/cohorts/{cohort.id}/schedule")


def typed(moment):
    """How a datetime-local input sends a moment: Morocco's wall-clock time."""
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def publish(post, course, opens=None, due=None, cutoff=None):
    prefix = f"module-{course.module.id}"
    data = {f"{prefix}-opens_at": typed(opens) if opens else "", f"{prefix}-due_at": typed(due) if due else "",
            f"{prefix}-cutoff_at": typed(cutoff) if cutoff else ""}
    return post(f"{course.schedule}/modules/{course.module.id}?lang=en", data, course.schedule)


def api_submit(client, learner, exercise, mode="graded"):
    return client.post(f"/api/v1/exercises/{exercise.uuid}/submissions", json={"files": SOLUTION, "mode": mode},
                       headers={"Authorization": f"Bearer {issue_api_token(learner)}"})


def test_learners_see_only_the_opened_modules_of_their_cohorts(client, auth, post, course, programme, make_user):
    now = utcnow()
    page = f"/exercises/{course.exercise.uuid}"
    auth.login(course.learner)
    assert "Nothing is open to you yet" in client.get("/tracks?lang=en").text
    assert client.get(page).status_code == 404
    assert api_submit(client, course.learner, course.exercise).status_code == 404
    auth.logout()

    auth.login(course.instructor)
    assert publish(post, course, opens=now + timedelta(days=2), due=now + timedelta(days=9)).status_code == 303
    auth.logout()
    auth.login(course.learner)
    assert client.get(page).status_code == 404  # published, not open yet
    auth.logout()

    auth.login(course.instructor)
    due = now + timedelta(days=5)
    assert publish(post, course, opens=now - timedelta(hours=1), due=due).status_code == 303
    auth.logout()
    auth.login(course.learner)
    shown = client.get(page + "?lang=en")
    assert shown.status_code == 200
    assert f"Due: {to_local(due).strftime('%Y-%m-%d %H:%M')} (Morocco time)" in shown.text
    module_page = client.get(f"/tracks/{course.module.track.slug}/{course.module.slug}?lang=en").text
    assert f"due {to_local(due).strftime('%Y-%m-%d %H:%M')}" in module_page
    assert api_submit(client, course.learner, course.exercise).status_code == 202
    auth.logout()

    # A learner of another cohort of the same track, or one who withdrew, sees nothing of it.
    other = make_user(name="Omar Other")
    programme.enrol(other, programme.cohort(programme.centre("rabat-sale-kenitra"), name="Rabat A"))
    auth.login(other)
    assert client.get(page).status_code == 404
    auth.logout()
    manager = make_user("instructor")
    programme.grant(manager, "programme_staff")
    withdraw_learner(manager, db.session.scalar(select(Enrolment).where(Enrolment.user_id == course.learner.id)),
                     "moved to another city")
    auth.login(course.learner)
    assert client.get(page).status_code == 404


def test_graded_work_closes_at_the_cut_off_and_an_extension_reopens_it(client, auth, post, course):
    now = utcnow()
    auth.login(course.instructor)
    publish(post, course, opens=now - timedelta(days=10), due=now - timedelta(days=2), cutoff=now - timedelta(days=1))
    auth.logout()

    refused = api_submit(client, course.learner, course.exercise)
    assert refused.status_code == 403 and refused.json["error"] == "closed"
    assert "cut-off" in refused.json["message"] or "clôture" in refused.json["message"]
    assert api_submit(client, course.learner, course.exercise, mode="practice").status_code == 202
    auth.login(course.learner)
    assert "The cut-off has passed" in client.get(f"/exercises/{course.exercise.uuid}?lang=en").text
    auth.logout()

    auth.login(course.instructor)
    data = {"extension-learner": course.learner.id, "extension-exercise": course.exercise.id,
            "extension-due_at": typed(now + timedelta(days=2)), "extension-cutoff_at": "", "extension-reason": ""}
    no_reason = post(f"{course.schedule}/extensions", data, course.schedule)
    assert no_reason.status_code == 400
    data["extension-reason"] = "Hospitalisée du 3 au 7"
    assert post(f"{course.schedule}/extensions", data, course.schedule).status_code == 303
    listed = client.get(course.schedule + "?lang=en").text
    assert "Hospitalisée du 3 au 7" in listed and "Karim Instructor" in listed and "Salma Bennani" in listed
    auth.logout()

    assert api_submit(client, course.learner, course.exercise).status_code == 202  # their own cut-off moved
    auth.login(course.learner)
    assert "extended for you" in client.get(f"/exercises/{course.exercise.uuid}?lang=en").text
    event = db.session.scalar(select(GradebookEvent).where(GradebookEvent.action == "extension"))
    assert event.detail["reason"] == "Hospitalisée du 3 au 7" and event.actor_id == course.instructor.id


def test_group_dates_take_the_most_lenient_and_the_extension_wins(client, auth, post, course, programme, make_user):
    now = utcnow()
    classmate = make_user(name="Youssef Alami")
    programme.enrol(classmate, course.cohort)
    auth.login(course.instructor)
    publish(post, course, opens=now - timedelta(days=1), due=now + timedelta(days=3))
    for name in ("Soir", "Week-end"):
        assert post(f"{course.schedule}/groups", {"group-name": name}, course.schedule).status_code == 303
    evening, weekend = db.session.scalars(select(CohortGroup).order_by(CohortGroup.name)).all()
    for group, days in ((evening, 5), (weekend, 8)):
        members = post(f"{course.schedule}/groups/{group.id}/members",
                       {f"group-{group.id}-learners": [course.learner.id]}, course.schedule)
        assert members.status_code == 303
        dates = post(f"{course.schedule}/groups/{group.id}/dates",
                     {"group-dates-exercise": course.exercise.id, "group-dates-opens_at": "",
                      "group-dates-due_at": typed(now + timedelta(days=days)), "group-dates-cutoff_at": ""},
                     course.schedule)
        assert dates.status_code == 303

    def due_of(user):
        db.session.expire_all()
        return db.session.get(EffectiveWindow, (course.cohort.id, user.id, course.exercise.id)).due_at

    assert abs(due_of(course.learner) - (now + timedelta(days=8))) < timedelta(minutes=1)  # the later group
    assert abs(due_of(classmate) - (now + timedelta(days=3))) < timedelta(minutes=1)  # in no group
    post(f"{course.schedule}/extensions",
         {"extension-learner": course.learner.id, "extension-exercise": course.exercise.id,
          "extension-due_at": typed(now + timedelta(days=4)), "extension-cutoff_at": "",
          "extension-reason": "Rendez-vous administratif"}, course.schedule)
    assert abs(due_of(course.learner) - (now + timedelta(days=4))) < timedelta(minutes=1)  # the extension wins


def test_bad_dates_and_other_cohorts_are_refused(client, auth, post, course, programme, make_user):
    now = utcnow()
    auth.login(course.instructor)
    backwards = publish(post, course, opens=now, due=now - timedelta(days=1))
    assert backwards.status_code == 400 and "The due date comes after the opening." in backwards.text
    assert db.session.scalar(select(EffectiveWindow.exercise_id)) is None  # nothing published
    auth.logout()
    stranger = make_user("instructor")
    programme.grant(stranger, "instructor", cohort=programme.cohort(programme.centre("oriental"), name="Oujda"))
    auth.login(stranger)
    assert client.get(course.schedule).status_code == 404
    auth.logout()
    auth.login(course.learner)
    assert client.get(course.schedule).status_code == 403
