"""Hostile learners against the kinds graded without a sandbox (quiz, ctf-flag, reviewed-task, structured-task), over
HTTP with the real RQ worker: each case asserts what the learner sees (HTTP status and message, verdict, score, the
per-question or per-check message) and, where it applies, that an honest submission graded right after still
passes. Not repeated here (tests/e2e covers them): a classmate's flag refused and reported, the wrong-flag limit's
429 after graded tries, the quiz keys absent from every page and API answer, an HTML or SVG deliverable never
served as a page; sandboxes.archives' own cases are in tests/hostile/test_archives.py."""
from __future__ import annotations

import copy
import html
import io
import json
import shutil
import time
import zipfile

import pytest
from sqlalchemy import func, select

from graders import get_grader
from graders.base import ExerciseSpec
from graders.ctf_flag import expected_flag
from graders.quiz import reference_answer
from lms.auth.services import issue_api_token
from lms.catalog.importer import import_library
from lms.catalog.models import Exercise
from lms.ctf.models import SharedFlagReport
from lms.extensions import db
from lms.grading.trusted import learner_for
from lms.submissions.models import Submission
from tests.conftest import CONTENT_DIR, CSRF_FIELD, Auth, solution_of

QUIZ = get_grader("quiz")


@pytest.fixture
def library(app, admitted, tmp_path):
    """The cybersecurity and enterprise-tools tracks alone (faster than the whole library), published to the test
    cohorts, with no pacing in the way of the cases' submissions in a row: {slug: Exercise}."""
    for track in ("cybersecurite", "outils-entreprise"):
        shutil.copytree(CONTENT_DIR / track, tmp_path / "library" / track)
    import_library(tmp_path / "library", source_name="hostile-trusted")
    admitted.refresh()
    exercises = {e.slug: e for e in db.session.scalars(select(Exercise))}
    for exercise in exercises.values():
        exercise.pacing = {}
    db.session.commit()
    return exercises


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


def send(app, user, exercise, files=None, archive: bytes | None = None, status: int = 202) -> dict:
    """A submission through the API, as a script would send it (bearer token): JSON files, or a zip upload."""
    headers = {"Authorization": f"Bearer {issue_api_token(user)}"}
    path = f"/api/v1/exercises/{exercise.uuid}/submissions"
    if archive is not None:
        answer = app.test_client().post(path, headers=headers, content_type="multipart/form-data",
                                        data={"archive": (io.BytesIO(archive), "rendu.zip")})
    else:
        answer = app.test_client().post(path, headers=headers, json={"files": files})
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()


def result_of(app, user, submission_id: int) -> dict:
    answer = app.test_client().get(f"/api/v1/submissions/{submission_id}",
                                   headers={"Authorization": f"Bearer {issue_api_token(user)}"})
    assert answer.status_code == 200
    return answer.get_json()


def messages(result: dict) -> dict[str, str]:
    return {check["id"]: check["message"] for check in result["checks"]}


def zipped(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- ctf-flag -----------------------------------------------------------------------------------------------------

def flag_of(user, exercise) -> str:
    return expected_flag(ExerciseSpec.from_dict(exercise.spec), learner_for(user.id, exercise.uuid))


def test_a_burst_of_wrong_flags_is_stopped_before_any_is_graded(app, library, make_user, run_worker_burst):
    exercise = library["encodage-hachage"]
    spec = copy.deepcopy(exercise.spec)
    spec["options"]["wrong_tries"] = {"max": 2, "minutes": 10}
    exercise.spec = spec
    db.session.commit()
    guesser, honest = make_user(), make_user()
    client = logged_in(app, guesser)
    page = client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)
    assert "2 essais restants avant une pause de 10 minutes." in page  # told before the first try

    # Guesses sent faster than the worker grades: a try still in the queue counts as a wrong one.
    send(app, guesser, exercise, {"flag.txt": "JIT{encodage-000000000000000000000000}"})
    assert "1 essai restant avant une pause de 10 minutes." in client.get(f"/exercises/{exercise.uuid}").text
    send(app, guesser, exercise, {"flag.txt": "JIT{encodage-000000000000000000000001}"})
    assert "Plus aucun essai pour l'instant : le prochain dans 10 min." in client.get(
        f"/exercises/{exercise.uuid}").text
    refused = send(app, guesser, exercise, {"flag.txt": "JIT{encodage-000000000000000000000002}"}, status=429)
    assert refused["error"] == "too_many_wrong_flags"
    assert refused["message"] == "2 mauvais drapeaux en 10 minutes : attendez 10 min avant de réessayer."
    # The page's form is held to the same limit, and says why.
    form = client.post(f"/exercises/{exercise.uuid}/submit", follow_redirects=True, data={
        "csrf_token": CSRF_FIELD.search(page).group(1), "file:flag.txt": flag_of(guesser, exercise)})
    assert "2 mauvais drapeaux en 10 minutes" in html.unescape(form.get_data(as_text=True))
    assert db.session.scalar(select(func.count(Submission.id)).where(Submission.user_id == guesser.id)) == 2

    run_worker_burst()
    for row in db.session.scalars(select(Submission).where(Submission.user_id == guesser.id)):
        graded = result_of(app, guesser, row.id)
        assert (graded["verdict"], graded["score"]) == ("failed", 0.0)
        assert messages(graded) == {"drapeau": "Ce n'est pas le bon drapeau."}
    # Graded wrong, they still count: even the right flag waits.
    assert send(app, guesser, exercise, {"flag.txt": flag_of(guesser, exercise)}, status=429)["error"] == \
        "too_many_wrong_flags"
    # Another learner is not held by the guesser's limit.
    own = send(app, honest, exercise, {"flag.txt": flag_of(honest, exercise)})
    run_worker_burst()
    assert (result_of(app, honest, own["id"])["verdict"], result_of(app, honest, own["id"])["score"]) == \
        ("passed", 10.0)


def test_a_flag_of_another_challenge_is_wrong_and_not_reported_as_a_classmates(app, library, make_user, make_staff,
                                                                                run_worker_burst):
    encoding, web = library["encodage-hachage"], library["source-page-web"]
    learner, classmate = make_user(name="Nadia Amrani"), make_user(name="Omar Idrissi")
    for user in (learner, classmate):
        client = logged_in(app, user)
        for exercise in (encoding, web):
            assert client.get(f"/exercises/{exercise.uuid}/artifact").status_code == 200

    wrong_challenge = send(app, learner, web, {"flag.txt": flag_of(learner, encoding)})
    classmate_other_challenge = send(app, learner, web, {"flag.txt": flag_of(classmate, encoding)})
    run_worker_burst()
    for submitted in (wrong_challenge, classmate_other_challenge):
        graded = result_of(app, learner, submitted["id"])
        assert (graded["verdict"], graded["score"]) == ("failed", 0.0)
        assert messages(graded) == {"drapeau": "Ce n'est pas le bon drapeau."}  # not "made for another learner"
    assert db.session.scalar(select(func.count(SharedFlagReport.id))) == 0
    reports = logged_in(app, make_staff()).get("/ctf/reports").get_data(as_text=True)
    assert "Aucun drapeau partagé signalé." in reports and "Nadia Amrani" not in reports

    # A classmate's flag for this very challenge, dressed up (a byte-order mark, spaces, CRLF): still theirs.
    dressed = send(app, learner, web, {"flag.txt": f"\ufeff  {flag_of(classmate, web)} \r\n"})
    own = send(app, learner, web, {"flag.txt": flag_of(learner, web)})
    run_worker_burst()
    refused = result_of(app, learner, dressed["id"])
    assert refused["verdict"] == "failed" and "généré pour un autre apprenant" in refused["checks"][0]["message"]
    assert "Omar" not in json.dumps(refused, ensure_ascii=False)
    assert db.session.scalar(select(func.count(SharedFlagReport.id))) == 1
    passed = result_of(app, learner, own["id"])
    assert (passed["verdict"], passed["score"]) == ("passed", 10.0)


# --- quiz ---------------------------------------------------------------------------------------------------------

def keyed(exercise, user) -> dict[str, dict]:
    """This learner's questions as the trusted side has them (key included)."""
    spec = ExerciseSpec.from_dict(exercise.spec)
    return {q["id"]: q for q in QUIZ.questions_for(spec, learner_for(user.id, exercise.uuid))}


def right_answers(exercise, user) -> dict:
    return {qid: reference_answer(q) for qid, q in keyed(exercise, user).items()}


WRONG = "Réponse incorrecte."
MISSING = "Pas de réponse à cette question."
MALFORMED = "Réponse illisible pour une question de ce type."
TOKEN_QUESTIONS = ("etapes-p2p", "rapprochement", "facture-bloquee")  # answered by tokens of the learner's page


def tampered_answers(exercise, learner, other) -> dict[str, tuple[str, callable]]:
    """{case: (answers.json as sent, what the grade must show)}: each built against this learner's own questions."""
    mine, theirs = keyed(exercise, learner), right_answers(exercise, other)
    order = [item["token"] for item in mine["etapes-p2p"]["items"]]
    right_choice = next(c["token"] for c in mine["rapprochement"]["choices"] if c["correct"])

    def every(message):
        return lambda shown: all(text.startswith(message) for text in shown.values())

    def unreadable(reason):
        refusal = f"Le fichier answers.json est illisible : {reason}."
        return lambda shown: all(text == refusal for text in shown.values())

    return {
        "ids of other questions": (json.dumps({"etapes-o2c": order, "question-3": "MIGO", "../answers": 1}),
                                   every(MISSING)),
        "another learner's tokens": (json.dumps(theirs), lambda shown: all(
            shown[qid].startswith((WRONG, MALFORMED)) for qid in TOKEN_QUESTIONS)),
        "numbers where tokens are expected": (json.dumps({
            "etapes-p2p": {token: place + 0.5 for place, token in enumerate(order)},
            "rapprochement": [0, 1.0, 2], "facture-bloquee": 0.5, "transaction-entree": 101.0,
            "montant-facture": [8500]}), every(MALFORMED)),
        "lists inside an ordering": (json.dumps({"etapes-p2p": [[token] for token in order],
                                                 "montant-facture": {"value": 8500}}),
                                     lambda shown: shown["etapes-p2p"].startswith(MALFORMED)
                                     and shown["montant-facture"].startswith(MALFORMED)),
        "a number too large for a float": ('{"montant-facture": 1' + "0" * 400 + "}",
                                           lambda shown: shown["montant-facture"].startswith("« 1000")
                                           and "n'est pas un nombre" in shown["montant-facture"]),
        "one choice ticked three times": (json.dumps({"rapprochement": [right_choice] * 3}),
                                          lambda shown: shown["rapprochement"].startswith(MALFORMED)),
        "one question answered twice": ('{"facture-bloquee": "%s", "facture-bloquee": "%s"}' % (
            right_choice, right_choice), unreadable("the key 'facture-bloquee' is given twice")),
        "deeply nested JSON": ('{"rapprochement": ' + "[" * 20000 + "]" * 20000 + "}",
                               lambda shown: all(text.startswith("Le fichier answers.json est illisible : not valid "
                                                                 "JSON") for text in shown.values())),
        "not JSON": ("facture-bloquee = bloquee; DROP TABLE submissions", lambda shown: all(
            "illisible : not valid JSON" in text for text in shown.values())),
        "a JSON list": (json.dumps([right_choice]), unreadable('it must be a JSON object, {"question id": answer, '
                                                               '...}')),
    }


TAMPERED_CASES = ("ids of other questions", "another learner's tokens", "numbers where tokens are expected",
                  "lists inside an ordering", "a number too large for a float", "one choice ticked three times",
                  "one question answered twice", "deeply nested JSON", "not JSON", "a JSON list")


def test_tampered_quiz_answers_earn_nothing_and_say_why(app, library, make_user, run_worker_burst):
    exercise = library["achat-paiement"]
    other = make_user()
    cases = {}
    for case in TAMPERED_CASES:
        learner = make_user()  # one learner per case: no case's earlier tries weigh on another's
        text, shows = tampered_answers(exercise, learner, other)[case]  # against this learner's own page
        cases[case] = (learner, send(app, learner, exercise, {"answers.json": text})["id"], shows)
    # Larger than a submission may be: refused at the door, with the limit.
    huge = json.dumps({"transaction-entree": "MIGO" * 20_000})
    too_large = send(app, other, exercise, {"answers.json": huge}, status=413)
    assert too_large["error"] == "too_large" and "65536" in too_large["message"]
    honest = make_user()
    benign = send(app, honest, exercise, {"answers.json": json.dumps(right_answers(exercise, honest))})

    started = time.monotonic()
    run_worker_burst()
    assert time.monotonic() - started < 20
    for case, (learner, submission_id, shows) in cases.items():
        graded = result_of(app, learner, submission_id)
        shown = messages(graded)
        assert graded["verdict"] == "failed", case
        assert shows(shown), f"{case}: {shown}"
        # No more than honest wrong answers to the tampered questions: the others (short, numerical answers
        # a classmate could pass on) are worth what they are worth.
        assert all(not check["passed"] for check in graded["checks"] if check["id"] in TOKEN_QUESTIONS), case
        assert graded["score"] <= 4.0, case
        assert "MIGO" not in json.dumps(graded), case  # the feedback names no right answer
    assert result_of(app, cases["ids of other questions"][0], cases["ids of other questions"][1])["message"] == \
        "ignored answers to unknown questions: ../answers, etapes-o2c, question-3"
    passed = result_of(app, honest, benign["id"])
    assert (passed["verdict"], passed["score"]) == ("passed", 10.0)


# --- reviewed-task ------------------------------------------------------------------------------------------------

def test_review_screens_are_closed_to_learners_and_to_other_learners(app, library, make_user, make_staff,
                                                                     run_worker_burst):
    from lms.reviews.services import save_review

    exercise = library["audit-application"]
    author, other = make_user(), make_user()
    submitted = send(app, author, exercise, solution_of("audit-application"))
    run_worker_burst()
    assert result_of(app, author, submitted["id"])["verdict"] == "awaiting_review"
    secret = "Commentaire du formateur pour la seule autrice"
    save_review(make_staff(), db.session.get(Submission, submitted["id"]),
                {"level:identification": "3", "level:preuves": "2", "level:correctifs": "2", "level:rapport": "1",
                 "comment": secret}, release=True)

    path = f"/reviews/submissions/{submitted['id']}"
    author_client, other_client = logged_in(app, author), logged_in(app, other)
    other_token = Auth(other_client).csrf_token("/account")
    screen = author_client.get(path)
    assert screen.status_code == 403 and secret not in screen.get_data(as_text=True)
    token = CSRF_FIELD.search(author_client.get(f"/reviews/mine/{submitted['id']}").get_data(as_text=True)).group(1)
    assert author_client.post(path, data={"csrf_token": token, "action": "release", "level:rapport": "3"}) \
        .status_code == 403
    assert author_client.post(f"{path}/answer", data={"csrf_token": token, "answer": "20/20"}).status_code == 403
    for attempt in (other_client.get(f"/reviews/mine/{submitted['id']}"), other_client.get(path),
                    other_client.get(f"/submissions/{submitted['id']}"),
                    other_client.post(f"/reviews/mine/{submitted['id']}/regrade",
                                      data={"csrf_token": other_token, "reason": "Pour elle"})):
        assert attempt.status_code in (403, 404) and secret not in attempt.get_data(as_text=True)
    api = app.test_client().get(f"/api/v1/submissions/{submitted['id']}",
                                headers={"Authorization": f"Bearer {issue_api_token(other)}"})
    assert api.status_code == 404 and secret not in api.get_data(as_text=True)
    # The author still reads her released review, with the score nobody changed.
    mine = author_client.get(f"/reviews/mine/{submitted['id']}").get_data(as_text=True)
    assert secret in mine and "15 / 20" in mine


def test_hostile_deliverables_are_refused_with_a_reason_or_stored_as_text(app, library, make_user,
                                                                          run_worker_burst):
    exercise = library["audit-application"]
    learner = make_user()
    reference = solution_of("audit-application")
    correctifs = reference["correctifs.md"]
    hostile_archives = {
        "'../rapport.md': '..' in the path": {"../rapport.md": reference["rapport.md"], "correctifs.md": correctifs},
        "'/etc/rapport.md': absolute path": {"/etc/rapport.md": reference["rapport.md"], "correctifs.md": correctifs},
        # A bomb by size (2 MiB of one byte, refused by its declared size before inflating) and by ratio (under
        # the per-file cap, but compressed a thousandfold).
        "over the 262144 bytes allowed per file": {"rapport.md": b"#" * (2 * 1024 * 1024),
                                                   "correctifs.md": correctifs},
        "over 100:1, a compression bomb": {"rapport.md": reference["rapport.md"],
                                           "correctifs.md": b"#" * (250 * 1024)},
    }
    for reason, entries in hostile_archives.items():
        answer = send(app, learner, exercise, archive=zipped(entries), status=400)
        assert answer["error"] == "bad_archive" and answer["message"].startswith("Archive refusée : "), answer
        assert reason in answer["message"], answer
    traversal = send(app, learner, exercise, {"../rapport.md": reference["rapport.md"],
                                              "correctifs.md": reference["correctifs.md"]}, status=400)
    assert traversal["error"] == "wrong_files" and "../rapport.md" in traversal["message"]
    oversized = send(app, learner, exercise, {"rapport.md": "a" * 70_000, "correctifs.md": "b"}, status=413)
    assert oversized["error"] == "too_large" and "65536" in oversized["message"]
    assert db.session.scalar(select(func.count(Submission.id))) == 0  # none of them stored

    # A report over the pre-check's size is stored, as text, and fails that pre-check by name.
    long_report = reference["rapport.md"] + "\n" + "x" * 41_000
    too_long = send(app, learner, exercise, {"rapport.md": long_report, "correctifs.md": reference["correctifs.md"]})
    # The same deliverable as a well-made zip still goes to review.
    benign = send(app, learner, exercise, archive=zipped(reference))
    run_worker_burst()
    failed = result_of(app, learner, too_long["id"])
    assert (failed["verdict"], failed["score"]) == ("failed", 0.0)
    size = len(long_report.encode())
    assert messages(failed)["size-1"] == f"rapport.md fait {size} octets ; au plus 40000 acceptés."
    assert db.session.get(Submission, too_long["id"]).files["rapport.md"] == long_report
    graded = result_of(app, learner, benign["id"])
    assert (graded["verdict"], graded["score"]) == ("awaiting_review", None)


# --- structured-task ----------------------------------------------------------------------------------------------

BILLION_LAUGHS = "objects:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  {chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, "
    f"*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]\n" for n in range(9))
XXE = """<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY remote SYSTEM "http://127.0.0.1:9/x">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">
<startEvent id="debut" name="&secret;&remote;"/></process></definitions>
"""


def test_billion_laughs_and_external_entities_are_refused_quickly_by_name(app, library, make_user,
                                                                         run_worker_burst):
    model, flow = library["modele-crm-formation"], library["approbation-achat"]
    learner = make_user()
    laughs = send(app, learner, model, {"modele.yaml": BILLION_LAUGHS})
    entities = send(app, learner, flow, {"processus.bpmn": XXE})
    started = time.monotonic()
    run_worker_burst()
    assert time.monotonic() - started < 10
    expected = {laughs["id"]: "Ligne 2 : les ancres et alias YAML (& et *) ne sont pas acceptés.",
                entities["id"]: "Les déclarations DOCTYPE, les entités et les références externes ne sont pas "
                                "acceptées."}
    for submission_id, message in expected.items():
        graded = result_of(app, learner, submission_id)
        assert (graded["verdict"], graded["score"]) == ("failed", 0.0)
        assert graded["checks"][0]["id"] == "document" and graded["checks"][0]["message"] == message
        assert {c["status"] for c in graded["checks"][1:]} == {"ignoré"}  # every other check skipped
        assert "root:" not in json.dumps(graded)
        assert db.session.get(Submission, submission_id).diagnostics["timings_ms"]["judge"] < 2000

    # The worker grades honest models and flows right after.
    honest = [send(app, learner, exercise, solution_of(exercise.slug))["id"] for exercise in (model, flow)]
    run_worker_burst()
    for submission_id in honest:
        graded = result_of(app, learner, submission_id)
        assert (graded["verdict"], graded["score"]) == ("passed", 10.0)
