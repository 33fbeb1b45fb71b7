"""The seeded programme (issue 11's scale command, at test size): what it writes, that its accounts work, and that
the learner pages and a cohort's gradebook read as many queries with 300 learners as with 30."""
import re

from sqlalchemy import func, select

from lms.attendance.models import AttendanceMark
from lms.auth.services import find_user
from lms.catalog.importer import import_library
from lms.extensions import db
from lms.gradebook.models import Grade
from lms.programme.models import Cohort, Enrolment, RoleGrant
from lms.programme.seed import seed_programme
from lms.submissions.models import Submission
from tests.conftest import CONTENT_DIR

PASSWORD = "seed-programme-pw"


def test_the_seed_command_writes_a_programme_whose_accounts_work(app, client, auth):
    import_library(CONTENT_DIR)
    result = app.test_cli_runner().invoke(args=["lms", "seed-programme", "--learners", "90", "--cohorts", "3",
                                                "--centres", "2", "--submissions", "2700",
                                                "--attendance-marks", "3000"])
    assert result.exit_code == 0, result.output
    assert "2 centres, 3 cohorts" in result.output and "90 enrolments" in result.output
    assert db.session.scalar(select(func.count(Submission.id))) > 2000
    assert 2000 < db.session.scalar(select(func.count(AttendanceMark.id))) <= 3000 + 60
    assert db.session.scalar(select(func.count()).select_from(Grade)) > 0  # stored as the workers would
    again = app.test_cli_runner().invoke(args=["lms", "seed-programme", "--learners", "9", "--cohorts", "3",
                                               "--centres", "2"])
    assert again.exit_code != 0 and "seeded already" in again.output

    learner = find_user("learner00001@seed.jobintech.ma")
    auth.login(learner, PASSWORD)
    assert client.get("/tracks").text.count('class="card tile"') == 1  # their cohort's track
    auth.logout()
    instructor = find_user("instructor001@seed.jobintech.ma")
    cohort_id = db.session.scalar(select(RoleGrant.cohort_id).where(RoleGrant.user_id == instructor.id))
    auth.login(instructor, PASSWORD)
    book = client.get(f"/gradebook/cohorts/{cohort_id}")
    assert book.status_code == 200 and learner.name in book.text


def learner_pages(client) -> list[str]:
    tracks = client.get("/tracks").text
    track = re.search(r'href="(/tracks/[^"/]+)"', tracks).group(1)
    module = re.search(r'href="(/tracks/[^"/]+/[^"/]+)"', client.get(track).text).group(1)
    exercise = re.search(r'href="(/exercises/[^"]+)"', client.get(module).text).group(1)
    return ["/tracks", track, module, exercise, "/submissions"]


def test_pages_read_as_many_queries_for_300_learners_as_for_30(app, client, auth, count_queries):
    import_library(CONTENT_DIR)
    counts = []
    for tag, learners in (("-small", 30), ("-large", 300)):
        seed_programme(learners=learners, cohorts=learners // 30, centres=1, submissions=learners * 40,
                       attendance_marks=learners * 20, tag=tag)
        learner = find_user(f"learner00001{tag}@seed.jobintech.ma")
        auth.login(learner, PASSWORD)
        pages = [count_queries(client, path) for path in learner_pages(client)]
        auth.logout()
        instructor = find_user(f"instructor001{tag}@seed.jobintech.ma")
        cohort_id = db.session.scalar(select(RoleGrant.cohort_id).where(RoleGrant.user_id == instructor.id))
        assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.cohort_id == cohort_id)) == 30
        auth.login(instructor, PASSWORD)
        pages += [count_queries(client, f"/gradebook/cohorts/{cohort_id}"),
                  count_queries(client, f"/programme/cohorts/{cohort_id}"),
                  count_queries(client, f"/attendance/cohorts/{cohort_id}")]
        auth.logout()
        counts.append(pages)
    assert counts[0] == counts[1]
    assert db.session.scalar(select(func.count(Cohort.id))) == 11
