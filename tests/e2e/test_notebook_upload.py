"""A notebook exercise over HTTP: the page offers the starter notebook as a download and an upload control (no
editor); an uploaded notebook is checked (size, JSON, nbformat 4, some code), stored without the outputs the
learner's machine saved in it, graded in the real data sandbox, and shown on its page as escaped code cells."""
from __future__ import annotations

import base64
import io
import json
import re

import pytest

from lms.extensions import db
from lms.submissions.models import Submission
from tests.conftest import CSRF_FIELD, solution_of

SLUG = "classeur-regions"
NOTEBOOK = "analyse.ipynb"
# What a learner's Jupyter saves besides the sources: never stored, never shown.
MACHINE_OUTPUT = "OUTPUT-FROM-THE-LEARNERS-MACHINE"


def with_outputs(text: str) -> str:
    """The notebook `text` as Jupyter saves it after a run: outputs (text, a picture), counts, metadata."""
    document = json.loads(text)
    picture = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20_000).decode("ascii")
    for number, cell in enumerate(document["cells"], start=1):
        cell["metadata"] = {"tags": [MACHINE_OUTPUT], "collapsed": False}
        if cell["cell_type"] == "code":
            cell["execution_count"] = number
            cell["outputs"] = [
                {"output_type": "stream", "name": "stdout", "text": [f"{MACHINE_OUTPUT}\n"]},
                {"output_type": "display_data", "metadata": {}, "data": {"image/png": picture,
                                                                        "text/plain": [MACHINE_OUTPUT]}}]
    document["metadata"]["widgets"] = {"state": MACHINE_OUTPUT}
    return json.dumps(document)


def notebook_of(*sources, **fields) -> str:
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
        for source in sources]}
    document.update(fields)
    return json.dumps(document)


@pytest.fixture
def exercise(content):
    return content[SLUG]


@pytest.fixture
def learner(auth, make_user):
    user = make_user()
    auth.login(user)
    return user


def page_csrf(client, exercise) -> str:
    return CSRF_FIELD.search(client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)).group(1)


def upload_form(client, exercise, data: bytes, filename: str = NOTEBOOK, csrf: str | None = "page", mode="graded"):
    """The exercise page's form, posted without JavaScript (multipart, the page's CSRF token)."""
    fields = {"notebook": (io.BytesIO(data), filename), "mode": mode}
    if csrf == "page":
        fields["csrf_token"] = page_csrf(client, exercise)
    elif csrf:
        fields["csrf_token"] = csrf
    return client.post(f"/exercises/{exercise.uuid}/submit", data=fields, content_type="multipart/form-data")


def upload_api(client, exercise, data: bytes, filename: str = NOTEBOOK, csrf: bool = True, query: str = ""):
    """What the page's script sends: the file as multipart to the API, the session's CSRF token in a header."""
    headers = {"X-CSRFToken": page_csrf(client, exercise)} if csrf else {}
    return client.post(f"/api/v1/exercises/{exercise.uuid}/submissions{query}", headers=headers,
                       data={"notebook": (io.BytesIO(data), filename), "mode": "graded"},
                       content_type="multipart/form-data")


def stored() -> list[Submission]:
    return db.session.query(Submission).all()


def test_the_page_offers_the_starter_notebook_and_an_upload_control_not_an_editor(client, learner, exercise, content):
    page = client.get(f"/exercises/{exercise.uuid}").get_data(as_text=True)
    form = re.search(r'<form method="post" id="submit-form".*?</form>', page, re.S).group(0)
    assert 'enctype="multipart/form-data"' in form and CSRF_FIELD.search(form)
    assert re.search(r'<input type="file" id="notebook-file" name="notebook" accept="\.ipynb,application/x-ipynb\+json"'
                     r' required>', form)
    assert "data-code-editor" not in page and "<textarea" not in page
    assert 'name="archive"' not in page  # one way to hand a notebook in
    assert f'href="/exercises/{exercise.uuid}/starter/{NOTEBOOK}" download' in form
    assert "Télécharger le notebook de départ" in form
    assert 'href="/exercises/{}/data/exemple/ventes_regions.xlsx"'.format(exercise.uuid) in page
    assert "/autre/" not in page and "/troisieme/" not in page  # hidden workbooks are never offered
    # A script exercise keeps its editor.
    script_page = client.get(f"/exercises/{content['graphique-mensuel'].uuid}").get_data(as_text=True)
    assert "data-code-editor" in script_page and 'name="notebook"' not in script_page


def test_the_starter_notebook_downloads_as_an_attachment(client, learner, exercise):
    response = client.get(f"/exercises/{exercise.uuid}/starter/{NOTEBOOK}")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ipynb+json"
    assert response.headers["Content-Disposition"] == f"attachment; filename={NOTEBOOK}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data(as_text=True) == solution_of(SLUG, "starter")[NOTEBOOK]
    assert json.loads(response.get_data(as_text=True))["nbformat"] == 4
    assert client.get(f"/exercises/{exercise.uuid}/starter/exercise.yaml").status_code == 404
    assert client.get(f"/exercises/{exercise.uuid}/starter/..%2Fsolution%2F{NOTEBOOK}").status_code == 404


def test_the_starter_download_needs_a_login(client, exercise):
    response = client.get(f"/exercises/{exercise.uuid}/starter/{NOTEBOOK}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_uploaded_notebook_is_stored_without_its_outputs_and_shown_as_escaped_cells(client, learner, exercise):
    sources = ['import pandas as pd\nprint("<script>alert(1)</script>")\n', "x = 1 < 2 and 'a' & 'b'"]
    uploaded = with_outputs(notebook_of(*sources))
    response = upload_form(client, exercise, uploaded.encode())
    assert response.status_code == 303 and re.search(r"/submissions/\d+$", response.headers["Location"])
    [submission] = stored()
    text = submission.files[NOTEBOOK]
    assert MACHINE_OUTPUT not in text and len(text) < len(uploaded) / 10
    document = json.loads(text)
    assert document["nbformat"] == 4 and [c["cell_type"] for c in document["cells"]] == ["code", "code"]
    assert ["".join(c["source"]) for c in document["cells"]] == sources
    assert all(c["outputs"] == [] and c["execution_count"] is None and c["metadata"] == {}
               for c in document["cells"])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cellule 1" in page and "Cellule 2" in page
    assert "print(&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;)" in page and "<script>alert(1)" not in page
    assert "x = 1 &lt; 2 and &#39;a&#39; &amp; &#39;b&#39;" in page
    assert '"cell_type"' not in page and "&#34;cell_type&#34;" not in page and MACHINE_OUTPUT not in page
    assert re.search(r'<pre class="code" dir="ltr" data-read-only-code data-language="python">import pandas', page)


def test_the_cells_read_left_to_right_in_an_arabic_page_and_on_the_staff_page(client, auth, learner, exercise,
                                                                               make_staff):
    upload_form(client, exercise, notebook_of("total = 1 + 1\n").encode())
    [submission] = stored()
    page = client.get(f"/submissions/{submission.id}?lang=ar").get_data(as_text=True)
    assert re.search(r'<html lang="ar" dir="rtl"', page)
    assert re.search(r'<h3>[^<]*1[^<]*</h3><pre class="code" dir="ltr"[^>]*>total = 1 \+ 1', page)
    auth.logout()
    auth.login(make_staff())
    staff = client.get(f"/teach/submissions/{submission.id}").get_data(as_text=True)
    assert re.search(r'<pre class="code" dir="ltr">total = 1 \+ 1', staff) and '"cell_type"' not in staff


TOO_BIG = notebook_of("x = 1\n" + "# " + "y" * (600 * 1024))
# Refusals are decided before anything is written: one backend is enough for them.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.parametrize("data, filename, status, code, words", [
    (b'{"nbformat": 4, "cells": [', NOTEBOOK, 400, "bad_notebook", "pas un JSON valide (ligne 1)"),
    (b"\xff\xfe not utf-8", NOTEBOOK, 400, "bad_notebook", "UTF-8"),
    (b'{"nbformat": 3, "worksheets": [], "cells": []}', NOTEBOOK, 422, "bad_notebook", "nbformat 4"),
    (b'{"nbformat": 4, "cells": {"a": 1}}', NOTEBOOK, 422, "bad_notebook", "liste de cellules"),
    (notebook_of("x = 1", ["ok\n", 2]).encode(), NOTEBOOK, 422, "bad_notebook", "La cellule 2"),
    (json.dumps({"nbformat": 4, "cells": [{"cell_type": "html", "source": ""}]}).encode(), NOTEBOOK, 422,
     "bad_notebook", "La cellule 1"),
    (json.dumps({"nbformat": 4, "cells": [{"cell_type": "markdown", "source": "# Analyse"},
                                          {"cell_type": "code", "source": ["  \n"]}]}).encode(), NOTEBOOK, 422,
     "bad_notebook", "pas de code"),
    (TOO_BIG.encode(), NOTEBOOK, 413, "too_large", "524288"),
    (notebook_of("x = 1").encode(), "analyse.py", 400, "wrong_files", ".ipynb"),
    (notebook_of("x = 1").encode(), "analyse.ipynb.zip", 400, "wrong_files", ".ipynb"),
])
@SQLITE_ONLY
def test_a_bad_notebook_is_refused_with_a_message_the_page_shows(client, learner, exercise, data, filename, status,
                                                                 code, words):
    response = upload_api(client, exercise, data, filename)
    assert response.status_code == status and response.json["error"] == code, response.json
    assert words in response.json["message"]
    # Without JavaScript: the exercise page again, the same message in its alert.
    response = upload_form(client, exercise, data, filename)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/exercises/{exercise.uuid}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    alert = re.search(r'<p class="flash flash-error" role="alert">(.*?)</p>', page, re.S).group(1)
    assert words in alert.replace("&#39;", "'")
    assert stored() == []


@pytest.mark.parametrize("language, words", [
    ("ar", "ليس دفترًا"), ("en", "not valid JSON"), ("fr", "pas un JSON valide")])
@SQLITE_ONLY
def test_the_refusal_is_in_the_learners_language(client, learner, exercise, language, words):
    response = upload_api(client, exercise, b"{not json", query=f"?lang={language}")
    assert response.status_code == 400 and words in response.json["message"]


def test_the_upload_needs_the_csrf_token(client, learner, exercise):
    data = notebook_of("x = 1").encode()
    assert upload_form(client, exercise, data, csrf=None).status_code == 400
    assert upload_form(client, exercise, data, csrf="forged").status_code == 400
    assert upload_api(client, exercise, data, csrf=False).status_code == 400
    assert stored() == []


def test_the_api_takes_the_notebook_as_text_too_and_strips_it(client, make_user, exercise):
    from lms.auth.services import issue_api_token

    headers = {"Authorization": f"Bearer {issue_api_token(make_user())}"}
    text = with_outputs(solution_of(SLUG)[NOTEBOOK])
    response = client.post(f"/api/v1/exercises/{exercise.uuid}/submissions", headers=headers,
                           json={"files": {NOTEBOOK: text}})
    assert response.status_code == 202, response.json
    assert json.loads(db.session.get(Submission, response.json["id"]).files[NOTEBOOK]) == json.loads(
        solution_of(SLUG)[NOTEBOOK])  # the reference, saved as the stored form, comes back unchanged
    response = client.post(f"/api/v1/exercises/{exercise.uuid}/submissions", headers=headers,
                           json={"files": {NOTEBOOK: "print('a script, not a notebook')"}})
    assert response.status_code == 400 and response.json["error"] == "bad_notebook"


def test_a_notebook_cannot_be_uploaded_to_a_script_exercise(client, learner, content):
    response = upload_api(client, content["graphique-mensuel"], notebook_of("x = 1").encode())
    assert response.status_code == 400 and response.json["error"] == "wrong_files"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a real grading: once is enough
def test_the_uploaded_reference_gets_full_marks_and_the_starter_none(client, learner, exercise, run_worker_burst):
    exercise.pacing = {"cooldown_seconds": 0, "max_attempts": 0}
    db.session.commit()
    for kind in ("solution", "starter"):
        response = upload_form(client, exercise, with_outputs(solution_of(SLUG, kind)[NOTEBOOK]).encode())
        assert response.status_code == 303
    run_worker_burst()
    db.session.expire_all()
    solution, starter = sorted(stored(), key=lambda s: s.id)
    assert (solution.verdict, solution.score) == ("passed", 10.0), solution.feedback
    assert (starter.verdict, starter.score) == ("failed", 0.0), starter.feedback
    page = client.get(f"/submissions/{solution.id}").get_data(as_text=True)
    assert "10.0 / 10.0" in page and "Cellule 4" in page and MACHINE_OUTPUT not in page
