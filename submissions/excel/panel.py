"""The offline review sheet: one reviewer's assigned applications, scored in Excel and read back.

`panel_template` writes a row per assigned application and, per judged criterion (rubric order,
bonus items included), a points column limited to 0..max by a data validation and a comment
column, pre-filled with the reviewer's draft. `read_panel` reads it back: application refs must be
among `expected_refs` and appear once; points are read exactly (a number cell by its shortest
decimal form, text in NFKC, see `cells`) and checked by `check_score_sheet` on a draft sheet, so
out-of-range and off-step points get the web form's messages. Only filled criteria become
entries; the caller decides whether to save them as a draft or submit them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from rubrics.schema import Criterion, Rubric
from submissions.contracts import COMMENT_MAX, ID_MAX, ScoreSheet, SheetEntry
from submissions.excel.cells import (
    Column,
    Layout,
    as_text,
    cell_problem,
    is_blank,
    match_headers,
    number_text,
    parse_decimal,
    shown,
)
from submissions.excel.errors import CellProblem
from submissions.excel.formulas import put_text
from submissions.excel.report import pydantic_problems
from submissions.excel.safe import read_sheet
from submissions.validation import check_score_sheet

__all__ = ["REVIEW_SHEET", "ImportedSheet", "PanelImport", "PanelRow", "panel_columns", "panel_template", "read_panel"]

REVIEW_SHEET = "评审表 Review"
INSTRUCTIONS_SHEET = "评分说明 Instructions"
MAX_PANEL_ROWS = 5_000
MAX_COLUMNS = 500
_PLACEHOLDER_REF = "application"
_IMPORT_REVIEWER = "excel-import"


@dataclass(frozen=True)
class PanelRow:
    """One assigned application as the reviewer sees it; `organisation` is blank under a blind policy."""

    application_ref: str
    title: str
    organisation: str
    category_label: str
    points: Mapping[str, Decimal | None] = field(default_factory=dict)
    comments: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportedSheet:
    """The filled criteria of one row (those with points), keyed by criterion id."""

    application_ref: str
    row: int
    entries: dict[str, SheetEntry]


@dataclass(frozen=True)
class PanelImport:
    """Sheets read from rows without problems, and every problem; save only when `problems` is empty."""

    sheets: list[ImportedSheet]
    problems: list[CellProblem]
    sheet: str = REVIEW_SHEET


def _judged(rubric: Rubric) -> list[Criterion]:
    return [c for c in rubric.criteria if c.method == "judged"]


def panel_columns(rubric: Rubric) -> list[Column]:
    columns = [
        Column("application_ref", "申报编号", "Application ref", True, ("application_ref", "application_id")),
        Column("title", "项目名称", "Title", False, ("title",)),
        Column("organisation", "申报单位", "Organisation", False, ("organisation",)),
        Column("category", "申报类别", "Category", False, ("category",)),
    ]
    for c in _judged(rubric):
        top = number_text(c.max_points)
        bonus = "加分项," if c.id in rubric.bonus_ids else ""
        bonus_en = "bonus, " if c.id in rubric.bonus_ids else ""
        columns.append(
            Column(
                f"entries.{c.id}.points",
                f"{c.label.zh}({bonus}满分{top}分)",
                f"{c.label.en} ({bonus_en}max {top})",
                True,
                (c.id, c.label.zh, c.label.en),
            )
        )
        columns.append(Column(f"entries.{c.id}.comment", f"{c.label.zh}评语", f"{c.label.en}: comment"))
    return columns


# -- template ------------------------------------------------------------------------------------

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_POINTS_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")


def panel_template(rubric: Rubric, *, reviewer: str, round_name: str, applications: Sequence[PanelRow]) -> bytes:
    """The review workbook for one reviewer: sheet 1 the scores, sheet 2 the criteria and their levels."""
    columns = panel_columns(rubric)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = REVIEW_SHEET
    for position, column in enumerate(columns, start=1):
        cell = put_text(sheet.cell(row=1, column=position), column.header)
        cell.font = _BOLD
        cell.alignment = _WRAP
        cell.fill = _POINTS_FILL if column.field.endswith(".points") else _HEADER_FILL
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = 16 if column.field.endswith(".points") else 30
    last_row = max(len(applications), 1) + 1
    criteria = {c.id: c for c in _judged(rubric)}
    for position, column in enumerate(columns, start=1):
        if not column.field.startswith("entries."):
            continue
        cid, kind = column.field.split(".")[1:]
        letter = get_column_letter(position)
        validation = _points_validation(criteria[cid]) if kind == "points" else _comment_validation()
        validation.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(validation)
    for row, application in enumerate(applications, start=2):
        info = (application.application_ref, application.title, application.organisation, application.category_label)
        for position, value in enumerate(info, start=1):
            put_text(sheet.cell(row=row, column=position), value).alignment = _WRAP
        for position, column in enumerate(columns[4:], start=5):
            cid, kind = column.field.split(".")[1:]
            if kind == "points":
                points = application.points.get(cid)
                if points is not None:
                    sheet.cell(row=row, column=position).value = points
            elif application.comments.get(cid):
                put_text(sheet.cell(row=row, column=position), application.comments[cid]).alignment = _WRAP
    sheet.row_dimensions[1].height = 60
    sheet.freeze_panes = "C2"
    _write_instructions(workbook.create_sheet(INSTRUCTIONS_SHEET), rubric, reviewer, round_name)
    workbook.properties.title = f"{rubric.title.zh} — {round_name}"[:255]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _step_rule(c: Criterion) -> tuple[str, str]:
    top = number_text(c.max_points)
    if c.step is None:
        return f"填写0至{top}分。", f"Enter 0 to {top} points."
    step = number_text(c.step)
    return f"填写0至{top}分,须为{step}分的整数倍。", f"Enter 0 to {top} points in steps of {step}."


def _points_validation(c: Criterion) -> DataValidation:
    zh, en = _step_rule(c)
    return DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2=number_text(c.max_points),
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle=c.label.zh[:32],
        prompt=f"{zh}\n{en}"[:255],
        errorTitle="分数有误 Invalid points",
        error=f"{zh}\n{en}"[:255],
    )


def _comment_validation() -> DataValidation:
    zh, en = f"评语最多{COMMENT_MAX}字。", f"At most {COMMENT_MAX} characters."
    return DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(COMMENT_MAX),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="评语过长 Comment too long",
        error=f"{zh}\n{en}",
    )


def _write_instructions(sheet: object, rubric: Rubric, reviewer: str, round_name: str) -> None:
    rows: list[list[str]] = [
        [f"评分说明 Instructions — {rubric.title.zh} / {rubric.title.en}"],
        ["评审轮次 Round", round_name],
        ["评审专家 Reviewer", reviewer],
        [
            "填写方法 How to fill in",
            "在“评审表 Review”中为每个申报逐项打分并填写评语;请勿修改申报编号列,不要增删行。上传后逐格检查,"
            "全部正确才会保存。",
            "Score each application on the sheet “评审表 Review”, criterion by criterion, with a comment; do not "
            "change the application refs or add rows. On upload every cell is checked and nothing is saved "
            "unless all are right.",
        ],
        [],
        ["评分项 Criterion", "满分与步长 Points", "等级 Level", "分数范围 Range", "评价标准", "Descriptor"],
    ]
    for c in _judged(rubric):
        zh, en = _step_rule(c)
        evidence = f"\n佐证材料:{c.evidence.zh}\nEvidence: {c.evidence.en}" if c.evidence else ""
        rows.append([f"{c.label.zh}\n{c.label.en}{evidence}", f"{zh}\n{en}"])
        for level in sorted(c.levels, key=lambda lv: -lv.min_fraction):
            low = number_text(Decimal(str(level.min_fraction)) * c.max_points)
            high = number_text(Decimal(str(level.max_fraction)) * c.max_points)
            rows.append(["", "", level.grade, f"{low}–{high}", level.descriptor.zh, level.descriptor.en])
    for row, values in enumerate(rows, start=1):
        for position, value in enumerate(values, start=1):
            cell = put_text(sheet.cell(row=row, column=position), value)  # type: ignore[attr-defined]
            cell.alignment = _WRAP
            if row in (1, 6) or position == 1:
                cell.font = _BOLD
    for letter, width in zip("ABCDEF", (34, 30, 8, 12, 50, 50), strict=True):
        sheet.column_dimensions[letter].width = width  # type: ignore[attr-defined]
    sheet.freeze_panes = "A7"  # type: ignore[attr-defined]


# -- import --------------------------------------------------------------------------------------


def read_panel(data: bytes, rubric: Rubric, *, expected_refs: Collection[str]) -> PanelImport:
    """The filled criteria of each row, or every problem; raises `WorkbookRejected` for a refused file."""
    values = read_sheet(
        data, prefer=(REVIEW_SHEET, "评审表", "Review"), max_rows=MAX_PANEL_ROWS + 1, max_columns=MAX_COLUMNS
    )
    sheet = values.title
    if not values.rows or all(is_blank(v) for v in values.rows[0]):
        problem = CellProblem(
            sheet,
            1,
            "A",
            "",
            "",
            "no_header",
            "第1行没有表头;请使用下载的评审表填写,保留第1行的表头。",
            "Row 1 holds no headers; fill in the downloaded review sheet and keep its header row.",
        )
        return PanelImport([], [problem], sheet)
    columns = panel_columns(rubric)
    body = values.rows[1:]
    layout = match_headers(sheet, values.rows[0], body, columns)
    reader = _RowReader(rubric, sheet, layout, columns, {str(r) for r in expected_refs})
    problems = list(layout.problems)
    imported: list[ImportedSheet] = []
    for row, cells in enumerate(body, start=2):
        if all(is_blank(v) for v in cells):
            continue
        ref, entries, found = reader.read(row, cells)
        problems += found
        if not found and ref:
            imported.append(ImportedSheet(ref, row, entries))
    header_broken = any(p.row == 1 for p in layout.problems)
    return PanelImport([] if header_broken else imported, problems, sheet)


class _RowReader:
    """Reads one row of the review sheet; refs seen so far are remembered to report duplicates."""

    def __init__(self, rubric: Rubric, sheet: str, layout: Layout, columns: list[Column], expected: set[str]):
        self.rubric = rubric
        self.sheet = sheet
        self.layout = layout
        self.columns = {c.field: c for c in columns}
        self.expected = expected
        self.ref_at = layout.positions.get("application_ref")
        self.criteria = [
            (c, layout.positions.get(f"entries.{c.id}.points"), layout.positions.get(f"entries.{c.id}.comment"))
            for c in _judged(rubric)
        ]
        self.seen: dict[str, int] = {}

    def read(self, row: int, cells: tuple) -> tuple[str, dict[str, SheetEntry], list[CellProblem]]:
        found: list[CellProblem] = []

        def problem(field_name: str, code: str, zh: str, en: str) -> None:
            found.append(cell_problem(self.sheet, self.layout, self.columns, row, field_name, code, zh, en))

        def cell(position: int | None) -> object:
            return cells[position] if position is not None and position < len(cells) else None

        ref = as_text(cell(self.ref_at)).strip()
        if self.ref_at is not None:
            self._check_ref(ref, row, problem)
        entries: dict[str, SheetEntry] = {}
        for c, points_at, comment_at in self.criteria:
            raw_points, raw_comment = cell(points_at), cell(comment_at)
            comment = "" if is_blank(raw_comment) else as_text(raw_comment)
            if is_blank(raw_points):
                if comment:
                    problem(
                        f"entries.{c.id}.points",
                        "comment_without_points",
                        f"“{c.label.zh}”写了评语但没有打分;请填写分数,或删除评语。",
                        f"“{c.label.en}” has a comment but no points; enter the points or delete the comment.",
                    )
                continue
            points = parse_decimal(raw_points)
            if points is None:
                zh, en = _step_rule(c)
                problem(
                    f"entries.{c.id}.points",
                    "not_a_number",
                    f"“{c.label.zh}”的分数应填写数字,而填写的是“{shown(raw_points)}”;{zh}",
                    f"“{c.label.en}” needs a number of points, not “{shown(raw_points)}”. {en}",
                )
                continue
            try:
                entries[c.id] = SheetEntry(points=points, comment=comment)
            except ValidationError as exc:
                for _, code, zh, en in pydantic_problems(exc):
                    problem(
                        f"entries.{c.id}.comment",
                        code,
                        f"“{c.label.zh}”的评语{zh}",
                        f"The comment on “{c.label.en}”: {en}",
                    )
                entries[c.id] = SheetEntry(points=points)
        reported = {p.field for p in found}
        draft_ref = ref if ref and len(ref) <= ID_MAX else _PLACEHOLDER_REF
        draft = ScoreSheet(application_id=draft_ref, reviewer_id=_IMPORT_REVIEWER, entries=entries, status="draft")
        for issue in check_score_sheet(draft, self.rubric):
            target = issue.field if issue.field.count(".") == 2 else f"{issue.field}.points"
            if target not in reported:
                problem(target, issue.code, issue.message_zh, issue.message_en)
        found.sort(key=lambda p: self.layout.positions.get(p.field, -1))  # left to right
        return ref, entries, found

    def _check_ref(self, ref: str, row: int, problem: Callable[[str, str, str, str], None]) -> None:
        if not ref:
            problem(
                "application_ref",
                "missing_ref",
                "申报编号为空,无法确定这一行评的是哪个申报;请恢复下载时的申报编号,或删除这一行。",
                "The application ref is empty, so the row cannot be matched to an application; restore the "
                "ref from the downloaded sheet or delete the row.",
            )
        elif ref not in self.expected:
            problem(
                "application_ref",
                "unknown_ref",
                f"申报编号“{shown(ref)}”不在您本轮的评审任务中;请勿修改申报编号,或删除这一行。",
                f"The application ref “{shown(ref)}” is not among your assignments in this round; do not change "
                "the refs, or delete the row.",
            )
        elif ref in self.seen:
            problem(
                "application_ref",
                "duplicate_ref",
                f"申报编号“{shown(ref)}”在第{self.seen[ref]}行已经出现;每个申报只能有一行,请删除重复的行。",
                f"The application ref “{shown(ref)}” already appears in row {self.seen[ref]}; keep one row per "
                "application and delete the other.",
            )
        else:
            self.seen[ref] = row
