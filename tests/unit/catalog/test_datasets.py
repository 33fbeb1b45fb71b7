"""The datasets of the pandas module (CSV files, an Excel workbook) are what scripts/generate_datasets.py writes: the
seeded generator and the committed files cannot drift apart (an edited file, or a changed generator not re-run)."""
import importlib.util
import io
import re
import zipfile
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
    for relative, content in expected.items():
        shipped_content = (folder / relative).read_bytes() if isinstance(content, bytes) else (
            (folder / relative).read_text(encoding="utf-8"))
        assert shipped_content == content, (
            f"{folder.name}/{relative} differs from the generator's: run python3 scripts/generate_datasets.py")


def headers(content: str | bytes) -> tuple:
    """A CSV file's header line; a workbook's sheets' header rows (its third row, under a title and an empty
    row), which every sheet shares."""
    if isinstance(content, str):
        return (content.splitlines()[0],)
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        sheets = sorted(n for n in workbook.namelist() if n.startswith("xl/worksheets/"))
        rows = {tuple(re.findall(r"<t>([^<]*)</t>", re.search(r'<row r="3">(.*?)</row>',
                                                              workbook.read(n).decode()).group(1))) for n in sheets}
    assert len(rows) == 1, rows
    return rows.pop()


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_every_variant_has_the_same_files_and_columns(folder, files):
    by_variant = {}
    for relative, text in files.items():
        exercise, _, variant, name = relative.split("/")
        if exercise == folder.name:
            by_variant.setdefault(variant, {})[name] = headers(text)
    assert sorted(by_variant) == sorted(generator.VARIANTS)
    assert len({tuple(sorted(found.items())) for found in by_variant.values()}) == 1


def test_the_generator_is_deterministic(files):
    assert generator.build_all() == files


def test_the_workbook_has_one_sheet_per_region_and_fixed_zip_timestamps(files):
    """Other regions (sheet names) in each variant, so that names copied from the example fail the hidden ones;
    and entries dated by the generator, not by the clock of the run that wrote them."""
    sheets = {}
    for variant in generator.VARIANTS:
        content = files[f"classeur-regions/data/{variant}/ventes_regions.xlsx"]
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            assert {info.date_time for info in workbook.infolist()} == {generator.XLSX_FIXED_TIME}
            assert workbook.testzip() is None
            sheets[variant] = re.findall(r'<sheet name="([^"]+)"', workbook.read("xl/workbook.xml").decode())
        assert sheets[variant] == generator.CLASSEUR[variant]["regions"]
    assert sheets["exemple"] != sheets["autre"] != sheets["troisieme"]
