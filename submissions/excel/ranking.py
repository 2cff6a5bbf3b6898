"""The ranking workbook administrators download, and the ranking as CSV.

Written with XlsxWriter in constant-memory mode (rows streamed to disk in order; about twice as
fast as openpyxl's write-only mode), with strings never turned into formulas, URLs or numbers:
every text (titles, organisation names, reasons, reviewer names, audit notes) is a string cell.

Sheets: 排名 Ranking (one row per application, ranked first by rank, then the unranked by total),
评分项得分 Criterion scores, 评审明细 Reviewer detail (as the caller gives it, already anonymised
where the identity policy says so), 评审统计 Panel statistics, 设置 Settings and 审计摘要 Audit
summary. Headers are bilingual; `lang` picks the language of labels, reasons and yes/no.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xlsxwriter

from rubrics.schema import Rubric
from scoring.evaluate import Evaluation
from submissions.excel.cells import number_text
from submissions.excel.formulas import csv_bytes, excel_text, plain
from submissions.excel.report import XLSXWRITER_OPTIONS

__all__ = ["SHEETS", "ranking_csv", "ranking_order", "ranking_workbook"]

SHEETS = (
    "排名 Ranking",
    "评分项得分 Criterion scores",
    "评审明细 Reviewer detail",
    "评审统计 Panel statistics",
    "设置 Settings",
    "审计摘要 Audit summary",
)
_SPECIAL_BANDS = {
    "ineligible": ("不符合申报条件", "Ineligible"),
    "unscored": ("尚未评分", "Not scored"),
}
_RECOMMENDED_FILLS = ("#C6EFCE", "#A9D08E", "#E2EFDA", "#92D050")
_OTHER_FILLS = ("#FFEB9C", "#FCE4D6", "#EDEDED", "#DDEBF7", "#FFF2CC")
_SPECIAL_FILLS = {"ineligible": "#FFC7CE", "unscored": "#D9D9D9"}
_KNOWN_HEADERS = {
    "application_ref": ("申报编号", "Application ref"),
    "application_id": ("申报编号", "Application ref"),
    "reviewer": ("评审专家", "Reviewer"),
    "reviewer_id": ("评审专家", "Reviewer"),
    "sheets": ("评审份数", "Sheets"),
    "mean_total": ("平均总分", "Mean total"),
    "severity_points": ("宽严偏差(分)", "Severity (points)"),
    "severity_fraction": ("宽严偏差(占满分比例)", "Severity (share of maximum)"),
}


_EXCEL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
TITLE = "app:title"
ORGANISATION = "app:organisation"


@dataclass(frozen=True)
class _Column:
    """An output column: bilingual header, its values in output order, and how to write them."""

    zh: str
    en: str
    cells: list
    kind: str  # "text", "int", "score", "number", "band"
    width: float = 12


def ranking_order(table: pd.DataFrame) -> np.ndarray:
    """Row positions: ranked applications by rank, then the others by total (highest first), then id."""
    rank = table["rank"].to_numpy(dtype=float, na_value=np.nan)
    total = table["total"].to_numpy(dtype=float, na_value=np.nan)
    ids = table["application_id"].astype(str).to_numpy(dtype=str)
    unranked = np.isnan(rank)
    by_total = np.where(np.isnan(total), np.inf, -total)
    return np.lexsort((ids, by_total, np.where(unranked, np.inf, rank), unranked))


def _labels(lang: str) -> tuple[str, str]:
    return ("yes", "no") if lang == "en" else ("是", "否")


def _texts(series: pd.Series, order: np.ndarray) -> list[str]:
    return ["" if plain(v) is None else str(v) for v in series.to_numpy(dtype=object)[order].tolist()]


def _numbers(series: pd.Series, order: np.ndarray) -> list[float | None]:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)[order]
    return [None if v != v else v for v in values.tolist()]


def _ints(series: pd.Series, order: np.ndarray) -> list[int | None]:
    return [None if v is None else int(v) for v in _numbers(series, order)]


def _flags(series: pd.Series, order: np.ndarray, lang: str) -> list[str]:
    yes, no = _labels(lang)
    values = series.to_numpy(dtype=object)[order].tolist()
    return ["" if plain(v) is None else (yes if bool(v) else no) for v in values]


def _ranking_columns(table: pd.DataFrame, rubric: Rubric, lang: str) -> tuple[np.ndarray, list[_Column]]:
    order = ranking_order(table)
    categories = {c.id: c.label.get(lang) for c in rubric.categories}
    bands = {b.id: b.label.get(lang) for b in rubric.bands}
    bands.update({k: (en if lang == "en" else zh) for k, (zh, en) in _SPECIAL_BANDS.items()})
    empty = pd.Series([""] * len(table), index=table.index, dtype=object)
    reasons = "reasons_en" if lang == "en" else "reasons_zh"
    band_ids = _texts(table["band"], order)
    columns = [
        _Column("排名", "Rank", _ints(table["rank"], order), "int", 7),
        _Column("类别内排名", "Rank in category", _ints(table["rank_category"], order), "int", 9),
        _Column("申报编号", "Application ref", _texts(table["application_id"], order), "text", 14),
        _Column("项目名称", "Title", _texts(table.get(TITLE, empty), order), "text", 36),
        _Column("申报单位", "Organisation", _texts(table.get(ORGANISATION, empty), order), "text", 30),
        _Column(
            "申报类别",
            "Category",
            [categories.get(c, c) for c in _texts(table["category"], order)],
            "text",
            14,
        ),
        _Column("地区", "Region", _texts(table["region"], order), "text", 10),
        _Column("推荐档次", "Band", [(bands.get(b, b), b) for b in band_ids], "band", 14),
        _Column("建议推荐", "Recommended", _flags(table["recommended"], order, lang), "text", 9),
        _Column("名额内", "Within quota", _flags(table["within_quota"], order, lang), "text", 9),
        _Column("总分", "Total", _numbers(table["total"], order), "score", 9),
        _Column("基本分", "Main total", _numbers(table["main_total"], order), "score", 9),
        _Column("加分", "Bonus", _numbers(table["bonus"], order), "score", 8),
    ]
    for d in rubric.dimensions:
        column = f"dim:{d.id}"
        if column in table.columns:
            columns.append(_Column(d.label.zh, d.label.en, _numbers(table[column], order), "score", 11))
    columns += [
        _Column("符合申报条件", "Eligible", _flags(table["eligible"], order, lang), "text", 9),
        _Column("不符合原因", "Reasons", _texts(table[reasons], order), "text", 36),
        _Column("评分分歧较大", "Disagreement flag", _flags(table["disagreement_flag"], order, lang), "text", 10),
    ]
    return order, columns


def _criterion_columns(table: pd.DataFrame, rubric: Rubric, order: np.ndarray) -> list[_Column]:
    empty = pd.Series([""] * len(table), index=table.index, dtype=object)
    columns = [
        _Column("排名", "Rank", _ints(table["rank"], order), "int", 7),
        _Column("申报编号", "Application ref", _texts(table["application_id"], order), "text", 14),
        _Column("项目名称", "Title", _texts(table.get(TITLE, empty), order), "text", 36),
    ]
    for c in rubric.criteria:
        if c.id in table.columns:
            top = number_text(c.max_points)
            columns.append(
                _Column(
                    f"{c.label.zh}(满分{top})", f"{c.label.en} (max {top})", _numbers(table[c.id], order), "score", 12
                )
            )
    return columns


def _frame_columns(
    frame: pd.DataFrame, rubric: Rubric, lang: str, labels: Mapping[str, str] | None = None
) -> list[_Column]:
    """A frame as given: numbers as numbers (criterion points as scores), booleans as yes/no, the rest text."""
    criteria = {c.id: c for c in rubric.criteria}
    everyone = np.arange(len(frame))
    columns = []
    for name in frame.columns:
        series = frame[name]
        key = str(name)
        if key in criteria:
            zh, en = criteria[key].label.zh, criteria[key].label.en
        else:
            zh, en = _KNOWN_HEADERS.get(key, (key, ""))
        if pd.api.types.is_bool_dtype(series.dtype):
            columns.append(_Column(zh, en, _flags(series, everyone, lang), "text", 10))
        elif pd.api.types.is_numeric_dtype(series.dtype):
            kind = "score" if key in criteria or series.dtype.kind == "f" else "number"
            columns.append(_Column(zh, en, _numbers(series, everyone), kind, 12))
        else:
            values = _texts(series, everyone)
            if labels is not None and key in ("reviewer_id", "reviewer"):
                values = [labels.get(v, v) for v in values]
            columns.append(_Column(zh, en, values, "text", 18))
    return columns


class _Writer:
    """Formats of one workbook, and writing a sheet of `_Column`s row by row (constant memory)."""

    def __init__(self, workbook: xlsxwriter.Workbook, rubric: Rubric):
        self.workbook = workbook
        self.header = workbook.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "bottom": 1}
        )
        self.score = workbook.add_format({"num_format": "0.00"})
        self.integer = workbook.add_format({"num_format": "0"})
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.bands: dict[str, object] = {}
        recommended = iter(_RECOMMENDED_FILLS * 4)
        other = iter(_OTHER_FILLS * 4)
        for band in rubric.bands:
            colour = next(recommended) if band.recommended else next(other)
            self.bands[band.id] = workbook.add_format({"bg_color": colour, "bold": band.recommended})
        for band, colour in _SPECIAL_FILLS.items():
            self.bands[band] = workbook.add_format({"bg_color": colour})

    def sheet(self, title: str, columns: list[_Column], *, freeze_columns: int = 0, start_row: int = 0) -> object:
        worksheet = self.workbook.add_worksheet(title)
        self.write(worksheet, columns, start_row=start_row)
        worksheet.freeze_panes(start_row + 1, freeze_columns)
        return worksheet

    def write(self, worksheet: object, columns: list[_Column], *, start_row: int = 0) -> int:
        """Write the header at `start_row` and the values below it; returns the next free row."""
        ws = worksheet
        for c, column in enumerate(columns):
            ws.set_column(c, c, column.width)  # type: ignore[attr-defined]
            header = f"{column.zh}\n{column.en}" if column.en else column.zh
            ws.write_string(start_row, c, excel_text(header), self.header)  # type: ignore[attr-defined]
        ws.set_row(start_row, 45)  # type: ignore[attr-defined]
        plan = [self._plan(ws, c, column) for c, column in enumerate(columns)]
        n = max((len(column.cells) for column in columns), default=0)
        first = start_row + 1
        for i in range(n):  # row by row: constant-memory mode streams each row once
            r = first + i
            for c, values, formats, write in plan:
                value = values[i]
                if value is not None:
                    write(r, c, value, formats[i])
        return first + n

    def _plan(self, ws: object, c: int, column: _Column) -> tuple[int, list, list, Callable[..., object]]:
        """(column, values with None for blank, a format per row, the XlsxWriter method to write with)."""
        n = len(column.cells)
        if column.kind in ("int", "score", "number"):
            cell_format = {"int": self.integer, "score": self.score}.get(column.kind)
            return c, column.cells, [cell_format] * n, ws.write_number  # type: ignore[attr-defined]
        if column.kind == "band":
            values = [excel_text(label) or None for label, _ in column.cells]
            return c, values, [self.bands.get(band) for _, band in column.cells], ws.write_string  # type: ignore[attr-defined]
        values = [excel_text(v) or None for v in column.cells]
        return c, values, [None] * n, ws.write_string  # type: ignore[attr-defined]

    def key_values(self, worksheet: object, items: Mapping[str, object], start_row: int, lang: str) -> int:
        """Rows of key and value below a header; numbers stay numbers, dates dates, the rest text."""
        ws = worksheet
        ws.write_string(start_row, 0, "项目\nItem", self.header)  # type: ignore[attr-defined]
        ws.write_string(start_row, 1, "值\nValue", self.header)  # type: ignore[attr-defined]
        ws.set_column(0, 0, 28)  # type: ignore[attr-defined]
        ws.set_column(1, 1, 60)  # type: ignore[attr-defined]
        row = start_row + 1
        yes, no = _labels(lang)
        for key, raw in items.items():
            ws.write_string(row, 0, excel_text(str(key)))  # type: ignore[attr-defined]
            value = plain(raw)
            if isinstance(value, bool):
                ws.write_string(row, 1, yes if value else no)  # type: ignore[attr-defined]
            elif isinstance(value, int | float):
                ws.write_number(row, 1, value)  # type: ignore[attr-defined]
            elif isinstance(value, dt.datetime | dt.date):
                ws.write_datetime(row, 1, value, self.date)  # type: ignore[attr-defined]
            elif value is not None:
                ws.write_string(row, 1, excel_text(_display(value)))  # type: ignore[attr-defined]
            row += 1
        return row


def _display(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return json.dumps(items, ensure_ascii=False, default=str)
    return str(value)


def ranking_workbook(
    *,
    rubric: Rubric,
    evaluation: Evaluation,
    round_info: Mapping[str, object],
    reviewer_scores: pd.DataFrame,
    statistics: Mapping[str, object],
    audit_summary: pd.DataFrame,
    lang: str = "zh",
    reviewer_labels: Mapping[str, str] | None = None,
) -> bytes:
    """The administrators' workbook for one evaluated round.

    `evaluation.table` may carry `app:title` and `app:organisation` columns merged in by the caller
    (named with a colon, which no rubric id can contain, so they never clash with a criterion).
    `reviewer_labels` (reviewer id -> name shown) replaces the ids in the severity table; pass it
    (e.g. "专家1") when the round's identity policy hides reviewers, as `reviewer_scores` is already.
    """
    table = evaluation.table
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, XLSXWRITER_OPTIONS)
    workbook.set_properties({"title": f"{rubric.title.get(lang)} — ranking", "comments": evaluation.content_hash})
    writer = _Writer(workbook, rubric)

    order, columns = _ranking_columns(table, rubric, lang)
    ranking = writer.sheet(SHEETS[0], columns, freeze_columns=3)
    if len(table):
        ranking.autofilter(0, 0, len(table), len(columns) - 1)
    writer.sheet(SHEETS[1], _criterion_columns(table, rubric, order), freeze_columns=2)
    # The reviewer detail (a row per sheet, ~10^6 cells in a large round) is written as XML directly
    # and spliced in after XlsxWriter has finished: per-cell calls would take most of the time budget.
    writer.sheet(SHEETS[2], _frame_columns(reviewer_scores.iloc[:0], rubric, lang), freeze_columns=2)
    for c in range(reviewer_scores.shape[1]):
        workbook.worksheets()[2].set_column(c, c, 18 if c < 2 else 12)

    stats = workbook.add_worksheet(SHEETS[3])
    next_row = writer.write(stats, _frame_columns(evaluation.reviewers, rubric, lang, reviewer_labels or {}))
    stats.freeze_panes(1, 1)
    if statistics:
        writer.key_values(stats, statistics, next_row + 1, lang)

    settings = workbook.add_worksheet(SHEETS[4])
    writer.key_values(settings, round_info, 0, lang)
    settings.freeze_panes(1, 0)

    writer.sheet(SHEETS[5], _frame_columns(audit_summary, rubric, lang))
    workbook.close()
    rows = _detail_rows_xml(reviewer_scores, writer.score.xf_index)
    return _splice_rows(buffer.getvalue(), sheet_number=3, rows_xml=rows, shape=reviewer_scores.shape)


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(count):
        name, n = "", index + 1
        while n:
            n, rest = divmod(n - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _xml_text(values: list[str]) -> np.ndarray:
    """Cell text as XML, escaped as XlsxWriter escapes it: a literal `_xHHHH_` and a carriage return
    (which XML readers would turn into a line feed) as Excel's `_xHHHH_` escapes."""
    cache: dict[str, str] = {}  # a column repeats few values (references, reviewers)
    escaped = [cache[v] if v in cache else cache.setdefault(v, _cell_xml(v)) for v in values]
    return np.array(escaped, dtype=np.dtypes.StringDType())


def _cell_xml(value: str) -> str:
    text = excel_text(value)
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(r"_x005F\g<0>", text)
    if "\r" in text:
        text = text.replace("\r", "_x000D_")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _detail_rows_xml(frame: pd.DataFrame, score_style: int | None) -> str:
    """`<row>` elements for `frame` below a header row: text as inline strings (never formulas),
    numbers as numbers in the 0.00 format, blanks left out. Built column-wise with numpy strings."""
    if frame.empty:
        return ""
    n = len(frame)
    strings = np.dtypes.StringDType()
    row_numbers = np.arange(2, n + 2).astype(strings)
    style = f' s="{score_style}"' if score_style is not None else ""
    rows = np.full(n, "", dtype=strings)
    for letter, name in zip(_column_letters(frame.shape[1]), frame.columns, strict=True):
        series = frame[name]
        ref = np.strings.add(f'<c r="{letter}', row_numbers)
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            text = np.strings.add(np.strings.add(ref, f'"{style}><v>'), values.astype(strings))
            cells = np.where(np.isfinite(values), np.strings.add(text, "</v></c>"), "")
        else:
            shown = ["" if pd.isna(v) else (("是" if v else "否") if isinstance(v, bool) else str(v)) for v in series]
            body = np.strings.add(np.strings.add(ref, '" t="inlineStr"><is><t xml:space="preserve">'), _xml_text(shown))
            cells = np.where(np.array(shown, dtype=object) != "", np.strings.add(body, "</t></is></c>"), "")
        rows = np.strings.add(rows, cells.astype(strings))
    opened = np.strings.add(np.strings.add('<row r="', row_numbers), '">')
    return "".join(np.strings.add(np.strings.add(opened, rows), "</row>").tolist())


def _splice_rows(data: bytes, *, sheet_number: int, rows_xml: str, shape: tuple[int, int]) -> bytes:
    """The workbook with `rows_xml` appended to one sheet's data and its dimension updated."""
    if not rows_xml:
        return data
    name = f"xl/worksheets/sheet{sheet_number}.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == name:
                xml = content.decode("utf-8")
                last = f"{_column_letters(shape[1])[-1]}{shape[0] + 1}"
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', xml, count=1)
                xml = xml.replace("</sheetData>", rows_xml + "</sheetData>", 1)
                content = xml.encode("utf-8")
            target.writestr(item, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def ranking_csv(evaluation_table: pd.DataFrame, rubric: Rubric, lang: str = "zh") -> bytes:
    """The 排名 Ranking sheet as CSV (UTF-8 with BOM), text cells neutralised against formulas."""
    _, columns = _ranking_columns(evaluation_table, rubric, lang)
    headers = [f"{c.zh} / {c.en}" for c in columns]
    values = [[v[0] for v in c.cells] if c.kind == "band" else c.cells for c in columns]
    return csv_bytes(zip(*values, strict=True), headers)
