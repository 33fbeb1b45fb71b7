"""A structured task through HTTP and the real worker: the learner submits the Salesforce data model, once the
reference and once broken, from the exercise page's form; the worker grades it on the trusted side, and the
submission page shows each visible check's message naming what is missing, hidden checks by name only."""
import html

from tests.conftest import CSRF_FIELD, solution_of


def submit(client, exercise, content: str) -> str:
    page = client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)
    assert "data-code-editor" in page and "objects:" in page  # the starter, in the normal editor
    response = client.post(f"/exercises/{exercise.uuid}/submit", follow_redirects=True,
                           data={"csrf_token": CSRF_FIELD.search(page).group(1), "file:modele.yaml": content})
    assert response.status_code == 200 and "/submissions/" in response.request.path
    return response.request.path


def test_learner_sees_each_check_of_a_data_model(client, auth, content, make_user, run_worker_burst):
    from lms.extensions import db

    exercise = content["modele-crm-formation"]
    exercise.pacing = {"cooldown_seconds": 0, "max_attempts": 0}  # two submissions in a row
    db.session.commit()
    auth.login(make_user())
    reference = solution_of("modele-crm-formation")["modele.yaml"]
    broken = (reference.replace("Prix__c: {type: currency, required: true}", "Prix__c: {type: number}")
              .replace("Session__c: {type: master-detail, to: Session__c}", "Session__c: {type: lookup, to: Sesion__c}")
              .replace("Email: {type: email, unique: true}", "Email: {type: email}"))
    passed_url, broken_url = submit(client, exercise, reference), submit(client, exercise, broken)
    run_worker_burst()

    passed = html.unescape(client.get(passed_url).get_data(as_text=True))
    assert "10.0 / 10.0" in passed and "Fichier bien formé" in passed

    page = html.unescape(client.get(broken_url).get_data(as_text=True))
    assert "10.0 / 10.0" not in page
    assert "Le champ Formation__c.Prix__c : type vaut number, attendu currency." in page
    assert "Le champ Inscription__c.Session__c pointe vers Sesion__c, qui n'est pas un objet du modèle." in page
    assert "L'objet Inscription__c n'a aucun champ master-detail vers Session__c." in page
    # A hidden check fails by name only: nothing says which property of Contact.Email it wanted.
    assert "L'e-mail d'un contact, unique" in page and "unique vaut" not in page
