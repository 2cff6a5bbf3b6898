"""Finding cells of an export that a spreadsheet would run as a formula, and the text users typed.

An `.xlsx` cell is a formula when openpyxl reads it as one (`data_type == "f"`, an array or data
table formula) or when its sheet XML holds an `<f>` element; a CSV cell is one when it starts
with = + - @ TAB or CR and is neither a number nor neutralised with a leading `'` (the OWASP
rule). `formula_cells_from_user_text` counts those that hold text a user typed (the figure the
hardening report prints); `texts_in` lists every text of an export as a spreadsheet shows it
(`_xHHHH_` escapes decoded as Excel decodes them, the CSV `'` removed), to prove that the text
reads back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from submissions.excel.safe import iter_rows, open_workbook

# Formula-starting text, as users might type it in any field.
FORMULA_TEXTS = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
    "\uff1d1+1",  # a full-width equals sign: not a formula for Excel or LibreOffice, kept as typed
)
PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_F_ELEMENT = re.compile(rb"<(?:[^\s<>/:=\"']+:)?f[\s/>]")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class FormulaCell:
    where: str  # "sheet!B3", "part xl/worksheets/sheet1.xml" or "row 3, column 2"
    content: str


def kind_of(data: bytes) -> str:
    return "xlsx" if data[:4] == b"PK\x03\x04" else "csv"


def formula_cells(data: bytes) -> list[FormulaCell]:
    """Every cell of an .xlsx or CSV export that would run as a formula."""
    return _xlsx_formulas(data) if kind_of(data) == "xlsx" else _csv_formulas(data)


def _xlsx_formulas(data: bytes) -> list[FormulaCell]:
    found = []
    workbook = load_workbook(io.BytesIO(data))  # normal mode: every cell with its type
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula):
                    found.append(FormulaCell(f"{sheet.title}!{cell.coordinate}", str(cell.value)))
    # The sheet XML, read without openpyxl, must not hold more formulas than openpyxl saw.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        elements = sum(len(_F_ELEMENT.findall(archive.read(name))) for name in parts)
    return found + [FormulaCell("sheet XML", "<f> element")] * max(0, elements - len(found))


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _csv_formulas(data: bytes) -> list[FormulaCell]:
    return [
        FormulaCell(f"row {r}, column {c}", value)
        for r, row in enumerate(_csv_rows(data), start=1)
        for c, value in enumerate(row, start=1)
        if value.startswith(PREFIXES) and not _NUMBER.fullmatch(value)
    ]


def _core(text: str) -> str:
    return text.strip().lstrip("=+-@\uff1d").strip()


def from_user_text(cells: Iterable[FormulaCell], texts: Iterable[str] = FORMULA_TEXTS) -> list[FormulaCell]:
    """The formula cells whose content holds one of `texts` (what follows its formula sign)."""
    cores = {_core(t) for t in texts} - {""}
    return [cell for cell in cells if cell.content == "<f> element" or any(core in cell.content for core in cores)]


def formula_cells_from_user_text(data: bytes, texts: Iterable[str] = FORMULA_TEXTS) -> int:
    """How many cells of an export would run as a formula and came from user text (must be 0).

    An `<f>` element counts whatever it holds: no export writes formulas, so any is suspect.
    """
    return len(from_user_text(formula_cells(data), texts))


def texts_in(data: bytes) -> set[str]:
    """Every text cell of an export as a spreadsheet shows it (CSV: the neutralising `'` removed)."""
    if kind_of(data) == "csv":
        return {
            value[1:] if value.startswith("'") and value[1:].startswith(PREFIXES) else value
            for row in _csv_rows(data)
            for value in row
        }
    workbook = open_workbook(data)
    try:
        return {
            value
            for sheet in workbook.worksheets
            for row in iter_rows(sheet, max_rows=1_048_576, max_columns=16_384)
            for value in row
            if isinstance(value, str)
        }
    finally:
        workbook.close()
