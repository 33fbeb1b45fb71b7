"""A reviewed task end to end through HTTP, graded by the real worker: the learner sees the rubric and submits, the
deliverable awaits review; only an instructor of the learner's cohort finds it; a draft stays hidden from the
learner; the release writes the score into the gradebook; one regrade request, answered. And a deliverable's HTML
or SVG is never served as a page or a picture."""
import uuid

from sqlalchemy import select

from lms.extensions import db
from lms.gradebook.models import Grade
from lms.reviews.models import ReviewEvent
from lms.submissions.models import Submission
from tests.conftest import CSRF_FIELD, Auth, solution_of


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


def csrf(client, path):
    return CSRF_FIELD.search(client.get(path).get_data(as_text=True)).group(1)


def a_cohort_with(programme, make_user, exercise, name):
    cohort = programme.cohort(programme.centre("casablanca-settat"), track=exercise.module.track, name=name)
    programme.publish(cohort, exercise.module)
    instructor = make_user("instructor", name=f"Formateur {name}")
    programme.grant(instructor, "instructor", cohort=cohort)
    return cohort, instructor


def test_a_deliverable_is_reviewed_released_and_regraded_once(app, content, make_user, programme, run_worker_burst):
    exercise = content["application-complete"]
    cohort, instructor = a_cohort_with(programme, make_user, exercise, "Anfa A")
    _, other_instructor = a_cohort_with(programme, make_user, exercise, "Maarif B")
    learner = make_user(name="Salma Bennani")
    programme.enrol(learner, cohort)
    db.session.commit()

    # The learner sees the rubric and the link field before submitting, then submits through the page's form.
    learner_client = logged_in(app, learner)
    page = learner_client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)
    assert "Architecture du code" in page and "Exemplaire" in page  # a criterion and a level, in French
    assert 'name="file:depot.url"' in page and 'inputmode="url"' in page
    answer = learner_client.post(f"/exercises/{exercise.uuid}/submit", data={
        "csrf_token": CSRF_FIELD.search(page).group(1),
        **{f"file:{name}": text for name, text in solution_of("application-complete").items()}})
    assert answer.status_code == 303
    submission_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    run_worker_burst()

    status = learner_client.get(f"/api/v1/submissions/{submission_id}").get_json()
    assert (status["final"], status["verdict"], status["score"]) == (True, "awaiting_review", None)
    assert status["verdict_label"] == "En attente de revue"
    assert db.session.get(Grade, (cohort.id, learner.id, exercise.id)).final is None  # nothing counts yet

    # An instructor of another cohort neither finds nor opens it.
    other = logged_in(app, other_instructor)
    assert f'data-submission-id="{submission_id}"' not in other.get("/reviews/").get_data(as_text=True)
    assert other.get(f"/reviews/submissions/{submission_id}").status_code == 404

    # The learner's instructor finds it among the unreviewed, and saves a draft.
    reviewer = logged_in(app, instructor)
    queue = reviewer.get(f"/reviews/?status=unreviewed&exercise={exercise.id}").get_data(as_text=True)
    assert f'data-submission-id="{submission_id}"' in queue and "Salma Bennani" in queue
    screen = reviewer.get(f"/reviews/submissions/{submission_id}").get_data(as_text=True)
    assert "https://github.com/exemple-apprenant/gestion-bibliotheque" in screen
    assert 'rel="noopener noreferrer nofollow"' in screen and "## Architecture" in screen
    levels = {"level:fonctionnalites": "3", "level:architecture": "2", "level:donnees": "3", "level:tests": "1",
              "level:documentation": "3", "comment:tests": "Seulement des tests de l'API.",
              "comment": "Projet solide, brouillon à relire"}
    token = CSRF_FIELD.search(screen).group(1)
    draft = reviewer.post(f"/reviews/submissions/{submission_id}",
                          data={"csrf_token": token, "action": "draft", **levels})
    assert draft.status_code == 303
    assert "brouillon à relire" not in learner_client.get(f"/reviews/mine/{submission_id}").get_data(as_text=True)
    assert learner_client.get(f"/api/v1/submissions/{submission_id}").get_json()["score"] is None

    # A release without every level is refused with its reason; with them, it writes the score.
    incomplete = reviewer.post(f"/reviews/submissions/{submission_id}",
                               data={"csrf_token": token, "action": "release", "level:tests": "1"})
    assert incomplete.status_code == 400 and "Choisissez un niveau" in incomplete.get_data(as_text=True)
    released = reviewer.post(f"/reviews/submissions/{submission_id}",
                             data={"csrf_token": token, "action": "release", **levels,
                                   "comment": "Projet solide."})
    assert released.status_code == 303
    mine = learner_client.get(f"/reviews/mine/{submission_id}").get_data(as_text=True)
    assert "17 / 20" in mine and "Seulement des tests de l&#39;API." in mine and "Projet solide." in mine
    db.session.expire_all()
    assert db.session.get(Submission, submission_id).score == 17.0  # 4 + 3 + 4 + 2 + 4
    grade = db.session.get(Grade, (cohort.id, learner.id, exercise.id))
    assert (grade.final, grade.submission_id) == (17.0, submission_id)

    # One regrade request, with a reason; a second one is refused with a message.
    token = CSRF_FIELD.search(mine).group(1)
    asked = learner_client.post(f"/reviews/mine/{submission_id}/regrade",
                                data={"csrf_token": token, "reason": "Mes tests Playwright sont dans tests/page."})
    assert asked.status_code == 303
    again = learner_client.post(f"/reviews/mine/{submission_id}/regrade",
                                data={"csrf_token": token, "reason": "Encore ?"})
    assert again.status_code == 409 and "une seule demande par rendu" in again.get_data(as_text=True)

    # The instructor answers and raises the tests' level: the new score reaches the learner and the gradebook.
    screen = reviewer.get(f"/reviews/submissions/{submission_id}").get_data(as_text=True)
    assert "Mes tests Playwright sont dans tests/page." in screen
    answered = reviewer.post(f"/reviews/submissions/{submission_id}/answer", data={
        "csrf_token": CSRF_FIELD.search(screen).group(1), **levels, "level:tests": "2",
        "comment:tests": "Tests de la page trouvés.", "answer": "Vu : les tests de la page comptent."})
    assert answered.status_code == 303
    mine = learner_client.get(f"/reviews/mine/{submission_id}").get_data(as_text=True)
    assert "18 / 20" in mine and "Vu : les tests de la page comptent." in mine
    db.session.expire_all()
    assert db.session.get(Grade, (cohort.id, learner.id, exercise.id)).final == 18.0
    events = db.session.execute(select(ReviewEvent.action, ReviewEvent.actor_id).where(
        ReviewEvent.submission_id == submission_id).order_by(ReviewEvent.id)).all()
    assert events == [("draft_saved", instructor.id), ("released", instructor.id),
                      ("regrade_requested", learner.id), ("regrade_answered", instructor.id)]


def test_an_html_or_svg_deliverable_is_never_served_as_html_or_svg(app, content, make_user, programme,
                                                                    run_worker_burst):
    from lms.catalog.models import Exercise

    capstone = content["application-complete"]
    rubric = [{"id": "page", "name": {"fr": "Page", "ar": "صفحة", "en": "Page"},
               "description": {"fr": "La page", "ar": "الصفحة", "en": "The page"},
               "levels": [{"points": 0, "name": {"fr": "Non", "ar": "لا", "en": "No"}},
                          {"points": 10, "name": {"fr": "Oui", "ar": "نعم", "en": "Yes"}}]}]
    exercise = Exercise(uuid=str(uuid.uuid4()), module_id=capstone.module_id, source_id=capstone.source_id,
                        slug="page-et-logo", kind="reviewed-task", title={"fr": "Une page et un logo"},
                        points=10.0, spec={"kind": "reviewed-task", "files": ["page.html", "logo.svg"],
                                           "checks": [], "points": 10.0, "options": {"rubric": rubric}})
    db.session.add(exercise)
    db.session.commit()
    cohort, instructor = a_cohort_with(programme, make_user, exercise, "Anfa C")
    learner = make_user()
    programme.enrol(learner, cohort)
    db.session.commit()
    hostile = {"page.html": "<script>alert('page')</script><h1>Bonjour</h1>",
               "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'}
    learner_client = logged_in(app, learner)
    answer = learner_client.post(f"/api/v1/exercises/{exercise.uuid}/submissions", json={"files": hostile},
                                 headers={"X-CSRFToken": csrf(learner_client, f"/exercises/{exercise.uuid}")})
    assert answer.status_code == 202, answer.get_json()
    submission_id = answer.get_json()["id"]
    run_worker_burst()

    reviewer = logged_in(app, instructor)
    screen = reviewer.get(f"/reviews/submissions/{submission_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;page&#39;)&lt;/script&gt;" in screen and "<script>alert('page')" not in screen
    assert "&lt;svg" in screen and 'onload="alert(1)"' not in screen
    for client in (reviewer, learner_client):
        for name, text in hostile.items():
            response = client.get(f"/reviews/submissions/{submission_id}/files/{name}")
            assert response.status_code == 200 and response.get_data(as_text=True) == text
            assert response.mimetype == "text/plain"
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert "sandbox" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    stranger = logged_in(app, make_user())
    assert stranger.get(f"/reviews/submissions/{submission_id}/files/page.html").status_code == 404
