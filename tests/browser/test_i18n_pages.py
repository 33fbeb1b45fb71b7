"""Pages rendered in each language with the Flask test client: French by default, Arabic right to left, English;
the language switch of the header (POST /language with the CSRF token), and the texts that come from the code
(lazy labels, form errors, refusals with their parameters) in the chosen language."""
from __future__ import annotations

import html
import json
import re

import pytest

from .conftest import choose_language, csrf_token

HTML_TAG = re.compile(r"<html\b[^>]*>")
STRINGS = re.compile(r'<script type="application/json" id="lms-strings">(.*?)</script>', re.S)
TAGS = re.compile(r"<[^>]+>")


def get(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def html_tag(page: str) -> str:
    return HTML_TAG.search(page).group(0)


def text_of(page: str) -> str:
    """The visible text, roughly: tags removed, entities decoded, blanks collapsed."""
    body = page.split("<body>", 1)[-1]
    body = re.sub(r"<script\b.*?</script>", " ", body, flags=re.S)
    return " ".join(html.unescape(TAGS.sub(" ", body)).split())


@pytest.fixture
def learner(make_user, auth, content):
    user = make_user("learner", name="Salma Learner")
    assert auth.login(user).status_code == 302
    return user


def moyenne(content):
    return content["moyenne"]


# --- anonymous pages and the switch ---------------------------------------------------------------------------------

def test_default_language_is_french(client):
    page = get(client, "/login")
    assert html_tag(page) == '<html lang="fr" dir="ltr">'
    text = text_of(page)
    for french in ("Se connecter", "Adresse e-mail", "Mot de passe", "Changer"):
        assert french in text
    for english in ("Log in", "Password", "Change"):
        assert english not in text.replace("Changer", "")
    assert '<option value="fr" selected lang="fr">Français</option>' in page
    assert '<option value="ar"  lang="ar">العربية</option>' in page


def test_switch_to_arabic_gives_a_right_to_left_page(client):
    response = choose_language(client, "ar", page="/login")
    assert response.headers["Location"].endswith("/login")
    page = get(client, "/login")
    assert html_tag(page) == '<html lang="ar" dir="rtl">'
    text = text_of(page)
    for arabic in ("تسجيل الدخول", "البريد الإلكتروني", "كلمة المرور", "تغيير"):
        assert arabic in text
    assert "Se connecter" not in text and "Log in" not in text
    assert '<option value="ar" selected lang="ar">' in page
    # What stays left to right inside the Arabic page: the e-mail and password fields.
    assert re.search(r'<input[^>]*dir="ltr"[^>]*id="email"|<input[^>]*id="email"[^>]*dir="ltr"', page)


def test_switch_to_english_and_back_to_french(client):
    choose_language(client, "en")
    page = get(client, "/login")
    assert html_tag(page) == '<html lang="en" dir="ltr">'
    assert "Log in" in text_of(page) and "Password" in text_of(page)
    choose_language(client, "fr")
    assert html_tag(get(client, "/login")) == '<html lang="fr" dir="ltr">'


def test_unknown_language_or_missing_csrf_token_changes_nothing(client):
    client.post("/language", data={"language": "de", "csrf_token": csrf_token(client)})
    assert html_tag(get(client, "/login")) == '<html lang="fr" dir="ltr">'
    client.post("/language", data={"language": "ar"})  # no CSRF token
    assert html_tag(get(client, "/login")) == '<html lang="fr" dir="ltr">'


def test_lang_query_parameter_when_nothing_was_chosen(client):
    assert html_tag(get(client, "/login?lang=ar")) == '<html lang="ar" dir="rtl">'
    assert html_tag(get(client, "/login?lang=xx")) == '<html lang="fr" dir="ltr">'


@pytest.mark.parametrize("lang, expected", [
    ("fr", "Adresse e-mail ou mot de passe incorrect."),
    ("ar", "البريد الإلكتروني أو كلمة المرور غير صحيحة."),
    ("en", "Wrong email or password."),
])
def test_wrong_password_message(client, make_user, lang, expected):
    user = make_user()
    choose_language(client, lang)
    response = client.post("/login", data={"email": user.email, "password": "not-the-password",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert expected in text_of(response.get_data(as_text=True))


@pytest.mark.parametrize("lang, expected", [("fr", "Saisissez une adresse e-mail."),
                                            ("ar", "أدخل عنوان بريد إلكتروني.")])
def test_form_validation_message(client, lang, expected):
    choose_language(client, lang)
    response = client.post("/login", data={"email": "not-an-address", "password": "x", "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert expected in text_of(response.get_data(as_text=True))


# --- a learner's pages ----------------------------------------------------------------------------------------------

PAGES = {
    "fr": {"dir": "ltr", "title": "Moyenne d'une liste",
           "nav": ["Parcours", "Mes soumissions", "Se déconnecter"],
           "exercise": ["Soumettre", "10 points", "au plus une soumission toutes les 3 s", "Indices", "Tests publics",
                        "Mes soumissions", "Aucune soumission pour l'instant.", "Date (UTC)", "Statut", "Note"],
           "module": ["4 exercices", "non tenté"],
           "account": ["Mon compte", "Rôle", "Apprenant", "Jeton d'API", "Authorization: Bearer <token>"],
           "strings": {"submit": "Soumettre", "hidden": "caché", "graded_checks": "Vérifications notées",
                       "position": "position dans la file d'attente : {n}"},
           "english": ["My submissions", "Submit", "Hints", "Log out", "learner"]},
    "ar": {"dir": "rtl", "title": "متوسط قائمة من الأعداد",
           "nav": ["المسارات", "إجاباتي", "تسجيل الخروج"],
           "exercise": ["إرسال", "10 نقاط", "إرسال واحد على الأكثر كل 3 ث", "تلميحات", "الاختبارات العامة",
                        "لا توجد إجابات بعد.", "التاريخ (UTC)", "الحالة", "النتيجة"],
           "module": ["4 تمارين", "لم تتمّ المحاولة بعد"],
           "account": ["حسابي", "الدور", "متعلِّم", "Authorization: Bearer <token>"],
           "strings": {"submit": "إرسال", "hidden": "مخفي", "position": "الترتيب في قائمة الانتظار: {n}"},
           "english": ["My submissions", "Submit", "Hints", "Log out", "learner", "Soumettre", "Parcours"]},
    "en": {"dir": "ltr", "title": "Average of a list",
           "nav": ["Tracks", "My submissions", "Log out"],
           "exercise": ["Submit", "10 points", "at most one submission every 3 s", "Hints", "Public tests",
                        "No submission yet.", "Date (UTC)", "Status", "Score"],
           "module": ["4 exercises", "not attempted"],
           "account": ["My account", "Role", "Learner", "API token", "Authorization: Bearer <token>"],
           "strings": {"submit": "Submit", "hidden": "hidden", "position": "position in queue: {n}"},
           "english": ["Soumettre", "Parcours"]},
}


@pytest.mark.parametrize("lang", PAGES)
def test_learner_pages(client, learner, content, lang):
    expected = PAGES[lang]
    choose_language(client, lang, page="/tracks")
    exercise = moyenne(content)
    track = exercise.module.track

    tracks = get(client, "/tracks")
    assert html_tag(tracks) == f'<html lang="{lang}" dir="{expected["dir"]}">'
    for word in expected["nav"]:
        assert word in text_of(tracks)

    track_page = text_of(get(client, f"/tracks/{track.slug}"))
    assert expected["module"][0] in track_page, (lang, expected["module"][0])
    module = text_of(get(client, f"/tracks/{track.slug}/{exercise.module.slug}"))
    assert expected["module"][1] in module, (lang, expected["module"][1])

    page = get(client, f"/exercises/{exercise.uuid}")
    assert html_tag(page) == f'<html lang="{lang}" dir="{expected["dir"]}">'
    text = text_of(page)
    assert expected["title"] in text
    for word in expected["exercise"]:
        assert word in text, (lang, word)
    for word in expected["english"]:
        assert not re.search(rf"(?<![\w'-]){re.escape(word)}(?![\w'-])", text), (lang, word)
    # Code stays left to right, whatever the page's direction.
    assert re.search(r'<textarea[^>]*data-code-editor[^>]*dir="ltr"', page)
    # The strings the page's script uses for the live result, in the page's language.
    strings = json.loads(STRINGS.search(page).group(1))
    for name, value in expected["strings"].items():
        assert strings[name] == value, (lang, name)

    account_page = get(client, "/account")
    assert "Authorization: Bearer &lt;token&gt;" in account_page  # shown as text, not parsed as an HTML tag
    account = text_of(account_page)
    for word in expected["account"]:
        assert word in account, (lang, word)


def test_language_choice_is_kept_on_the_account(app, client, learner):
    choose_language(client, "ar", page="/tracks")
    assert learner.locale == "ar"
    other = app.test_client()  # a new browser: no session yet
    other.post("/login", data={"email": learner.email, "password": "correct-horse-battery",
                               "csrf_token": csrf_token(other)})
    assert html_tag(get(other, "/tracks")) == '<html lang="ar" dir="rtl">'


@pytest.mark.parametrize("lang, expected", [("fr", "Cette page n'existe pas."), ("ar", "هذه الصفحة غير موجودة."),
                                            ("en", "This page does not exist.")])
def test_error_page(client, learner, lang, expected):
    choose_language(client, lang, page="/tracks")
    page = get(client, "/exercises/no-such-exercise", status=404)
    assert expected in text_of(page)
    assert html_tag(page) == f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">'


# --- submissions: statuses, verdicts and refusals in the reader's language -----------------------------------------

def api_submit(client, exercise, files, page: str):
    return client.post(f"/api/v1/exercises/{exercise.uuid}/submissions", json={"files": files},
                       headers={"X-CSRFToken": csrf_token(client, page), "Accept": "application/json"})


@pytest.mark.parametrize("lang, queued, refusal", [
    ("fr", "En file d'attente", "Fichier(s) inattendu(s) : autre.py. Cet exercice accepte : solution.py."),
    ("ar", "في قائمة الانتظار", "ملفات غير متوقَّعة: autre.py. يقبل هذا التمرين: solution.py."),
    ("en", "Queued", "Unexpected file(s): autre.py. This exercise accepts: solution.py."),
])
def test_queued_status_and_refusals(client, learner, content, lang, queued, refusal):
    exercise = moyenne(content)
    page = f"/exercises/{exercise.uuid}"
    choose_language(client, lang, page=page)

    refused = api_submit(client, exercise, {"autre.py": "x = 1"}, page)
    assert refused.status_code == 400
    assert refused.get_json() == {"error": "wrong_files", "message": refusal}

    accepted = api_submit(client, exercise, {"solution.py": "def moyenne(n):\n    return 0\n"}, page)
    assert accepted.status_code == 202
    data = accepted.get_json()
    assert data["status"] == "queued" and data["status_label"] == queued

    for path in (page, "/submissions"):
        text = text_of(get(client, path))
        assert queued in text, (path, lang)
        if lang != "en":
            assert not re.search(r"\bqueued\b", text), path


best_score = {"fr": "meilleure note :", "ar": "أفضل نتيجة:"}


def finish(submission, verdict: str, score: float, checks: list[dict]):
    from lms.clock import utcnow
    from lms.extensions import db

    submission.status, submission.verdict, submission.score = "completed", verdict, score
    submission.feedback = {"checks": checks, "public_tests": [], "message": ""}
    submission.stored_at = utcnow()
    db.session.commit()


@pytest.mark.parametrize("lang, verdict, statuses, hidden", [
    ("fr", "Mauvaise réponse", ("réussi", "échoué"), "caché"),
    ("ar", "إجابة خاطئة", ("ناجح", "فاشل"), "مخفي"),
])
def test_graded_result_in_each_language(client, learner, content, lang, verdict, statuses, hidden):
    from lms.submissions.services import create_submission

    exercise = moyenne(content)
    submission = create_submission(learner, exercise, {"solution.py": "def moyenne(n):\n    return 0\n"})
    name = {"fr": "Liste vide", "ar": "قائمة فارغة", "en": "Empty list"}
    finish(submission, "failed", 5.0, [
        {"id": "a", "name": name, "passed": True, "hidden": True, "status": "passed"},
        {"id": "b", "name": {"fr": "Trois entiers", "ar": "ثلاثة أعداد صحيحة"}, "passed": False, "hidden": True,
         "status": "failed"},
    ])
    choose_language(client, lang, page="/tracks")
    page = get(client, f"/submissions/{submission.id}")
    text = text_of(page)
    assert verdict in text and hidden in text and name[lang] in text
    for status in statuses:
        assert status in text
    # The score reads "5.0 / 10.0" left to right in an Arabic page too.
    assert '<span class="score" dir="ltr">5.0 / 10.0</span>' in page
    table = get(client, f"/exercises/{exercise.uuid}")
    assert verdict in text_of(table)
    assert '<span class="score" dir="ltr">5.0 / 10.0</span>' in table
    module = get(client, f"/tracks/{exercise.module.track.slug}/{exercise.module.slug}")
    assert best_score[lang] + ' <span class="score" dir="ltr">5.0 / 10.0</span>' in module


@pytest.mark.parametrize("lang, words", [
    ("fr", ["Espace formateur", "Dernières soumissions", "Note moyenne", "Administration", "Comptes",
            "Administrateur", "Formateur", "Apprenant"]),
    ("ar", ["فضاء المكوِّن", "آخر الإجابات", "متوسط النتائج", "الإدارة", "الحسابات", "مدير النظام", "مكوِّن",
            "متعلِّم"]),
])
def test_staff_pages(client, auth, make_user, content, lang, words):
    make_user("learner")
    make_user("instructor")
    admin = make_user("admin")
    auth.login(admin)
    choose_language(client, lang, page="/tracks")
    text = text_of(get(client, "/teach/")) + " " + text_of(get(client, "/admin/"))
    for word in words:
        assert word in text, (lang, word)
    assert not re.search(r"\b(learner|instructor|admin)\b", text.replace("@test.ma", ""))


@pytest.mark.parametrize("lang, words", [
    ("fr", ["Machine", "en attente de Redis", "injoignable depuis", "1 panne", "Moteur Docker", "disponible"]),
    ("ar", ["الجهاز", "في انتظار Redis", "غير متاح منذ", "محرّك Docker", "متاح"]),
])
def test_admin_page_shows_each_workers_state(app, client, auth, make_user, redis_connection, docker_client,
                                             lang, words):
    """What a live worker publishes (its Maintenance thread) while Redis is unreachable for it: the operator reads
    it in their language."""
    from lms.grading.worker import Health, Maintenance
    from sandboxes.runner import SandboxRunner

    health = Health()
    health.mark("redis", False)
    health.state = "waiting for Redis"
    runner = SandboxRunner(docker_client, pool_size=0, scope="admin-page-test")
    try:
        Maintenance(app, redis_connection, runner, "host-a-1", health).beat()
    finally:
        runner.close()
    auth.login(make_user("admin"))
    choose_language(client, lang, page="/tracks")
    text = text_of(get(client, "/admin/"))
    assert "host-a-1" in text
    for word in words:
        assert word in text, (lang, word)
