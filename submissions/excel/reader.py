"""Fast, bounded reading of cell values from an archive that `safe.check_workbook` has accepted.

openpyxl's read-only mode spends most of its time building an object per shared string and per
cell (about 3 s to load and 2 s to iterate a 10,000 × 46 sheet). Here the workbook is still loaded by
openpyxl's own `ExcelReader` (manifest, workbook, sheets, styles) but shared strings are read
without per-string objects, and `parse_rows` reads a sheet's XML directly, giving the values
openpyxl's `iter_rows(values_only=True)` gives with `data_only=True`: shared and inline strings
(formatting runs joined, phonetic guides left out), numbers as int or float, dates for numbers
with a date style, booleans, error codes and the cached result of formulas. A test compares the
two on every cell type. One deliberate difference: text escapes `_xHHHH_` (Excel writes a typed
`_x0041_` as `_x005F_x0041_` and a carriage return as `_x000D_`) are decoded as Excel decodes
them, where openpyxl leaves them or, in shared strings only, drops `x005F_`.

Rows are bounded as they are read: a value below row `max_rows` or right of column
`max_columns` stops the read with `WorkbookRejected`, whatever the sheet's `<dimension>` claims.
Empty cells and trailing empty rows are not data and are never refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import iterparse

from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

from submissions.excel.errors import WorkbookRejected

_NS = "{%s}" % SHEET_MAIN_NS  # noqa: UP031 - a Clark-notation prefix, not a message
_ROW, _C, _V, _IS, _T, _R, _SI = (f"{_NS}{tag}" for tag in ("row", "c", "v", "is", "t", "r", "si"))
_DIGITS = "0123456789"
_HEAD_BYTES = 64 * 1024
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DIMENSION = re.compile(rb"<(?:[^\s<>/:=\"']+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")


class FastExcelReader(ExcelReader):
    """openpyxl's read-only reader, minus its two slow steps.

    Shared strings are read without an object per string, and a worksheet learns its size from
    the `<dimension>` near the top of its XML instead of parsing the whole sheet when there is
    none (openpyxl's own write-only mode writes none); such a sheet reports `max_row` None.
    """

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = read_shared_strings(source)

    def read_worksheets(self) -> None:
        if not self.read_only:
            super().read_worksheets()
            return
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            worksheet = _ReadOnlyWorksheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


class _ReadOnlyWorksheet(ReadOnlyWorksheet):
    def _get_size(self) -> None:
        with self._get_source() as source:
            head = source.read(_HEAD_BYTES)
        found = _DIMENSION.search(head)
        if found is None:
            return
        try:
            bounds = range_boundaries(found.group(1).decode("ascii").upper())
        except (ValueError, TypeError, UnicodeDecodeError):
            return
        if all(bounds):
            self._min_column, self._min_row, self._max_column, self._max_row = bounds


def read_shared_strings(source: IO[bytes]) -> list[str]:
    """The shared-string table as openpyxl reads it (runs joined, `x005F_` dropped)."""
    strings: list[str] = []
    append = strings.append
    for _, element in iterparse(source):  # noqa: S314 - check_workbook refused DOCTYPEs and non-UTF-8 XML
        if element.tag == _SI:
            append(_text(element))
            element.clear()
    return strings


def _text(element: object) -> str:
    """Plain text of an `<si>` or `<is>`: its own `<t>` and the `<t>` of each run, not phonetic text;
    `_xHHHH_` escapes decoded as Excel does (`_x005F_` is a literal underscore)."""
    parts = []
    for child in element:  # type: ignore[attr-defined]
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == _R:
            for grandchild in child:
                if grandchild.tag == _T:
                    parts.append(grandchild.text or "")
    text = "".join(parts)
    return _ESCAPE.sub(_unescape, text) if "_x" in text else text


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


class _Columns(dict):
    """Column letters -> index, computed once per distinct letters."""

    def __missing__(self, letters: str) -> int:
        index = column_index_from_string(letters.upper())
        self[letters] = index
        return index


def parse_rows(
    source: IO[bytes],
    shared_strings: list[str],
    *,
    date_styles: set[int] | frozenset[int] = frozenset(),
    timedelta_styles: set[int] | frozenset[int] = frozenset(),
    epoch: object = None,
    max_rows: int,
    max_columns: int,
    where: str,
) -> Iterator[tuple]:
    """Value tuples of a worksheet part, row 1 first; a gap gives `()`, trailing empty rows nothing.

    Each tuple ends at the row's last value. `where` names the sheet in messages.
    """
    columns = _Columns()
    expected = 1  # the next row number to yield
    counter = 0
    for _, element in iterparse(source):  # noqa: S314 - check_workbook refused DOCTYPEs and non-UTF-8 XML
        if element.tag != _ROW:
            continue
        number = element.get("r")
        try:
            counter = int(number) if number else counter + 1
        except ValueError:
            raise _damaged(where, f"row number {number!r}") from None
        values: dict[int, object] = {}
        column = 0
        for cell in element:
            if cell.tag != _C:
                continue
            ref = cell.get("r")
            try:
                column = columns[ref.rstrip(_DIGITS)] if ref else column + 1
                value = _value(cell, shared_strings, date_styles, timedelta_styles, epoch)
            except (ValueError, IndexError, OverflowError):
                raise _damaged(where, f"cell {ref or column!r}") from None
            if value is None:
                continue
            if column > max_columns and value != "":
                raise too_many_columns(where, column, counter, max_columns)
            values[column] = value
        element.clear()
        if not values or all(v == "" for v in values.values()):
            continue
        if counter > max_rows:
            raise too_many_rows(where, counter, max_rows)
        if counter < expected:
            raise _damaged(where, f"row {counter} (rows are out of order)")
        if counter > expected:
            yield from [()] * (counter - expected)
        row: list[object] = [None] * max(values)
        for position, value in values.items():
            row[position - 1] = value
        yield tuple(row)
        expected = counter + 1


def _value(
    cell: object,
    shared_strings: list[str],
    date_styles: set[int] | frozenset[int],
    timedelta_styles: set[int] | frozenset[int],
    epoch: object,
) -> object:
    kind = cell.get("t", "n")  # type: ignore[attr-defined]
    if kind == "inlineStr":
        inline = cell.find(_IS)  # type: ignore[attr-defined]
        return None if inline is None else _text(inline)
    value = cell.findtext(_V) or None  # type: ignore[attr-defined]
    if value is None:
        return None
    if kind == "n":
        number: int | float = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
        style = cell.get("s")  # type: ignore[attr-defined]
        if style and int(style) in date_styles:
            try:
                return from_excel(number, epoch, timedelta=int(style) in timedelta_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
    if kind == "s":
        return shared_strings[int(value)]
    if kind == "b":
        return bool(int(value))
    if kind == "d":
        return from_ISO8601(value)
    return value  # "str" (a formula's text result), "e" (an error code) and unknown kinds: the text


def _damaged(where: str, what: str) -> WorkbookRejected:
    return WorkbookRejected(
        "damaged",
        f"工作表“{where}”已损坏({what});请在Excel中重新另存为.xlsx文件。",
        f"The sheet “{where}” is damaged ({what}); re-save the workbook from Excel as .xlsx.",
    )


def too_many_rows(where: str, row: int, max_rows: int) -> WorkbookRejected:
    return WorkbookRejected(
        "too_many_rows",
        f"工作表“{where}”第{row}行有内容,最多只能有{max_rows}行(含表头);请删除多余的行,或拆分为多个文件分别上传。",
        f"The sheet “{where}” has content in row {row}, but at most {max_rows} rows (header included) are "
        "accepted; delete the extra rows or split the table into several files.",
    )


def too_many_columns(where: str, column: int, row: int, max_columns: int) -> WorkbookRejected:
    cell = f"{get_column_letter(column)}{row}"
    return WorkbookRejected(
        "too_many_columns",
        f"工作表“{where}”的单元格{cell}有内容,超出了最多{max_columns}列的范围;请删除表格右侧多余的列后重新上传。",
        f"The sheet “{where}” has content in cell {cell}, beyond the {max_columns} columns accepted; delete "
        "the extra columns on the right and upload again.",
    )
