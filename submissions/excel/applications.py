"""The applicant's Excel template and its import: one application per row.

`application_template` writes the workbook an applicant fills in; `read_applications` reads it
back through `safe.read_sheet`, checks every cell and returns either applications or every
problem found (the caller imports all or nothing); `error_report_workbook` returns the upload with
the bad cells marked, for the applicant to fix.

Reading rules (see `cells` for the normalisation, deliberately Unicode NFKC):
- columns are found by header text (bilingual, Chinese line or English line, or the field id),
  so they may be reordered; a required column that is missing, an unknown, repeated or unnamed
  column is a problem; blank rows are skipped;
- the category may be given by its Chinese label, English label or id; the region must be one of
  the round's `regions` (compared after NFKC); yes/no cells take 是/否, yes/no, true/false, Y/N,
  1/0; numbers may be typed as text, with full-width digits or thousands separators, but never
  as `nan`/`inf`; a credit code is read in NFKC, without spaces, in capitals; it must not be a
  number cell (Excel drops digits beyond the fifteenth);
- each row becomes a `submissions.contracts.Application` (`application_id` `row-<n>`), checked by
  `check_application`, so the messages match the web form; two rows with the same credit code and
  title are reported as duplicates.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from rubrics.schema import Criterion, Indicator, Rubric
from submissions.contracts import NAME_MAX, NARRATIVE_MAX, Application
from submissions.excel.cells import (
    NO_ZH,
    YES_ZH,
    Column,
    Layout,
    as_text,
    cell_problem,
    compact,
    is_blank,
    lookup,
    match_headers,
    normalise,
    number_text,
    parse_number,
    parse_yes_no,
    shown,
)
from submissions.excel.errors import CellProblem
from submissions.excel.formulas import put_text
from submissions.excel.report import error_report_workbook, pydantic_problems
from submissions.excel.safe import read_sheet
from submissions.validation import check_application

__all__ = [
    "APPLICATIONS_SHEET",
    "ApplicationImport",
    "ImportedApplication",
    "application_columns",
    "application_template",
    "error_report_workbook",
    "read_applications",
]

APPLICATIONS_SHEET = "申报表 Applications"
INSTRUCTIONS_SHEET = "填表说明 Instructions"
LISTS_SHEET = "选项 Lists"
MAX_APPLICATION_ROWS = 20_000
MAX_COLUMNS = 500
_PLACEHOLDER = "-"
_REGIONS_LISTED = 40
_BASE = ("organisation", "credit_code", "region", "category", "title")


@dataclass(frozen=True)
class ImportedApplication:
    row: int
    application: Application


@dataclass(frozen=True)
class ApplicationImport:
    """Applications read from rows without problems, and every problem; import only when `problems` is empty.

    `rows` is empty when a header is wrong (the rows would be incomplete).
    """

    rows: list[ImportedApplication]
    problems: list[CellProblem]
    sheet: str = APPLICATIONS_SHEET


# -- columns -------------------------------------------------------------------------------------


def application_columns(rubric: Rubric) -> list[Column]:
    """The template's columns in order: applicant, indicators, declarations, then per judged criterion
    a narrative and an evidence column."""
    columns = [
        Column("organisation", "单位名称", "Organisation name", True, ("organisation", "申报单位")),
        Column("credit_code", "统一社会信用代码", "Unified social credit code", True, ("credit_code",)),
        Column("region", "地区", "Region", True, ("region",)),
        Column("category", "申报类别", "Category", True, ("category",)),
        Column("title", "项目名称", "Project title", True, ("title", "申报名称")),
    ]
    for ind in rubric.indicators:
        unit = _unit(ind)
        columns.append(
            Column(
                f"indicators.{ind.id}",
                f"{ind.label.zh}({unit})" if unit else ind.label.zh,
                f"{ind.label.en} ({unit})" if unit else ind.label.en,
                ind.required,
                (ind.id, ind.label.zh, ind.label.en),
            )
        )
    for did, label in _declarations(rubric):
        columns.append(
            Column(f"declarations.{did}", f"{label.zh}(是/否)", f"{label.en} (yes/no)", True, (did, label.zh, label.en))
        )
    for c in _judged(rubric):
        columns.append(Column(f"narratives.{c.id}", f"{c.label.zh}情况说明", f"{c.label.en}: description"))
        columns.append(Column(f"evidence.{c.id}", f"{c.label.zh}佐证材料", f"{c.label.en}: evidence"))
    return _distinct_headers(columns)


def _distinct_headers(columns: list[Column]) -> list[Column]:
    """Two columns may not share a header (two criteria with one label): such headers get the id."""
    counts: dict[str, int] = {}
    for column in columns:
        counts[compact(column.header)] = counts.get(compact(column.header), 0) + 1
    out = []
    for column in columns:
        if counts[compact(column.header)] > 1:
            suffix = f" [{column.field.split('.')[-1]}]"
            column = Column(column.field, column.zh + suffix, column.en + suffix, column.required, column.aliases)
        out.append(column)
    return out


def _unit(ind: Indicator) -> str:
    return ind.unit or ("%" if ind.type == "percent" else "")


def _declarations(rubric: Rubric) -> list:
    return [(g.id, g.label) for g in rubric.gates if g.check == "declared"] + [(v.id, v.label) for v in rubric.vetoes]


def _judged(rubric: Rubric) -> list[Criterion]:
    return [c for c in rubric.criteria if c.method == "judged"]


# -- template ------------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_WRAP = Alignment(wrap_text=True, vertical="top")


def application_template(rubric: Rubric, *, regions: Sequence[str]) -> bytes:
    """The .xlsx an applicant fills in: sheet 1 the applications, sheet 2 how to fill them in."""
    columns = application_columns(rubric)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = APPLICATIONS_SHEET
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    sources = _write_lists(lists, rubric, regions)
    last_row = MAX_APPLICATION_ROWS + 1
    rules = {c.field: _rule(c.field, rubric, regions) for c in columns}
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        cell = put_text(sheet.cell(row=1, column=position), column.header)
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.alignment = _WRAP
        sheet.column_dimensions[letter].width = _width(column)
        if column.field == "credit_code":
            sheet.column_dimensions[letter].number_format = "@"  # typed codes stay text, all 18 characters
        validation = _validation(column, rubric, sources, rules[column.field])
        if validation is not None:
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)
    sheet.row_dimensions[1].height = 60
    sheet.freeze_panes = "A2"
    _write_instructions(workbook.create_sheet(INSTRUCTIONS_SHEET, 1), rubric, columns, rules)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _width(column: Column) -> float:
    if column.field.startswith(("narratives.", "evidence.")):
        return 40
    if column.field in ("organisation", "title"):
        return 30
    if column.field == "credit_code":
        return 22
    return max(14, min(28, len(column.zh) * 2 + 2))


def _write_lists(lists: object, rubric: Rubric, regions: Sequence[str]) -> dict[str, str]:
    """Hidden sheet with the drop-down lists (a literal list is limited to 255 characters)."""
    columns = {
        "category": [c.label.zh for c in rubric.categories],
        "region": list(regions),
        "yes_no": [YES_ZH, NO_ZH],
    }
    for ind in rubric.indicators:
        if ind.type == "choice":
            columns[f"indicators.{ind.id}"] = [c.label.zh for c in ind.choices or []]
    sources = {}
    for position, (key, values) in enumerate(columns.items(), start=1):
        letter = get_column_letter(position)
        put_text(lists.cell(row=1, column=position), key)  # type: ignore[attr-defined]
        for row, value in enumerate(values, start=2):
            put_text(lists.cell(row=row, column=position), value)  # type: ignore[attr-defined]
        sources[key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${max(len(values), 1) + 1}"
    return sources


def _rule(field: str, rubric: Rubric, regions: Sequence[str]) -> tuple[str, str]:
    """What a column accepts, in each language; used for the input prompt and the instructions."""
    if field == "organisation":
        return f"填写单位全称,最多{NAME_MAX}个字。", f"The organisation's full name, at most {NAME_MAX} characters."
    if field == "credit_code":
        return (
            "18位统一社会信用代码(数字和大写字母,不含I、O、S、V、Z),按营业执照填写。",
            "The 18-character unified social credit code (digits and capitals, no I, O, S, V, Z) from the licence.",
        )
    if field == "region":
        return "从下拉列表选择:" + "、".join(regions) + "。", "Choose from the list: " + ", ".join(regions) + "."
    if field == "category":
        return (
            "从下拉列表选择:" + "、".join(c.label.zh for c in rubric.categories) + "。",
            "Choose from the list: " + ", ".join(c.label.en for c in rubric.categories) + ".",
        )
    if field == "title":
        return (
            f"项目或申报事项名称,最多{NAME_MAX}个字。",
            f"The project's or application's name, at most {NAME_MAX} characters.",
        )
    kind, _, key = field.partition(".")
    if kind == "indicators":
        return _indicator_rule(next(i for i in rubric.indicators if i.id == key))
    if kind == "declarations":
        return "选择“是”或“否”,必须回答。", "Choose 是 (yes) or 否 (no); an answer is required."
    criterion = rubric.criterion(key)
    evidence = criterion.evidence
    if kind == "narratives":
        hint_zh = f"请说明:{evidence.zh}。" if evidence else ""
        hint_en = f" Describe: {evidence.en}." if evidence else ""
        return (
            f"围绕“{criterion.label.zh}”说明情况,最多{NARRATIVE_MAX}字。{hint_zh}",
            f"What was done for “{criterion.label.en}”, at most {NARRATIVE_MAX} characters.{hint_en}",
        )
    return (
        f"列出“{criterion.label.zh}”的佐证材料(文件名、链接、数据来源),最多{NARRATIVE_MAX}字。",
        f"Evidence for “{criterion.label.en}” (file names, links, sources of figures), "
        f"at most {NARRATIVE_MAX} characters.",
    )


def _indicator_rule(ind: Indicator) -> tuple[str, str]:
    required_zh, required_en = ("必填。", " Required.") if ind.required else ("选填。", " Optional.")
    if ind.type == "bool":
        return "选择“是”或“否”。" + required_zh, "Choose 是 (yes) or 否 (no)." + required_en
    if ind.type == "choice":
        choices = ind.choices or []
        return (
            "从下拉列表选择:" + "、".join(c.label.zh for c in choices) + "。" + required_zh,
            "Choose from the list: " + ", ".join(c.label.en for c in choices) + "." + required_en,
        )
    unit = _unit(ind)
    kind_zh, kind_en = ("整数", "a whole number") if ind.type == "int" else ("数字", "a number")
    parts_zh, parts_en = [f"填写{kind_zh}"], [f"Enter {kind_en}"]
    if ind.min is not None and ind.max is not None:
        parts_zh.append(f",{number_text(ind.min)}至{number_text(ind.max)}")
        parts_en.append(f" from {number_text(ind.min)} to {number_text(ind.max)}")
    elif ind.min is not None:
        parts_zh.append(f",不小于{number_text(ind.min)}")
        parts_en.append(f" of at least {number_text(ind.min)}")
    elif ind.max is not None:
        parts_zh.append(f",不大于{number_text(ind.max)}")
        parts_en.append(f" of at most {number_text(ind.max)}")
    if unit == "%":
        parts_zh.append(",单位为%,如18.5表示18.5%,不要输入%号")
        parts_en.append(", in percent: 18.5 means 18.5 %, without the % sign")
    elif unit:
        parts_zh.append(f",单位为{unit},只填数字")
        parts_en.append(f", in {unit}, the number only")
    return "".join(parts_zh) + "。" + required_zh, "".join(parts_en) + "." + required_en


def _validation(
    column: Column, rubric: Rubric, sources: dict[str, str], rule: tuple[str, str]
) -> DataValidation | None:
    kind, _, key = column.field.partition(".")
    options: dict[str, object] = {}
    if column.field in ("category", "region"):
        options = {"type": "list", "formula1": sources[column.field]}
    elif kind == "declarations":
        options = {"type": "list", "formula1": sources["yes_no"]}
    elif kind == "indicators":
        ind = next(i for i in rubric.indicators if i.id == key)
        if ind.type == "bool":
            options = {"type": "list", "formula1": sources["yes_no"]}
        elif ind.type == "choice":
            options = {"type": "list", "formula1": sources[column.field]}
        else:
            options = {"type": "whole" if ind.type == "int" else "decimal", **_bounds(ind)}
    elif column.field == "credit_code":
        options = {"type": "textLength", "operator": "equal", "formula1": "18"}
    elif column.field in ("organisation", "title"):
        options = {"type": "textLength", "operator": "lessThanOrEqual", "formula1": str(NAME_MAX)}
    else:
        options = {"type": "textLength", "operator": "lessThanOrEqual", "formula1": str(NARRATIVE_MAX)}
    validation = DataValidation(
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle=column.zh[:32],
        prompt=_limit(f"{rule[0]}\n{rule[1]}", 255),
        errorTitle="输入有误 Invalid entry",
        error=_limit(f"{rule[0]}\n{rule[1]}", 255),
        **options,
    )
    return validation


def _bounds(ind: Indicator) -> dict[str, str]:
    if ind.min is not None and ind.max is not None:
        return {"operator": "between", "formula1": number_text(ind.min), "formula2": number_text(ind.max)}
    if ind.min is not None:
        return {"operator": "greaterThanOrEqual", "formula1": number_text(ind.min)}
    if ind.max is not None:
        return {"operator": "lessThanOrEqual", "formula1": number_text(ind.max)}
    return {"operator": "between", "formula1": "-1E+15", "formula2": "1E+15"}


def _limit(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _write_instructions(sheet: object, rubric: Rubric, columns: list[Column], rules: dict) -> None:
    rows: list[list[str]] = [
        [f"填表说明 Instructions — {rubric.title.zh} / {rubric.title.en}"],
        [
            "1. 在“申报表 Applications”工作表中每行填写一个申报;第1行是表头,请勿修改或删除。",
            "One application per row on the sheet “申报表 Applications”; row 1 holds the headers: do not change them.",
        ],
        [
            "2. 带下拉箭头的列请从列表中选择;“是/否”列须回答“是”或“否”。",
            "Columns with a drop-down take a value from the list; yes/no columns need 是 or 否.",
        ],
        [
            "3. 数值列只填数字,不带单位;百分比填百分数数值(18.5表示18.5%)。全角数字会按半角读取。",
            "Number columns take the number only, without units; percentages as 18.5 for 18.5 %. Full-width digits "
            "are read as ordinary digits.",
        ],
        [
            "4. 上传后系统逐格检查;有任何错误时不导入任何一行,并列出全部错误,可下载标出错误的工作簿,修改后重新上传。",
            "On upload every cell is checked; if anything is wrong nothing is imported, every problem is listed and "
            "a copy with the wrong cells marked can be downloaded, fixed and uploaded again.",
        ],
        [],
        ["列 Column", "表头 Header", "必填 Required", "填写规则", "Rules"],
    ]
    for position, column in enumerate(columns, start=1):
        zh, en = rules[column.field]
        rows.append([get_column_letter(position), column.header, "是 yes" if column.required else "否 no", zh, en])
    rows += [[], ["评分项 Criterion", "满分 Max points", "说明与佐证材料", "Description and evidence"]]
    for c in rubric.criteria:
        evidence_zh = c.evidence.zh if c.evidence else ""
        evidence_en = c.evidence.en if c.evidence else ""
        how_zh = "按申报指标自动计分" if c.method == "formula" else "专家评审打分"
        how_en = "computed from the indicators" if c.method == "formula" else "scored by the panel"
        rows.append(
            [
                f"{c.label.zh}\n{c.label.en}",
                number_text(c.max_points),
                f"{how_zh}。{evidence_zh}",
                f"{how_en}. {evidence_en}",
            ]
        )
    for row, values in enumerate(rows, start=1):
        for position, value in enumerate(values, start=1):
            cell = put_text(sheet.cell(row=row, column=position), value)  # type: ignore[attr-defined]
            cell.alignment = _WRAP
            if row in (1, 7) or values[0] == "评分项 Criterion":
                cell.font = _HEADER_FONT
    for letter, width in zip("ABCDE", (22, 36, 14, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width  # type: ignore[attr-defined]
    sheet.freeze_panes = "A2"  # type: ignore[attr-defined]


# -- import --------------------------------------------------------------------------------------


def read_applications(data: bytes, rubric: Rubric, *, regions: Sequence[str]) -> ApplicationImport:
    """Every row of the applications sheet as an Application, or every problem with the cells.

    Raises `WorkbookRejected` when the file itself is refused (not a workbook, hostile, too big).
    """
    values = read_sheet(
        data,
        prefer=(APPLICATIONS_SHEET, "申报表", "Applications"),
        max_rows=MAX_APPLICATION_ROWS + 1,
        max_columns=MAX_COLUMNS,
    )
    sheet = values.title
    if not values.rows or all(is_blank(v) for v in values.rows[0]):
        return ApplicationImport(
            [],
            [
                CellProblem(
                    sheet,
                    1,
                    "A",
                    "",
                    "",
                    "no_header",
                    "第1行没有表头;请使用下载的模板填写,保留第1行的表头。",
                    "Row 1 holds no headers; fill in the downloaded template and keep its header row.",
                )
            ],
            sheet,
        )
    columns = application_columns(rubric)
    body = values.rows[1:]
    layout = match_headers(sheet, values.rows[0], body, columns)
    reader = _RowReader(rubric, regions, columns, layout, sheet)
    imported: list[ImportedApplication] = []
    problems = list(layout.problems)
    seen: dict[tuple[str, str], int] = {}
    for row, cells in enumerate(body, start=2):
        if all(is_blank(v) for v in cells):
            continue
        application, found = reader.read(row, cells)
        problems += found
        if application is not None and application.credit_code != _PLACEHOLDER:
            key = (application.credit_code, compact(application.title))
            if key in seen:
                problems.append(reader.duplicate(row, seen[key]))
            else:
                seen[key] = row
                if not found:
                    imported.append(ImportedApplication(row, application))
    if not imported and not problems:
        problems.append(
            CellProblem(
                sheet,
                2,
                "A",
                "",
                "",
                "no_rows",
                "表中没有填写任何申报;请从第2行起每行填写一个申报。",
                "The sheet holds no application; fill in one application per row from row 2.",
            )
        )
    header_broken = any(p.row == 1 for p in layout.problems)
    return ApplicationImport([] if header_broken else imported, problems, sheet)


class _RowReader:
    """Reads one row into an Application; the rubric's lookups are built once per import."""

    def __init__(self, rubric: Rubric, regions: Sequence[str], columns: list[Column], layout: Layout, sheet: str):
        self.rubric = rubric
        self.sheet = sheet
        self.columns = {c.field: c for c in columns}
        self.layout = layout
        self.position = layout.positions
        self.category = lookup(
            {k: c.id for c in rubric.categories for k in (c.id, c.label.zh, c.label.en)},
        )
        self.regions = {normalise(r): r for r in regions}
        shown_regions = list(regions)[:_REGIONS_LISTED]
        more = len(regions) - len(shown_regions)
        self.region_zh = "、".join(shown_regions) + (f"等{len(regions)}个地区" if more > 0 else "")
        self.region_en = ", ".join(shown_regions) + (f" … ({len(regions)} in all)" if more > 0 else "")
        self.indicators = [(i, self.position.get(f"indicators.{i.id}")) for i in rubric.indicators]
        self.choices = {
            i.id: lookup({k: c.value for c in i.choices or [] for k in (c.value, c.label.zh, c.label.en)})
            for i in rubric.indicators
            if i.type == "choice"
        }
        self.declarations = [
            (did, label, self.position.get(f"declarations.{did}")) for did, label in _declarations(rubric)
        ]
        self.texts = [
            (kind, c.id, self.position.get(f"{kind}.{c.id}"))
            for c in _judged(rubric)
            for kind in ("narratives", "evidence")
        ]
        # Fields whose column is missing are reported once, at the header, not on every row.
        self.absent = {f for f in self.columns if f not in self.position}

    # -- one row ---------------------------------------------------------------------------------

    def read(self, row: int, cells: tuple) -> tuple[Application | None, list[CellProblem]]:
        problems: list[CellProblem] = []
        reported = set(self.absent)

        def cell(field: str) -> object:
            position = self.position.get(field)
            return cells[position] if position is not None and position < len(cells) else None

        def problem(field: str, code: str, zh: str, en: str) -> None:
            reported.add(field)
            problems.append(self.problem(row, field, code, zh, en))

        fields: dict[str, object] = {
            "application_id": f"row-{row}",
            "rubric_id": self.rubric.id,
            "indicators": {},
            "declarations": {},
            "narratives": {},
            "evidence": {},
        }
        for name in ("organisation", "region", "category"):
            value = cell(name)
            fields[name] = normalise(as_text(value)) if name != "organisation" else as_text(value).strip()
            if is_blank(value) and name not in self.absent:
                label = self.columns[name]
                problem(
                    name, "blank", f"“{label.zh}”为必填项,尚未填写;请填写。", f"“{label.en}” is required; fill it in."
                )
        self._credit_code(cell("credit_code"), fields, problem)
        fields["title"] = as_text(cell("title")).strip()
        if fields["region"] and "region" not in reported:
            region = self.regions.get(str(fields["region"]))
            if region is None:
                problem(
                    "region",
                    "unknown_region",
                    f"地区“{shown(fields['region'])}”不在本次评审的地区范围内;请从下拉列表中选择:{self.region_zh}。",
                    f"The region “{shown(fields['region'])}” is not one of this round's regions; choose one of: "
                    f"{self.region_en}.",
                )
            else:
                fields["region"] = region
        if fields["category"] and "category" not in reported:
            fields["category"] = self.category(fields["category"]) or fields["category"]
        self._indicators(cell, fields)
        for did, label, position in self.declarations:
            value = cells[position] if position is not None and position < len(cells) else None
            if is_blank(value):
                continue  # check_application reports it unanswered
            answer = parse_yes_no(value)
            if answer is None:
                problem(
                    f"declarations.{did}",
                    "not_yes_no",
                    f"声明事项“{label.zh}”应填写“是”或“否”,而填写的是“{shown(value)}”;请选择“是”或“否”。",
                    f"The declaration “{label.en}” takes 是 (yes) or 否 (no), not “{shown(value)}”; choose one.",
                )
            else:
                fields["declarations"][did] = answer  # type: ignore[index]
        for kind, cid, position in self.texts:
            value = cells[position] if position is not None and position < len(cells) else None
            if not is_blank(value):
                fields[kind][cid] = as_text(value)  # type: ignore[index]
        for name in _BASE:
            if name in reported and name != "title":
                fields[name] = _PLACEHOLDER
        application = self._build(row, fields, reported, problems)
        if application is None:
            problems.sort(key=lambda p: self.position.get(p.field, len(self.columns)))
            return None, problems
        for found in check_application(application, self.rubric):
            field = found.field
            if field in reported or field not in self.columns:
                continue
            reported.add(field)
            problems.append(self.problem(row, field, found.code, found.message_zh, found.message_en))
        problems.sort(key=lambda p: self.position.get(p.field, len(self.columns)))  # left to right
        return application, problems

    def _credit_code(self, value: object, fields: dict, problem: object) -> None:
        label = self.columns["credit_code"]
        fields["credit_code"] = "".join(normalise(as_text(value)).split()).upper()
        if "credit_code" in self.absent:
            return
        if is_blank(value):
            problem(  # type: ignore[operator]
                "credit_code",
                "blank",
                f"“{label.zh}”为必填项,尚未填写;请填写18位统一社会信用代码。",
                f"“{label.en}” is required; enter the 18-character code.",
            )
        elif isinstance(value, int | float) and not isinstance(value, bool):
            problem(  # type: ignore[operator]
                "credit_code",
                "credit_code_number",
                f"统一社会信用代码被Excel存成了数字({shown(value)}),超过15位的数字会丢失;请把该列设为文本格式,"
                "重新输入完整的18位代码。",
                f"The credit code was stored as a number ({shown(value)}), and Excel drops digits beyond the "
                "fifteenth; format the column as text and re-type all 18 characters.",
            )

    def _indicators(self, cell: object, fields: dict) -> None:
        for ind, position in self.indicators:
            if position is None:
                continue
            value = cell(f"indicators.{ind.id}")  # type: ignore[operator]
            if is_blank(value):
                continue  # check_application reports a required one as missing
            if ind.type == "bool":
                answer = parse_yes_no(value)
                parsed: object = answer if answer is not None else as_text(value)
            elif ind.type == "choice":
                parsed = self.choices[ind.id](value) or as_text(value)
            else:
                parsed = parse_number(value, percent=ind.type == "percent")
                if ind.type == "int" and isinstance(parsed, float) and parsed.is_integer():
                    parsed = int(parsed)
            if isinstance(parsed, str):
                parsed = parsed[:NAME_MAX]  # check_application reports it as not a number / choice
            elif not isinstance(parsed, bool | int | float):
                parsed = as_text(parsed)[:NAME_MAX]  # a date in a number column: reported as not a number
            fields["indicators"][ind.id] = parsed

    def _build(self, row: int, fields: dict, reported: set[str], problems: list[CellProblem]) -> Application | None:
        """The Application, or None; contract errors become cell problems and their cells are set aside."""
        for _ in range(3):
            try:
                return Application(**fields)
            except ValidationError as exc:
                for field, code, zh, en in pydantic_problems(exc):
                    if field not in reported and field in self.columns:
                        reported.add(field)
                        problems.append(self.problem(row, field, code, zh, en))
                    kind, _, key = field.partition(".")
                    if key and isinstance(fields.get(kind), dict):
                        fields[kind] = {k: v for k, v in fields[kind].items() if k != key}
                    elif kind in fields:
                        fields[kind] = "" if kind == "title" else _PLACEHOLDER
        return None

    # -- messages --------------------------------------------------------------------------------

    def problem(self, row: int, field: str, code: str, zh: str, en: str) -> CellProblem:
        return cell_problem(self.sheet, self.layout, self.columns, row, field, code, zh, en)

    def duplicate(self, row: int, first: int) -> CellProblem:
        field = "title" if "title" in self.position else "credit_code"
        return self.problem(
            row,
            field,
            "duplicate_application",
            f"本行与第{first}行的统一社会信用代码和项目名称都相同,是重复申报;请删除重复的一行,或修改项目名称。",
            f"This row has the same credit code and project title as row {first}; delete the repeated row or "
            "change the title.",
        )
