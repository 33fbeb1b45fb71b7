"""The databases of the SQL module are what scripts/generate_sql_databases.py writes: the seeded generator and the
committed files cannot drift apart (an edited file, or a changed generator not re-run)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("generate_sql_databases", ROOT / "scripts" / "generate_sql_databases.py")
generator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generator)
FOLDERS = sorted(p for p in generator.MODULE.iterdir() if (p / "exercise.yaml").is_file())


@pytest.fixture(scope="module")
def scripts():
    return {name: generator.build(name, config) for name, config in generator.DATABASES.items()}


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_each_exercise_ships_the_generated_databases(folder, scripts):
    assert sorted(p.stem for p in (folder / "data").glob("*.sql")) == sorted(scripts)
    for name, script in scripts.items():
        assert (folder / "data" / f"{name}.sql").read_text(encoding="utf-8") == script, (
            f"{folder.name}/data/{name}.sql differs from the generator's: run python3 scripts/generate_sql_databases.py")


def test_the_generator_is_deterministic(scripts):
    assert {name: generator.build(name, config) for name, config in generator.DATABASES.items()} == scripts
