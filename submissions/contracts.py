"""What comes in: applications, self-assessments and score sheets, checked for shape only.

These models say what a well-formed submission looks like whatever the rubric; whether it fits a
given rubric (known category, indicators within bounds, points within the maximum, ...) is the job
of `submissions.validation`. Invariants enforced here:

- unknown keys are refused (`extra="forbid"`), and models are frozen;
- ids (including the keys of the id-keyed mappings and the credit code) lose surrounding whitespace
  and nothing else; no other text is altered: NFD text, zero-width characters, bidirectional
  controls, emoji and CJK of every plane are kept exactly as given;
- no text holds a NUL character or a lone surrogate;
- lengths are capped: ids 64, names 200, narratives 20,000, comments 5,000 characters;
- two keys of one mapping that are equal once stripped and put in Unicode NFC (`"é"` typed as one
  code point or as `e` plus a combining accent) are refused rather than merged;
- declarations are real booleans (no "yes", 1 or None).

Numbers (one policy for the form, the Excel import and these contracts):

- Points are exact decimals. Given as text they are read by `read_number_text`: Unicode NFKC,
  surrounding whitespace removed, U+2212 as the minus sign, then only ASCII digits, an optional
  sign, point and exponent. NFKC is deliberate: full-width digits and the full-width point that
  Chinese input methods type (`"１２"`, `"１２．５"`) read as 12 and 12.5, exactly as the Excel import
  reads a text cell (`submissions.excel.cells`). Digits of other scripts (`"٣"`), which NFKC keeps
  and Python's `Decimal` would accept, `"1_000"` and text over 100 characters are not numbers.
- Points that cannot be numbers (other text, blank text, None, true/false) are let through as
  `NotANumber`, and non-finite points (`NaN`, `inf`, also written as text) as the decimal they
  name, so that the rubric check reports them with the criterion's label in both languages
  instead of a type error. `1e309` as text is the exact decimal 1E+309 (out of range); as a float
  it is already infinity.
- Indicator values are JSON values (bool, int, float, text for choices); text is never a number
  there, whatever its width: `"１２"` is refused exactly as `"12"` is, as `not_a_number` with the
  indicator's label. The web form sends numbers and the Excel import converts its cells itself.

Where else Unicode forms are compared: rubric ids in NFC, case-folded (`rubrics.schema.normalise_id`);
user names in NFKC, case-folded (`submissions.accounts.normalise_username`, deliberately, so that a
full-width login typed by an input method is the same account); Excel headers, categories, regions,
yes/no answers and credit codes in NFKC (`submissions.excel.cells`). Free text is never normalised.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from submissions.errors import FieldProblem

ID_MAX = 64
NAME_MAX = 200
NARRATIVE_MAX = 20_000
COMMENT_MAX = 5_000
NUMBER_TEXT_MAX = 100

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,9})?")
_NON_FINITE = re.compile(r"[+-]?(?:s?nan|inf|infinity)", re.IGNORECASE)


# -- text ----------------------------------------------------------------------------------------


def text_fault(value: str, limit: int) -> tuple[str, dict[str, int]] | None:
    """What is wrong with `value` as stored text: (`nul_character` | `lone_surrogate` | `too_long`, details)."""
    if "\x00" in value:
        return "nul_character", {"position": value.index("\x00") + 1}
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return "lone_surrogate", {"position": exc.start + 1}
    if len(value) > limit:
        return "too_long", {"length": len(value), "limit": limit}
    return None


def text_problem(value: str, limit: int, *, field: str, label_zh: str, label_en: str) -> FieldProblem | None:
    """The problem with free text about to be stored (NUL, lone surrogate, over `limit`), in both languages.

    For text that does not go through a contract model (names of rounds, reasons, ...), so that it is
    refused with the same rules and words before any write.
    """
    fault = text_fault(value, limit)
    if fault is None:
        return None
    code, ctx = fault
    zh, en = _text_messages(code, ctx, label_zh, label_en)
    return FieldProblem(field, code, zh, en)


def _text_messages(code: str, ctx: Mapping[str, object], label_zh: str, label_en: str) -> tuple[str, str]:
    if code == "nul_character":
        return (
            f"“{label_zh}”的第{ctx['position']}个字符是空字符(\\x00);请删除该字符。",
            f"The {label_en} contains a NUL character (\\x00) at position {ctx['position']}; remove it.",
        )
    if code == "lone_surrogate":
        return (
            f"“{label_zh}”的第{ctx['position']}个字符不是有效的文字(孤立的代理码位);请重新输入,"
            "或把原文件另存为UTF-8后再复制。",
            f"The {label_en} contains a lone surrogate at position {ctx['position']}, which is not valid text; "
            "re-type it or re-save the source file as UTF-8.",
        )
    return (
        f"“{label_zh}”有{ctx['length']}个字符,最多允许{ctx['limit']}个;请删减。",
        f"The {label_en} has {ctx['length']} characters; at most {ctx['limit']} are allowed, so shorten it.",
    )


def _check_text(value: str, limit: int, what: str) -> str:
    fault = text_fault(value, limit)
    if fault is None:
        return value
    code, ctx = fault
    templates = {
        "nul_character": "the {what} contains a NUL character (\\x00) at position {position}; remove it",
        "lone_surrogate": "the {what} contains a lone surrogate at position {position}, which is not valid text; "
        "re-type it or re-save the source file as UTF-8",
        "too_long": "the {what} has {length} characters; at most {limit} are allowed, so shorten it",
    }
    raise PydanticCustomError(code, templates[code], {"what": what, **ctx})


def _id(value: str) -> str:
    value = value.strip()
    if not value:
        raise PydanticCustomError(
            "blank_id", "the id is empty; enter an id of 1 to {limit} characters", {"limit": ID_MAX}
        )
    return _check_text(value, ID_MAX, "id")


def _name(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank_name", "the name is empty; enter it")
    return _check_text(value, NAME_MAX, "name")


def _title(value: str) -> str:
    return _check_text(value, NAME_MAX, "title")


def _indicator_value(value: object) -> object:
    return _check_text(value, NAME_MAX, "value") if isinstance(value, str) else value


def _narrative(value: str) -> str:
    return _check_text(value, NARRATIVE_MAX, "narrative")


def _comment(value: str) -> str:
    return _check_text(value, COMMENT_MAX, "comment")


def _distinct_keys(value: Any) -> Any:
    """Refuse keys that become equal once stripped and in NFC, so that no entry silently replaces another."""
    if isinstance(value, dict):
        seen: dict[str, str] = {}
        for key in value:
            if not isinstance(key, str):
                continue
            same = unicodedata.normalize("NFC", key.strip())
            if same in seen:
                raise PydanticCustomError(
                    "duplicate_key",
                    "the keys “{first}” and “{second}” are the same id once surrounding spaces are removed "
                    "and both are put in Unicode NFC; keep only one of them",
                    {"first": seen[same], "second": key},
                )
            seen[same] = key
    return value


# -- numbers -------------------------------------------------------------------------------------


class NotANumber(str):
    """Points given as something that is not a number; the text shown back (empty for blank or None)."""


def number_text(text: str) -> str:
    """Text as numbers are read from it: NFKC, without surrounding whitespace, U+2212 as the minus sign."""
    return unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-")


def read_number_text(text: str) -> Decimal | None:
    """The exact decimal a text names (`"１２．５"` -> 12.5, `"NaN"` -> NaN), or None if it names none."""
    if len(text) > NUMBER_TEXT_MAX:
        return None
    plain = number_text(text)
    if not (_NUMBER.fullmatch(plain) or _NON_FINITE.fullmatch(plain)):
        return None
    try:
        return Decimal(plain)
    except InvalidOperation:  # pragma: no cover - the patterns admit only what Decimal reads
        return None


def _points(value: object) -> Decimal | NotANumber:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool) or value is None:
        return NotANumber("" if value is None else str(value).lower())
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value)) if math.isfinite(value) else Decimal(value)
    elif isinstance(value, str):
        read = read_number_text(value)
        if read is None:
            return NotANumber(value)
        number = read
    else:
        return NotANumber(type(value).__name__)
    if number.is_nan():
        return Decimal("NaN")  # -NaN and sNaN alike: not a number of points, and safe to compare
    return number.copy_abs() if number.is_zero() else number


Id = Annotated[str, AfterValidator(_id)]
Name = Annotated[str, AfterValidator(_name)]
Narrative = Annotated[str, AfterValidator(_narrative)]
Comment = Annotated[str, AfterValidator(_comment)]
# Anything is accepted and turned into a Decimal or a NotANumber; `validation` words the problems.
Points = Annotated[Decimal, PlainValidator(_points)]
# Checked after the union so that a bad string gets one error, not one per union member.
IndicatorValue = Annotated[bool | int | float | str | None, AfterValidator(_indicator_value)]


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Application(Contract):
    """An application as the applicant files it.

    `indicators` and `declarations` are keyed by rubric ids; `narratives` (what was done) and
    `evidence` (where it is shown: documents, links, figures) are keyed by criterion id.
    """

    application_id: Id
    rubric_id: Id
    category: Id
    region: Name
    organisation: Name
    credit_code: Id
    title: Annotated[str, AfterValidator(_title)] = ""
    indicators: Annotated[dict[Id, IndicatorValue], BeforeValidator(_distinct_keys)]
    declarations: Annotated[dict[Id, StrictBool], BeforeValidator(_distinct_keys)]
    narratives: Annotated[dict[Id, Narrative], BeforeValidator(_distinct_keys)] = Field(default_factory=dict)
    evidence: Annotated[dict[Id, Narrative], BeforeValidator(_distinct_keys)] = Field(default_factory=dict)


class SelfAssessment(Contract):
    """The applicant's own points per judged criterion, used to flag over-claiming."""

    application_id: Id
    points: Annotated[dict[Id, Points], BeforeValidator(_distinct_keys)]


class SheetEntry(Contract):
    points: Points
    comment: Comment = ""


class ScoreSheet(Contract):
    """One reviewer's points for one application; a draft may be partial, a submitted sheet not."""

    application_id: Id
    reviewer_id: Id
    entries: Annotated[dict[Id, SheetEntry], BeforeValidator(_distinct_keys)]
    status: Literal["draft", "submitted"]


# -- contract errors in both languages -----------------------------------------------------------

_FIELD_LABELS: dict[str, tuple[str, str]] = {
    "application_id": ("申报编号", "application ref"),
    "rubric_id": ("评分细则", "rubric"),
    "category": ("申报类别", "category"),
    "region": ("地区", "region"),
    "organisation": ("单位名称", "organisation name"),
    "credit_code": ("统一社会信用代码", "unified social credit code"),
    "title": ("项目名称", "project title"),
    "indicators": ("指标", "indicator"),
    "declarations": ("声明事项", "declaration"),
    "narratives": ("情况说明", "description"),
    "evidence": ("佐证材料", "evidence"),
    "points": ("分数", "points"),
    "entries": ("评分项", "criterion"),
    "comment": ("评语", "comment"),
    "reviewer_id": ("评审专家", "reviewer"),
    "status": ("状态", "status"),
}


def contract_problems(
    error: ValidationError, labels: Mapping[str, tuple[str, str]] | None = None
) -> list[FieldProblem]:
    """A contract's `ValidationError` as `FieldProblem`s worded in each language, one per error.

    `labels` maps an id (a criterion's, an indicator's) to its (zh, en) label, so that
    `narratives.market_prospect` reads as the criterion's name; without it the id is shown.
    """
    problems = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"] if not str(p).startswith("function-")]
        field = ".".join(loc)
        label_zh, label_en = _describe(loc, labels or {})
        ctx = item.get("ctx") or {}
        code = item["type"]
        if code in ("nul_character", "lone_surrogate", "too_long"):
            zh, en = _text_messages(code, ctx, label_zh, label_en)
        elif code in ("blank_id", "blank_name"):
            zh, en = f"“{label_zh}”为空;请填写。", f"The {label_en} is empty; fill it in."
        elif code == "duplicate_key":
            zh = f"“{ctx.get('first')}”与“{ctx.get('second')}”是同一个编号;请只保留其中一个。"
            en = f"“{ctx.get('first')}” and “{ctx.get('second')}” are the same id; keep only one of them."
        elif code == "extra_forbidden":
            zh, en = f"未知的字段“{field}”;请删除。", f"“{field}” is not a field of this form; remove it."
        elif code == "bool_type":
            zh, en = f"“{label_zh}”应回答“是”或“否”;请选择。", f"The {label_en} must be answered yes or no; choose one."
        elif code == "missing":
            zh, en = f"缺少“{label_zh}”;请填写。", f"The {label_en} is missing; fill it in."
        else:
            zh = f"“{label_zh}”的内容不符合要求;请按表单说明修改。"
            en = f"The {label_en} is not valid ({item['msg']}); correct it."
        problems.append(FieldProblem(field, code, zh, en))
    return problems


def _describe(loc: list[str], labels: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    """A field path as a reader names it: `narratives.x` -> (x的标签情况说明, description of “x's label”)."""
    if not loc:
        return "申报内容", "submission"
    head = _FIELD_LABELS.get(loc[0], (loc[0], loc[0]))
    if len(loc) == 1:
        return head
    named = labels.get(loc[1], (loc[1], loc[1]))
    if loc[0] == "entries":
        tail = _FIELD_LABELS.get(loc[2], (loc[2], loc[2])) if len(loc) > 2 else ("评分", "entry")
        return f"{named[0]}的{tail[0]}", f"{tail[1]} on “{named[1]}”"
    if loc[0] in ("indicators", "declarations", "points"):
        return named[0], f"{head[1]} “{named[1]}”"
    return f"{named[0]}{head[0]}", f"{head[1]} of “{named[1]}”"
