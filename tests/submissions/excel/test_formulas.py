"""Writing user text (submissions.excel.formulas): it reads back the same and never as a formula."""

from __future__ import annotations

import csv
import io
import zipfile

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from submissions.excel.formulas import csv_bytes, looks_like_formula, put_text, write_text
from submissions.excel.safe import read_sheet

# Text a cell can hold unchanged: no control characters but TAB and LF (XML drops CR, forbids the rest).
cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from("\t\n"),
    max_size=60,
)
formula_like = st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(["=", "+", "-", "@", "\t"]), cell_text)


def sheet_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))


def openpyxl_book(texts: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row, text in enumerate(texts, start=1):
        put_text(sheet.cell(row=row, column=1), text)
        sheet.cell(row=row, column=2).value = row  # rows never end up blank
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsxwriter_book(texts: list[str]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet()
    for row, text in enumerate(texts):
        write_text(sheet, row, 0, text)
        sheet.write_number(row, 1, row + 1)
    workbook.close()
    return buffer.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cell_text | formula_like, min_size=1, max_size=8))
@example(["_x0041_ 不是A", "  前后空格  ", '=HYPERLINK("http://x")', "-", "@", "\t\n"])
def test_text_written_by_either_writer_reads_back_identical_and_never_as_formula(texts):
    for data in (openpyxl_book(texts), xlsxwriter_book(texts)):
        assert b"<f>" not in sheet_xml(data) and b"<f " not in sheet_xml(data)
        rows = read_sheet(data, max_rows=20, max_columns=5).rows
        assert [row[0] if row and row[0] is not None else "" for row in rows] == texts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", True),
        ("+86", True),
        ("-5", True),
        ("@A1", True),
        ("\tx", True),
        ("\rx", True),
        ("1=1", False),
        ("", False),
    ],
)
def test_looks_like_formula_checks_the_first_character(text, expected):
    assert looks_like_formula(text) is expected


def test_put_text_drops_characters_xml_cannot_hold():
    workbook = Workbook()
    cell = put_text(workbook.active["A1"], "a\x00b\x07c=")
    assert (cell.value, cell.data_type) == ("abc=", "s")


def test_csv_bytes_neutralises_text_and_keeps_numbers():
    frame = pd.DataFrame({"名称": ["=cmd|' /C calc'!A0", "广东", None], "total": [-1.5, 2.0, float("nan")]})
    data = csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [
        ["名称", "total"],
        ["'=cmd|' /C calc'!A0", "-1.5"],
        ["广东", "2.0"],
        ["", ""],
    ]


def test_csv_bytes_takes_rows_with_headers():
    data = csv_bytes([["+1", 3], ["@x", None]], ["-head", "n"])
    assert data.decode("utf-8-sig") == "'-head,n\r\n'+1,3\r\n'@x,\r\n"
