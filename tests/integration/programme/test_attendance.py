"""Attendance through its pages: sessions planned one by one or weekly, the roster marked in one tap, the rotating
QR code (this slot and the previous one taken, older or another session's refused), one check-in per learner even
behind one shared address, close and reopen, rates counted from the learner's enrolment, the threshold warning, the
learner's own record, the export, and the scope (404 outside it)."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms import clock
from lms.attendance import services
from lms.attendance.models import AttendanceMark, AttendanceSession
from lms.extensions import db

TOKEN = re.compile(r'csrf_token" type="hidden" value="([^"]+)"')
PASSWORD = "correct-horse-battery"
NOW = datetime(2029, 10, 1, 8, 0, 7)  # naive UTC, 7 s into a slot: NOW - 15 s is the previous slot, - 30 s older
JOINED = datetime(2029, 9, 1)


def login(client, user):
    token = TOKEN.search(client.get("/login").text).group(1)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})


def post(client, path, data, page):
    """A form's POST with the CSRF token of the page that shows it (every prefix of the attendance forms)."""
    token = TOKEN.search(client.get(page).text).group(1)
    return client.post(path, data={**data, "csrf_token": token,
                                   **{f"{p}-csrf_token": token for p in ("session", "series", "policy", "code")}})


@pytest.fixture
def now(monkeypatch):
    """Time stands at NOW for the services (lms.clock), so the check-in codes are known."""
    moment = {"at": NOW}
    monkeypatch.setattr(clock, "utcnow", lambda: moment["at"])
    return moment


@pytest.fixture
def cohort(programme):
    return programme.cohort(programme.centre("casablanca-settat", "Centre Casa Anfa"), name="Anfa A")


@pytest.fixture
def instructor(make_user, programme, cohort):
    user = make_user("instructor", name="Samir Formateur")
    programme.grant(user, "instructor", cohort=cohort)
    return user


@pytest.fixture
def learners(make_user, programme, cohort):
    enrolled = []
    for name in ("Amina Alaoui", "Brahim Berrada", "Chaima Chraibi"):
        enrolment = programme.enrol(make_user(name=name), cohort)
        enrolment.enrolled_at = JOINED
        enrolled.append(enrolment.user)
    db.session.commit()
    return enrolled


def plan(client, cohort, day="2029-10-01", starts="09:00", ends="12:00", room="Salle 2"):
    page = f"/attendance/cohorts/{cohort.id}"
    answer = post(client, f"{page}/sessions", {"session-day": day, "session-starts": starts, "session-ends": ends,
                                               "session-room": room}, page)
    assert answer.status_code == 303, answer.text
    return db.session.scalars(select(AttendanceSession).order_by(AttendanceSession.id.desc())).first()


def mark(client, session, learner, status, json=False):
    headers = {"Accept": "application/json"} if json else {}
    page = f"/attendance/sessions/{session.id}"
    token = TOKEN.search(client.get(page).text).group(1)
    return client.post(f"{page}/marks", data={"csrf_token": token, "learner": learner.id, "status": status},
                       headers=headers)


def button(client, session, action):
    page = f"/attendance/sessions/{session.id}"
    return post(client, f"{page}/{action}", {}, page)


def test_an_instructor_plans_a_session_and_a_weekly_series_with_bad_input_refused(client, auth, instructor, cohort):
    auth.login(instructor)
    assert f'href="/attendance/cohorts/{cohort.id}"' in client.get(f"/programme/cohorts/{cohort.id}").text
    session = plan(client, cohort)
    # 09:00 in Casablanca (UTC+1 in October) is stored as 08:00 UTC, and shown as typed.
    assert (session.starts_at, session.ends_at, session.room) == (datetime(2029, 10, 1, 8), datetime(2029, 10, 1, 11),
                                                                  "Salle 2")
    page = f"/attendance/cohorts/{cohort.id}"
    assert "2029-10-01 09:00 – 12:00" in client.get(page).text
    series = post(client, f"{page}/series", {"series-first_day": "2029-10-08", "series-last_day": "2029-10-19",
                                             "series-weekdays": ["0", "1", "2", "3", "4"], "series-starts": "09:00",
                                             "series-ends": "17:00", "series-room": "Salle 2"}, page)
    assert series.status_code == 303
    assert "10 séances planifiées" in client.get(page).text
    assert db.session.scalar(select(func.count(AttendanceSession.id))) == 11
    backwards = post(client, f"{page}/series", {"series-first_day": "2029-10-19", "series-last_day": "2029-10-08",
                                                "series-weekdays": ["0"], "series-starts": "09:00",
                                                "series-ends": "17:00"}, page)
    assert backwards.status_code == 400 and "Le dernier jour vient après le premier" in backwards.text
    inverted = post(client, f"{page}/sessions", {"session-day": "2029-10-02", "session-starts": "12:00",
                                                 "session-ends": "09:00"}, page)
    assert inverted.status_code == 400 and "Une séance finit après avoir commencé" in inverted.text
    garbage = post(client, f"{page}/sessions", {"session-day": "demain", "session-starts": "9h"}, page)
    assert garbage.status_code == 400
    assert db.session.scalar(select(func.count(AttendanceSession.id))) == 11


def test_the_roster_marks_in_one_tap_and_shows_the_current_mark(client, auth, instructor, cohort, learners,
                                                                 make_user):
    auth.login(instructor)
    session = plan(client, cohort)
    amina, brahim, _ = learners
    assert mark(client, session, amina, "present").status_code == 303  # the form, without JavaScript
    tapped = mark(client, session, brahim, "late", json=True)  # fetch()
    assert tapped.status_code == 200 and tapped.json == {"learner": brahim.id, "status": "late",
                                                         "source": "instructor"}
    assert mark(client, session, brahim, "excused", json=True).json["status"] == "excused"  # a second tap changes it
    page = client.get(f"/attendance/sessions/{session.id}").text
    assert page.count('class="mark mark-') == 12  # four buttons for each of the three learners
    assert re.search(rf'id="learner-{amina.id}".*?mark-present current', page, re.S)
    assert re.search(rf'id="learner-{brahim.id}".*?mark-excused current', page, re.S)
    assert "Présent" in page and "Excusé" in page and "En retard" in page
    arabic = client.get(f"/attendance/sessions/{session.id}?lang=ar").text
    assert 'dir="rtl"' in arabic and "حاضر" in arabic and "غياب بعذر" in arabic
    stranger = make_user(name="Not Enrolled")
    refused = mark(client, session, stranger, "present", json=True)
    assert refused.status_code == 400 and "pas dans la liste de la cohorte" in refused.json["error"]
    bad = mark(client, session, amina, "asleep")
    assert bad.status_code == 400 and "Choisissez" in bad.text
    assert db.session.scalar(select(func.count(AttendanceMark.id))) == 2


def test_qr_check_in_takes_this_slot_and_the_previous_one_only(client, auth, app, instructor, cohort, learners,
                                                               programme, now):
    auth.login(instructor)
    session, other = plan(client, cohort), plan(client, cohort, day="2029-10-02")
    code_page = client.get(f"/attendance/sessions/{session.id}/code")
    assert code_page.status_code == 200 and 'src="data:image/svg+xml' in code_page.text
    assert services.code_for(session, NOW) in code_page.text
    assert session.secret not in code_page.text
    fresh = client.get(f"/attendance/sessions/{session.id}/code.json").json
    assert fresh["url"].endswith(f"/attendance/check-in/{session.id}/{services.token_for(session, NOW)}")
    amina, brahim, chaima = learners
    clients = {}
    for learner in learners:
        clients[learner.id] = app.test_client()
        login(clients[learner.id], learner)

    def scan(learner, token, session_id=session.id):
        return clients[learner.id].get(f"/attendance/check-in/{session_id}/{token}")

    old = scan(amina, services.token_for(session, NOW - timedelta(seconds=30)))
    assert old.status_code == 400 and "Ce code a expiré ou est faux" in old.text
    wrong_session = scan(amina, services.token_for(other, NOW))
    assert wrong_session.status_code == 400
    assert scan(amina, "nonsense").status_code == 400
    current = scan(amina, services.token_for(session, NOW))
    assert current.status_code == 200 and "Votre présence est enregistrée" in current.text
    previous = scan(brahim, services.token_for(session, NOW - timedelta(seconds=15)))
    assert previous.status_code == 200
    again = scan(amina, services.token_for(session, NOW))
    assert again.status_code == 409 and "Vous êtes déjà enregistré pour cette séance" in again.text
    # The typed code, the camera's fallback.
    typed = post(clients[chaima.id], "/attendance/check-in",
                 {"code-session": session.id, "code-code": services.code_for(session, NOW)}, "/attendance/me")
    assert typed.status_code == 200 and "Votre présence est enregistrée" in typed.text
    live = client.get(f"/attendance/sessions/{session.id}/marks.json").json["marks"]
    assert live == {str(u.id): {"status": "present", "source": "self"} for u in learners}
    assert "pointé" in client.get(f"/attendance/sessions/{session.id}").text  # the live list says who checked in
    # The instructor changes a self check-in.
    assert mark(client, session, brahim, "late", json=True).json == {"learner": brahim.id, "status": "late",
                                                                    "source": "instructor"}


def test_a_whole_room_behind_one_address_checks_in_once_each(app, client, auth, instructor, cohort, make_user,
                                                             programme, now):
    auth.login(instructor)
    session = plan(client, cohort)
    room = [make_user(name=f"Learner {n:02}") for n in range(12)]
    for learner in room:
        programme.enrol(learner, cohort).enrolled_at = JOINED
    db.session.commit()
    token = services.token_for(session, NOW)
    for learner in room:
        phone = app.test_client()
        login(phone, learner)
        answers = [phone.get(f"/attendance/check-in/{session.id}/{token}",
                             environ_base={"REMOTE_ADDR": "196.200.1.7"}).status_code for _ in range(2)]
        assert answers == [200, 409]
    assert db.session.scalar(select(func.count(AttendanceMark.id))
                             .where(AttendanceMark.session_id == session.id)) == 12


def test_check_in_needs_an_active_enrolment_an_open_session_and_a_login(app, client, auth, instructor, cohort,
                                                                        learners, make_user, programme, now):
    auth.login(instructor)
    session = plan(client, cohort)
    token = services.token_for(session, NOW)
    anonymous = app.test_client().get(f"/attendance/check-in/{session.id}/{token}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    outsider = app.test_client()
    login(outsider, programme.enrol(make_user(), programme.cohort()).user)
    refused = outsider.get(f"/attendance/check-in/{session.id}/{token}")
    assert refused.status_code == 403 and "pas inscrit dans la cohorte de cette séance" in refused.text
    assert button(client, session, "close").status_code == 303
    late = app.test_client()
    login(late, learners[0])
    closed = late.get(f"/attendance/check-in/{session.id}/{token}")
    assert closed.status_code == 409 and "Cette séance est close" in closed.text
    assert outsider.get(f"/attendance/check-in/99999/{token}").status_code == 404


def test_closing_marks_the_rest_absent_and_reopening_takes_that_back(client, auth, instructor, cohort, learners):
    auth.login(instructor)
    session = plan(client, cohort)
    amina, brahim, chaima = learners
    mark(client, session, amina, "present")
    closed = button(client, session, "close")
    assert closed.status_code == 303
    assert "2 apprenants non marqués sont absents" in client.get(closed.headers["Location"]).text
    marks = dict(db.session.execute(select(AttendanceMark.user_id, AttendanceMark.source)).all())
    assert marks == {amina.id: "instructor", brahim.id: "close", chaima.id: "close"}
    assert button(client, session, "close").status_code == 409  # already closed
    mark(client, session, brahim, "excused")  # a correction after the close, from the printed roster
    assert button(client, session, "reopen").status_code == 303
    db.session.expire_all()
    marks = dict(db.session.execute(select(AttendanceMark.user_id, AttendanceMark.status)).all())
    assert marks == {amina.id: "present", brahim.id: "excused"}  # Chaima's automatic absence is gone
    assert db.session.get(AttendanceSession, session.id).status == "open"


def test_rates_count_sessions_after_joining_and_warn_below_the_threshold(client, auth, instructor, cohort, learners,
                                                                         make_user, programme):
    auth.login(instructor)
    amina, brahim, chaima = learners
    days = [plan(client, cohort, day=f"2029-10-0{d}") for d in (1, 2, 3, 4, 5)]
    latecomer = programme.enrol(make_user(name="Driss Tardif"), cohort)
    latecomer.enrolled_at = datetime(2029, 10, 2, 14)  # after the second session
    db.session.commit()
    for session, (a, b, c, d) in zip(days[:4], [("present", "absent", "present", None),
                                                 ("late", "absent", "excused", None),
                                                 ("present", "present", "absent", "present"),
                                                 ("present", "absent", "present", "late")]):
        for learner, status in ((amina, a), (brahim, b), (chaima, c), (latecomer.user, d)):
            if status:
                mark(client, session, learner, status)
        button(client, session, "close")
    # One session left. Amina 3.5 / 4; Brahim 1 / 4, at best 2 / 5: out of reach of 80 %; Chaima 2 / 3 (excused
    # left out), at best 3 / 4: out of reach too; Driss 1.5 / 2 (the two sessions before he joined left out), at
    # best 2.5 / 3: still within reach.
    page = client.get(f"/attendance/cohorts/{cohort.id}").text
    rates = dict(re.findall(r"<td>([^<]+)</td>\s*<td dir=\"ltr\">\d+</td><td><span dir=\"ltr\">(\d+) %", page))
    assert rates == {"Amina Alaoui": "88", "Brahim Berrada": "25", "Chaima Chraibi": "67", "Driss Tardif": "75"}
    watch = page.split("Sous le seuil")[1].split("</section>")[0]
    assert "Brahim Berrada" in watch and "Chaima Chraibi" in watch and "Driss Tardif" in watch
    assert "Amina Alaoui" not in watch
    assert watch.count("ne peut plus atteindre 80 %") == 2 and "au mieux 40 %" in watch and "au mieux 75 %" in watch
    # A manager lowers the threshold: Chaima and Driss are no longer below it.
    manager = make_user("instructor")
    programme.grant(manager, "centre_manager", centre=cohort.centre)
    auth.logout()
    auth.login(manager)
    path = f"/attendance/cohorts/{cohort.id}"
    assert post(client, f"{path}/policy", {"policy-threshold": "60", "policy-late_weight": "50"},
                path).status_code == 303
    watch = client.get(path).text.split("Sous le seuil")[1].split("</section>")[0]
    assert "Brahim Berrada" in watch and "Chaima" not in watch and "Driss" not in watch
    assert post(client, f"{path}/policy", {"policy-threshold": "180", "policy-late_weight": "50"},
                path).status_code == 400


def test_a_learner_sees_their_own_record_only(app, client, auth, instructor, cohort, learners):
    auth.login(instructor)
    first, second = plan(client, cohort), plan(client, cohort, day="2029-10-02")
    amina, brahim, _ = learners
    mark(client, first, amina, "late")
    mark(client, first, brahim, "absent")
    button(client, first, "close")
    own = app.test_client()
    login(own, amina)
    assert "/attendance/me" in own.get("/account").text
    page = own.get("/attendance/me").text
    assert "Anfa A" in page and "2029-10-01 09:00" in page and "2029-10-02 09:00" in page
    assert "En retard" in page and "50 %" in page and "Brahim" not in page
    for path in (f"/attendance/cohorts/{cohort.id}", f"/attendance/sessions/{first.id}",
                 f"/attendance/sessions/{first.id}/marks.json", f"/attendance/sessions/{first.id}/code",
                 f"/exports/attendance.csv?cohort={cohort.id}"):
        assert own.get(path).status_code == 403, path


def test_the_export_has_a_row_per_learner_with_each_mark_and_the_rate(client, auth, instructor, cohort, learners):
    auth.login(instructor)
    first, second = plan(client, cohort), plan(client, cohort, day="2029-10-02")
    plan(client, cohort, day="2029-10-03")  # still open: not a column
    amina, brahim, chaima = learners
    for session, statuses in ((first, ("present", "absent", "excused")), (second, ("late", "present", "present"))):
        for learner, status in zip(learners, statuses):
            mark(client, session, learner, status)
        button(client, session, "close")
    assert "/exports/attendance.csv?cohort=" in client.get(f"/attendance/cohorts/{cohort.id}").text
    answer = client.get(f"/exports/attendance.csv?cohort={cohort.id}")
    assert answer.status_code == 200 and answer.headers["Content-Disposition"].startswith("attachment;")
    lines = answer.data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ('"Nom","Adresse e-mail","Statut","2029-10-01 09:00","2029-10-02 09:00","Points",'
                        '"Séances comptées","Taux (%)","Meilleur taux encore possible (%)"')
    assert lines[1] == f'"Amina Alaoui","{amina.email}","Actif","Présent","En retard",1.5,2,75.0,83.3'
    assert lines[2] == f'"Brahim Berrada","{brahim.email}","Actif","Absent","Présent",1.0,2,50.0,66.7'
    assert lines[3] == f'"Chaima Chraibi","{chaima.email}","Actif","Excusé","Présent",1.0,1,100.0,100.0'
    assert client.get(f"/exports/attendance.xlsx?cohort={cohort.id}").status_code == 200


def test_an_instructor_of_another_cohort_gets_404_everywhere(app, client, auth, instructor, cohort, learners,
                                                             make_user, programme, now):
    auth.login(instructor)
    session = plan(client, cohort)
    other = make_user("instructor")
    programme.grant(other, "instructor", cohort=programme.cohort())
    auth.logout()
    auth.login(other)
    base = f"/attendance/sessions/{session.id}"
    for path in (f"/attendance/cohorts/{cohort.id}", base, f"{base}/marks.json", f"{base}/code",
                 f"{base}/code.json", f"{base}/print", f"/exports/attendance.csv?cohort={cohort.id}"):
        assert client.get(path).status_code == 404, path
    token = TOKEN.search(client.get("/account").text).group(1)
    for action in ("close", "reopen"):
        assert client.post(f"{base}/{action}", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{base}/marks", data={"csrf_token": token, "learner": learners[0].id,
                                              "status": "absent"}).status_code == 404
    assert client.post(f"/attendance/cohorts/{cohort.id}/sessions", data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(func.count(AttendanceMark.id))) == 0


def test_the_printable_roster_lists_the_learners_with_empty_boxes(client, auth, instructor, cohort, learners):
    auth.login(instructor)
    session = plan(client, cohort)
    page = client.get(f"/attendance/sessions/{session.id}/print").text
    assert all(learner.name in page for learner in learners) and page.count('class="box"') == 12
    assert "@media print" in client.get("/static/css/app.css").text
