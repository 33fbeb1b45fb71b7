"""Reading an uploaded file of learners into lines: CSV (encoding from the BOM, else UTF-8, else Windows-1256, as
Arabic Excel saves it; delimiter `,` `;` or tab) or XLSX; header names in French, Arabic or English, whatever the
case or accents; cells trimmed, names otherwise kept exactly as written."""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
FORMATS = (".csv", ".txt", ".xlsx")

# Each column's accepted header names, compared by `header_key` (case, accents, spaces and punctuation ignored).
HEADERS = {
    "email": ("email", "e-mail", "mail", "courriel", "adresse email", "adresse e-mail", "adresse électronique",
              "email address", "البريد الإلكتروني", "البريد الالكتروني", "البريد", "الإيميل"),
    "name": ("name", "full name", "nom", "nom complet", "nom et prénom", "prénom et nom", "الاسم",
             "الاسم الكامل", "الاسم والنسب"),
    "first_name": ("first name", "given name", "prénom", "الاسم الشخصي"),
    "last_name": ("last name", "surname", "family name", "nom de famille", "النسب", "الاسم العائلي", "اللقب"),
    "cohort": ("cohort", "cohort id", "cohorte", "promotion", "الفوج", "رقم الفوج"),
}
# The extra column of our own error file, so a corrected error file can be sent again as it is.
IGNORED_HEADERS = ("error", "erreur", "خطأ", "الخطأ")


class FileRefused(Exception):
    """The whole file cannot be read as learners: its message says why (shown with a 400)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def header_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("\u0640", ""))  # tatweel only stretches a letter
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[\W_]+", "", bare)


COLUMN_OF_HEADER = {header_key(alias): column for column, aliases in HEADERS.items() for alias in aliases}
IGNORED_KEYS = {header_key(alias) for alias in IGNORED_HEADERS}


@dataclass(frozen=True)
class Line:
    number: int  # in the file, the header being line 1
    cells: list[str]  # as read, trimmed: the error file gives them back
    email: str
    name: str
    cohort: str

    def as_json(self) -> dict:
        return {"line": self.number, "cells": self.cells, "email": self.email, "name": self.name,
                "cohort": self.cohort}


def expected_headers() -> str:
    return str(_l("email (e-mail, courriel, البريد الإلكتروني); name (nom, nom complet, الاسم) or first name and "
                  "last name (prénom, nom de famille); cohort (cohorte, الفوج): its name or number"))


def read_file(filename: str, data: bytes, cohort_optional: bool = False) -> tuple[list[str], list[Line]]:
    """(the header row, the lines that are not empty); FileRefused when the file as a whole is unusable."""
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in FORMATS:
        raise FileRefused(_l("Send a .csv or .xlsx file."))
    if len(data) > MAX_BYTES:
        raise FileRefused(_l("The file is larger than %(size)s MB.", size=MAX_BYTES // (1024 * 1024)))
    table = xlsx_rows(data) if extension == ".xlsx" else csv_rows(data)
    table = [(number, cells) for number, cells in table if any(cells)]
    if not table:
        raise FileRefused(_l("The file is empty."))
    (_, headers), body = table[0], table[1:]
    if not body:
        raise FileRefused(_l("The file has a header row but no learner."))
    if len(body) > MAX_ROWS:
        raise FileRefused(_l("The file has %(count)s lines; at most %(max)s at a time.", count=len(body),
                             max=MAX_ROWS))
    columns = column_positions(headers, cohort_optional)

    def cell(cells: list[str], column: str) -> str:
        position = columns.get(column)
        return cells[position] if position is not None and position < len(cells) else ""

    lines = []
    for number, cells in body:
        name = cell(cells, "name") or " ".join(part for part in (cell(cells, "first_name"), cell(cells, "last_name"))
                                               if part)
        lines.append(Line(number, cells, cell(cells, "email"), name, cell(cells, "cohort")))
    return headers, lines


def column_positions(headers: list[str], cohort_optional: bool) -> dict[str, int]:
    columns: dict[str, int] = {}
    for position, header in enumerate(headers):
        key = header_key(header)
        if not key or key in IGNORED_KEYS:
            continue
        column = COLUMN_OF_HEADER.get(key)
        if column is None:
            raise FileRefused(_l("Unknown column “%(header)s”. The columns are: %(expected)s.", header=header,
                                 expected=expected_headers()))
        if column in columns:
            raise FileRefused(_l("The column “%(header)s” appears twice.", header=header))
        columns[column] = position
    # "Prénom; Nom" (or "الاسم; النسب"): beside a first or a last name, the plain name column is the other part.
    if "name" in columns and ("first_name" in columns) != ("last_name" in columns):
        columns["last_name" if "first_name" in columns else "first_name"] = columns.pop("name")
    has_name = "name" in columns or "first_name" in columns or "last_name" in columns
    if "email" not in columns or not has_name or ("cohort" not in columns and not cohort_optional):
        raise FileRefused(_l("Some columns are missing. The columns are: %(expected)s.", expected=expected_headers()))
    return columns


def decode(data: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise FileRefused(_l("The file's characters cannot be read: save it as CSV UTF-8.")) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1256", errors="replace")  # Excel's "CSV" on an Arabic Windows


def csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    text = decode(data)
    if "\x00" in text:
        raise FileRefused(_l("This is not a CSV file: save it as CSV UTF-8 or XLSX."))
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # The header names hold none of these: the one the header row uses most is the delimiter.
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, start = [], 1
    try:
        for record in reader:
            rows.append((start, [cell.strip() for cell in record]))
            start = reader.line_num + 1
    except csv.Error:
        raise FileRefused(_l("The CSV file is malformed near line %(line)s.", line=start)) from None
    return rows


def xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileRefused(_l("This XLSX file cannot be read.")) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 100 and len(rows) > MAX_ROWS + 1:
                break  # enough to refuse the file: no need to read a million rows
            rows.append((number, [cell_text(value) for value in values]))
        return rows
    finally:
        book.close()


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a cohort number typed as 12 is stored as 12.0
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\x00", "").strip()
