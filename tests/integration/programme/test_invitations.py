"""Invitations (one-time links to choose a password, printed and e-mailed through a real local SMTP server),
pre-enrolment by address before the account exists, and deactivation, through the pages."""
import email
import re
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from lms.auth.models import User
from lms.auth.services import issue_api_token
from lms.clock import utcnow
from lms.extensions import db
from lms.invitations.models import AccountEvent, Invitation, PendingEnrolment
from lms.programme.models import Enrolment

TOKEN = re.compile(r'csrf_token" type="hidden" value="([^"]+)"')
LINK = re.compile(r'http://localhost/invitations/([A-Za-z0-9_-]+)')
NEW_PASSWORD = "a-new-password-42"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the Controller checks its own by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(LMS_SMTP_HOST="127.0.0.1", LMS_SMTP_PORT=port, LMS_SMTP_FROM="lms@jobintech.test")
    yield inbox
    controller.stop()


@pytest.fixture
def post(client):
    def send(path, data, page):
        token = TOKEN.search(client.get(page).text).group(1)
        return client.post(path, data={**data, **{f"{prefix}-csrf_token": token
                                                  for prefix in ("invite", "enrol", "account")}, "csrf_token": token})
    return send


@pytest.fixture
def setting(programme, make_user):
    """A cohort of a centre, its manager, and two learners (one never logged in)."""
    centre = programme.centre("casablanca-settat", "Centre Casa Anfa")
    cohort = programme.cohort(centre, capacity=3, name="Anfa A")
    manager = make_user("instructor", name="Nadia Manager")
    programme.grant(manager, "centre_manager", centre=centre)
    amina = make_user(name="Amina Alaoui", email="amina@test.ma")
    programme.enrol(amina, cohort)
    return cohort, manager, amina


def page_of(cohort):
    return f"/programme/cohorts/{cohort.id}"


def invite_one(post, cohort, learner):
    return post(f"{page_of(cohort)}/invitations", {"invite-learner": learner.id}, page_of(cohort))


def choose_password(client, token, password=NEW_PASSWORD, confirmation=None):
    form = client.get(f"/invitations/{token}")
    csrf = TOKEN.search(form.text).group(1)
    return client.post(f"/invitations/{token}", data={"csrf_token": csrf, "password": password,
                                                      "confirmation": confirmation or password})


def test_an_invitation_sets_the_password_once_and_logs_in(client, auth, post, setting):
    cohort, manager, amina = setting
    auth.login(manager)
    slips = invite_one(post, cohort, amina)
    assert slips.status_code == 200 and "Amina Alaoui" in slips.text and "Anfa A" in slips.text
    assert 'src="data:image/svg+xml' in slips.text  # the QR code of the link
    assert slips.headers["Cache-Control"] == "no-store"
    token = LINK.search(slips.text).group(1)
    assert db.session.scalar(select(Invitation.token_hash)) != token  # only its hash is stored
    auth.logout()
    client.post("/language", data={"csrf_token": TOKEN.search(client.get("/login").text).group(1), "language": "ar"})
    arabic = client.get(f"/invitations/{token}").text
    assert 'dir="rtl"' in arabic and "اختر كلمة المرور" in arabic
    client.post("/language", data={"csrf_token": TOKEN.search(client.get("/login").text).group(1), "language": "fr"})
    short = choose_password(client, token, "short")
    assert short.status_code == 400 and "au moins 10 caractères" in short.text
    differ = choose_password(client, token, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert differ.status_code == 400 and "diffèrent" in differ.text
    done = choose_password(client, token)
    assert done.status_code == 303 and done.headers["Location"].endswith("/")
    assert "Amina Alaoui" in client.get(done.headers["Location"], follow_redirects=True).text  # logged in
    again = client.get(f"/invitations/{token}")
    assert again.status_code == 410 and "déjà servi" in again.text
    auth.logout()
    assert auth.login(amina, NEW_PASSWORD).status_code == 302
    assert client.get("/invitations/not-a-token").status_code == 404


def test_expired_and_replaced_invitations_are_refused(client, auth, post, setting):
    cohort, manager, amina = setting
    auth.login(manager)
    first = LINK.search(invite_one(post, cohort, amina).text).group(1)
    second = LINK.search(invite_one(post, cohort, amina).text).group(1)
    replaced = client.get(f"/invitations/{first}")
    assert replaced.status_code == 410 and "remplacée par une plus récente" in replaced.text
    db.session.execute(update(Invitation).where(Invitation.revoked.is_(False))
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    expired = client.get(f"/invitations/{second}")
    assert expired.status_code == 410 and "a expiré" in expired.text
    csrf = TOKEN.search(client.get(page_of(cohort)).text).group(1)
    assert client.post(f"/invitations/{second}", data={"csrf_token": csrf, "password": NEW_PASSWORD,
                                                       "confirmation": NEW_PASSWORD}).status_code == 410


def test_the_cohorts_managers_and_instructors_invite_and_only_managers_pre_enrol(client, auth, post, setting,
                                                                                programme, make_user):
    cohort, manager, amina = setting
    teacher = make_user("instructor")
    programme.grant(teacher, "instructor", cohort=cohort)
    elsewhere = make_user("instructor")
    programme.grant(elsewhere, "centre_manager", centre=programme.centre("oriental", "Centre Oujda"))
    other_cohort_teacher = make_user("instructor")
    programme.grant(other_cohort_teacher, "instructor", cohort=programme.cohort(name="Autre"))
    for user in (elsewhere, other_cohort_teacher):
        auth.login(user)
        csrf = TOKEN.search(client.get("/account").text).group(1)
        answer = client.post(f"{page_of(cohort)}/invitations", data={"invite-csrf_token": csrf,
                                                                     "invite-learner": amina.id})
        assert answer.status_code == 404 and "http://localhost/invitations/" not in answer.text
        pending = client.post(f"{page_of(cohort)}/pending", data={"enrol-csrf_token": csrf,
                                                                  "enrol-email": "x@test.ma"})
        assert pending.status_code == 404
        auth.logout()
    assert db.session.scalar(select(Invitation.id)) is None and db.session.scalar(select(PendingEnrolment.id)) is None
    auth.login(teacher)  # hands the slips out in class, but does not take seats
    roster = client.get(page_of(cohort)).text
    assert "Inviter tous ceux" in roster and "Enregistrer le retrait" not in roster
    assert f'{page_of(cohort)}/pending"' not in roster
    slip = post(f"{page_of(cohort)}/invitations", {"invite-learner": amina.id}, page_of(cohort))
    assert slip.status_code == 200 and amina.name in slip.text and LINK.search(slip.text)
    assert post(f"{page_of(cohort)}/pending", {"enrol-email": "x@test.ma"}, page_of(cohort)).status_code == 403
    assert db.session.scalar(select(PendingEnrolment.id)) is None
    auth.logout()
    auth.login(manager)
    outsider = make_user(name="Not Here")
    assert invite_one(post, cohort, outsider).status_code == 404  # a learner of another cohort is not invited here


def test_invite_all_who_have_not_logged_in_by_email(client, auth, post, setting, smtp, programme, make_user):
    cohort, manager, amina = setting
    karim = make_user(name="Karim Benali", email="karim@test.ma")
    karim.locale = "ar"
    programme.enrol(karim, cohort)
    logged_in = make_user(name="Salma Logged")
    programme.enrol(logged_in, cohort)
    auth.login(logged_in)
    auth.logout()
    auth.login(manager)
    slips = post(f"{page_of(cohort)}/invitations", {}, page_of(cohort))
    assert slips.status_code == 200 and "Amina Alaoui" in slips.text and "Karim Benali" in slips.text
    assert "Salma Logged" not in slips.text and "Envoyé par e-mail" in slips.text
    assert sorted(rcpt for rcpts, _ in smtp.messages for rcpt in rcpts) == ["amina@test.ma", "karim@test.ma"]
    by_recipient = {rcpts[0]: message for rcpts, message in smtp.messages}
    french, arabic = by_recipient["amina@test.ma"], by_recipient["karim@test.ma"]
    assert "choisissez votre mot de passe" in str(email.header.make_header(email.header.decode_header(
        french["Subject"])))
    body = next(part for part in french.walk() if part.get_content_type() == "text/plain").get_payload(decode=True)
    html = next(part for part in french.walk() if part.get_content_type() == "text/html").get_payload(decode=True)
    token = LINK.search(body.decode()).group(1)
    assert token in html.decode()
    arabic_body = next(p for p in arabic.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert "مرحبًا Karim Benali" in arabic_body.decode()
    auth.logout()
    assert choose_password(client, token).status_code == 303  # the mailed link works


def test_a_mail_server_out_of_reach_still_gives_the_slip(client, auth, post, setting, app):
    cohort, manager, amina = setting
    app.config.update(LMS_SMTP_HOST="127.0.0.1", LMS_SMTP_PORT=1)  # nothing listens there
    auth.login(manager)
    slips = invite_one(post, cohort, amina)
    assert slips.status_code == 200 and "n'a pas été envoyé" in slips.text and LINK.search(slips.text)


def test_an_unknown_address_with_a_name_gets_an_account_and_an_invitation(client, auth, post, setting):
    cohort, manager, _ = setting
    auth.login(manager)
    path = f"{page_of(cohort)}/enrolments"
    without_name = post(path, {"enrol-email": "new@test.ma"}, page_of(cohort))
    assert without_name.status_code == 400 and "Aucun compte" in without_name.text
    cohort.capacity = 1
    db.session.commit()
    full = post(path, {"enrol-email": "new@test.ma", "enrol-name": "Hind Nouvelle"}, page_of(cohort))
    assert full.status_code == 409 and "complète" in full.text
    assert db.session.scalar(select(User.id).where(User.email == "new@test.ma")) is None  # no account left behind
    cohort.capacity = 3
    db.session.commit()
    created = post(path, {"enrol-email": "New@Test.ma", "enrol-name": "Hind Nouvelle"}, page_of(cohort))
    assert created.status_code == 200 and "Hind Nouvelle" in created.text
    token = LINK.search(created.text).group(1)
    assert "Hind Nouvelle" in client.get(page_of(cohort)).text and "2 / 3" in client.get(page_of(cohort)).text
    auth.logout()
    assert choose_password(client, token).status_code == 303


def test_a_pre_enrolment_holds_a_seat_and_is_claimed_at_account_creation(client, auth, post, setting, make_user):
    cohort, manager, amina = setting
    auth.login(manager)
    pending = f"{page_of(cohort)}/pending"
    assert post(pending, {"enrol-email": "Future@Test.ma", "enrol-name": "Future One"}, page_of(cohort)) \
        .status_code == 303
    assert post(pending, {"enrol-email": "future@test.ma"}, page_of(cohort)).status_code == 409  # once
    assert post(pending, {"enrol-email": amina.email}, page_of(cohort)).status_code == 409  # has an account
    assert post(pending, {"enrol-email": "later@test.ma"}, page_of(cohort)).status_code == 303
    roster = client.get(page_of(cohort)).text
    assert "future@test.ma" in roster and "Invité, pas encore de compte" in roster and "3 / 3" in roster
    assert re.search(rf'{page_of(cohort)}">{re.escape(cohort.name)}</a>(?:(?!</tr>).)*<span dir="ltr">3 / 3</span>',
                     client.get("/programme/").text, re.S)  # the index counts the seats they hold too
    full = post(pending, {"enrol-email": "one-too-many@test.ma"}, page_of(cohort))
    assert full.status_code == 409 and "complète" in full.text
    someone = make_user(name="Someone Else")
    assert post(f"{page_of(cohort)}/enrolments", {"enrol-email": someone.email}, page_of(cohort)).status_code == 409
    future = make_user(name="Future One", email="future@test.ma")  # lms.auth.services.create_user claims
    roster = client.get(page_of(cohort)).text
    assert "Future One" in roster and roster.count("Invité, pas encore de compte") == 1 and "3 / 3" in roster
    assert db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == future.id,
                                                        Enrolment.cohort_id == cohort.id))


def test_a_pre_enrolment_refused_at_creation_is_claimed_at_a_later_login(client, auth, post, setting, programme,
                                                                        make_user):
    cohort, manager, _ = setting
    other = programme.cohort(cohort.centre, name="Anfa B", track=cohort.track)
    auth.login(manager)
    for each in (other, cohort):
        assert post(f"{page_of(each)}/pending", {"enrol-email": "twice@test.ma"}, page_of(each)).status_code == 303
    learner = make_user(name="Twice Pre", email="twice@test.ma")  # claims Anfa B; Anfa A: same track, refused
    roster = client.get(page_of(cohort)).text
    assert "Invité, pas encore de compte" in roster and "Anfa B" in roster  # the reason names the other cohort
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
    assert post(f"/programme/cohorts/{other.id}/enrolments/{enrolment.id}/withdraw",
                {"withdraw-reason": "Changement de centre", "withdraw-csrf_token": TOKEN.search(
                    client.get(page_of(other)).text).group(1)}, page_of(other)).status_code == 303
    auth.logout()
    auth.login(learner)  # the first login claims what is still pending
    assert db.session.scalar(select(PendingEnrolment.claimed_at).where(
        PendingEnrolment.cohort_id == cohort.id)) is not None
    auth.logout()
    auth.login(manager)
    assert "Invité, pas encore de compte" not in client.get(page_of(cohort)).text


def test_a_deactivated_learner_cannot_log_in_and_keeps_their_history(client, auth, post, setting):
    cohort, manager, amina = setting
    token = issue_api_token(amina)
    api = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/submissions", headers=api).status_code == 200
    auth.login(manager)
    path = f"{page_of(cohort)}/learners/{amina.id}"
    assert post(f"{path}/deactivate", {"account-reason": "  "}, page_of(cohort)).status_code == 400
    done = post(f"{path}/deactivate", {"account-reason": "Abandon <b>signalé</b>"}, page_of(cohort))
    assert done.status_code == 303
    roster = client.get(page_of(cohort)).text
    assert "Amina Alaoui" in roster and "Compte désactivé" in roster
    export = client.get(f"/exports/enrolment.csv?cohort={cohort.id}")
    assert "Amina Alaoui" in export.text and "Compte désactivé" in export.text
    assert invite_one(post, cohort, amina).status_code == 409
    event = db.session.scalar(select(AccountEvent))
    assert event.action == "deactivated" and event.reason == "Abandon <b>signalé</b>" and event.actor_id == manager.id
    auth.logout()
    assert auth.login(amina).status_code == 401
    assert client.get("/api/v1/submissions", headers=api).status_code == 401
    auth.login(manager)
    assert post(f"{path}/reactivate", {"account-reason": ""}, page_of(cohort)).status_code == 303
    auth.logout()
    assert auth.login(amina).status_code == 302


def test_managers_elsewhere_cannot_deactivate(client, auth, setting, programme, make_user):
    cohort, _, amina = setting
    teacher = make_user("instructor")
    programme.grant(teacher, "instructor", cohort=cohort)
    auth.login(teacher)
    csrf = TOKEN.search(client.get("/account").text).group(1)
    answer = client.post(f"{page_of(cohort)}/learners/{amina.id}/deactivate",
                         data={"account-csrf_token": csrf, "account-reason": "no"})
    assert answer.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, amina.id).active
