"""Builders shared by the Excel tests: small real workbooks, filled templates, rewritten archives."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping, Sequence

from openpyxl import Workbook, load_workbook

from rubrics.schema import Rubric
from submissions.excel.applications import application_columns

REGIONS = ("北京", "广东", "湖北", "重庆", "黑龙江")
VALID_CODES = ("91110000802100433B", "9144030071526726XG")


def workbook_bytes(rows: Sequence[Sequence[object]], title: str = "Sheet") -> bytes:
    """A plain workbook written by openpyxl with `rows` on its only sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite(
    data: bytes,
    patch: Mapping[str, Callable[[bytes], bytes]] | None = None,
    extra: Mapping[str, bytes] | None = None,
) -> bytes:
    """The archive with some parts patched and some added (nothing is written to disk)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if patch and item.filename in patch:
                content = patch[item.filename](content)
            zout.writestr(item, content)
        for name, content in (extra or {}).items():
            zout.writestr(name, content)
    return out.getvalue()


def fill(template: bytes, rubric: Rubric, rows: Sequence[Mapping[str, object]], *, as_text: bool = False) -> bytes:
    """The template with `rows` (field -> value) written from row 2, as a person would in Excel.

    Strings are set as string cells (so `=...` stays text); `as_text` writes numbers as text too.
    """
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    position = {c.field: i for i, c in enumerate(application_columns(rubric), start=1)}
    for r, values in enumerate(rows, start=2):
        for field, value in values.items():
            cell = sheet.cell(row=r, column=position[field])
            cell.value = str(value) if as_text and value is not None else value
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def valid_row(rubric: Rubric, number: int = 0, **overrides: object) -> dict[str, object]:
    """Cells of a valid application for any shipped rubric: numbers mid-range, declarations passing."""
    row: dict[str, object] = {
        "organisation": f"示例信息科技有限公司{number}",
        "credit_code": VALID_CODES[number % 2],
        "region": REGIONS[number % len(REGIONS)],
        "category": rubric.categories[number % len(rubric.categories)].label.zh,
        "title": f"示范项目{number}",
    }
    for ind in rubric.indicators:
        low = ind.min if ind.min is not None else 0
        high = ind.max if ind.max is not None else 1000
        value = low + (high - low) / 4 + number
        row[f"indicators.{ind.id}"] = int(value) if ind.type == "int" else round(value, 1)
    for gate in rubric.gates:
        if gate.check == "declared":
            row[f"declarations.{gate.id}"] = "是"
    for veto in rubric.vetoes:
        row[f"declarations.{veto.id}"] = "否"
    judged = [c for c in rubric.criteria if c.method == "judged"]
    row[f"narratives.{judged[0].id}"] = "已建成覆盖全市的服务平台。\n第二段说明。"
    row[f"evidence.{judged[0].id}"] = "附件1:审计报告.pdf"
    row.update({k.replace("__", "."): v for k, v in overrides.items()})
    return row
