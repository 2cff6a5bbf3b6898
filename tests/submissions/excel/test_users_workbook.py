"""The accounts workbook: the template, reading it back cell by cell, and the marked copy."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from rubrics.credit_code import check_character
from submissions.excel.errors import WorkbookRejected
from submissions.excel.report import ERRORS_SHEET
from submissions.excel.users import (
    ORGANISATIONS_SHEET,
    USERS_SHEET,
    ImportedOrganisation,
    ImportedUser,
    organisation_columns,
    read_users_workbook,
    user_columns,
    users_error_workbook,
    users_template,
)
from tests.support.workbooks import workbook_bytes

PASSWORD = "an initial password"


def code(number: int) -> str:
    body = f"91330100MA{number:07d}"
    return body + check_character(body)


def wrong(number: int) -> str:
    """The code with a check character that does not fit."""
    right = code(number)
    return right[:17] + ("0" if right[17] != "0" else "1")


def fill(orgs: list[dict], people: list[dict], *, template: bytes | None = None) -> bytes:
    workbook = load_workbook(io.BytesIO(template or users_template()))
    for title, columns, rows in (
        (ORGANISATIONS_SHEET, organisation_columns(), orgs),
        (USERS_SHEET, user_columns(), people),
    ):
        position = {c.field: i for i, c in enumerate(columns, start=1)}
        for r, values in enumerate(rows, start=2):
            for field, value in values.items():
                cell = workbook[title].cell(row=r, column=position[field])
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def where(problems) -> list[tuple[str, str, str]]:
    return [(p.sheet, p.cell, p.code) for p in problems]


def test_template_has_both_sheets_with_their_headers():
    workbook = load_workbook(io.BytesIO(users_template()))

    assert workbook.sheetnames[:3] == [ORGANISATIONS_SHEET, USERS_SHEET, "填表说明 Instructions"]
    assert [c.value for c in workbook[ORGANISATIONS_SHEET][1]] == [c.header for c in organisation_columns()]
    assert [c.value for c in workbook[USERS_SHEET][1]] == [c.header for c in user_columns()]


def test_filled_template_reads_back_every_row():
    data = fill(
        [{"name": "宁波示例科技有限公司", "credit_code": f" {code(1).lower()} ", "region": "浙江"}],
        [
            {
                "username": "NB-Contact",
                "display_name": "联系人",
                "role": "申报单位",
                "organisation": code(1),
                "password": PASSWORD,
            },
            {"username": "zhou", "display_name": "周盼", "role": "Reviewer", "region": "浙江", "password": PASSWORD},
        ],
    )

    read = read_users_workbook(data)

    assert read.problems == []
    assert read.organisations == [ImportedOrganisation(2, "宁波示例科技有限公司", code(1), "浙江")]
    assert read.users == [
        ImportedUser(2, "NB-Contact", "联系人", "applicant", code(1), None, PASSWORD),
        ImportedUser(3, "zhou", "周盼", "reviewer", None, "浙江", PASSWORD),
    ]
    assert read.organisation_codes == {code(1)}


def test_every_bad_cell_is_reported_in_sheet_and_column_order():
    data = fill(
        [
            {"name": "甲单位", "credit_code": wrong(1), "region": "浙江"},
            {"name": "", "credit_code": 91330100123456789, "region": "浙江"},
            {"name": "丙单位", "credit_code": wrong(1), "region": "浙江"},
        ],
        [
            {"username": "a b", "display_name": "", "role": "裁判", "password": "short"},
            {"username": "Same", "display_name": "甲", "role": "专家", "password": PASSWORD},
            {"username": "same", "display_name": "乙", "role": "专家", "password": PASSWORD},
        ],
    )

    read = read_users_workbook(data)

    assert where(read.problems) == [
        (ORGANISATIONS_SHEET, "B2", "bad_credit_code"),
        (ORGANISATIONS_SHEET, "A3", "blank"),
        (ORGANISATIONS_SHEET, "B3", "credit_code_number"),
        (ORGANISATIONS_SHEET, "B4", "bad_credit_code"),
        (USERS_SHEET, "A2", "bad_username"),
        (USERS_SHEET, "B2", "blank"),
        (USERS_SHEET, "C2", "unknown_role"),
        (USERS_SHEET, "F2", "weak_password"),
        (USERS_SHEET, "A4", "duplicate_username"),
    ]
    assert read.users == [ImportedUser(3, "Same", "甲", "reviewer", None, None, PASSWORD)]
    assert read.problems[-1].message_zh == "单元格A4:用户名“same”与第3行重复(不区分大小写);请换一个。"


def test_a_credit_code_registered_twice_in_the_sheet_is_reported_once_at_the_second():
    data = fill(
        [
            {"name": "甲", "credit_code": code(1), "region": "浙江"},
            {"name": "乙", "credit_code": code(1), "region": "浙江"},
        ],
        [],
    )

    read = read_users_workbook(data)

    assert where(read.problems) == [(ORGANISATIONS_SHEET, "B3", "duplicate_credit_code")]
    assert [o.row for o in read.organisations] == [2]


def test_headers_may_be_english_only_and_reordered():
    data = workbook_bytes(
        [["Role", "User name", "Name", "Initial password"], ["admin", "ops", "运维", PASSWORD]], "Users"
    )

    read = read_users_workbook(data)

    assert read.problems == []
    assert read.users == [ImportedUser(2, "ops", "运维", "admin", None, None, PASSWORD)]


def test_a_missing_column_is_reported_at_the_header():
    data = workbook_bytes([["用户名", "姓名", "角色"], ["ops", "运维", "管理员"]], USERS_SHEET)

    read = read_users_workbook(data)

    assert [(p.row, p.code, p.field) for p in read.problems] == [(1, "missing_column", "password")]
    assert read.users == []


def test_an_empty_template_says_there_is_nothing_to_import():
    read = read_users_workbook(users_template())

    assert where(read.problems) == [(ORGANISATIONS_SHEET, "A2", "no_rows")]


def test_a_workbook_without_either_sheet_is_refused():
    with pytest.raises(WorkbookRejected) as refused:
        read_users_workbook(workbook_bytes([["x"]], "Sheet1"))

    assert refused.value.code == "no_sheet"


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(WorkbookRejected):
        read_users_workbook(b"username,password\nops,secret\n")


def test_error_workbook_marks_bad_cells_on_both_sheets_and_keeps_text_as_text():
    data = fill(
        [{"name": '=HYPERLINK("http://x")', "credit_code": "", "region": "浙江"}],
        [{"username": "ops", "display_name": "运维", "role": "裁判", "password": PASSWORD}],
    )
    problems = read_users_workbook(data).problems

    marked = load_workbook(io.BytesIO(users_error_workbook(data, problems)))

    assert marked.sheetnames == [ORGANISATIONS_SHEET, USERS_SHEET, ERRORS_SHEET]
    organisations, users = marked[ORGANISATIONS_SHEET], marked[USERS_SHEET]
    assert organisations["A2"].value == '=HYPERLINK("http://x")'
    assert organisations["A2"].data_type == "s"
    assert organisations["B2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert organisations["B2"].comment.text.startswith("单元格B2:“统一社会信用代码”为必填项")
    assert users["C2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert users["A2"].comment is None
    listed = [row[3] for row in marked[ERRORS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert listed == ["B2", "C2"]
