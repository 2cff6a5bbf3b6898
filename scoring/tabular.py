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

import codecs
import contextlib
import csv
import datetime as dt
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO
from xml.parsers import expat
from xml.sax.saxutils import unescape

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
    """Refuse zip bombs, macros, external links and hostile XML before openpyxl opens anything."""
    try:
        check_xlsx(path)
    except XlsxRefused as refused:
        raise TableError(path, refused.message_en) from None


# -- archive checks shared with submissions.excel -------------------------------------------------

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
_CHUNK = 1 << 20
# A tag that may open a row, a cell or a shared string, with any namespace prefix (any bytes but
# delimiters, so that a non-ASCII prefix cannot hide a tag from the count).
_TAG = re.compile(rb"<(?:[^\s<>/:=\"']+:)?(row|c|si)[\s/>]")
_DIMENSION = re.compile(rb"<(?:[^\s<>/:=\"']+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_SHEET = re.compile(rb"<(?:[^\s<>/:=\"']+:)?(?:sheet|Relationship)\s[^>]*>")
_ATTRIBUTE = re.compile(rb"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_WIDE_SIGNATURES = (
    b"\x00\x00\xfe\xff",
    b"\xff\xfe\x00\x00",
    b"\xfe\xff",
    b"\xff\xfe",
    b"\x00\x00\x00<",
    b"<\x00\x00\x00",
    b"\x00<",
    b"<\x00",
    b"\x4c\x6f\xa7\x94",  # EBCDIC "<?xm"
)
_ASCII_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii"}


@dataclass(frozen=True)
class XlsxLimits:
    """What an .xlsx archive may hold, checked from its directory and raw XML before any parsing.

    `rows` and `columns` bound each sheet's declared `<dimension>`; `rows` also bounds the number
    of row elements of one part. `cells` (cell elements per part), `row_cells` (cell elements in
    one row) and `shared_strings` bound what an XML parser would have to build; None means no
    bound beyond the byte limits.
    """

    members: int = MAX_ZIP_MEMBERS
    total_bytes: int = MAX_UNCOMPRESSED_BYTES
    member_bytes: int = MAX_UNCOMPRESSED_BYTES
    compression_ratio: int = MAX_COMPRESSION_RATIO
    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS
    cells: int | None = None
    row_cells: int = EXCEL_MAX_COLUMNS
    shared_strings: int | None = None


class XlsxRefused(ValueError):
    """An .xlsx archive refused before parsing: a stable `code` and a message in each language."""

    def __init__(self, code: str, message_en: str, message_zh: str):
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh
        super().__init__(message_en)


class _RootReached(Exception):
    """The XML prolog is over: no DOCTYPE can follow."""


def check_xlsx(source: str | os.PathLike[str] | IO[bytes], limits: XlsxLimits | None = None) -> None:
    """Raise `XlsxRefused` unless `source` (a path or a binary file object) is a plain, bounded .xlsx.

    Refused: anything but a zip archive (with a hint for old .xls files, CSV text and images); too
    many parts; too much unpacked data in all or one part; compression beyond the ratio (zip
    bombs); macros (vbaProject.bin or a macro content type); external links; XML in another
    encoding than UTF-8 or with a DOCTYPE or entity declaration (billion laughs); sheets whose
    declared dimension, rows, cells or shared strings exceed `limits`. Only the zip directory and
    the raw bytes are read; the declared member sizes bound every read (zipfile stops there).
    """
    limits = limits or XlsxLimits()
    if not zipfile.is_zipfile(source):
        raise _not_a_workbook(_sniff(source))
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            _check_directory(members, limits)
            titles = _sheet_titles(archive, members, limits)
            for member in members:
                _scan_member(archive, member, limits, titles)
            _require_workbook_part(archive, members)
    except XlsxRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise _damaged_archive(exc) from None


_CRC_MISMATCH = re.compile(r"Bad CRC-32 for file '([^']*)'")


def _damaged_archive(exc: Exception) -> XlsxRefused:
    crc = _CRC_MISMATCH.search(str(exc))
    if crc is not None:
        # A part longer than its directory entry says (or altered): a lying zip bomb reads as this.
        what_en = f"the part “{crc.group(1)}” does not match the size and checksum the archive records"
        what_zh = f"部件“{crc.group(1)}”的内容与压缩包记录的大小和校验值不符"
    else:
        what_en = what_zh = _first_line(exc)
    return XlsxRefused(
        "damaged",
        f"the workbook is damaged ({what_en}); re-save it from Excel as .xlsx",
        f"工作簿已损坏({what_zh});请在Excel中重新另存为.xlsx文件。",
    )


_WORKBOOK_TYPES = (b"spreadsheetml.sheet.main+xml", b"spreadsheetml.template.main+xml")


def _require_workbook_part(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    """A zip archive without a workbook part is another kind of file (a Word document, a plain zip)."""
    types = next((m for m in members if m.filename == "[Content_Types].xml"), None)
    if types is not None and types.file_size <= 16 * 2**20:
        declared = archive.read(types).lower()
        if any(kind in declared for kind in _WORKBOOK_TYPES):
            return
    names = [m.filename.lower() for m in members]
    if any(name.startswith("word/") for name in names):
        what_en, what_zh = "it is a Word document", "它是Word文档"
    elif any(name.startswith("ppt/") for name in names):
        what_en, what_zh = "it is a PowerPoint presentation", "它是PowerPoint演示文稿"
    else:
        what_en, what_zh = "it is a zip archive without a workbook inside", "它是不含工作簿的zip压缩包"
    raise XlsxRefused(
        "not_xlsx",
        f"the file is not a valid .xlsx workbook ({what_en}); upload the Excel workbook itself",
        f"该文件不是有效的.xlsx工作簿({what_zh});请上传Excel工作簿本身。",
    )


def _sniff(source: str | os.PathLike[str] | IO[bytes]) -> bytes:
    if hasattr(source, "read"):
        source.seek(0)  # type: ignore[union-attr]
        head = source.read(512)  # type: ignore[union-attr]
        source.seek(0)  # type: ignore[union-attr]
        return head
    try:
        with open(source, "rb") as stream:
            return stream.read(512)
    except OSError:
        return b""


def _not_a_workbook(head: bytes) -> XlsxRefused:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        what_en = "it is an old-style .xls workbook or a password-protected one"
        what_zh = "它是旧版.xls工作簿或设置了打开密码的工作簿"
        fix_en, fix_zh = (
            "remove any password and save it as .xlsx (Excel Workbook)",
            "请取消密码并另存为.xlsx(Excel工作簿)",
        )
    elif head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"\x7fELF", b"MZ")):
        what_en, what_zh = "it is an image, a PDF or a program", "它是图片、PDF或程序文件"
        fix_en, fix_zh = "upload the Excel workbook itself", "请上传Excel工作簿本身"
    elif head and _looks_like_text(head):
        what_en, what_zh = "it is plain text, such as CSV", "它是纯文本(如CSV)"
        fix_en, fix_zh = "open it in Excel and save it as .xlsx", "请用Excel打开后另存为.xlsx"
    else:
        what_en, what_zh = "it is not a zip archive", "它不是zip压缩格式"
        fix_en, fix_zh = "re-save it from Excel as .xlsx", "请在Excel中重新另存为.xlsx"
    return XlsxRefused(
        "not_xlsx",
        f"the file is not a valid .xlsx workbook ({what_en}); {fix_en}",
        f"该文件不是有效的.xlsx工作簿({what_zh});{fix_zh}。",
    )


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 text such as a CSV file."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if text and all(c.isprintable() or c in "\r\n\t" for c in text):
            return True
    return False


def _check_directory(members: list[zipfile.ZipInfo], limits: XlsxLimits) -> None:
    if len(members) > limits.members:
        raise XlsxRefused(
            "too_many_parts",
            f"the workbook holds {len(members)} parts (at most {limits.members} are accepted); "
            "copy the table into a new workbook and save that",
            f"工作簿包含{len(members)}个部件(最多{limits.members}个);请将表格复制到新工作簿后保存再上传。",
        )
    total = sum(m.file_size for m in members)
    compressed = sum(m.compress_size for m in members)
    if total > limits.total_bytes:
        raise XlsxRefused(
            "too_large_unpacked",
            f"the workbook unpacks to {total // 2**20} MB (at most {limits.total_bytes // 2**20} MB "
            "are accepted); split the table into smaller files",
            f"工作簿解压后为{total // 2**20} MB(最多{limits.total_bytes // 2**20} MB);请拆分为多个较小的文件。",
        )
    largest = max(members, key=lambda m: m.file_size, default=None)
    if largest is not None and largest.file_size > limits.member_bytes:
        raise XlsxRefused(
            "part_too_large",
            f"the workbook part “{largest.filename}” unpacks to {largest.file_size // 2**20} MB (at most "
            f"{limits.member_bytes // 2**20} MB per part are accepted); split the table into smaller files",
            f"工作簿部件“{largest.filename}”解压后为{largest.file_size // 2**20} MB"
            f"(每个部件最多{limits.member_bytes // 2**20} MB);请拆分为多个较小的文件。",
        )
    ratio = limits.compression_ratio
    too_dense = total > compressed * ratio or any(
        m.file_size > _RATIO_CHECK_MIN_BYTES and m.file_size > m.compress_size * ratio for m in members
    )
    if too_dense:
        raise XlsxRefused(
            "compression_ratio",
            f"the workbook is compressed more than {ratio}:1, which real tables never are; "
            "copy the table into a new workbook and save that",
            f"工作簿的压缩比超过{ratio}:1,正常表格不会如此;请将表格复制到新工作簿后保存再上传。",
        )
    names = [m.filename.lower() for m in members]
    if any(name.endswith("vbaproject.bin") for name in names):
        raise _macros("vbaProject.bin")
    if any(name.startswith("xl/externallinks/") for name in names):
        raise _external_links()


def _macros(where: str) -> XlsxRefused:
    return XlsxRefused(
        "macros",
        f"the workbook contains macros ({where}), which are not accepted; "
        "save it as an .xlsx workbook without macros and try again",
        f"工作簿含有宏({where}),不予接收;请另存为不含宏的.xlsx工作簿后重新上传。",
    )


def _external_links() -> XlsxRefused:
    return XlsxRefused(
        "external_links",
        "the workbook links to other workbooks (external links), which are not accepted; "
        "in Excel use Data > Edit Links > Break Link, save and try again",
        "工作簿含有指向其他工作簿的外部链接,不予接收;请在Excel中选择“数据 > 编辑链接 > 断开链接”,保存后重新上传。",
    )


def _sheet_titles(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: XlsxLimits) -> dict[str, str]:
    """Worksheet part name -> sheet title, for messages; best effort (a part name where unknown)."""
    by_name = {m.filename: m for m in members}
    workbook = by_name.get("xl/workbook.xml")
    rels = by_name.get("xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None or max(workbook.file_size, rels.file_size) > 16 * 2**20:
        return {}
    for member in (workbook, rels):
        _scan_member(archive, member, limits, {})
    targets: dict[str, str] = {}
    for tag in _SHEET.findall(archive.read(rels)):
        attributes = _attributes(tag)
        if "Id" in attributes and "Target" in attributes:
            target = attributes["Target"]
            targets[attributes["Id"]] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    titles: dict[str, str] = {}
    for tag in _SHEET.findall(archive.read(workbook)):
        attributes = _attributes(tag)
        rid = next((v for k, v in attributes.items() if k.endswith(":id")), None)
        if "name" in attributes and rid in targets:
            titles[targets[rid]] = attributes["name"]
    return titles


def _attributes(tag: bytes) -> dict[str, str]:
    found = {}
    for name, double, single in _ATTRIBUTE.findall(tag):
        value = double if double or not single else single
        found[name.decode("utf-8", "replace")] = unescape(
            value.decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"}
        )
    return found


def _scan_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: XlsxLimits, titles: dict[str, str]) -> None:
    """Stream one part: its XML prolog through expat, its tags through a byte pattern."""
    if member.is_dir():
        return  # any other part is looked at: a sheet may be stored under any name
    where = titles.get(member.filename, member.filename)
    is_content_types = member.filename == "[Content_Types].xml"
    parser = _prolog_parser(member.filename)
    in_prolog = True
    pending = b""
    rows = cells = row_cells = strings = 0
    dimension_seen = False
    with archive.open(member) as stream:
        first = sniffing = True
        while chunk := stream.read(_CHUNK):
            if sniffing:
                # XML may start with any amount of whitespace; what follows it decides.
                if first and chunk.startswith(_WIDE_SIGNATURES):
                    raise _not_utf8(member.filename)
                first = False
                start = chunk.lstrip(b"\xef\xbb\xbf \t\r\n")
                if start and not start.startswith(b"<"):
                    return  # not XML (an image, a printer setting): no parser reads it as such
                sniffing = not start
            if in_prolog:
                in_prolog = _feed_prolog(parser, chunk, member.filename)
            if is_content_types:
                lowered = chunk.lower()
                if b"macroenabled" in lowered or b"vbaproject" in lowered:
                    raise _macros("macro content type")
                if b"externallink" in lowered:
                    raise _external_links()
            cut = chunk.rfind(b"<")
            text, pending = (pending + chunk[:cut], chunk[cut:]) if cut >= 0 else (pending + chunk, b"")
            if not dimension_seen and (found := _DIMENSION.search(text)):
                dimension_seen = True
                _check_dimension(found.group(1), where, limits)
            for tag in _TAG.findall(text):
                if tag == b"c":
                    cells += 1
                    row_cells += 1
                    if row_cells > limits.row_cells or (limits.cells is not None and cells > limits.cells):
                        raise _too_many_cells(where, limits, one_row=row_cells > limits.row_cells)
                elif tag == b"row":
                    rows += 1
                    row_cells = 0
                    if rows > limits.rows:
                        raise _too_big(where, f"more than {limits.rows:,} rows", f"超过{limits.rows:,}行", limits)
                else:
                    strings += 1
                    if limits.shared_strings is not None and strings > limits.shared_strings:
                        raise _too_big(
                            where,
                            f"more than {limits.shared_strings:,} distinct texts",
                            f"超过{limits.shared_strings:,}个不同的文本",
                            limits,
                        )
        if in_prolog and not sniffing:
            _feed_prolog(parser, b"", member.filename, final=True)


def _prolog_parser(name: str) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(*_args: object) -> None:
        raise XlsxRefused(
            "xml_doctype",
            f"the workbook part “{name}” declares a DOCTYPE or entities, which workbooks saved by Excel "
            "never do and which can be used to exhaust memory; re-save the workbook from Excel as .xlsx",
            f"工作簿部件“{name}”含有DOCTYPE或实体声明(Excel保存的工作簿不会有,且可被用于耗尽内存);"
            "请在Excel中重新另存为.xlsx文件。",
        )

    def declaration(_version: str, encoding: str | None, _standalone: int) -> None:
        if encoding is not None and encoding.lower() not in _ASCII_ENCODINGS:
            raise _not_utf8(name)

    def root(*_args: object) -> None:
        raise _RootReached

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.XmlDeclHandler = declaration
    parser.StartElementHandler = root
    return parser


def _feed_prolog(parser: expat.XMLParserType, chunk: bytes, name: str, final: bool = False) -> bool:
    """Feed expat until the root element starts; True while still in the prolog."""
    try:
        parser.Parse(chunk, final)
    except _RootReached:
        return False
    except expat.ExpatError as exc:
        raise XlsxRefused(
            "damaged",
            f"the workbook is damaged (part “{name}”: {exc}); re-save it from Excel as .xlsx",
            f"工作簿已损坏(部件“{name}”:{exc});请在Excel中重新另存为.xlsx文件。",
        ) from None
    return True


def _not_utf8(name: str) -> XlsxRefused:
    return XlsxRefused(
        "xml_encoding",
        f"the workbook part “{name}” is not UTF-8 XML, which Excel always writes; re-save the workbook from Excel",
        f"工作簿部件“{name}”不是UTF-8编码的XML(Excel保存的工作簿均为UTF-8);请在Excel中重新保存。",
    )


def _check_dimension(ref: bytes, where: str, limits: XlsxLimits) -> None:
    from openpyxl.utils.cell import range_boundaries

    try:
        _, _, max_column, max_row = range_boundaries(ref.decode("ascii").upper())
    except (ValueError, TypeError, UnicodeDecodeError):
        return  # openpyxl ignores a dimension it cannot read; rows are bounded as they are read
    max_row, max_column = max_row or 0, max_column or 0
    if max_row > limits.rows or max_column > limits.columns:
        raise XlsxRefused(
            "dimension",
            f"the sheet “{where}” claims {max_row:,} rows × {max_column:,} columns; at most "
            f"{limits.rows:,} rows × {limits.columns:,} columns are accepted. Copy only the table into a "
            "new workbook and save that",
            f"工作表“{where}”声明的范围为{max_row:,}行×{max_column:,}列,最多接受{limits.rows:,}行×"
            f"{limits.columns:,}列;请只把表格复制到新工作簿中保存后再上传。",
        )


def _too_many_cells(where: str, limits: XlsxLimits, one_row: bool) -> XlsxRefused:
    if one_row:
        return _too_big(
            where, f"a row of more than {limits.row_cells:,} cells", f"某一行超过{limits.row_cells:,}个单元格", limits
        )
    return _too_big(where, f"more than {limits.cells:,} cells", f"超过{limits.cells:,}个单元格", limits)


def _too_big(where: str, what_en: str, what_zh: str, limits: XlsxLimits) -> XlsxRefused:
    return XlsxRefused(
        "sheet_too_big",
        f"the sheet “{where}” holds {what_en}; copy only the table into a new workbook and save that",
        f"工作表“{where}”{what_zh};请只把表格复制到新工作簿中保存后再上传。",
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
        # openpyxl reads only within the declared dimension, which may understate the sheet and would
        # drop data silently; the sheet is read as found instead, its size checked as it goes.
        sheet.reset_dimensions()
        try:
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


def plain_value(value: object) -> object:
    """A plain Python value: NA/NaN -> None, numpy scalars -> int/float/bool, Decimal -> float,
    Timestamps -> naive datetimes (Excel has no time zones)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return value


def _python_value(value: object) -> object:
    value = plain_value(value)
    if value is not None and not isinstance(value, _EXCEL_TYPES):
        value = str(value)  # anything else is written as its text
    return value
