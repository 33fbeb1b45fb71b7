"""Find-the-flag challenges over HTTP with the real worker: each learner downloads their own artifact and passes with
their own flag; a classmate's flag is refused by name and reported to the instructors of both learners' cohorts
(and to no other); wrong flags are limited with HTTP 429; an opened hint costs its points."""
import copy
import shutil
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from graders.ctf_flag import expected_flag
from graders.base import ExerciseSpec
from lms.auth.services import issue_api_token
from lms.catalog.importer import import_library
from lms.catalog.models import Exercise, Module
from lms.ctf.models import ArtifactDownload
from lms.extensions import db
from lms.grading.trusted import learner_for
from tests.conftest import CONTENT_DIR, Auth


@pytest.fixture
def challenges(app, admitted, tmp_path):
    """The cybersecurity track alone, imported (faster than the whole library) and published to the test cohorts."""
    shutil.copytree(CONTENT_DIR / "cybersecurite", tmp_path / "library" / "cybersecurite")
    (tmp_path / "library" / "source.yaml").write_text("name: ctf-tests\n")
    import_library(tmp_path / "library")
    admitted.refresh()
    return {e.slug: e for e in db.session.scalars(select(Exercise))}


def flag_of(user, exercise) -> str:
    return expected_flag(ExerciseSpec.from_dict(exercise.spec), learner_for(user.id, exercise.uuid))


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


def submit(app, exercise, user, flag, status=202):
    answer = app.test_client().post(f"/api/v1/exercises/{exercise.uuid}/submissions",
                                    json={"files": {"flag.txt": flag}},
                                    headers={"Authorization": f"Bearer {issue_api_token(user)}"})
    assert answer.status_code == status, answer.json
    return answer.json


def result_of(client, submission_id):
    return client.get(f"/api/v1/submissions/{submission_id}").json


def test_own_flag_passes_a_classmates_is_refused_and_reported_to_both_cohorts_instructors(
        app, challenges, make_user, programme, run_worker_burst):
    exercise = challenges["capture-reseau"]
    module = db.session.get(Module, exercise.module_id)
    cohort_a, cohort_b, cohort_c = (programme.cohort(track=module.track) for _ in range(3))
    for cohort in (cohort_a, cohort_b, cohort_c):
        programme.publish(cohort, module)
    amine, badr = make_user(name="Amine Tazi"), make_user(name="Badr Alaoui")
    programme.enrol(amine, cohort_a)
    programme.enrol(badr, cohort_b)
    instructors = [make_user("instructor") for _ in range(3)]
    for instructor, cohort in zip(instructors, (cohort_a, cohort_b, cohort_c)):
        programme.grant(instructor, "instructor", cohort=cohort)

    badr_client = logged_in(app, badr)
    page = badr_client.get(f"/exercises/{exercise.uuid}").text
    assert f"/exercises/{exercise.uuid}/artifact" in page and 'name="file:flag.txt"' in page
    download = badr_client.get(f"/exercises/{exercise.uuid}/artifact")
    assert download.status_code == 200 and download.mimetype == "application/vnd.tcpdump.pcap"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert quote(flag_of(badr, exercise), safe="").encode() in download.data  # his own flag, in the login form
    assert quote(flag_of(amine, exercise), safe="").encode() not in download.data
    amine_client = logged_in(app, amine)
    assert amine_client.get(f"/exercises/{exercise.uuid}/artifact").status_code == 200
    assert db.session.scalar(select(func.count(ArtifactDownload.id))) == 2  # who, when: one row per download

    own = submit(app, exercise, badr, flag_of(badr, exercise) + "\n")
    copied = submit(app, exercise, amine, flag_of(badr, exercise))
    run_worker_burst()
    assert result_of(badr_client, own["id"])["verdict"] == "passed"
    assert result_of(badr_client, own["id"])["score"] == 10.0
    refused = result_of(amine_client, copied["id"])
    assert refused["verdict"] == "failed" and refused["score"] == 0.0
    assert "généré pour un autre apprenant" in refused["checks"][0]["message"]  # named, in French by default
    assert "Badr" not in str(refused)  # the copier is not told whose flag it was

    for instructor, sees in zip(instructors, (True, True, False)):
        reports = logged_in(app, instructor).get("/ctf/reports")
        assert reports.status_code == 200
        assert ("Amine Tazi" in reports.text and "Badr Alaoui" in reports.text) is sees
        assert ("Aucun drapeau partagé signalé." in reports.text) is not sees
    assert amine_client.get("/ctf/reports").status_code == 403


def test_wrong_flags_are_limited_and_the_page_says_how_many_tries_are_left(app, challenges, make_user,
                                                                             run_worker_burst):
    exercise = challenges["encodage-hachage"]
    spec = copy.deepcopy(exercise.spec)
    spec["options"]["wrong_tries"] = {"max": 2, "minutes": 10}
    exercise.spec = spec
    db.session.commit()
    learner = make_user()
    client = logged_in(app, learner)
    assert "2 essais restants avant une pause de 10 minutes." in client.get(f"/exercises/{exercise.uuid}").text
    for guess in ("JIT{encodage-000000000000000000000000}", "JIT{devine}"):
        submit(app, exercise, learner, guess)
        run_worker_burst()
    page = client.get(f"/exercises/{exercise.uuid}").text
    assert "Plus aucun essai pour l'instant : le prochain dans 10 min." in page
    refused = submit(app, exercise, learner, flag_of(learner, exercise), status=429)
    assert refused["error"] == "too_many_wrong_flags"
    assert refused["message"] == "2 mauvais drapeaux en 10 minutes : attendez 10 min avant de réessayer."


def test_an_opened_hint_shows_its_text_and_costs_its_points(app, challenges, make_user, run_worker_burst):
    exercise = challenges["source-page-web"]
    learner = make_user()
    client = logged_in(app, learner)
    hints_page = client.get(f"/exercises/{exercise.uuid}/hints").text
    assert "coûte 3 des points de cet exercice" in hints_page and "jetonRecette3" not in hints_page  # cost, no text
    opening = f"/exercises/{exercise.uuid}/hints/console/open"
    assert client.post(opening).status_code == 400  # no CSRF token
    token = Auth(client).csrf_token(f"/exercises/{exercise.uuid}/hints")
    assert client.post(f"/exercises/{exercise.uuid}/hints/nope/open", data={"csrf_token": token}).status_code == 404
    assert client.post(opening, data={"csrf_token": token}).status_code == 303
    assert "jetonRecette3" in client.get(f"/exercises/{exercise.uuid}/hints").text
    assert "jetonRecette3" in client.get(f"/exercises/{exercise.uuid}").text  # the workspace shows it opened
    arabic = client.get(f"/exercises/{exercise.uuid}?lang=ar").text
    assert 'dir="rtl"' in arabic and "التلميح 2" in arabic and "jetonRecette3 للحصول على الجزء 3" in arabic

    submission = submit(app, exercise, learner, flag_of(learner, exercise))
    run_worker_burst()
    graded = result_of(client, submission["id"])
    assert graded["verdict"] == "passed" and graded["score"] == 7.0
    assert "3 point(s) retiré(s)" in graded["checks"][0]["message"]
