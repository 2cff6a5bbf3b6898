"""The applicant template and its import (submissions.excel.applications), on shipped rubrics."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from rubrics import load_rubric
from submissions.contracts import Application
from submissions.excel.applications import (
    APPLICATIONS_SHEET,
    application_columns,
    application_template,
    error_report_workbook,
    read_applications,
)
from submissions.excel.errors import WorkbookRejected
from tests.submissions.excel.conftest import REGIONS, fill, valid_row, workbook_bytes

LIFE = load_rubric("project_life")
CITY = load_rubric("city_comprehensive")


def template(rubric=LIFE) -> bytes:
    return application_template(rubric, regions=REGIONS)


def problems_at(result) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.code) for p in result.problems]


# -- template ------------------------------------------------------------------------------------


def test_template_headers_are_bilingual_in_rubric_order():
    sheet = load_workbook(io.BytesIO(template())).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == [
        "单位名称\nOrganisation name",
        "统一社会信用代码\nUnified social credit code",
        "地区\nRegion",
        "申报类别\nCategory",
        "项目名称\nProject title",
    ]
    assert headers[5:10] == [
        "近三年项目业务量年均增长率(%)\nAverage annual growth of the project's business (3 years) (%)",
        "项目服务用户数(万人)\nUsers served by the project (万人)",
        "境内注册且具备独立法人资格(是/否)\nRegistered in China as an independent legal person (yes/no)",
        "未列入失信黑名单(是/否)\nNot on a dishonesty blacklist (yes/no)",
        "近三年发生重大网络安全或个人信息泄露事件(是/否)\n"
        "Serious network-security or personal-information incident in the last three years (yes/no)",
    ]
    judged = [c for c in LIFE.criteria if c.method == "judged"]
    assert len(headers) == 10 + 2 * len(judged)
    assert headers[10:12] == [
        "市场需求与商业模式情况说明\nMarket demand and business model: description",
        "市场需求与商业模式佐证材料\nMarket demand and business model: evidence",
    ]
    assert all(sheet.cell(row=1, column=i).font.b for i in range(1, len(headers) + 1))


def test_template_freezes_header_and_has_instructions_and_hidden_lists():
    workbook = load_workbook(io.BytesIO(template()))
    assert workbook.sheetnames == [APPLICATIONS_SHEET, "填表说明 Instructions", "选项 Lists"]
    assert workbook[APPLICATIONS_SHEET].freeze_panes == "A2"
    assert workbook["选项 Lists"].sheet_state == "hidden"
    instructions = [c.value for row in workbook["填表说明 Instructions"].iter_rows() for c in row if c.value]
    assert "填写数字,0至1000,单位为%,如18.5表示18.5%,不要输入%号。必填。" in instructions
    assert "按申报指标自动计分。经审计的业务量或营收数据" in instructions


def test_template_validations_follow_the_rubric():
    sheet = load_workbook(io.BytesIO(template())).worksheets[0]
    by_column = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            by_column[cell_range.coord.split(":")[0].rstrip("0123456789")] = validation
    growth, users, legal = by_column["F"], by_column["G"], by_column["H"]
    assert (growth.type, growth.operator, growth.formula1, growth.formula2) == ("decimal", "between", "0", "1000")
    assert (users.type, users.formula1, users.formula2) == ("decimal", "0", "1000000")
    assert (legal.type, legal.formula1) == ("list", "'选项 Lists'!$C$2:$C$3")
    assert (by_column["D"].type, by_column["D"].formula1) == ("list", "'选项 Lists'!$A$2:$A$2")
    assert (by_column["C"].type, by_column["C"].formula1) == ("list", "'选项 Lists'!$B$2:$B$6")
    assert by_column["B"].type == "textLength" and by_column["B"].formula1 == "18"
    assert growth.showInputMessage and growth.prompt.startswith("填写数字,0至1000")
    assert str(growth.sqref) == "F2:F20001"


def test_template_int_indicator_gets_whole_number_validation():
    rubric = load_rubric("skills_training")
    sheet = load_workbook(io.BytesIO(template(rubric))).worksheets[0]
    trainees = next(v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith("F2"))
    assert (trainees.type, trainees.formula1, trainees.formula2) == ("whole", "0", "10000000")


# -- round trip ----------------------------------------------------------------------------------


def test_read_applications_round_trip_project_life():
    rows = [valid_row(LIFE, 0), valid_row(LIFE, 1, title='=HYPERLINK("http://example.com","点我")')]
    result = read_applications(fill(template(), LIFE, rows), LIFE, regions=REGIONS)
    assert result.problems == []
    assert [(r.row, r.application) for r in result.rows] == [
        (
            2,
            Application(
                application_id="row-2",
                rubric_id="project_life",
                category="life",
                region="北京",
                organisation="示例信息科技有限公司0",
                credit_code="91110000802100433B",
                title="示范项目0",
                indicators={"business_growth": 250.0, "users_served": 250000.0},
                declarations={"legal_person": True, "not_blacklisted": True, "security_incident": False},
                narratives={"market_prospect": "已建成覆盖全市的服务平台。\n第二段说明。"},
                evidence={"market_prospect": "附件1:审计报告.pdf"},
            ),
        ),
        (
            3,
            Application(
                application_id="row-3",
                rubric_id="project_life",
                category="life",
                region="广东",
                organisation="示例信息科技有限公司1",
                credit_code="9144030071526726XG",
                title='=HYPERLINK("http://example.com","点我")',
                indicators={"business_growth": 251.0, "users_served": 250001.0},
                declarations={"legal_person": True, "not_blacklisted": True, "security_incident": False},
                narratives={"market_prospect": "已建成覆盖全市的服务平台。\n第二段说明。"},
                evidence={"market_prospect": "附件1:审计报告.pdf"},
            ),
        ),
    ]


def test_read_applications_round_trip_city_comprehensive():
    rows = [valid_row(CITY, n) for n in range(3)]
    result = read_applications(fill(template(CITY), CITY, rows), CITY, regions=REGIONS)
    assert result.problems == []
    got = [r.application for r in result.rows]
    assert [a.category for a in got] == ["comprehensive"] * 3
    assert [a.indicators for a in got] == [
        {
            "info_consumption_scale": 250000.0 + n,
            "info_consumption_growth": 175.0 + n,
            "village_fibre_4g_rate": 25.0 + n,
            "urban_access_mbps": 25000.0 + n,
        }
        for n in range(3)
    ]
    assert [a.declarations for a in got] == [
        {"implementation_plan": True, "experience_platform": True, "security_incident": False}
    ] * 3
    assert [a.region for a in got] == ["北京", "广东", "湖北"]


def test_read_applications_accepts_text_full_width_and_alternative_spellings():
    row = valid_row(
        LIFE,
        0,
        category="Life",
        region=" 广东 ",
        credit_code="９１１１ ００００８０２１００４３３ｂ",
        indicators__business_growth="１８．５%",
        indicators__users_served="１２,０００",
        declarations__legal_person="Y",
        declarations__not_blacklisted="TRUE",
        declarations__security_incident="0",
    )
    result = read_applications(fill(template(), LIFE, [row]), LIFE, regions=REGIONS)
    assert result.problems == []
    application = result.rows[0].application
    assert (application.category, application.region, application.credit_code) == ("life", "广东", "91110000802100433B")
    assert application.indicators == {"business_growth": 18.5, "users_served": 12000}
    assert application.declarations == {"legal_person": True, "not_blacklisted": True, "security_incident": False}


def test_read_applications_matches_columns_by_either_header_line_in_any_order():
    columns = application_columns(LIFE)
    row = valid_row(LIFE, 0)
    headers = [c.en if i % 2 else c.zh for i, c in enumerate(columns)][::-1]
    values = [row.get(c.field) for c in columns][::-1]
    result = read_applications(workbook_bytes([headers, values], APPLICATIONS_SHEET), LIFE, regions=REGIONS)
    assert result.problems == []
    assert result.rows[0].application.organisation == "示例信息科技有限公司0"


def test_read_applications_skips_blank_rows():
    data = fill(template(), LIFE, [valid_row(LIFE, 0), {"organisation": "  "}, valid_row(LIFE, 1)])
    result = read_applications(data, LIFE, regions=REGIONS)
    assert [r.row for r in result.rows] == [2, 4]


# -- problems ------------------------------------------------------------------------------------


def bad_workbook() -> bytes:
    rows = [
        valid_row(LIFE, 0),
        valid_row(
            LIFE,
            1,
            indicators__business_growth="十八",
            indicators__users_served=2_000_000,
            category="体育类",
            credit_code="91110000802100433C",
            declarations__not_blacklisted=None,
            region="火星",
            title='=HYPERLINK("http://evil.example")',
        ),
        valid_row(LIFE, 2, declarations__legal_person="也许", organisation=""),
    ]
    return fill(template(), LIFE, rows)


def test_read_applications_reports_every_bad_cell_with_row_and_column():
    result = read_applications(bad_workbook(), LIFE, regions=REGIONS)
    assert problems_at(result) == [
        (3, "B", "credit_code_check"),
        (3, "C", "unknown_region"),
        (3, "D", "unknown_category"),
        (3, "F", "not_a_number"),
        (3, "G", "out_of_range"),
        (3, "I", "missing_declaration"),
        (4, "A", "blank"),
        (4, "H", "not_yes_no"),
    ]
    assert [r.row for r in result.rows] == [2]


def test_read_applications_messages_name_the_cell_and_say_what_to_do():
    result = read_applications(bad_workbook(), LIFE, regions=REGIONS)
    by_cell = {p.cell: p for p in result.problems}
    assert by_cell["B3"].message_zh == "单元格B3:统一社会信用代码的校验码应为“B”,而不是“C”;请核对代码。"
    assert by_cell["I3"].message_en == (
        "Cell I3: The declaration “Not on a dishonesty blacklist” is unanswered; answer yes or no."
    )
    assert by_cell["F3"].message_zh == "单元格F3:“近三年项目业务量年均增长率”应填写数字,而填写的是“十八”;请填写数字。"
    assert by_cell["H4"].message_zh == (
        "单元格H4:声明事项“境内注册且具备独立法人资格”应填写“是”或“否”,而填写的是“也许”;请选择“是”或“否”。"
    )
    assert by_cell["C3"].header == "地区 Region"
    assert by_cell["C3"].field == "region"


def test_read_applications_rejects_non_integers_nan_and_inf_text():
    rubric = load_rubric("skills_training")
    rows = [
        valid_row(rubric, 0, indicators__trainees=12.5),
        valid_row(rubric, 1, indicators__trainees="nan"),
        valid_row(rubric, 0, indicators__trainees="inf", title="另一个"),
        valid_row(rubric, 1, indicators__trainees="3000", title="第四个"),
    ]
    result = read_applications(fill(template(rubric), rubric, rows), rubric, regions=REGIONS)
    assert problems_at(result) == [(2, "F", "not_an_integer"), (3, "F", "not_a_number"), (4, "F", "not_a_number")]
    assert result.rows[0].application.indicators == {"trainees": 3000}


def test_read_applications_refuses_credit_code_stored_as_number():
    row = valid_row(LIFE, 0, credit_code=911100008021004336)
    result = read_applications(fill(template(), LIFE, [row]), LIFE, regions=REGIONS)
    assert problems_at(result) == [(2, "B", "credit_code_number")]


def test_read_applications_reports_duplicate_rows():
    rows = [valid_row(LIFE, 0), valid_row(LIFE, 1), valid_row(LIFE, 0, organisation="另一家")]
    result = read_applications(fill(template(), LIFE, rows), LIFE, regions=REGIONS)
    assert problems_at(result) == [(4, "E", "duplicate_application")]
    assert "第2行" in result.problems[0].message_zh


def test_read_applications_reports_contract_limits_in_both_languages():
    row = valid_row(LIFE, 0, organisation="长" * 201)
    result = read_applications(fill(template(), LIFE, [row]), LIFE, regions=REGIONS)
    assert problems_at(result) == [(2, "A", "too_long")]
    assert result.problems[0].message_zh == "单元格A2:内容有201个字符,最多允许200个;请删减。"
    assert result.problems[0].message_en == (
        "Cell A2: The name has 201 characters; at most 200 are allowed, so shorten it."
    )


def test_read_applications_reports_missing_unknown_and_unnamed_columns():
    columns = application_columns(LIFE)
    headers = [c.header for c in columns if c.field != "credit_code"] + ["备注", None]
    row = valid_row(LIFE, 0)
    values = [row.get(c.field) for c in columns if c.field != "credit_code"] + ["x", "y"]
    result = read_applications(workbook_bytes([headers, values]), LIFE, regions=REGIONS)
    assert problems_at(result) == [(1, "AJ", "unknown_column"), (1, "AK", "unnamed_column"), (1, "", "missing_column")]
    assert result.problems[2].message_zh == "缺少“统一社会信用代码”列;请使用下载的模板,不要删除或改动表头。"
    assert result.rows == []


def test_read_applications_empty_template_is_a_problem():
    result = read_applications(template(), LIFE, regions=REGIONS)
    assert problems_at(result) == [(2, "A", "no_rows")]


def test_read_applications_refuses_a_file_that_is_not_a_workbook():
    with pytest.raises(WorkbookRejected) as caught:
        read_applications("单位名称,地区\n示例,广东\n".encode(), LIFE, regions=REGIONS)
    assert caught.value.code == "not_xlsx"
    assert "CSV" in caught.value.message_zh


# -- error report --------------------------------------------------------------------------------


def test_error_report_marks_bad_cells_and_lists_every_problem():
    data = bad_workbook()
    result = read_applications(data, LIFE, regions=REGIONS)
    workbook = load_workbook(io.BytesIO(error_report_workbook(data, result.problems)))
    assert workbook.sheetnames == [APPLICATIONS_SHEET, "错误 Errors"]
    sheet = workbook[APPLICATIONS_SHEET]
    for problem in result.problems:
        cell = sheet[problem.cell]
        assert cell.fill.fgColor.rgb == "FFFFC7CE", problem.cell
        assert problem.message_zh in cell.comment.text and problem.message_en in cell.comment.text
    assert sheet["A2"].fill.fgColor.rgb != "FFFFC7CE" and sheet["A2"].comment is None
    assert sheet["E3"].value == '=HYPERLINK("http://evil.example")' and sheet["E3"].data_type == "s"
    assert sheet["F3"].value == "十八" and sheet["G3"].value == 2_000_000
    listed = [[c.value for c in row] for row in workbook["错误 Errors"].iter_rows(min_row=2)]
    assert [(r[1], r[2], r[5]) for r in listed] == problems_at(result)
    assert listed[0][6] == result.problems[0].message_zh and listed[0][7] == result.problems[0].message_en


def test_error_report_keeps_formula_looking_text_as_text(tmp_path):
    import zipfile

    data = fill(template(), LIFE, [valid_row(LIFE, 0, organisation="=1+1", title="@SUM(A1)", region="火星")])
    result = read_applications(data, LIFE, regions=REGIONS)
    report = error_report_workbook(data, result.problems)
    with zipfile.ZipFile(io.BytesIO(report)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert all(b"<f>" not in xml and b"<f " not in xml for xml in sheets)
    assert load_workbook(io.BytesIO(report))[APPLICATIONS_SHEET]["A2"].value == "=1+1"
