"""Reading what people type into cells: headers, text, numbers, yes/no answers.

Normalisation, deliberately, is Unicode NFKC: full-width digits, letters and punctuation that
Chinese input methods produce (`１２．５`, `ＡＢＣ`, `(%)`, `,`) read as their ASCII forms, so
`１２．５` is the number 12.5 and `９１１１…` a credit code. NFKC is applied to headers, numbers,
answers, regions, categories and credit codes, never to free text (organisation names, titles,
narratives, comments), which is kept as typed. After NFKC a number has ASCII digits only: digits
of other scripts (`٣`), which NFKC keeps and Python's `int` would accept, are not numbers, as in
`submissions.contracts` (the one number policy of the form, the import and the services).

Headers match when equal after NFKC, case folding and removing all whitespace, so the bilingual
template header, its Chinese line alone or its English line alone all name the same column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from openpyxl.utils.cell import get_column_letter

from submissions.excel.errors import CellProblem

YES_ZH, NO_ZH = "是", "否"
_YES = {"是", "yes", "y", "true", "1"}
_NO = {"否", "no", "n", "false", "0"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_INT_DIGITS_MAX = 300  # beyond any float; Python refuses int() of text over 4,300 digits


# -- headers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A template column: the contract `field` it feeds and its header's Chinese and English lines."""

    field: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return f"{self.zh}\n{self.en}"


def normalise_header(text: object) -> str:
    return "".join(unicodedata.normalize("NFKC", as_text(text)).casefold().split())


@dataclass(frozen=True)
class Layout:
    """Where each column of a sheet is: `positions[field]` is a 0-based index; problems with the headers."""

    positions: dict[str, int]
    problems: list[CellProblem] = field(default_factory=list)

    def letter(self, field_name: str) -> str:
        position = self.positions.get(field_name)
        return "" if position is None else get_column_letter(position + 1)


def match_headers(
    sheet: str, header: Sequence[object], body: Sequence[Sequence[object]], columns: Sequence[Column]
) -> Layout:
    """Find each column by its header; report unknown, repeated, unnamed and missing columns.

    A header may be the full bilingual text, either of its lines, or one of the column's aliases;
    an alias shared by two columns names neither.
    """
    names: dict[str, Column] = {}
    ambiguous: set[str] = set()
    for column in columns:
        keys = {normalise_header(k) for k in (column.header, column.zh, column.en, *column.aliases)}
        for key in keys:
            if key in names and names[key] is not column:
                ambiguous.add(key)
            names[key] = column
    for key in ambiguous:
        names.pop(key, None)

    positions: dict[str, int] = {}
    problems: list[CellProblem] = []
    width = max([len(header), *(len(r) for r in body)]) if body else len(header)
    for position in range(width):
        text = header[position] if position < len(header) else None
        letter = get_column_letter(position + 1)
        if is_blank(text):
            if any(position < len(r) and not is_blank(r[position]) for r in body):
                problems.append(
                    CellProblem(
                        sheet,
                        1,
                        letter,
                        "",
                        "",
                        "unnamed_column",
                        f"{letter}列有内容但第1行没有表头;请补上模板中的表头,或删除该列。",
                        f"Column {letter} has values but no header in row 1; give it the template's header or "
                        "delete the column.",
                    )
                )
            continue
        shown = as_text(text).replace("\n", " ").strip()
        column = names.get(normalise_header(text))
        if column is None:
            problems.append(
                CellProblem(
                    sheet,
                    1,
                    letter,
                    shown,
                    "",
                    "unknown_column",
                    f"单元格{letter}1的表头“{shown}”不是模板中的列;请改回模板中的表头,或删除该列。",
                    f"Cell {letter}1: the header “{shown}” is not a column of the template; restore the "
                    "template's header or delete the column.",
                )
            )
        elif column.field in positions:
            first = get_column_letter(positions[column.field] + 1)
            problems.append(
                CellProblem(
                    sheet,
                    1,
                    letter,
                    shown,
                    column.field,
                    "duplicate_column",
                    f"“{column.zh}”列出现了两次({first}列和{letter}列);请删除其中一列。",
                    f"The column “{column.en}” appears twice (columns {first} and {letter}); delete one of them.",
                )
            )
        else:
            positions[column.field] = position
    for column in columns:
        if column.required and column.field not in positions:
            problems.append(
                CellProblem(
                    sheet,
                    1,
                    "",
                    column.header.replace("\n", " "),
                    column.field,
                    "missing_column",
                    f"缺少“{column.zh}”列;请使用下载的模板,不要删除或改动表头。",
                    f"The column “{column.en}” is missing; use the downloaded template and keep its headers.",
                )
            )
    return Layout(positions, problems)


def cell_problem(
    sheet: str, layout: Layout, columns: dict[str, Column], row: int, field_name: str, code: str, zh: str, en: str
) -> CellProblem:
    """A problem at the cell of `field_name` in `row`; the messages start with the cell reference."""
    column = columns.get(field_name)
    letter = layout.letter(field_name)
    return CellProblem(
        sheet,
        row,
        letter,
        column.header.replace("\n", " ") if column else "",
        field_name,
        code,
        (f"单元格{letter}{row}:" if letter else f"第{row}行:") + zh,
        (f"Cell {letter}{row}: " if letter else f"Row {row}: ") + en,
    )


# -- values --------------------------------------------------------------------------------------


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: object) -> str:
    """A cell as text: numbers as written (12, not 12.0), dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def normalise(text: str) -> str:
    """NFKC and surrounding whitespace removed: the form answers, regions and numbers are read in."""
    return unicodedata.normalize("NFKC", text).strip()


def compact(text: str) -> str:
    """NFKC, case-folded, without any whitespace: the form labels and ids are compared in."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def parse_number(value: object, *, percent: bool = False) -> object:
    """A cell as a number (int when whole-valued text or an int cell, else float); anything that is
    not a number is returned unchanged, for the caller to report. Text accepts full-width digits,
    thousands separators and, with `percent`, a trailing `%`; never `nan` or `inf`."""
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    text = normalise(value).replace("\u2212", "-")
    if percent and text.endswith("%"):
        text = text[:-1].rstrip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        return value
    if _INTEGER.fullmatch(text) and len(text) <= _INT_DIGITS_MAX:
        return int(text)
    return float(text)


def parse_decimal(value: object) -> Decimal | None:
    """A cell as exact points: floats by their shortest repr (7.5 -> Decimal('7.5')); None if not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else Decimal(value)
    if isinstance(value, str):
        parsed = parse_number(value)
        if isinstance(parsed, int | float) and not isinstance(parsed, bool):
            try:
                return Decimal(normalise(value).replace("\u2212", "-").replace(",", ""))
            except InvalidOperation:
                return None
    return None


def parse_yes_no(value: object) -> bool | None:
    """是/否, yes/no, true/false, Y/N, 1/0 (any case or width) and boolean or 0/1 cells; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return {1: True, 0: False}.get(value)  # type: ignore[call-overload]
    if isinstance(value, str):
        key = normalise(value).casefold()
        if key in _YES:
            return True
        if key in _NO:
            return False
    return None


def lookup(options: dict[str, str]) -> Callable[[object], str | None]:
    """A matcher from any of the `options` keys (labels, ids) to its value, compared by `compact`."""
    table = {compact(k): v for k, v in options.items()}

    def find(value: object) -> str | None:
        return table.get(compact(as_text(value)))

    return find


def number_text(value: float | Decimal) -> str:
    """A number as a reader writes it: 10, 0.5, 1000000 (no trailing zeros, no exponent)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def shown(value: object, limit: int = 40) -> str:
    text = as_text(value).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"
