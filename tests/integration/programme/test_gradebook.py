"""The cohort gradebook from stored grades: late penalties applied to each attempt before the best or last one is
chosen, the time of acceptance deciding lateness, overrides and excuses with reasons, filters, totals, scope, the
export, and a bounded number of queries whatever the cohort's size."""
import csv
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lms.clock import utcnow
from lms.deadlines.models import Publication
from lms.deadlines.services import refresh_windows
from lms.exports.models import ExportLog
from lms.extensions import db
from lms.gradebook.models import Grade, GradebookEvent
from lms.gradebook.services import grade_landed
from lms.submissions.models import Submission



@pytest.fixture
def post(post_form):
    return post_form


@pytest.fixture
def course(programme, make_user):
    """A cohort with one published exercise (10 points), due two days ago, its cut-off in two days."""
    cohort = programme.cohort(programme.centre("casablanca-settat", "Centre Casa Anfa"), name="Data Anfa")
    exercise = programme.exercise()
    due = utcnow().replace(microsecond=0) - timedelta(days=2)
    db.session.add(Publication(cohort_id=cohort.id, module_id=exercise.module_id, opens_at=due - timedelta(days=7),
                               due_at=due, cutoff_at=due + timedelta(days=4)))
    db.session.commit()
    instructor = make_user("instructor", name="Karim Instructor")
    programme.grant(instructor, "instructor", cohort=cohort)
    learners = [make_user(name=name) for name in ("Amina Tazi", "يوسف بن علي", "=HYPERLINK(1)")]
    for learner in learners:
        programme.enrol(learner, cohort)
    refresh_windows(cohort.id)
    return SimpleNamespace(cohort=cohort, exercise=exercise, due=due, instructor=instructor, learners=learners,
                           page=f"/gradebook/cohorts/{cohort.id}")


def graded(learner, exercise, score, accepted_at, stored_at=None):
    """A graded attempt as the worker leaves it (accepted at `accepted_at`), then the worker's gradebook update."""
    submission = Submission(user_id=learner.id, exercise_id=exercise.id, files={}, mode="graded", status="completed",
                            verdict="passed" if score == exercise.points else "failed", score=score,
                            max_score=exercise.points, created_at=accepted_at, stored_at=stored_at or accepted_at)
    db.session.add(submission)
    db.session.commit()
    grade_landed(submission)
    return submission


def grade_of(course, learner) -> Grade:
    db.session.expire_all()
    return db.session.get(Grade, (course.cohort.id, learner.id, course.exercise.id))


def test_a_late_retake_never_replaces_a_better_on_time_score(client, auth, post, course):
    amina = course.learners[0]
    on_time = graded(amina, course.exercise, 8.0, course.due - timedelta(hours=1))
    graded(amina, course.exercise, 10.0, course.due + timedelta(days=2, hours=1))  # 3 started days: -30 %
    grade = grade_of(course, amina)
    assert (grade.raw, grade.penalty, grade.final, grade.status, grade.submission_id) == (
        8.0, 0.0, 8.0, "on_time", on_time.id)
    assert grade.attempts == 2

    # The instructor makes the last attempt count: the late 10 with 3 points off.
    auth.login(course.instructor)
    schedule = f"/programme/cohorts/{course.cohort.id}/schedule"
    saved = post(f"{schedule}/late-policy", {
        "policy-grace_minutes": "15", "policy-penalty": "linear", "policy-interval_hours": "24",
        "policy-rate_percent": "10", "policy-cap_percent": "50", "policy-floor_percent": "0", "policy-steps": "",
        "policy-counting": "last"}, schedule)
    assert saved.status_code == 303
    grade = grade_of(course, amina)
    assert (grade.raw, grade.penalty, grade.final, grade.status, grade.late_minutes) == (
        10.0, 3.0, 7.0, "late", 2 * 24 * 60 + 45)
    page = client.get(course.page + "?lang=en").text
    assert "(10 −3)" in page and "late" in page
    assert db.session.scalar(select(GradebookEvent.action).where(GradebookEvent.action == "late_policy"))


def test_an_exercise_may_have_its_own_late_policy(client, auth, post, course):
    amina = course.learners[0]
    graded(amina, course.exercise, 10.0, course.due + timedelta(days=2, hours=1))
    assert grade_of(course, amina).final == 7.0  # the cohort's default: 10 % per started day
    auth.login(course.instructor)
    schedule = f"/programme/cohorts/{course.cohort.id}/schedule"
    saved = post(f"{schedule}/late-policy", {
        "policy-exercise": str(course.exercise.id), "policy-grace_minutes": "15", "policy-penalty": "none",
        "policy-interval_hours": "24", "policy-rate_percent": "0", "policy-cap_percent": "0",
        "policy-floor_percent": "0", "policy-steps": "", "policy-counting": "best"}, schedule)
    assert saved.status_code == 303
    assert (grade_of(course, amina).final, grade_of(course, amina).status) == (10.0, "late")  # late, no penalty
    assert "has its own policy" in client.get(schedule + "?lang=en").text


def test_queue_delay_never_makes_work_late(course):
    youssef = course.learners[1]
    graded(youssef, course.exercise, 10.0, accepted_at=course.due - timedelta(minutes=1),
           stored_at=course.due + timedelta(hours=3))
    assert (grade_of(course, youssef).status, grade_of(course, youssef).final) == ("on_time", 10.0)
    graded(course.learners[2], course.exercise, 10.0, accepted_at=course.due + timedelta(minutes=14))
    assert grade_of(course, course.learners[2]).status == "on_time"  # inside the 15 minutes of grace


def test_overrides_and_excuses_need_a_reason_and_are_recorded(client, auth, post, course):
    amina = course.learners[0]
    graded(amina, course.exercise, 4.0, course.due - timedelta(hours=1))
    auth.login(course.instructor)
    cell = f"{course.page}/learners/{amina.id}/exercises/{course.exercise.id}"
    shown = client.get(cell + "?lang=en").text
    assert "Raw score" in shown and "4 / 10" in shown
    no_reason = post(cell + "/override?lang=en", {"override-points": "9", "override-reason": ""}, cell)
    assert no_reason.status_code == 400 and "Say why the mark is changed." in no_reason.text
    too_much = post(cell + "/override?lang=en", {"override-points": "11", "override-reason": "x"}, cell)
    assert too_much.status_code == 400
    assert post(cell + "/override", {"override-points": "9", "override-reason": "Oral defence"}, cell).status_code == 303
    assert grade_of(course, amina).final == 9.0
    assert "override" in client.get(course.page + "?lang=en").text

    youssef = course.learners[1]
    excuse = f"{course.page}/learners/{youssef.id}/exercises/{course.exercise.id}"
    assert post(excuse + "/excuse", {"excuse-excused": "y", "excuse-reason": "Certificat médical"},
                excuse).status_code == 303
    assert grade_of(course, youssef).status == "excused"
    events = db.session.scalars(select(GradebookEvent.action).order_by(GradebookEvent.id)).all()
    assert events[-2:] == ["override", "excused"]


def test_statuses_filters_and_totals(client, auth, course):
    amina, youssef, third = course.learners
    graded(amina, course.exercise, 10.0, course.due + timedelta(days=1, hours=1))  # 2 started days late: -20 %
    auth.login(course.instructor)
    page = client.get(course.page + "?lang=en").text
    assert page.count("missing") >= 2  # the two who handed nothing in by the due date
    late_only = client.get(course.page + "?status=late&lang=en").text
    assert "Amina Tazi" in late_only and "يوسف بن علي" not in late_only
    missing_only = client.get(course.page + "?status=missing&lang=en").text
    assert "Amina Tazi" not in missing_only and "يوسف بن علي" in missing_only
    # Amina: 8 of 10 so far; the others have nothing graded, and the cut-off has not passed yet.
    row = re.search(r"Amina Tazi</th>(.*?)</tr>", page, re.S).group(1)
    assert "80 %" in row
    assert client.get(course.page + "?status=bogus").status_code == 200  # an unknown filter shows everything


def test_the_gradebook_export_is_scoped_safe_and_logged(client, auth, course, make_user, programme):
    graded(course.learners[1], course.exercise, 10.0, course.due - timedelta(hours=1))
    auth.login(course.instructor)
    answer = client.get(f"/exports/gradebook.csv?cohort={course.cohort.id}&lang=en")
    assert answer.status_code == 200 and answer.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["يوسف بن علي"][2] == "10.0"
    assert "'=HYPERLINK(1)" in by_name  # a name that would be a formula stays text
    assert by_name["Amina Tazi"][2] == "missing"  # nothing handed in by the due date
    assert rows[0][:3] == ["Name", "Email", "Test exercise"]
    assert db.session.scalar(select(ExportLog.export).where(ExportLog.user_id == course.instructor.id)) == "gradebook"
    auth.logout()
    stranger = make_user("instructor")
    programme.grant(stranger, "instructor", cohort=programme.cohort(programme.centre("oriental"), name="Oujda"))
    auth.login(stranger)
    assert client.get(f"/exports/gradebook.csv?cohort={course.cohort.id}").status_code == 404
    assert client.get(course.page).status_code == 404
    auth.logout()
    auth.login(course.learners[0])
    assert client.get(course.page).status_code == 403


def test_the_gradebook_reads_as_many_queries_for_30_learners_as_for_3(client, auth, course, make_user, programme,
                                                                     count_queries):
    more = programme.exercise()  # a second module, published too
    db.session.add(Publication(cohort_id=course.cohort.id, module_id=more.module_id, opens_at=course.due))
    db.session.commit()
    for learner in course.learners:
        graded(learner, course.exercise, 5.0, course.due)
    auth.login(course.instructor)
    small = count_queries(client, course.page)
    for number in range(27):
        learner = make_user(name=f"Learner {number:02d}")
        programme.enrol(learner, course.cohort)
    big = count_queries(client, course.page)
    assert small == big
    assert client.get(course.page).text.count("<tr>") >= 30
