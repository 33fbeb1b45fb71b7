"""Content sources through the real `flask lms` commands and database: importing one source archives only what
disappeared from it, a uuid another source owns is refused unless moved explicitly, tracks and modules stay while a
source provides them, and `flask lms sources` counts each source's exercises."""
from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
import yaml
from sqlalchemy import select

from lms.catalog.content import iter_exercises, load_library
from lms.catalog.models import ContentSource, Exercise, Module, Track
from lms.extensions import db
from tests.conftest import CONTENT_DIR

BUNDLED_MODULE = CONTENT_DIR / "back-end" / "python-bases"
BUNDLED = len(list(iter_exercises(load_library(CONTENT_DIR))))  # every kind's exercises
IN_MODULE = len(list(BUNDLED_MODULE.glob("*/exercise.yaml")))


def write_library(root, name: str | None, exercises: dict[str, str], module: str = "python-avance"):
    """A library at root: the bundled back-end track, one module holding copies of bundled exercises
    ({new slug: bundled slug}), each with a new uuid, and a source.yaml naming it when `name` is given."""
    track = root / "back-end"
    track.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONTENT_DIR / "back-end" / "track.yaml", track / "track.yaml")
    if name:
        (root / "source.yaml").write_text(f"name: {name}\n")
    folder = track / module
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "module.yaml").write_text(yaml.safe_dump(
        {"slug": module, "order": 5, "title": {"fr": f"Module {module}"}, "exercises": list(exercises)}))
    for slug, bundled in exercises.items():
        shutil.copytree(BUNDLED_MODULE / bundled, folder / slug)
        set_uuid(folder / slug, str(uuid.uuid4()))
    return root


def set_uuid(exercise_folder, new_uuid: str) -> None:
    path = exercise_folder / "exercise.yaml"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(f"uuid: {new_uuid}\n" if line.startswith("uuid:") else line for line in lines))


def uuid_of(exercise_folder) -> str:
    return yaml.safe_load((exercise_folder / "exercise.yaml").read_text())["uuid"]


def run(app, *args, ok=True):
    result = app.test_cli_runner().invoke(args=["lms", *map(str, args)])
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def exercise(slug: str) -> Exercise:
    db.session.expire_all()  # the command committed through the same session; read what it wrote
    return db.session.scalar(select(Exercise).filter_by(slug=slug))


def sources_table(app) -> dict[str, dict[str, str]]:
    """`flask lms sources` parsed: {name: {column: value}} (names and locations have no spaces here)."""
    header, *rows = run(app, "sources").splitlines()
    columns = ["NAME", "KIND", "LOCATION", "COMMIT", "LAST IMPORT", "BY", "ACTIVE", "ARCHIVED"]
    assert header.split()[:3] == columns[:3] and header.split()[-2:] == columns[-2:]
    table = {}
    for row in rows:
        cells = row.split()
        name, kind, location, commit, day, time, by, active, archived = cells
        table[name] = dict(zip(columns, (name, kind, location, commit, f"{day} {time}", by, active, archived)))
    return table


@pytest.fixture
def private(tmp_path):
    return write_library(tmp_path / "private", "ecole-privee", {"moyenne-ponderee": "moyenne"})


def test_a_second_source_stays_active_when_the_bundled_content_is_imported_again(app, private):
    first = run(app, "import-content", CONTENT_DIR)
    assert f"bundled-demo: {BUNDLED} created" in first and "name from source.yaml" in first
    second = run(app, "import-content", private)
    assert "source ecole-privee (new, name from source.yaml): folder" in second
    assert "ecole-privee: 1 created, 0 updated, 0 unchanged, 0 moved in, 0 archived" in second
    again = run(app, "import-content", CONTENT_DIR)  # what scripts/run.sh does at every start
    assert f"bundled-demo: 0 created, 0 updated, {BUNDLED} unchanged, 0 moved in, 0 archived" in again
    assert "archived" not in again.replace("0 archived", "")
    added = exercise("moyenne-ponderee")
    assert not added.archived and added.source.name == "ecole-privee"
    assert not added.module.archived and added.module.track.slug == "back-end"
    assert exercise("moyenne").source.name == "bundled-demo"
    # Both sources provide the shared back-end track.
    track = db.session.scalar(select(Track).filter_by(slug="back-end"))
    assert sorted(s.name for s in track.sources) == ["bundled-demo", "ecole-privee"]


def import_both_then_drop_a_private_exercise(app, tmp_path):
    """bundled-demo, then ecole-privee with two exercises, then ecole-privee again without palindrome-phrase:
    (the private library, the last import's output)."""
    library = write_library(tmp_path / "private", "ecole-privee",
                            {"moyenne-ponderee": "moyenne", "palindrome-phrase": "palindrome"})
    run(app, "import-content", CONTENT_DIR)
    run(app, "import-content", library)
    module_yaml = library / "back-end" / "python-avance" / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace("- palindrome-phrase\n", ""))
    return library, run(app, "import-content", library)


def test_removing_an_exercise_from_a_source_archives_it_and_nothing_else(app, tmp_path):
    library, result = import_both_then_drop_a_private_exercise(app, tmp_path)
    assert "ecole-privee: 0 created, 0 updated, 1 unchanged, 0 moved in, 1 archived" in result
    assert "  archived back-end/python-avance/palindrome-phrase" in result
    archived = db.session.scalars(select(Exercise).where(Exercise.archived.is_(True))).all()
    assert [e.slug for e in archived] == ["palindrome-phrase"]
    assert not db.session.scalar(select(Module).filter_by(slug="python-avance")).archived

    # A module goes when no source provides it any more; the track stays, the bundled source still has it.
    shutil.rmtree(library / "back-end" / "python-avance")
    write_library(library, "ecole-privee", {"fizzbuzz-bis": "fizzbuzz"}, module="python-projets")
    result = run(app, "import-content", library)
    assert "modules no source provides any more, archived: back-end/python-avance" in result
    assert "tracks no source provides" not in result
    assert exercise("moyenne-ponderee").archived and exercise("moyenne-ponderee").module.archived
    assert not exercise("fizzbuzz-bis").archived and not exercise("moyenne").archived
    assert not db.session.scalar(select(Track).filter_by(slug="back-end")).archived


def test_a_module_shared_by_two_sources_stays_while_one_still_provides_it(app, tmp_path):
    # The private library adds an exercise to the bundled module itself.
    library = write_library(tmp_path / "private", "ecole-privee", {"moyenne-ponderee": "moyenne"},
                            module="python-bases")
    bundled = tmp_path / "bundled"
    shutil.copytree(CONTENT_DIR, bundled)
    run(app, "import-content", bundled)
    run(app, "import-content", library)
    shutil.rmtree(bundled / "back-end" / "python-bases")  # the bundled content drops its module
    result = run(app, "import-content", bundled)
    assert (f"bundled-demo: 0 created, 0 updated, {BUNDLED - IN_MODULE} unchanged, 0 moved in, {IN_MODULE} archived"
            in result)
    assert "modules no source provides" not in result
    shared = exercise("moyenne-ponderee")
    assert not shared.archived and not shared.module.archived and shared.module.slug == "python-bases"
    assert exercise("moyenne").archived


def test_a_uuid_owned_by_another_source_is_refused_naming_both_until_moved_explicitly(app, private):
    run(app, "import-content", CONTENT_DIR)
    copy = private / "back-end" / "python-avance" / "moyenne-ponderee"
    moyenne_uuid = uuid_of(BUNDLED_MODULE / "moyenne")
    set_uuid(copy, moyenne_uuid)  # copied without giving it a new uuid
    refused = run(app, "import-content", private, ok=False)
    assert "refusing to import source 'ecole-privee', nothing was changed" in refused
    assert f"exercise {moyenne_uuid} ({copy.resolve()}) belongs to source 'bundled-demo'" in refused
    assert "pass --move-from bundled-demo to move it to 'ecole-privee'" in refused
    db.session.expire_all()
    assert db.session.scalar(select(ContentSource).filter_by(name="ecole-privee")) is None
    assert exercise("moyenne").source.name == "bundled-demo"

    moved = run(app, "import-content", private, "--move-from", "bundled-demo")
    assert "ecole-privee: 0 created, 0 updated, 0 unchanged, 1 moved in, 0 archived" in moved
    assert "  moved back-end/python-avance/moyenne-ponderee from bundled-demo" in moved
    taken = exercise("moyenne-ponderee")
    assert taken.uuid == moyenne_uuid and taken.source.name == "ecole-privee" and not taken.archived
    # The bundled import at the next start neither takes it back nor fails.
    again = run(app, "import-content", CONTENT_DIR)
    assert (f"bundled-demo: 0 created, 0 updated, {BUNDLED - 1} unchanged, 0 moved in, 0 archived, "
            "1 left to other sources") in again
    assert "  left back-end/python-bases/moyenne to ecole-privee (moved there)" in again
    assert exercise("moyenne-ponderee").source.name == "ecole-privee"
    assert sources_table(app)["bundled-demo"]["ACTIVE"] == str(BUNDLED - 1)


def test_move_from_an_unknown_source_is_refused(app, private):
    result = run(app, "import-content", private, "--move-from", "nobody", ok=False)
    assert "no content source named nobody" in result


def test_sources_lists_every_source_with_its_counts(app, tmp_path):
    assert "no content source yet" in run(app, "sources")
    library, _ = import_both_then_drop_a_private_exercise(app, tmp_path)
    table = sources_table(app)
    assert set(table) == {"bundled-demo", "ecole-privee"}
    assert (table["bundled-demo"]["ACTIVE"], table["bundled-demo"]["ARCHIVED"]) == (str(BUNDLED), "0")
    private = table["ecole-privee"]
    assert (private["ACTIVE"], private["ARCHIVED"]) == ("1", "1")
    assert (private["KIND"], private["LOCATION"], private["COMMIT"]) == ("folder", str(library.resolve()), "-")
    assert table["bundled-demo"]["LOCATION"] == str(CONTENT_DIR.resolve())
    row = db.session.scalar(select(ContentSource).filter_by(name="ecole-privee"))
    assert private["LAST IMPORT"] == row.imported_at.strftime("%Y-%m-%d %H:%M:%S")


def test_a_named_source_survives_moving_its_folder(app, private, tmp_path):
    run(app, "import-content", private)
    moved = tmp_path / "elsewhere" / "content"
    moved.parent.mkdir()
    shutil.move(private, moved)
    result = run(app, "import-content", moved)
    assert f"source ecole-privee (name from source.yaml): folder {moved.resolve()}" in result
    assert "ecole-privee: 0 created, 0 updated, 1 unchanged, 0 moved in, 0 archived" in result
    assert [s.name for s in db.session.scalars(select(ContentSource))] == ["ecole-privee"]


def test_without_a_name_the_path_is_the_source_and_a_moved_copy_cannot_take_its_exercises(app, tmp_path):
    library = write_library(tmp_path / "unnamed", None, {"moyenne-ponderee": "moyenne"})
    result = run(app, "import-content", library)
    assert f"source {library.resolve()} (new, name from path): folder {library.resolve()}" in result
    copy = tmp_path / "copy"
    shutil.copytree(library, copy)
    refused = run(app, "import-content", copy, ok=False)
    assert f"belongs to source '{library.resolve()}'" in refused


def test_the_source_option_names_the_source(app, private):
    result = run(app, "import-content", private, "--source", "ecole-2027")
    assert "source ecole-2027 (new, name from --source)" in result
    assert exercise("moyenne-ponderee").source.name == "ecole-2027"
    assert "a source name is lowercase letters" in run(app, "import-content", private, "--source", "Ecole 2027",
                                                       ok=False)


def test_a_git_checkout_is_named_by_its_remote_and_records_its_commit(app, tmp_path):
    checkout = tmp_path / "checkout"
    library = write_library(checkout / "content", None, {"moyenne-ponderee": "moyenne"})

    def git(*args):
        return subprocess.run(["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@example.org",
                               *args], check=True, capture_output=True, text=True).stdout.strip()

    git("init", "--quiet")
    git("add", ".")
    git("commit", "--quiet", "-m", "content")
    git("remote", "add", "origin", "https://teacher:s3cret-token@git.example.org/ecole/content.git")
    result = run(app, "import-content", library)
    commit = git("rev-parse", "HEAD")
    assert (f"source git.example.org/ecole/content#content (new, name from git remote): git checkout "
            f"{library.resolve()} at {commit[:12]}") in result
    row = db.session.scalar(select(ContentSource))
    assert (row.kind, row.git_commit) == ("git", commit)
    listing = run(app, "sources")
    assert "git.example.org/ecole/content#content" in listing and "s3cret" not in listing


def test_a_folder_without_any_track_is_refused(app, tmp_path):
    (tmp_path / "empty").mkdir()
    assert "no track found" in run(app, "import-content", tmp_path / "empty", ok=False)


def test_instructors_see_each_exercise_source(app, private, client, auth, make_user, make_staff):
    from lms.submissions.models import Status, Submission

    run(app, "import-content", CONTENT_DIR)
    run(app, "import-content", private)
    learner = make_user()
    submissions = [Submission(user_id=learner.id, exercise_id=exercise(slug).id, status=Status.COMPLETED,
                              verdict="passed", score=10.0, max_score=10.0)
                   for slug in ("moyenne-ponderee", "moyenne")]
    db.session.add_all(submissions)
    db.session.commit()
    auth.login(make_staff())
    page = client.get("/teach/").get_data(as_text=True)
    assert '<td dir="ltr">ecole-privee</td>' in page and '<td dir="ltr">bundled-demo</td>' in page
    detail = client.get(f"/teach/submissions/{submissions[0].id}").get_data(as_text=True)
    assert "Source du contenu" in detail and '<dd dir="ltr">ecole-privee</dd>' in detail
