"""The CSV datasets of the pandas module are what scripts/generate_datasets.py writes: the seeded generator and the
committed files cannot drift apart (an edited file, or a changed generator not re-run)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("generate_datasets", ROOT / "scripts" / "generate_datasets.py")
generator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generator)
FOLDERS = sorted(p for p in generator.MODULE.iterdir() if (p / "exercise.yaml").is_file())


@pytest.fixture(scope="module")
def files():
    return generator.build_all()


def test_every_exercise_of_the_module_has_generated_data(files):
    assert sorted(f.name for f in FOLDERS) == sorted(generator.EXERCISES)
    assert {relative.split("/")[0] for relative in files} == set(generator.EXERCISES)


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_each_exercise_ships_the_generated_datasets(folder, files):
    expected = {relative.split("/", 1)[1]: text for relative, text in files.items()
                if relative.split("/")[0] == folder.name}
    shipped = sorted(p.relative_to(folder).as_posix() for p in (folder / "data").rglob("*") if p.is_file())
    assert shipped == sorted(expected), (
        f"{folder.name}/data holds other files than the generator's: run python3 scripts/generate_datasets.py")
    for relative, text in expected.items():
        assert (folder / relative).read_text(encoding="utf-8") == text, (
            f"{folder.name}/{relative} differs from the generator's: run python3 scripts/generate_datasets.py")


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_every_variant_has_the_same_files_and_columns(folder, files):
    by_variant = {}
    for relative, text in files.items():
        exercise, _, variant, name = relative.split("/")
        if exercise == folder.name:
            by_variant.setdefault(variant, {})[name] = text.splitlines()[0]
    assert sorted(by_variant) == sorted(generator.VARIANTS)
    assert len({tuple(sorted(headers.items())) for headers in by_variant.values()}) == 1


def test_the_generator_is_deterministic(files):
    assert generator.build_all() == files
