"""Writing user text so that it is never a formula.

Text from users (titles, organisation names, comments, reasons) may start with `=`, `+`, `-`,
`@`, TAB or CR; a spreadsheet would run it (`=HYPERLINK(...)`, DDE). In workbooks every text is
written as an explicit string cell (openpyxl: `data_type = "s"`; XlsxWriter: `write_string`),
so it reads back as the same text and no `<f>` element is ever written for it. In CSV, which has
no cell types, such text gets a leading `'` (the OWASP rule, `scoring.tabular.neutralise`).
CSV files are UTF-8 with a byte-order mark so that Excel shows Chinese correctly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from scoring.tabular import neutralise, plain_value

__all__ = ["FORMULA_PREFIXES", "csv_bytes", "looks_like_formula", "plain", "put_text", "write_text", "write_value"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXCEL_TEXT_MAX = 32_767
_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def excel_text(text: str) -> str:
    """Text a cell can hold: XML-illegal control characters removed, lone surrogates (which no file can
    encode; they come back from uploads only to be reported) as U+FFFD, at most 32,767 characters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:EXCEL_TEXT_MAX]


def put_text(cell: object, text: str) -> object:
    """Set an openpyxl cell (normal or write-only) to `text` as a string cell, never a formula.

    openpyxl writes `_xHHHH_` as is, which Excel would show as the escaped character; such text is
    escaped (`_x005F_`) so that Excel shows what was written, as XlsxWriter does. A carriage return
    is written as `_x000D_`, as XlsxWriter writes it: XML readers turn a raw one into a line feed.
    """
    text = excel_text(text)
    if "_x" in text:
        text = _ESCAPE.sub(r"_x005F\g<0>", text)
    cell.value = text.replace("\r", "_x000D_") if "\r" in text else text  # type: ignore[attr-defined]
    cell.data_type = "s"  # type: ignore[attr-defined]
    return cell


def write_text(worksheet: object, row: int, column: int, text: str, cell_format: object = None) -> None:
    """XlsxWriter: `text` as a string cell (the workbook must not turn strings into formulas)."""
    worksheet.write_string(row, column, excel_text(text), cell_format)  # type: ignore[attr-defined]


def plain(value: object) -> object:
    """A plain Python value for a cell (see `scoring.tabular.plain_value`)."""
    return plain_value(value)


def write_value(
    worksheet: object,
    row: int,
    column: int,
    value: object,
    cell_format: object = None,
    date_format: object = None,
) -> None:
    """XlsxWriter: numbers as numbers, dates as dates, booleans as booleans, anything else as text."""
    value = plain(value)
    if value is None:
        if cell_format is not None:
            worksheet.write_blank(row, column, None, cell_format)  # type: ignore[attr-defined]
    elif isinstance(value, bool):
        worksheet.write_boolean(row, column, value, cell_format)  # type: ignore[attr-defined]
    elif isinstance(value, int | float):
        worksheet.write_number(row, column, value, cell_format)  # type: ignore[attr-defined]
    elif isinstance(value, dt.datetime | dt.date):
        worksheet.write_datetime(row, column, value, date_format or cell_format)  # type: ignore[attr-defined]
    else:
        write_text(worksheet, row, column, str(value), cell_format)


def csv_bytes(frame_or_rows: pd.DataFrame | Iterable[Sequence[object]], headers: Sequence[str] | None = None) -> bytes:
    """A CSV file (UTF-8 with BOM, CRLF) whose text cells cannot run as formulas.

    `frame_or_rows` is a DataFrame (its columns are the headers unless `headers` is given) or rows
    of values with `headers`. Missing values are empty; text starting with = + - @ TAB or CR gets
    a leading `'`; numbers are written as numbers, so a negative number stays a number.
    """
    if isinstance(frame_or_rows, pd.DataFrame):
        names = list(headers) if headers is not None else [str(c) for c in frame_or_rows.columns]
        columns = [frame_or_rows[c].astype(object).tolist() for c in frame_or_rows.columns]
        rows: Iterable[Sequence[object]] = zip(*columns, strict=True) if columns else ()
    else:
        names = list(headers or [])
        rows = frame_or_rows
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in names])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: object) -> object:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    return value
