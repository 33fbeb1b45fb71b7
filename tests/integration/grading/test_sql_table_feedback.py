"""A data-changing sql-query submission graded by a real worker in the real sql sandbox: a passing UPDATE's visible
check stores and shows the table as the learner's statement left it, labelled with its name; its hidden checks
store nothing but their name and status, and nothing of the hidden databases reaches the page or the API."""
import html
import json

from lms.extensions import db
from lms.submissions.models import Status, Submission
from lms.submissions.services import create_submission
from tests.conftest import solution_of


def test_a_passing_update_shows_the_updated_table(app, client, auth, content, make_user, run_worker_burst):
    exercise = content["appliquer-remise"]
    learner = make_user()
    submission_id = create_submission(learner, exercise, solution_of("appliquer-remise")).id
    run_worker_burst()
    row = db.session.get(Submission, submission_id)
    assert (row.status, row.verdict, row.score) == (Status.COMPLETED, "passed", 10.0), row.diagnostics

    checks = {c["id"]: c for c in row.feedback["checks"]}
    expected = next(c for c in exercise.spec["checks"] if c["id"] == "exemple")["expect"]["tables"]["commandes"]
    (table,) = checks["exemple"]["details"]["result_tables"]
    assert table["table"] == "commandes" and table["columns"] == expected["columns"]
    assert table["rows"] == expected["rows"][:20] and table["more"] == len(expected["rows"]) - 20
    discounted = [r for r in table["rows"] if r[5] == "en_attente" and r[3] < "2025-04-01"]
    assert discounted  # rows the UPDATE changed are among those shown
    for hidden in ("autre-base-b", "autre-base-c"):
        assert checks[hidden]["passed"] and checks[hidden]["message"] == "" and checks[hidden]["details"] == {}

    # What the learner sees: the table under the passed example, on the page and in the API; nothing hidden.
    hidden_rows = [r for c in exercise.spec["checks"] if c.get("hidden") is not False
                   for r in c["expect"]["tables"]["commandes"]["rows"][:20]]
    hidden_only = {r[4] for r in hidden_rows} - {r[4] for r in expected["rows"]}
    assert hidden_only
    auth.login(learner)
    page = html.unescape(client.get(f"/submissions/{submission_id}").get_data(as_text=True))
    answer = client.get(f"/api/v1/submissions/{submission_id}")
    assert "Table commandes après votre instruction" in page
    assert f"<td>{discounted[0][4]}</td>" in page
    api_checks = {c["id"]: c for c in answer.json["checks"]}
    assert api_checks["exemple"]["details"]["result_tables"][0]["rows"] == table["rows"]
    assert all("details" not in api_checks[h] for h in ("autre-base-b", "autre-base-c"))
    for value in hidden_only:
        assert f"<td>{value}</td>" not in page and json.dumps(value) not in answer.get_data(as_text=True)
