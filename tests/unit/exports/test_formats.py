"""Export files as Excel opens them: CSV in UTF-8 with a BOM, CRLF, quoted text, bare numbers, no formula; XLSX
with text typed as text and right-to-left sheets for Arabic."""
import csv
import io
from datetime import date, datetime

import openpyxl
import pytest

from lms.exports.formats import csv_bytes, inert, xlsx_bytes


@pytest.mark.parametrize("text", ["=1+1", "+33 6", "-cmd", "@SUM(A1)", "\tx", "\rx"])
def test_a_text_that_would_start_a_formula_gets_an_apostrophe(text):
    assert inert(text) == "'" + text


@pytest.mark.parametrize("value", ["Salma", "سلمى", "a=b", -4, 3.5, None])
def test_other_values_stay_as_they_are(value):
    assert inert(value) == value


def test_csv_has_a_bom_crlf_quoted_text_and_bare_numbers():
    data = csv_bytes(["Nom", "Score", "Date"], [["=HYPERLINK(\"x\")", 7.5, date(2027, 1, 11)],
                                                ["سلمى بنعلي", -2, datetime(2027, 2, 3, 9, 30)], ["a", None, None]])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == '"Nom","Score","Date"'
    assert lines[1] == '"\'=HYPERLINK(""x"")",7.5,"2027-01-11"'
    assert lines[2] == '"سلمى بنعلي",-2,"2027-02-03 09:30"'
    assert lines[3] == '"a","",""' and lines[4] == ""
    assert list(csv.reader(io.StringIO(text)))[2][0] == "سلمى بنعلي"  # the name kept exactly


def test_xlsx_keeps_text_as_text_and_reads_right_to_left_for_arabic():
    data = xlsx_bytes("Fullstack Anfa", ["الاسم", "النقطة"], [["=SUM(A1:A9)", 4], ["سلمى", None]],
                      right_to_left=True)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Fullstack Anfa" and sheet.sheet_view.rightToLeft
    cells = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
    assert cells == [[("الاسم", "s"), ("النقطة", "s")], [("=SUM(A1:A9)", "s"), (4, "n")], [("سلمى", "s"), (None, "n")]]
    plain = openpyxl.load_workbook(io.BytesIO(xlsx_bytes("x" * 40, ["a"], []))).active
    assert not plain.sheet_view.rightToLeft and plain.title == "x" * 31  # Excel's limit on a sheet's name
