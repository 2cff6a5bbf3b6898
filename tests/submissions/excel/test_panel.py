"""The offline review sheet (submissions.excel.panel): template, round trip and bad points."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from rubrics import load_rubric
from submissions.contracts import SheetEntry
from submissions.excel.panel import REVIEW_SHEET, PanelRow, panel_columns, panel_template, read_panel

LIFE = load_rubric("project_life")
JUDGED = [c.id for c in LIFE.criteria if c.method == "judged"]
ROWS = [
    PanelRow(
        "A-001",
        "智慧社区养老平台",
        "示例科技有限公司",
        "生活类",
        {"market_prospect": Decimal("7.5")},
        {"market_prospect": "需求分析充分。"},
    ),
    PanelRow("A-002", '=HYPERLINK("http://evil.example")', "", "生活类"),
    PanelRow("A-003", "超高清家庭影院", "", "生活类", {"market_prospect": None, "standard_bonus": Decimal(1)}),
]
REFS = {"A-001", "A-002", "A-003"}


def template() -> bytes:
    return panel_template(LIFE, reviewer="专家07", round_name="2024年第一批", applications=ROWS)


def edit(data: bytes, cells: dict[str, object]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[REVIEW_SHEET]
    for ref, value in cells.items():
        sheet[ref].value = value
        if isinstance(value, str):
            sheet[ref].data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def letter(field: str) -> str:
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter([c.field for c in panel_columns(LIFE)].index(field) + 1)


def test_panel_template_has_a_points_and_comment_column_per_judged_criterion():
    workbook = load_workbook(io.BytesIO(template()))
    assert workbook.sheetnames == [REVIEW_SHEET, "评分说明 Instructions"]
    sheet = workbook[REVIEW_SHEET]
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == [
        "申报编号\nApplication ref",
        "项目名称\nTitle",
        "申报单位\nOrganisation",
        "申报类别\nCategory",
        "市场需求与商业模式(满分10分)\nMarket demand and business model (max 10)",
        "市场需求与商业模式评语\nMarket demand and business model: comment",
    ]
    assert headers[-2] == "牵头或参与标准制定(加分项,满分2分)\nLeads or contributes to standards (bonus, max 2)"
    assert len(headers) == 4 + 2 * len(JUDGED)
    assert sheet.freeze_panes == "C2"
    points = next(v for v in sheet.data_validations.dataValidation if str(v.sqref) == "E2:E4")
    assert (points.type, points.operator, points.formula1, points.formula2) == ("decimal", "between", "0", "10")
    assert points.prompt == "填写0至10分,须为0.5分的整数倍。\nEnter 0 to 10 points in steps of 0.5."


def test_panel_template_is_prefilled_and_keeps_text_as_text():
    sheet = load_workbook(io.BytesIO(template()))[REVIEW_SHEET]
    assert [c.value for c in sheet["A"][1:]] == ["A-001", "A-002", "A-003"]
    assert sheet["B3"].value == '=HYPERLINK("http://evil.example")' and sheet["B3"].data_type == "s"
    assert sheet["C3"].value is None
    assert (sheet["E2"].value, sheet["F2"].value) == (7.5, "需求分析充分。")
    assert sheet[f"{letter('entries.standard_bonus.points')}4"].value == 1


def test_panel_instructions_list_levels_and_reviewer():
    sheet = load_workbook(io.BytesIO(template()))["评分说明 Instructions"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][:2] == ["评审轮次 Round", "2024年第一批"]
    assert values[2][:2] == ["评审专家 Reviewer", "专家07"]
    levels = [row for row in values if row[2] in ("优", "良", "中", "差")]
    assert len(levels) == 4 * len(JUDGED)
    assert levels[0][2:4] == ["优", "8.5–10"]


def test_read_panel_round_trip_gives_the_prefilled_draft():
    result = read_panel(template(), LIFE, expected_refs=REFS)
    assert result.problems == []
    assert [(s.application_ref, s.row, s.entries) for s in result.sheets] == [
        ("A-001", 2, {"market_prospect": SheetEntry(points=Decimal("7.5"), comment="需求分析充分。")}),
        ("A-002", 3, {}),
        ("A-003", 4, {"standard_bonus": SheetEntry(points=Decimal("1"))}),
    ]


def test_read_panel_reads_filled_points_exactly():
    data = edit(template(), {"G3": 6.5, "H3": "=带动明显", "I3": "７", "E4": 10})
    result = read_panel(data, LIFE, expected_refs=REFS)
    assert result.problems == []
    assert result.sheets[1].entries == {
        "industry_pull": SheetEntry(points=Decimal("6.5"), comment="=带动明显"),
        "consumer_reach": SheetEntry(points=Decimal("7")),
    }
    assert result.sheets[2].entries == {
        "market_prospect": SheetEntry(points=Decimal("10")),
        "standard_bonus": SheetEntry(points=Decimal("1")),
    }


def test_read_panel_reports_bad_points_per_cell():
    data = edit(
        template(),
        {
            "E2": "很好",
            "G2": 9,
            "I2": 3.3,
            "K3": "",
            "L3": "写了评语",
            "A4": "A-999",
            "M2": 5,
            f"{letter('entries.recognition.comment')}2": "x" * 5001,
        },
    )
    result = read_panel(data, LIFE, expected_refs=REFS)
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (2, "E", "not_a_number"),
        (2, "G", "out_of_range"),
        (2, "I", "off_step"),
        (2, "N", "too_long"),
        (3, "K", "comment_without_points"),
        (4, "A", "unknown_ref"),
    ]
    by_cell = {p.cell: p for p in result.problems}
    assert by_cell["G2"].message_zh == (
        "单元格G2:“对产业链上下游的带动”的分数应在0至8分之间(含两端),而填写的是9;请调整分数。"
    )
    assert by_cell["I2"].message_en == (
        "Cell I2: “Users reached and coverage” is scored in steps of 0.5 points, so 3.3 is not allowed; use 3 or 3.5."
    )
    assert by_cell["E2"].message_zh == (
        "单元格E2:“市场需求与商业模式”的分数应填写数字,而填写的是“很好”;填写0至10分,须为0.5分的整数倍。"
    )


def test_read_panel_reports_duplicate_and_missing_refs():
    data = edit(template(), {"A3": "A-001", "A4": None})
    result = read_panel(data, LIFE, expected_refs=REFS)
    assert [(p.row, p.column, p.code) for p in result.problems] == [(3, "A", "duplicate_ref"), (4, "A", "missing_ref")]
    assert [s.application_ref for s in result.sheets] == ["A-001"]
