"""Reading the content library: the bundled one is valid; broken folders are refused with a clear message."""
import shutil

import pytest
import yaml

from graders import get_grader
from lms.catalog.content import ContentError, iter_exercises, load_library
from tests.conftest import CONTENT_DIR


def test_bundled_library_loads():
    tracks = load_library(CONTENT_DIR)
    exercises = list(iter_exercises(tracks))
    assert len(exercises) >= 3
    for exercise in exercises:
        assert set(exercise.statements) == {"fr", "ar", "en"}
        if exercise.kind == "ml-model":  # scored against an answer key, not checks: a public and a private part
            assert exercise.spec["options"]["answer_key"] and exercise.spec["options"]["private_ids"]
        elif exercise.kind == "reviewed-task":  # graded by an instructor with a rubric, after pre-checks
            assert exercise.spec["options"]["rubric"] and not exercise.spec["checks"]
        elif get_grader(exercise.kind).runs_code:
            assert exercise.spec["checks"] and exercise.public_tests
        # A kind that runs no code (a flag, a quiz) judges the answer itself: no checks, no public tests to run.
        assert set(exercise.starter_files) == set(exercise.spec["files"])


@pytest.fixture
def library(tmp_path):
    """A writable copy of the bundled Python module (in its track), and the path of its first exercise."""
    root = tmp_path / "content"
    module = CONTENT_DIR / "back-end" / "python-bases"
    shutil.copytree(module, root / "back-end" / module.name)
    shutil.copy(CONTENT_DIR / "back-end" / "track.yaml", root / "back-end" / "track.yaml")
    first = next(iter_exercises(load_library(root)))
    return root, first.path


def edit_yaml(path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


@pytest.mark.parametrize("change, words", [
    (lambda d: d.update(kind="cobol"), "unknown exercise kind"),
    (lambda d: d.update(uuid="not-a-uuid"), "uuid must be a UUID"),
    (lambda d: d.update(limits={"wall_seconds": 3600}), "outside the allowed range"),
    (lambda d: d.update(limits={"network": True}), "unknown limit"),
    (lambda d: d.update(scoring="best-of-three"), "scoring must be"),
    (lambda d: d.update(files=[]), "files must list"),
    (lambda d: d.update(pacing={"cooldown": 1}), "pacing takes"),
])
def test_invalid_exercise_yaml_is_refused(library, change, words):
    root, exercise = library
    edit_yaml(exercise / "exercise.yaml", change)
    with pytest.raises(ContentError, match=words):
        load_library(root)


def test_missing_reference_solution_is_refused(library):
    root, exercise = library
    shutil.rmtree(exercise / "solution")
    with pytest.raises(ContentError, match="reference solution"):
        load_library(root)


def test_duplicate_uuid_is_refused(library):
    root, exercise = library
    other = exercise.parent / "copy-of-first"
    shutil.copytree(exercise, other)
    edit_yaml(exercise.parent / "module.yaml", lambda d: d["exercises"].append("copy-of-first"))
    with pytest.raises(ContentError, match="uuid also used"):
        load_library(root)


def test_symlinks_in_content_are_refused(library, tmp_path):
    root, exercise = library
    (tmp_path / "secret.py").write_text("x = 1")
    (exercise / "tests" / "public" / "test_link.py").symlink_to(tmp_path / "secret.py")
    with pytest.raises(ContentError, match="symbolic links"):
        load_library(root)


def test_hidden_check_errors_name_the_check(library):
    root, exercise = library
    path = exercise / "tests" / "hidden" / "checks.yaml"
    first = yaml.safe_load(path.read_text())["checks"][0]["id"]
    edit_yaml(path, lambda d: d["checks"][0].pop("expect", None) or d["checks"][0].pop("expect_stdout", None))
    with pytest.raises(ContentError, match=rf"check #\d+ \({first}\)"):
        load_library(root)


def test_public_example_checks_are_visible_and_hidden_ones_are_not():
    exercise = next(iter_exercises(load_library(CONTENT_DIR)))
    visibility = {check["id"]: check["hidden"] for check in exercise.spec["checks"]}
    assert False in visibility.values() and True in visibility.values()


def test_a_track_can_require_gvisor_for_all_its_exercises(library):
    root, exercise = library
    track_yaml = exercise.parent.parent / "track.yaml"
    edit_yaml(track_yaml, lambda d: d.update(runtime="runsc"))
    assert {e.spec["runtime"] for e in iter_exercises(load_library(root))} == {"runsc"}
    edit_yaml(exercise / "exercise.yaml", lambda d: d.update(runtime="runc"))
    runtimes = {e.slug: e.spec["runtime"] for e in iter_exercises(load_library(root))}
    assert runtimes[exercise.name] == "runc"  # an exercise may still say otherwise


def test_unknown_runtime_is_refused(library):
    root, exercise = library
    edit_yaml(exercise / "exercise.yaml", lambda d: d.update(runtime="kata"))
    with pytest.raises(ContentError, match="runtime must be runc or runsc"):
        load_library(root)
