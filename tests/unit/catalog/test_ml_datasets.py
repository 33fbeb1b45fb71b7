"""The datasets of the machine learning module are what scripts/generate_ml_datasets.py writes: the seeded
generator and the committed files cannot drift apart (an edited file, or a changed generator not re-run)."""
import csv
import importlib.util
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("generate_ml_datasets", ROOT / "scripts" / "generate_ml_datasets.py")
generator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generator)
ML_EXERCISES = ["classer-clients", "predire-loyers", "classer-avis"]


@pytest.fixture(scope="module")
def files():
    return generator.build_all()


def test_the_committed_files_are_the_generators(files):
    for relative, text in files.items():
        path = generator.MODULE / relative
        assert path.is_file(), f"{relative} is missing: run python3 scripts/generate_ml_datasets.py"
        assert path.read_text(encoding="utf-8") == text, (
            f"{relative} differs from the generator's: run python3 scripts/generate_ml_datasets.py")


@pytest.mark.parametrize("exercise", ML_EXERCISES + ["valider-modele"])
def test_no_other_data_file_is_committed(exercise, files):
    folder = generator.MODULE / exercise
    committed = {p.relative_to(generator.MODULE).as_posix() for sub in ("data", "answers")
                 for p in (folder / sub).rglob("*") if p.is_file()}
    assert committed == {p for p in files if p.startswith(exercise + "/")}


def test_the_generator_is_deterministic(files):
    assert generator.build_all() == files


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("exercise", ML_EXERCISES)
def test_the_answer_key_covers_the_inputs_to_predict_and_no_label_is_shipped(exercise, files):
    train = rows(files[f"{exercise}/data/train.csv"])
    test = rows(files[f"{exercise}/data/test.csv"])
    key = rows(files[f"{exercise}/answers/labels.csv"])
    label = (set(train[0]) - set(test[0])).pop()
    assert set(test[0]) == set(train[0]) - {label} | {"id"}
    assert [r["id"] for r in key] == [r["id"] for r in test] and len({r["id"] for r in test}) == len(test)
    assert {r["split"] for r in key} == {"public", "private"}
    assert abs(sum(r["split"] == "private" for r in key) - len(key) / 2) <= 1
    assert all(not r["id"].isdigit() for r in test)  # ids stay text through pandas (no leading zero lost)
    size = sum(len(t.encode("utf-8")) for p, t in files.items() if p.startswith(exercise + "/"))
    assert size < 1024 * 1024


def test_the_credit_variants_share_their_columns_and_differ_in_rows(files):
    variants = {v: files[f"valider-modele/data/{v}/credits.csv"] for v in ("exemple", "autre", "troisieme")}
    headers = {text.splitlines()[0] for text in variants.values()}
    assert headers == {",".join(generator.CREDIT_COLUMNS)}
    assert len(set(variants.values())) == 3
    for text in variants.values():
        decisions = [r["accorde"] for r in rows(text)]
        assert 0.3 < decisions.count("1") / len(decisions) < 0.85
