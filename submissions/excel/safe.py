"""Opening uploaded workbooks without letting them hurt the process.

`open_workbook` refuses, before any XML parser sees the file: more than `max_bytes`; anything but
a zip archive (old .xls, CSV text, images, programs renamed to .xlsx); too many parts, too much
unpacked data in all or in one part, compression beyond 100:1 (zip bombs); macros and external
links; XML that is not UTF-8 or declares a DOCTYPE or entities (billion laughs); sheets whose
declared `<dimension>`, row count, cell count or shared-string count exceed `LIMITS`. These checks
are `scoring.tabular.check_xlsx`, shared with the command line's table reader. Only then is the
workbook opened by openpyxl (read-only, cached values instead of formulas, external links
dropped), and `iter_rows` reads a sheet bounded in rows and columns whatever its dimension claims.

Every refusal is a `WorkbookRejected` with a Chinese and an English message.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from openpyxl.workbook.workbook import Workbook

from scoring.tabular import XlsxLimits, XlsxRefused, check_xlsx
from submissions.excel.errors import WorkbookRejected
from submissions.excel.reader import FastExcelReader, parse_rows, too_many_columns, too_many_rows

__all__ = [
    "LIMITS",
    "MAX_UPLOAD_BYTES",
    "SheetValues",
    "WorkbookRejected",
    "check_workbook",
    "iter_rows",
    "normalise_title",
    "open_workbook",
    "read_sheet",
]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
LIMITS = XlsxLimits(
    members=1_000,
    total_bytes=200 * 2**20,
    member_bytes=100 * 2**20,
    compression_ratio=100,
    rows=100_000,
    columns=1_000,
    cells=1_500_000,
    shared_strings=1_500_000,
)


def check_workbook(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Raise `WorkbookRejected` unless `data` is an .xlsx archive within `max_bytes` and `LIMITS`."""
    if len(data) > max_bytes:
        raise WorkbookRejected(
            "too_large",
            f"文件大小为{_megabytes(len(data), up=True)},超过了{_megabytes(max_bytes)}的上限;请删除无关的工作表、"
            "图片后重新保存,或拆分为多个文件分别上传。",
            f"The file is {_megabytes(len(data), up=True)}, more than the {_megabytes(max_bytes)} accepted; delete "
            "sheets and pictures that are not needed and save again, or split it into several files.",
        )
    if not data:
        raise WorkbookRejected(
            "empty",
            "上传的文件是空的;请重新选择Excel工作簿。",
            "The uploaded file is empty; choose the Excel workbook again.",
        )
    try:
        check_xlsx(io.BytesIO(data), LIMITS)
    except XlsxRefused as refused:
        raise WorkbookRejected(refused.code, refused.message_zh, _sentence(refused.message_en)) from None


def open_workbook(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Workbook:
    """The checked workbook, opened read-only with cached values (`read_only`, `data_only`, no links).

    Close it (`workbook.close()`) when done. Read its sheets with `iter_rows`, which is bounded.
    """
    check_workbook(data, max_bytes=max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops; not the user's concern
            reader = FastExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
            reader.read()
    except Exception as exc:  # openpyxl raises many types for damaged files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WorkbookRejected(
            "damaged",
            f"工作簿无法打开({first});请在Excel中重新另存为.xlsx文件后再上传。",
            f"The workbook cannot be opened ({first}); re-save it from Excel as .xlsx and upload it again.",
        ) from None
    return reader.wb


def iter_rows(sheet: object, *, max_rows: int, max_columns: int) -> Iterator[tuple]:
    """Value tuples of `sheet`, row 1 first, each ending at the row's last value.

    A gap gives `()`; trailing empty rows give nothing. A value below row `max_rows` or right of
    column `max_columns` raises `WorkbookRejected` (the sheet's declared dimension is not trusted).
    """
    where = getattr(sheet, "title", "")
    source = getattr(sheet, "_get_source", None)
    strings = getattr(sheet, "_shared_strings", None)
    parent = getattr(sheet, "parent", None)
    if callable(source) and strings is not None and parent is not None:
        with source() as stream:
            yield from parse_rows(
                stream,
                strings,
                date_styles=getattr(parent, "_date_formats", None) or frozenset(),
                timedelta_styles=getattr(parent, "_timedelta_formats", None) or frozenset(),
                epoch=parent.epoch,
                max_rows=max_rows,
                max_columns=max_columns,
                where=where,
            )
        return
    # A sheet already in memory (openpyxl's normal mode): bounding only keeps the contract alike.
    yield from _bounded(sheet.iter_rows(values_only=True), max_rows, max_columns, where)  # type: ignore[attr-defined]


def _bounded(rows: Iterator[tuple], max_rows: int, max_columns: int, where: str) -> Iterator[tuple]:
    pending = 0
    for number, row in enumerate(rows, start=1):
        last = max((i for i, v in enumerate(row, start=1) if v is not None and v != ""), default=0)
        if not last:
            pending += 1
            continue
        if number > max_rows:
            raise too_many_rows(where, number, max_rows)
        if last > max_columns:
            raise too_many_columns(where, last, number, max_columns)
        yield from [()] * pending
        pending = 0
        yield tuple(row[:last])


@dataclass(frozen=True)
class SheetValues:
    """The values of one sheet: `rows[i]` is spreadsheet row `i + 1`; `titles` lists every sheet."""

    title: str
    rows: list[tuple]
    titles: tuple[str, ...]


def read_sheet(
    data: bytes,
    *,
    prefer: Sequence[str] = (),
    max_rows: int,
    max_columns: int,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> SheetValues:
    """Check and open `data`, then read one worksheet: the first whose title matches one of `prefer`
    (compared by `normalise_title`), else the first worksheet."""
    workbook = open_workbook(data, max_bytes=max_bytes)
    try:
        sheets = list(workbook.worksheets)
        if not sheets:
            raise WorkbookRejected(
                "no_sheet",
                "工作簿中没有工作表;请使用下载的模板填写。",
                "The workbook has no worksheet; fill in the downloaded template.",
            )
        wanted = [normalise_title(p) for p in prefer]
        chosen = next((s for w in wanted for s in sheets if normalise_title(s.title) == w), sheets[0])
        rows = list(iter_rows(chosen, max_rows=max_rows, max_columns=max_columns))
        return SheetValues(chosen.title, rows, tuple(s.title for s in sheets))
    finally:
        workbook.close()


def normalise_title(title: str) -> str:
    """Titles compare without case, spaces or width differences: `申报表Applications` matches."""
    return "".join(unicodedata.normalize("NFKC", title).casefold().split())


def _megabytes(size: int, *, up: bool = False) -> str:
    """`size` in MB to one decimal; `up` rounds up, so a file just over a limit never reads as the limit."""
    tenths = -(-size * 10 // 2**20) if up else round(size * 10 / 2**20)
    return f"{tenths / 10:.1f} MB"


def _sentence(text: str) -> str:
    """The shared checks speak in clauses for the command line; here each message is a sentence."""
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."
