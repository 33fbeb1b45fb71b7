"""After an exercise's checks were fixed, staff regrade its graded submissions: real worker, real containers, the
low-priority regrade queue behind the learners' submissions, a preview of what goes up, down or stays, then the
new scores applied with their history and the stored grades updated."""
import copy

from sqlalchemy import select

from lms.auth.services import issue_api_token
from lms.extensions import db
from lms.gradebook.models import Grade
from lms.regrades.models import RegradeResult, ScoreChange
from lms.submissions.models import Submission
from tests.conftest import solution_of

INTEGER_DIVISION = {"solution.py": "def moyenne(nombres):\n"
                                   "    return sum(nombres) // len(nombres) if nombres else None\n"}


def set_expected(exercise, check_id, value, version):
    spec = copy.deepcopy(exercise.spec)
    next(c for c in spec["checks"] if c["id"] == check_id)["expect"] = value
    exercise.spec, exercise.content_version = spec, version
    db.session.commit()


def submit(client, exercise, learner, files):
    answer = client.post(f"/api/v1/exercises/{exercise.uuid}/submissions", json={"files": files},
                         headers={"Authorization": f"Bearer {issue_api_token(learner)}"})
    assert answer.status_code == 202, answer.json
    return answer.json["id"]


def test_a_fixed_check_is_regraded_previewed_then_applied_with_history(client, auth, content, make_user, make_staff,
                                                                        run_worker_burst):
    exercise = content["moyenne"]
    exercise.pacing = {"cooldown_seconds": 0, "max_attempts": 0}
    set_expected(exercise, "three-integers", 5.0, "broken")  # a wrong expected value: every right answer fails it
    learners = [make_user(name=name) for name in ("Amina", "Youssef", "Salma", "Omar")]
    ids = [submit(client, exercise, learners[0], solution_of("moyenne")),
           submit(client, exercise, learners[1], INTEGER_DIVISION),
           submit(client, exercise, learners[2], solution_of("moyenne", "starter"))]
    run_worker_burst()
    before = {i: db.session.get(Submission, i).score for i in ids}
    assert before[ids[2]] < before[ids[1]] < before[ids[0]] < exercise.points

    set_expected(exercise, "three-integers", 4.0, "fixed")
    staff = make_staff()
    auth.login(staff)
    token = auth.csrf_token("/regrades/")
    started = client.post("/regrades/", data={"csrf_token": token, "exercise": exercise.id})
    assert started.status_code == 303
    batch_page = started.headers["Location"]
    late_submission = submit(client, exercise, learners[3], solution_of("moyenne"))  # a learner's work waits less
    run_worker_burst()

    graded_first = db.session.get(Submission, late_submission).finished_at
    regraded = db.session.scalars(select(RegradeResult.finished_at)).all()
    assert len(regraded) == 3 and graded_first <= min(regraded)  # the regrade queue waited for it
    assert {i: db.session.get(Submission, i).score for i in ids} == before  # a preview changes nothing
    page = client.get(batch_page + "?lang=en").text
    assert "Scores that go up: 2" in page and "Scores that go down: 0" in page and "Scores that stay: 1" in page
    assert "ready to apply" in page

    applied = client.post(batch_page + "/apply", data={"csrf_token": token})
    assert applied.status_code == 303
    db.session.expire_all()
    after = {i: db.session.get(Submission, i) for i in ids}
    assert after[ids[0]].score == exercise.points and after[ids[0]].content_version == "fixed"
    assert after[ids[1]].score > before[ids[1]] and after[ids[2]].score == before[ids[2]]  # the starter stays
    changes = db.session.scalars(select(ScoreChange).order_by(ScoreChange.submission_id)).all()
    assert [(c.submission_id, c.old_score, c.new_score) for c in changes] == [
        (ids[0], before[ids[0]], exercise.points), (ids[1], before[ids[1]], after[ids[1]].score)]
    assert "Regraded on" in client.get(f"/teach/submissions/{ids[0]}?lang=en").text
    grade = db.session.scalar(select(Grade).where(Grade.user_id == learners[0].id, Grade.exercise_id == exercise.id))
    assert grade.final == exercise.points  # the learner's stored grade follows
    assert client.post(batch_page + "/apply", data={"csrf_token": token}).status_code == 303  # refused, said so
    assert len(db.session.scalars(select(ScoreChange)).all()) == 2


def test_regrades_stay_within_what_the_staff_member_sees(client, auth, content, make_user, programme,
                                                          run_worker_burst):
    exercise = content["moyenne"]
    learner = make_user()
    submission_id = submit(client, exercise, learner, solution_of("moyenne"))
    run_worker_burst()
    outsider = make_user("instructor")
    programme.grant(outsider, "instructor", cohort=programme.cohort(programme.centre("oriental"), name="Oujda"))
    auth.login(outsider)
    token = auth.csrf_token("/regrades/")
    assert client.post(f"/regrades/submissions/{submission_id}", data={"csrf_token": token}).status_code == 404
    refused = client.post("/regrades/?lang=en", data={"csrf_token": token, "exercise": exercise.id})
    assert refused.status_code == 400 and "No graded submission to regrade here." in refused.text
    auth.logout()
    auth.login(learner)
    assert client.get("/regrades/").status_code == 403


def test_a_kind_that_runs_no_code_is_regraded_on_the_trusted_side(client, auth, content, make_user, make_staff,
                                                                   run_worker_burst):
    """A structured task whose check was wrong: its regrade is judged in the worker's process, like its grade."""
    exercise = content["modele-crm-formation"]
    spec = copy.deepcopy(exercise.spec)
    next(c for c in spec["checks"] if c["id"] == "formation-prix")["type"] = "number"  # the reference fails it
    exercise.spec, exercise.content_version = spec, "broken"
    db.session.commit()
    submission_id = submit(client, exercise, make_user(name="Amina"), solution_of("modele-crm-formation"))
    run_worker_burst()
    assert db.session.get(Submission, submission_id).score < exercise.points

    next(c for c in spec["checks"] if c["id"] == "formation-prix")["type"] = "currency"
    exercise.spec, exercise.content_version = copy.deepcopy(spec), "fixed"
    db.session.commit()
    auth.login(make_staff())
    started = client.post("/regrades/", data={"csrf_token": auth.csrf_token("/regrades/"), "exercise": exercise.id})
    assert started.status_code == 303
    run_worker_burst()
    result = db.session.scalars(select(RegradeResult)).one()
    assert result.error is None and result.new_score == exercise.points and result.new_verdict == "passed"
