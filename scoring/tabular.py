"""Reading and writing tables (CSV and XLSX) safely.

`read_table` refuses what could hurt the process before it parses anything: oversized files, zip
bombs, macro-enabled workbooks, external links and sheets whose declared size is absurd. Every
refusal is a `TableError` naming the file and saying what to do.

`write_table` never lets a cell become a formula: CSV text cells starting with `=`, `+`, `-`, `@`,
TAB or CR get a leading `'` (the OWASP CSV-injection rule), and XLSX text cells are written as
explicit string cells. The file is written next to its destination and moved into place, so a
failed write never leaves a partial file behind.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import math
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

MAX_CSV_BYTES = 200 * 1024 * 1024
MAX_XLSX_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ROWS = 1_100_000
MAX_COLUMNS = 500
_RATIO_CHECK_MIN_BYTES = 1024 * 1024  # tiny members (styles, themes) may compress very well
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_TYPES = (str, bool, int, float, Decimal, dt.datetime, dt.date, dt.time, dt.timedelta)


class TableError(ValueError):
    """A table cannot be read or written; `message` says what is wrong and what to do."""

    def __init__(self, path: str | os.PathLike[str], message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


# -- reading --------------------------------------------------------------------------------------


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A `.csv` or `.xlsx` file -> DataFrame; the first row holds the headers, empty cells are NA.

    CSV cells are read as text (UTF-8, with or without a byte-order mark). XLSX cells keep the
    type the workbook stores (text, number, boolean, date); formulas give their cached value. Row
    `i` of the frame is row `i + 2` of the sheet as a spreadsheet user counts it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix in (".xlsm", ".xltm"):
        raise TableError(
            path,
            "macro-enabled workbooks are not accepted; save the sheet as an .xlsx workbook "
            "(Excel Workbook) or as CSV UTF-8 and try again",
        )
    what = f"files ending in {suffix!r}" if suffix else "files without an extension"
    raise TableError(
        path,
        f"{what} cannot be read; save the table as CSV UTF-8 (.csv) or as an Excel workbook (.xlsx)",
    )


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            raise TableError(path, "this is a folder, not a file; give the path of the table file")
        if not path.is_file():
            raise TableError(path, "no such file; check the path and the file name")
        with path.open("rb"):
            pass  # readable?
        return path.stat().st_size
    except OSError as exc:
        raise TableError(path, f"cannot read the file ({exc.strerror}); check the path and permissions") from None


def _read_csv(path: Path) -> pd.DataFrame:
    if _size(path) > MAX_CSV_BYTES:
        raise TableError(path, f"the file is larger than {MAX_CSV_BYTES // 2**20} MB; split it into smaller files")
    try:
        raw = pd.read_csv(
            path,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except UnicodeDecodeError:
        raise TableError(
            path,
            "the file is not UTF-8 text; in Excel use Save As > 'CSV UTF-8 (Comma delimited)' and try again",
        ) from None
    except pd.errors.EmptyDataError:
        raise TableError(path, "the file is empty; the first row must hold the column headers") from None
    except pd.errors.ParserError as exc:
        raise TableError(
            path, f"the file is not a well-formed CSV table ({_first_line(exc)}); check quotes and commas"
        ) from None
    except OSError as exc:
        raise TableError(path, f"cannot read the file ({exc.strerror}); check the path and permissions") from None
    rows = raw.to_numpy(dtype=object)
    if rows.shape[1] > MAX_COLUMNS:
        raise TableError(path, f"the table has {rows.shape[1]} columns; at most {MAX_COLUMNS} are accepted")
    return _frame(path, rows.tolist())


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _check_archive(path: Path) -> None:
    """Refuse zip bombs, macros and external links before openpyxl opens anything."""
    if not zipfile.is_zipfile(path):
        raise TableError(
            path,
            "the file is not a valid .xlsx workbook (it is not a zip archive); re-save it from Excel as .xlsx",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError(
            path, f"the workbook is damaged ({_first_line(exc)}); re-save it from Excel as .xlsx"
        ) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise TableError(
            path,
            f"the workbook holds {len(members)} parts (at most {MAX_ZIP_MEMBERS} are accepted); "
            "copy the table into a new workbook and save that",
        )
    total = sum(m.file_size for m in members)
    compressed = sum(m.compress_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise TableError(
            path,
            f"the workbook unpacks to {total // 2**20} MB (at most {MAX_UNCOMPRESSED_BYTES // 2**20} MB "
            "are accepted); split the table into smaller files",
        )
    too_dense = total > compressed * MAX_COMPRESSION_RATIO or any(
        m.file_size > _RATIO_CHECK_MIN_BYTES and m.file_size > m.compress_size * MAX_COMPRESSION_RATIO for m in members
    )
    if too_dense:
        raise TableError(
            path,
            f"the workbook is compressed more than {MAX_COMPRESSION_RATIO}:1, which real tables never are; "
            "copy the table into a new workbook and save that",
        )
    names = [m.filename for m in members]
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise TableError(
            path,
            "the workbook contains macros (vbaProject.bin), which are not accepted; "
            "save it as an .xlsx workbook without macros and try again",
        )
    if any(name.lower().startswith("xl/externallinks/") for name in names):
        raise TableError(
            path,
            "the workbook links to other workbooks (external links), which are not accepted; "
            "in Excel use Data > Edit Links > Break Link, save and try again",
        )


def _read_xlsx(path: Path) -> pd.DataFrame:
    if _size(path) > MAX_XLSX_BYTES:
        raise TableError(path, f"the file is larger than {MAX_XLSX_BYTES // 2**20} MB; split it into smaller files")
    _check_archive(path)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise TableError(
            path, f"the workbook cannot be opened ({_first_line(exc)}); re-save it from Excel as .xlsx"
        ) from None
    try:
        if not workbook.worksheets:
            raise TableError(path, "the workbook has no worksheet; put the table on the first sheet")
        sheet = workbook.worksheets[0]
        max_row, max_column = sheet.max_row, sheet.max_column
        if (max_row or 0) > MAX_ROWS or (max_column or 0) > MAX_COLUMNS:
            raise TableError(
                path,
                f"the first sheet claims {max_row or 0:,} rows × {max_column or 0:,} columns; at most "
                f"{MAX_ROWS:,} rows × {MAX_COLUMNS} columns are accepted. Copy only the table into a "
                "new workbook and save that",
            )
        try:
            # A sheet without a dimension is read row by row; its size is checked as it goes.
            rows = _bounded_rows(path, sheet.iter_rows(values_only=True))
            return _frame(path, rows)
        except TableError:
            raise
        except Exception as exc:
            raise TableError(
                path, f"the first sheet cannot be read ({_first_line(exc)}); re-save it from Excel as .xlsx"
            ) from None
    finally:
        workbook.close()


def _bounded_rows(path: Path, rows: Iterable[tuple]) -> list[tuple]:
    """Rows without trailing empty ones; refuse more than MAX_ROWS rows or MAX_COLUMNS columns."""
    kept: list[tuple] = []
    pending_empty: list[tuple] = []
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise TableError(path, f"the first sheet has more than {MAX_ROWS:,} rows; split the table")
        if len(row) > MAX_COLUMNS and any(v is not None for v in row[MAX_COLUMNS:]):
            raise TableError(path, f"the first sheet has more than {MAX_COLUMNS} columns; delete the unused columns")
        if all(v is None or v == "" for v in row):
            pending_empty.append(row)
            continue
        if pending_empty:
            kept.extend(pending_empty)
            pending_empty = []
        kept.append(row[:MAX_COLUMNS])
    return kept


def _frame(path: Path, rows: list) -> pd.DataFrame:
    """Headers from the first row; empty columns dropped; empty strings -> NA; trailing blank rows dropped."""
    if not rows:
        raise TableError(path, "the table is empty; the first row must hold the column headers")
    width = max(len(r) for r in rows)
    header = list(rows[0]) + [None] * (width - len(rows[0]))
    names = [_header_name(v) for v in header]
    body = [tuple(r) + (None,) * (width - len(r)) for r in rows[1:]]
    data = np.array(body, dtype=object).reshape(len(body), width) if body else np.empty((0, width), object)
    blank = (pd.isna(data) | (data == "")) if data.size else np.zeros(data.shape, bool)
    data[blank] = pd.NA

    keep = []
    for position, name in enumerate(names):
        if name:
            keep.append(position)
        elif not blank[:, position].all():
            raise TableError(
                path,
                f"column {_column_letter(position + 1)} has values but no header; "
                "give it a header in the first row or delete it",
            )
    seen: dict[str, int] = {}
    for position in keep:
        name = names[position]
        if name in seen:
            raise TableError(
                path,
                f"the header {name!r} appears twice (columns {_column_letter(seen[name] + 1)} and "
                f"{_column_letter(position + 1)}); rename or delete one of them",
            )
        seen[name] = position
    if not keep:
        raise TableError(path, "the first row holds no column headers; put the headers in the first row")

    # Trailing rows that are entirely empty (common in spreadsheets) are not data.
    filled = ~blank[:, keep].all(axis=1) if data.size else np.zeros(len(body), bool)
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    frame = pd.DataFrame(data[:last][:, keep], columns=[names[p] for p in keep])
    return frame


def _header_name(value: object) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lstrip("\ufeff")


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# -- writing --------------------------------------------------------------------------------------


def neutralise(value: object) -> object:
    """OWASP CSV injection: text starting with = + - @ TAB or CR gets a leading `'`; others unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], sheet_name: str = "Sheet1") -> None:
    """Write `df` (without its index) to a `.csv` (UTF-8 with BOM) or `.xlsx` file, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise TableError(path, "the output must be a .csv or an .xlsx file; change the file name's ending")
    folder = path.parent if str(path.parent) else Path()
    if not folder.is_dir():
        raise TableError(path, f"the folder {str(folder)!r} does not exist; create it or choose another path")
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise TableError(
            path, f"cannot write in the folder ({exc.strerror}); choose a folder you may write to"
        ) from None
    os.close(descriptor)
    try:
        if suffix == ".csv":
            _write_csv(df, Path(temporary))
        else:
            _write_xlsx(df, Path(temporary), sheet_name)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise TableError(path, f"cannot write the file ({exc.strerror}); check the path and permissions") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in df.columns]
    for column in out.columns:
        series = out[column]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype | pd.CategoricalDtype):
            out[column] = series.astype(object).map(neutralise, na_action="ignore")
    out.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _write_xlsx(df: pd.DataFrame, path: Path, sheet_name: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_name))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def text_cell(value: str, font: Font | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=_excel_text(value))
        cell.data_type = "s"  # text stays text, even when it starts with '='
        if font is not None:
            cell.font = font
        return cell

    sheet.append([text_cell(str(c), bold) for c in df.columns])
    for row in _python_rows(df):
        sheet.append([text_cell(v) if isinstance(v, str) else v for v in row])
    workbook.save(path)


def _sheet_title(name: str) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name).strip("'") or "Sheet1"
    return cleaned[:31]


def _excel_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _python_rows(df: pd.DataFrame) -> Iterator[list]:
    """Rows as plain Python values openpyxl accepts: NA -> None, numpy scalars -> int/float/bool."""
    columns = [df[c].astype(object).to_numpy() for c in df.columns]
    for i in range(len(df)):
        yield [_python_value(column[i]) for column in columns]


def _python_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if not isinstance(value, _EXCEL_TYPES):
        value = str(value)  # anything else is written as its text
    return value
