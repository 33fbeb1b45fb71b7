"""A learner's late graded submission, graded by the real worker in a real container, lands in their cohort's
gradebook with its late penalty (the worker writes the stored grade when the grade lands)."""
from datetime import timedelta

from lms.auth.services import issue_api_token
from lms.clock import utcnow
from lms.extensions import db
from lms.gradebook.models import Grade
from tests.conftest import solution_of


def test_a_late_submission_is_graded_into_the_gradebook_with_its_penalty(client, auth, content, make_user,
                                                                          programme, run_worker_burst):
    exercise = content["moyenne"]
    cohort = programme.cohort(programme.centre("casablanca-settat"), track=exercise.module.track, name="Anfa B")
    learner = make_user(name="Salma Bennani")
    programme.enrol(learner, cohort)
    programme.publish(cohort, exercise.module, due_at=utcnow() - timedelta(hours=30),
                      cutoff_at=utcnow() + timedelta(days=1))
    instructor = make_user("instructor")
    programme.grant(instructor, "instructor", cohort=cohort)

    answer = client.post(f"/api/v1/exercises/{exercise.uuid}/submissions", json={"files": solution_of("moyenne")},
                         headers={"Authorization": f"Bearer {issue_api_token(learner)}"})
    assert answer.status_code == 202
    run_worker_burst()

    grade = db.session.get(Grade, (cohort.id, learner.id, exercise.id))
    # 30 h past the due date, less 15 min of grace: two started days at 10 % each.
    assert (grade.status, grade.raw, grade.penalty) == ("late", exercise.points, 0.2 * exercise.points)
    assert grade.final == 0.8 * exercise.points and grade.submission_id == answer.json["id"]
    auth.login(instructor)
    page = client.get(f"/gradebook/cohorts/{cohort.id}?lang=en").text
    assert "Salma Bennani" in page and "late" in page and f"{0.8 * exercise.points:g}" in page
