"""Telling the uploader what is wrong: contract errors as cell messages, and the marked-up workbook.

`error_report_workbook` gives back the uploaded sheet's values with every bad cell filled red and
its message as a cell comment, and a sheet "错误 Errors" listing every problem, so the uploader
can fix the file and send it again. Uploaded text is copied as text, never as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import xlsxwriter
from openpyxl.utils.cell import column_index_from_string
from pydantic import ValidationError

from submissions.excel.errors import CellProblem
from submissions.excel.formulas import write_text, write_value
from submissions.excel.safe import LIMITS, read_sheet

__all__ = ["ERRORS_SHEET", "error_report_workbook", "pydantic_problems"]

ERRORS_SHEET = "错误 Errors"
XLSXWRITER_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
_COMMENT_MAX = 30_000


def pydantic_problems(error: ValidationError) -> list[tuple[str, str, str, str]]:
    """(field, code, message zh, message en) for each contract error; `field` is `name` or `name.key`."""
    found = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"] if not str(p).startswith("[")]
        field = ".".join(loc[:2])
        ctx = item.get("ctx") or {}
        code = item["type"]
        english = item["msg"]
        english = english[0].upper() + english[1:]
        english = english if english.endswith(".") else english + "."
        found.append((field, code, _chinese(code, ctx), english))
    return found


def _chinese(code: str, ctx: dict) -> str:
    if code == "too_long":
        return f"内容有{ctx.get('length')}个字符,最多允许{ctx.get('limit')}个;请删减。"
    if code in ("blank_name", "blank_id"):
        return "内容为空;请填写。"
    if code == "nul_character":
        return f"第{ctx.get('position')}个字符是空字符(\\x00);请删除。"
    if code == "lone_surrogate":
        return f"第{ctx.get('position')}个字符不是有效文字;请重新输入。"
    if code == "duplicate_key":
        return "编号重复;请只保留一个。"
    return "内容不符合要求;请按模板说明修改。"


def error_report_workbook(data: bytes, problems: Sequence[CellProblem]) -> bytes:
    """The uploaded sheet's values with each bad cell red and commented, plus the sheet "错误 Errors".

    The sheet copied is the one the problems name (else the workbook's first sheet). Several
    problems in one cell share its comment. `data` is read through the same checks as an import.
    """
    wanted = [p.sheet for p in problems if p.sheet]
    values = read_sheet(data, prefer=wanted[:1], max_rows=LIMITS.rows, max_columns=LIMITS.columns)
    marks: dict[tuple[int, int], list[CellProblem]] = {}
    widest: dict[int, int] = {}  # row -> columns the marks need
    for problem in problems:
        if problem.column and problem.row >= 1:
            at = (problem.row - 1, column_index_from_string(problem.column) - 1)
            marks.setdefault(at, []).append(problem)
            widest[at[0]] = max(widest.get(at[0], 0), at[1] + 1)

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, XLSXWRITER_OPTIONS)
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"})
    bad = workbook.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    bad_header = workbook.add_format({"bold": True, "text_wrap": True, "bg_color": "#FFC7CE"})
    sheet = workbook.add_worksheet(_sheet_title(values.title))
    sheet.freeze_panes(1, 0)
    width = max([len(r) for r in values.rows] + [c + 1 for _, c in marks] + [1])
    sheet.set_column(0, width - 1, 20)
    last_row = max([len(values.rows) - 1] + [r for r, _ in marks])
    for r in range(last_row + 1):
        cells = values.rows[r] if r < len(values.rows) else ()
        for c in range(max(len(cells), widest.get(r, 0))):
            value = cells[c] if c < len(cells) else None
            found = marks.get((r, c))
            cell_format = (bad_header if r == 0 else bad) if found else (header if r == 0 else None)
            if value is None:
                if cell_format is not None:
                    sheet.write_blank(r, c, None, cell_format)
            else:
                write_value(sheet, r, c, value, cell_format)
            if found:
                comment = "\n\n".join(f"{p.message_zh}\n{p.message_en}" for p in found)[:_COMMENT_MAX]
                sheet.write_comment(r, c, comment, {"x_scale": 3, "y_scale": 2.5})
    _write_errors(workbook.add_worksheet(ERRORS_SHEET), header, problems)
    workbook.close()
    return buffer.getvalue()


def _write_errors(sheet: object, header: object, problems: Iterable[CellProblem]) -> None:
    titles = [
        "工作表\nSheet",
        "行\nRow",
        "列\nColumn",
        "单元格\nCell",
        "表头\nHeader",
        "代码\nCode",
        "问题\nProblem (中文)",
        "问题\nProblem (English)",
    ]
    for c, title in enumerate(titles):
        write_text(sheet, 0, c, title, header)
    for r, p in enumerate(problems, start=1):
        for c, value in enumerate((p.sheet, p.row, p.column, p.cell, p.header, p.code, p.message_zh, p.message_en)):
            if isinstance(value, int):
                sheet.write_number(r, c, value)  # type: ignore[attr-defined]
            else:
                write_text(sheet, r, c, value)
    for c, width in enumerate((18, 6, 6, 8, 30, 20, 60, 60)):
        sheet.set_column(c, c, width)  # type: ignore[attr-defined]
    sheet.freeze_panes(1, 0)  # type: ignore[attr-defined]


def _sheet_title(title: str) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in title).strip("'") or "Sheet1"
    cleaned = cleaned[:31]
    return cleaned if cleaned != ERRORS_SHEET else "Sheet1"
