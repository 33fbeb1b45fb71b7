"""The operator's commands: the demo's organisation (what `make run` shows) and the first roles of an installation."""
import re

from sqlalchemy import func, select

from lms.auth.services import find_user
from lms.catalog.models import Exercise, Module, Track
from lms.deadlines.models import EffectiveWindow
from lms.extensions import db
from lms.programme.models import Centre, Cohort, Enrolment, RoleGrant
from tests.conftest import CONTENT_DIR


def run(app, *args, ok=True):
    result = app.test_cli_runner().invoke(args=["lms", *map(str, args)])
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_the_demo_has_a_centre_a_cohort_per_track_with_its_modules_published_and_its_learners(app, client, auth):
    run(app, "import-content", CONTENT_DIR)
    output = run(app, "demo-users")
    password = re.search(r"instructor\s+instructor@demo\.jobintech\.ma\s+(\S+)", output).group(1)
    assert "Centre JobInTech Casablanca" in output
    tracks = db.session.scalar(select(func.count(Track.id)).where(Track.archived.is_(False)))
    assert db.session.scalar(select(func.count(Cohort.id))) == tracks
    learner = find_user("learner@demo.jobintech.ma")
    learner_password = re.search(r"learner\s+learner@demo\.jobintech\.ma\s+(\S+)", output).group(1)
    cohorts = db.session.scalars(select(Cohort).join(Enrolment).where(Enrolment.user_id == learner.id)
                                 .order_by(Cohort.id)).all()
    assert len(cohorts) == tracks  # one cohort per track, the demo learners in each
    cohort = cohorts[0]
    assert cohort.status == "running" and (cohort.ends_on - cohort.starts_on).days >= 120
    # Every module is published, open, due two weeks apart: the learner reaches every track and sees dates.
    dues = sorted({due for (due,) in db.session.execute(select(EffectiveWindow.due_at).where(
        EffectiveWindow.user_id == learner.id, EffectiveWindow.cohort_id == cohort.id))})
    assert len(dues) >= 2 and all((b - a).days == 14 for a, b in zip(dues, dues[1:]))
    auth.login(learner, learner_password)
    assert client.get("/tracks").text.count('class="card tile"') == tracks
    exercise = db.session.scalar(select(Exercise).join(Module).where(Module.track_id == cohort.track_id,
                                                                      Exercise.archived.is_(False)))
    assert "Morocco time" in client.get(f"/exercises/{exercise.uuid}?lang=en").text
    auth.logout()
    assert "Centre JobInTech Casablanca" not in run(app, "demo-users")  # written once
    assert db.session.scalar(select(func.count(Centre.id))) == 1
    auth.login(find_user("instructor@demo.jobintech.ma"), password)
    roster = client.get(f"/programme/cohorts/{cohort.id}").text
    assert "learner@demo.jobintech.ma" in roster and "learner2@demo.jobintech.ma" in roster


def test_grant_role_gives_the_first_programme_staff_and_names_what_is_wrong(app, make_user):
    staff, learner = make_user("instructor", email="chef@test.ma"), make_user(email="apprenant@test.ma")
    assert "programme_staff granted" in run(app, "grant-role", "--email", "chef@test.ma", "--role", "programme_staff")
    assert db.session.scalar(select(RoleGrant.role).where(RoleGrant.user_id == staff.id)) == "programme_staff"
    assert "no staff account" in run(app, "grant-role", "--email", "apprenant@test.ma", "--role", "programme_staff",
                                     ok=False)
    assert "casablanca-settat" in run(app, "grant-role", "--email", "chef@test.ma", "--role",
                                      "regional_coordinator", "--region", "atlantis", ok=False)
    assert "--centre" in run(app, "grant-role", "--email", "chef@test.ma", "--role", "centre_manager", ok=False)
    assert learner.role == "learner"
