"""The files an export is written as. CSV for Excel: UTF-8 with a BOM (Excel reads Arabic right only then), CRLF,
text quoted, numbers as numbers, and no cell Excel would take for a formula. XLSX: text cells typed as text, the
sheet right to left when the headers are Arabic."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from numbers import Number

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """A text cell that would start a formula in a spreadsheet gets an apostrophe first (shown, never evaluated)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plain(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, Number)):
        return value
    return str(value)


def csv_bytes(columns: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    # QUOTE_NONNUMERIC quotes every text cell and leaves numbers bare, so Excel keeps them numbers.
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow([inert(str(c)) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else inert(v if isinstance(v, Number) and not isinstance(v, bool)
                                                   else str(plain(v))) for v in row])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheet_title: str, columns: list[str], rows: list[list], right_to_left: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title[:31] or "export")
    if right_to_left:
        sheet.sheet_view.rightToLeft = True

    def cell(value):
        value = plain(value)
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"  # a text starting with "=" stays text: openpyxl would write it as a formula
        return written

    sheet.append([cell(str(c)) for c in columns])
    for row in rows:
        sheet.append([cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
