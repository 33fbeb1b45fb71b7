"""The instructors' commands: import the library (idempotent, archives what disappeared) and check it in the
real sandbox (reference solutions full marks, starters less)."""
import shutil

import pytest
from sqlalchemy import select

from lms.catalog.content import iter_exercises, load_library
from lms.catalog.models import Exercise
from lms.extensions import db
from tests.conftest import CONTENT_DIR


def test_import_is_idempotent_and_archives_removed_exercises(app, tmp_path):
    bundled = len(list(iter_exercises(load_library(CONTENT_DIR))))
    assert bundled >= 4
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "import-content", str(CONTENT_DIR)])
    assert first.exit_code == 0 and f"{bundled} created" in first.output
    again = runner.invoke(args=["lms", "import-content", str(CONTENT_DIR)])
    assert f"0 created, 0 updated, {bundled} unchanged" in again.output

    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy)
    module = copy / "back-end" / "python-bases"
    text = (module / "module.yaml").read_text().replace("palindrome, ", "")
    (module / "module.yaml").write_text(text)
    (module / "moyenne" / "statement.fr.md").write_text("# Moyenne\nÉnoncé révisé.")
    result = runner.invoke(args=["lms", "import-content", str(copy)])
    assert "0 created" in result.output and "1 archived" in result.output
    moyenne = db.session.scalar(select(Exercise).filter_by(slug="moyenne"))
    assert "Énoncé révisé" in moyenne.statements["fr"]
    archived = db.session.scalars(select(Exercise).where(Exercise.archived.is_(True))).all()
    assert [e.slug for e in archived] == ["palindrome"]


def test_import_refuses_invalid_content_with_the_reason(app, tmp_path):
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy)
    (copy / "back-end" / "python-bases" / "moyenne" / "statement.fr.md").unlink()
    result = app.test_cli_runner().invoke(args=["lms", "import-content", str(copy)])
    assert result.exit_code != 0 and "statement.fr.md is required" in result.output
    assert db.session.scalars(select(Exercise)).all() == []  # all or nothing


# check-content grades in the sandbox and stores nothing: once is enough, whatever the database.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_check_content_grades_solutions_and_starters_in_the_sandbox(app, docker_client):
    bundled = len(list(iter_exercises(load_library(CONTENT_DIR))))
    result = app.test_cli_runner().invoke(args=["lms", "check-content", str(CONTENT_DIR)])
    assert result.exit_code == 0, result.output
    assert f"{bundled}/{bundled} exercises ok" in result.output
    assert "solution 10.0/10.0 (passed)" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_check_content_fails_when_a_solution_is_wrong(app, tmp_path):
    # One module is enough to see a wrong solution named (the whole library takes minutes, checked above).
    copy = tmp_path / "content"
    copy.mkdir()
    shutil.copy(CONTENT_DIR / "source.yaml", copy / "source.yaml")
    shutil.copytree(CONTENT_DIR / "back-end", copy / "back-end",
                    ignore=lambda folder, names: [n for n in names if folder.endswith("back-end") and n == "json-api"])
    solution = copy / "back-end" / "python-bases" / "moyenne" / "solution" / "solution.py"
    solution.write_text("def moyenne(nombres):\n    return 0\n")
    result = app.test_cli_runner().invoke(args=["lms", "check-content", str(copy)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "reference solution scores" in result.output
    assert "moyenne" in result.output and "json-api" not in result.output


def test_demo_users_are_created_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "demo-users"])
    assert "learner@demo.jobintech.ma" in first.output
    second = runner.invoke(args=["lms", "demo-users"])
    assert "already exist" in second.output
