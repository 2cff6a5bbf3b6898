"""Opening uploads safely (submissions.excel.safe, reader): hostile files are refused fast, values read right."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
import tracemalloc
import zipfile

import pytest
import xlsxwriter
from openpyxl import load_workbook

from scoring.tabular import TableError, read_table
from submissions.excel.errors import WorkbookRejected
from submissions.excel.safe import check_workbook, iter_rows, open_workbook, read_sheet
from tests.submissions.excel.conftest import rewrite, workbook_bytes

SHEET = "xl/worksheets/sheet1.xml"


def small() -> bytes:
    return workbook_bytes([["application_id", "points"], ["A0", 5]])


def refused(data: bytes, **options) -> WorkbookRejected:
    """The refusal, which must come quickly and in both languages."""
    started = time.perf_counter()
    with pytest.raises(WorkbookRejected) as caught:
        workbook = open_workbook(data, **options)
        for sheet in workbook.worksheets:
            list(iter_rows(sheet, max_rows=20_001, max_columns=500))
    assert time.perf_counter() - started < 2
    assert caught.value.message_zh and caught.value.message_en
    return caught.value


def with_sheet_xml(xml: bytes) -> bytes:
    return rewrite(small(), patch={SHEET: lambda _: xml})


def sheet_xml(body: bytes, dimension: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + dimension
        + b"<sheetData>"
        + body
        + b"</sheetData></worksheet>"
    )


# -- refused before parsing ----------------------------------------------------------------------


def test_open_workbook_refuses_zip_bomb_quickly_without_memory():
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(small())) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item.filename))
        with bomb.open("xl/media/zeros.bin", "w", force_zip64=True) as member:
            chunk = bytes(2**20)
            for _ in range(300):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 2 * 2**20
    tracemalloc.start()
    error = refused(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert error.code == "too_large_unpacked"
    assert peak < 20 * 2**20
    assert error.message_zh == "工作簿解压后为300 MB(最多200 MB);请拆分为多个较小的文件。"


def test_open_workbook_refuses_compression_beyond_100_to_1():
    error = refused(rewrite(small(), extra={"xl/media/padding.bin": bytes(8 * 2**20)}))
    assert error.code == "compression_ratio"
    assert error.message_en == (
        "The workbook is compressed more than 100:1, which real tables never are; copy the table into a new "
        "workbook and save that."
    )


def test_open_workbook_refuses_declared_dimension_reaching_xfd1048576():
    def claim_whole_sheet(xml: bytes) -> bytes:
        return re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml)

    error = refused(rewrite(small(), patch={SHEET: claim_whole_sheet}))
    assert error.code == "dimension"
    assert error.message_zh == (
        "工作表“Sheet”声明的范围为1,048,576行×16,384列,最多接受100,000行×1,000列;请只把表格复制到新工作簿中保存后再上传。"
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
            b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>',
            "too_many_rows",
        ),
        (b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "too_many_columns"),
        (b'<row r="1"><c r="XFD1"><v>1</v></c></row>', "too_many_columns"),
    ],
)
def test_iter_rows_refuses_sparse_cells_far_away_without_dimension(body, code):
    assert refused(with_sheet_xml(sheet_xml(body))).code == code


def test_iter_rows_refuses_sparse_cells_beyond_a_lying_dimension():
    body = b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    error = refused(with_sheet_xml(sheet_xml(body, b'<dimension ref="A1:B2"/>')))
    assert error.code == "too_many_rows"
    assert error.message_en.startswith("The sheet “Sheet” has content in row 1048576")


def test_iter_rows_ignores_empty_formatted_cells_far_away():
    body = b'<row r="1"><c r="A1"><v>7</v></c><c r="XFD1" s="0"/></row><row r="1048576"><c r="A1048576" s="0"/></row>'
    workbook = open_workbook(with_sheet_xml(sheet_xml(body)))
    assert list(iter_rows(workbook.worksheets[0], max_rows=10, max_columns=10)) == [(7,)]


def test_open_workbook_refuses_too_many_cells_in_one_row_before_parsing():
    cells = b"".join(b"<c><v>1</v></c>" for _ in range(16_385))
    assert refused(with_sheet_xml(sheet_xml(b"<row>" + cells + b"</row>"))).code == "sheet_too_big"


def test_open_workbook_refuses_too_many_rows_before_parsing():
    rows = b"".join(b'<row r="%d"/>' % r for r in range(1, 100_002))
    assert refused(with_sheet_xml(sheet_xml(rows))).code == "sheet_too_big"


def test_open_workbook_refuses_cells_hidden_behind_a_non_ascii_prefix():
    cells = b"".join(b"<\xc3\xa9:c><\xc3\xa9:v>1</\xc3\xa9:v></\xc3\xa9:c>" for _ in range(16_385))
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?><\xc3\xa9:worksheet '
        b'xmlns:\xc3\xa9="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><\xc3\xa9:sheetData>'
        b"<\xc3\xa9:row>" + cells + b"</\xc3\xa9:row></\xc3\xa9:sheetData></\xc3\xa9:worksheet>"
    )
    assert refused(with_sheet_xml(xml)).code == "sheet_too_big"


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">'
        % (i, b"".join(b"&lol%s;" % (b"" if i == 1 else str(i - 1).encode()) for _ in range(10)))
        for i in range(1, 10)
    )
    + b"]>\n"
)


def add_doctype(xml: bytes) -> bytes:
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    return BILLION_LAUGHS + body.lstrip()


@pytest.mark.parametrize("part", [SHEET, "xl/workbook.xml", "[Content_Types].xml", "xl/styles.xml"])
def test_open_workbook_refuses_doctype_in_any_part(part):
    error = refused(rewrite(small(), patch={part: add_doctype}))
    assert error.code == "xml_doctype"
    assert part in error.message_en


def test_open_workbook_refuses_doctype_behind_megabytes_of_whitespace():
    whitespace = bytes(b" \t\r\n"[b % 4] for b in os.urandom(3 * 2**20))  # random, so it does not compress 100:1
    without_declaration = add_doctype(b"<w/>").split(b"?>", 1)[1]  # a declaration must come first; a DOCTYPE need not
    padded = rewrite(small(), patch={SHEET: lambda _: whitespace + without_declaration})
    assert refused(padded).code == "xml_doctype"


def test_open_workbook_refuses_doctype_in_a_sheet_stored_under_any_name():
    def point_to_media(rels: bytes) -> bytes:
        return rels.replace(b"worksheets/sheet1.xml", b"media/image1.png")

    data = rewrite(small(), patch={"xl/_rels/workbook.xml.rels": point_to_media})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read(SHEET)
    moved = rewrite(data, extra={"xl/media/image1.png": add_doctype(sheet)})
    assert refused(moved).code == "xml_doctype"


def test_open_workbook_refuses_utf16_xml():
    def to_utf16(xml: bytes) -> bytes:
        return xml.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    assert refused(rewrite(small(), patch={SHEET: to_utf16})).code == "xml_encoding"


def test_open_workbook_refuses_external_links_part_and_content_type():
    assert refused(rewrite(small(), extra={"xl/externalLinks/externalLink1.xml": b"<x/>"})).code == "external_links"

    def declare_link(xml: bytes) -> bytes:
        override = (
            b'<Override PartName="/xl/links/l.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/>'
        )
        return xml.replace(b"</Types>", override + b"</Types>")

    assert refused(rewrite(small(), patch={"[Content_Types].xml": declare_link})).code == "external_links"


def test_open_workbook_refuses_macros_by_part_and_by_content_type():
    error = refused(rewrite(small(), extra={"xl/vbaProject.bin": bytes(64)}))
    assert (error.code, error.message_zh) == (
        "macros",
        "工作簿含有宏(vbaProject.bin),不予接收;请另存为不含宏的.xlsx工作簿后重新上传。",
    )

    def macro_enabled(xml: bytes) -> bytes:
        return xml.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )

    assert refused(rewrite(small(), patch={"[Content_Types].xml": macro_enabled})).code == "macros"


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (b"\x89PNG\r\n\x1a\n" + os.urandom(200), "图片"),
        (b"\x7fELF\x02\x01\x01" + os.urandom(200), "程序"),
        ("单位名称,地区\n示例科技,广东\n".encode(), "CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), ".xls"),
    ],
)
def test_open_workbook_refuses_renamed_files_saying_what_they_are(data, hint):
    error = refused(data)
    assert error.code == "not_xlsx"
    assert hint in error.message_zh
    assert error.message_en.startswith("The file is not a valid .xlsx workbook (")


def test_open_workbook_refuses_oversized_file_before_looking_inside():
    error = refused(os.urandom(21 * 2**20))
    assert error.code == "too_large"
    assert error.message_zh.startswith("文件大小为21.0 MB,超过了20.0 MB的上限")
    assert refused(small(), max_bytes=1024).code == "too_large"


def test_open_workbook_refuses_too_many_parts():
    extra = {f"docProps/x{i}.bin": b"x" for i in range(1001)}
    assert refused(rewrite(small(), extra=extra)).code == "too_many_parts"


def test_open_workbook_refuses_damaged_archive():
    data = small()
    assert refused(data[: len(data) // 2] + bytes(100) + data[-200:]).code in ("damaged", "not_xlsx")


# -- reading -------------------------------------------------------------------------------------


def test_open_workbook_is_read_only_with_cached_values():
    workbook = open_workbook(small())
    assert workbook.read_only and workbook._data_only
    assert list(iter_rows(workbook.worksheets[0], max_rows=5, max_columns=5)) == [
        ("application_id", "points"),
        ("A0", 5),
    ]
    workbook.close()


def every_kind_of_cell() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("数据")
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_string(0, 0, "文本")
    sheet.write_number(0, 1, 12)
    sheet.write_number(0, 2, 12.25)
    sheet.write_boolean(0, 3, True)
    sheet.write_datetime(0, 4, dt.datetime(2024, 3, 1), date)
    sheet.write_formula(0, 5, "=B1*2", None, 24)
    sheet.write_formula(0, 6, '="a"&"b"', None, "ab")
    sheet.write_rich_string(1, 0, "普通", bold, "加粗", "结尾")
    sheet.write_string(1, 3, "  前后空格  ")
    sheet.write_string(4, 1, "隔行")  # rows 3 and 4 empty
    sheet.write_formula(4, 2, "=1/0", None, "#DIV/0!")
    sheet.write_string(5, 7, "_x0041_ 和 =1+1")
    book.close()
    return buffer.getvalue()


@pytest.mark.parametrize(
    "maker", [every_kind_of_cell, lambda: workbook_bytes([["a", 1, 2.5, None, True], [], ["=1+1"]])]
)
def test_iter_rows_gives_the_values_openpyxl_gives(maker):
    data = maker()
    reference = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    expected = [tuple(row) for row in reference.worksheets[0].iter_rows(values_only=True)]
    expected = [row[: max((i + 1 for i, v in enumerate(row) if v is not None), default=0)] for row in expected]
    while expected and not expected[-1]:
        expected.pop()
    workbook = open_workbook(data)
    assert list(iter_rows(workbook.worksheets[0], max_rows=100, max_columns=100)) == expected


def test_iter_rows_bounds_a_sheet_opened_in_normal_mode_too():
    sheet = load_workbook(io.BytesIO(workbook_bytes([["a", None, "c"], [], [None], [1, 2]]))).active
    assert list(iter_rows(sheet, max_rows=4, max_columns=3)) == [("a", None, "c"), (), (), (1, 2)]
    with pytest.raises(WorkbookRejected) as caught:
        list(iter_rows(sheet, max_rows=3, max_columns=3))
    assert caught.value.code == "too_many_rows"
    with pytest.raises(WorkbookRejected) as caught:
        list(iter_rows(sheet, max_rows=4, max_columns=2))
    assert caught.value.code == "too_many_columns"


def test_read_sheet_picks_the_preferred_title_else_the_first():
    data = every_kind_of_cell()
    assert read_sheet(data, prefer=("Other",), max_rows=10, max_columns=10).title == "数据"
    values = read_sheet(data, prefer=("数 据",), max_rows=10, max_columns=10)
    assert values.rows[0][:4] == ("文本", 12, 12.25, True)
    assert values.rows[1] == ("普通加粗结尾", None, None, "  前后空格  ")
    assert values.rows[2:4] == [(), ()]
    assert values.rows[4] == (None, "隔行", "#DIV/0!")


def test_check_workbook_accepts_the_shared_checks_of_the_command_line(tmp_path):
    hostile = rewrite(small(), patch={SHEET: add_doctype})
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(hostile)
    with pytest.raises(TableError, match="DOCTYPE"):
        read_table(path)
    check_workbook(small())  # a plain workbook passes
