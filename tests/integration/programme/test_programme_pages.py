"""Running the organisation through its pages: centres, cohorts, enrolment, withdrawal, instructors, roles, status,
each refused with a clear message (and the right HTTP status) when the rules say no."""
import re

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.programme.models import Centre, Cohort, Enrolment, RoleGrant

TOKEN = re.compile(r'csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def post(client):
    def send(path, data, page="/programme/"):
        token = TOKEN.search(client.get(page).text).group(1)
        return client.post(path, data={**data, **{f"{prefix}-csrf_token": token for prefix in
                                                  ("centre", "cohort", "grant", "enrol", "instructor", "withdraw",
                                                   "status")}})
    return send


@pytest.fixture
def casablanca(programme):
    return programme.centre("casablanca-settat", "Centre Casa Anfa")


@pytest.fixture
def manager(make_user, programme, casablanca):
    user = make_user("instructor", name="Nadia Manager")
    programme.grant(user, "centre_manager", centre=casablanca)
    return user


def cohort_form(centre, track, **changes):
    data = {"cohort-centre": centre.id, "cohort-track": track.id, "cohort-name": "Fullstack Anfa 2027",
            "cohort-starts_on": "2027-01-11", "cohort-ends_on": "2027-06-11", "cohort-capacity": "2"}
    data.update(changes)
    return data


def test_a_coordinator_opens_a_centre_in_their_region_only(client, auth, post, make_user, programme):
    coordinator = make_user("instructor")
    programme.grant(coordinator, "regional_coordinator", region="souss-massa")
    auth.login(coordinator)
    page = client.get("/programme/").text
    assert "Souss-Massa" in page and "Casablanca-Settat" not in page  # only their region is offered
    created = post("/programme/centres", {"centre-region": region_id("souss-massa"), "centre-name": "Centre Agadir",
                                          "centre-city": "Agadir"})
    assert created.status_code == 303
    assert db.session.scalar(select(Centre.name).where(Centre.city == "Agadir")) == "Centre Agadir"
    elsewhere = post("/programme/centres", {"centre-region": region_id("oriental"), "centre-name": "Centre Oujda"})
    assert elsewhere.status_code == 400 and "Centre Oujda" not in names_of_centres()
    again = post("/programme/centres", {"centre-region": region_id("souss-massa"), "centre-name": "Centre Agadir"})
    assert again.status_code == 409 and "déjà un centre de ce nom" in again.text


def test_a_manager_creates_a_cohort_of_four_to_six_months(client, auth, post, manager, programme, casablanca):
    track = programme.track()
    auth.login(manager)
    short = post("/programme/cohorts", cohort_form(casablanca, track, **{"cohort-ends_on": "2027-03-01"}))
    assert short.status_code == 400
    assert "De 4 à 6 mois" in short.text or "de 4 à 6 mois" in short.text
    assert "2027-05-11" in short.text and "2027-07-11" in short.text  # the end dates that would do
    created = post("/programme/cohorts", cohort_form(casablanca, track))
    assert created.status_code == 303
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Fullstack Anfa 2027"))
    page = client.get(created.headers["Location"]).text
    assert "Fullstack Anfa 2027" in page and "2027-01-11 → 2027-06-11" in page and "0 / 2" in page
    assert cohort.status == "planned"


def test_enrolment_by_email_with_every_refusal_named(client, auth, post, manager, programme, casablanca, make_user):
    cohort = programme.cohort(casablanca, capacity=2, name="Anfa A")
    amina, youssef, salma = (make_user(name=n, email=f"{n.lower()}@test.ma") for n in ("Amina", "Youssef", "Salma"))
    auth.login(manager)
    path, page = f"/programme/cohorts/{cohort.id}/enrolments", f"/programme/cohorts/{cohort.id}"
    assert post(path, {"enrol-email": "AMINA@test.ma "}, page).status_code == 303  # case and spaces do not matter
    unknown = post(path, {"enrol-email": "nobody@test.ma"}, page)
    assert unknown.status_code == 400 and "Aucun compte" in unknown.text
    twice = post(path, {"enrol-email": "amina@test.ma"}, page)
    assert twice.status_code == 409 and "déjà dans cette cohorte" in twice.text
    staff = post(path, {"enrol-email": manager.email}, page)
    assert staff.status_code == 400
    assert post(path, {"enrol-email": "youssef@test.ma"}, page).status_code == 303
    full = post(path, {"enrol-email": "salma@test.ma"}, page)
    assert full.status_code == 409 and "complète" in full.text and "2" in full.text
    other = programme.cohort(casablanca, name="Anfa B", track=programme.track())
    elsewhere = post(f"/programme/cohorts/{other.id}/enrolments", {"enrol-email": "amina@test.ma"},
                     f"/programme/cohorts/{other.id}")
    assert elsewhere.status_code == 409 and "Anfa A" in elsewhere.text  # one active cohort per track
    roster = client.get(page).text
    assert "Amina" in roster and "Youssef" in roster and "Salma" not in roster and "2 / 2" in roster
    assert salma is not None and youssef is not None


def test_a_withdrawal_needs_a_reason_and_keeps_the_history(client, auth, post, manager, programme, casablanca,
                                                           make_user):
    cohort = programme.cohort(casablanca, name="Anfa A")
    enrolment = programme.enrol(make_user(name="Karim"), cohort)
    auth.login(manager)
    path, page = f"/programme/cohorts/{cohort.id}/enrolments/{enrolment.id}/withdraw", f"/programme/cohorts/{cohort.id}"
    empty = post(path, {"withdraw-reason": "  "}, page)
    assert empty.status_code == 400 and "Indiquez pourquoi" in empty.text
    assert post(path, {"withdraw-reason": "Embauché par une entreprise <b>partenaire</b>"}, page).status_code == 303
    roster = client.get(page).text
    assert "Karim" in roster and "Embauché par une entreprise &lt;b&gt;partenaire&lt;/b&gt;" in roster
    assert "0 / 30" in roster
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).withdrawn_at is not None


def test_an_instructor_sees_the_roster_but_changes_nothing(client, auth, post, programme, casablanca, make_user):
    cohort = programme.cohort(casablanca, name="Anfa A")
    programme.enrol(make_user(name="Karim", email="karim@test.ma"), cohort)
    instructor = make_user("instructor")
    programme.grant(instructor, "instructor", cohort=cohort)
    auth.login(instructor)
    page = f"/programme/cohorts/{cohort.id}"
    roster = client.get(page).text
    assert "karim@test.ma" in roster and "enrol-email" not in roster and "withdraw-reason" not in roster
    assert post(f"/programme/cohorts/{cohort.id}/enrolments", {"enrol-email": "karim@test.ma"}, page).status_code \
        == 403
    assert post("/programme/cohorts", cohort_form(casablanca, programme.track()), page).status_code == 403
    assert post("/programme/grants", {"grant-email": instructor.email, "grant-role": "programme_staff"},
                page).status_code == 403


def test_a_manager_adds_an_instructor_who_then_follows_the_cohort(client, auth, post, manager, programme,
                                                                  casablanca, make_user):
    cohort = programme.cohort(casablanca, name="Anfa A")
    programme.enrol(make_user(name="Karim", email="karim@test.ma"), cohort)
    teacher = make_user("instructor", name="Hicham Teacher", email="hicham@test.ma")
    auth.login(manager)
    page = f"/programme/cohorts/{cohort.id}"
    assert post(f"/programme/cohorts/{cohort.id}/instructors", {"instructor-email": "hicham@test.ma"},
                page).status_code == 303
    assert "Hicham Teacher" in client.get(page).text
    learner = post(f"/programme/cohorts/{cohort.id}/instructors", {"instructor-email": "karim@test.ma"}, page)
    assert learner.status_code == 400
    auth.logout()
    auth.login(teacher)
    assert "karim@test.ma" in client.get(page).text


def test_a_cohort_goes_planned_running_closed_and_a_closed_one_takes_nobody(client, auth, post, manager,
                                                                             programme, casablanca, make_user):
    cohort = programme.cohort(casablanca, name="Anfa A")
    cohort.status = "planned"
    db.session.commit()
    make_user(email="late@test.ma")
    auth.login(manager)
    page = f"/programme/cohorts/{cohort.id}"
    assert "Démarrer la cohorte" in client.get(page).text
    assert post(f"/programme/cohorts/{cohort.id}/status", {"status-status": "running"}, page).status_code == 303
    assert post(f"/programme/cohorts/{cohort.id}/status", {"status-status": "closed"}, page).status_code == 303
    closed = client.get(page).text
    assert "Clôturée" in closed and "Démarrer la cohorte" not in closed and "Clôturer la cohorte" not in closed
    reopened = post(f"/programme/cohorts/{cohort.id}/status", {"status-status": "running"}, page)
    assert reopened.status_code == 400
    late = post(f"/programme/cohorts/{cohort.id}/enrolments", {"enrol-email": "late@test.ma"}, page)
    assert late.status_code == 409 and "clôturée" in late.text


def test_programme_staff_give_a_centre_role_that_opens_its_cohorts(client, auth, post, make_user, make_staff,
                                                                   programme, casablanca):
    cohort = programme.cohort(casablanca, name="Anfa A")
    newcomer = make_user("instructor", email="newcomer@test.ma")
    auth.login(make_staff())
    given = post("/programme/grants", {"grant-email": "newcomer@test.ma", "grant-role": "centre_manager",
                                       "grant-centre": casablanca.id, "grant-region": 0})
    assert given.status_code == 303
    missing_scope = post("/programme/grants", {"grant-email": "newcomer@test.ma", "grant-role": "centre_manager",
                                               "grant-centre": 0, "grant-region": 0})
    assert missing_scope.status_code == 400
    assert db.session.scalar(select(RoleGrant.role).where(RoleGrant.user_id == newcomer.id)) == "centre_manager"
    auth.logout()
    auth.login(newcomer)
    assert f"/programme/cohorts/{cohort.id}\"" in client.get("/programme/").text


def test_the_programme_page_reads_in_arabic_right_to_left(client, auth, make_staff, programme, casablanca):
    programme.cohort(casablanca, name="Anfa A")
    auth.login(make_staff())
    page = client.get("/programme/?lang=ar").text
    assert 'dir="rtl"' in page and "الدار البيضاء سطات" in page and "الأفواج" in page


def region_id(code):
    from lms.programme.models import Region

    return db.session.scalar(select(Region.id).where(Region.code == code))


def names_of_centres():
    return set(db.session.scalars(select(Centre.name)))

