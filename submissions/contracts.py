"""What comes in: applications, self-assessments and score sheets, checked for shape only.

These models say what a well-formed submission looks like whatever the rubric; whether it fits a
given rubric (known category, indicators within bounds, points within the maximum, ...) is the job
of `submissions.validation`. Invariants enforced here:

- unknown keys are refused (`extra="forbid"`), and models are frozen;
- ids (including the keys of the id-keyed mappings and the credit code) lose surrounding whitespace
  and nothing else; no other text is altered;
- no text holds a NUL character or a lone surrogate;
- lengths are capped: ids 64, names 200, narratives 20,000, comments 5,000 characters;
- two keys of one mapping that are equal once stripped are refused rather than merged;
- declarations are real booleans (no "yes", 1 or None); points are decimals, and non-finite points
  are let through so the rubric check can report them with the criterion's label.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

ID_MAX = 64
NAME_MAX = 200
NARRATIVE_MAX = 20_000
COMMENT_MAX = 5_000


def _check_text(value: str, limit: int, what: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError(
            "nul_character",
            "the {what} contains a NUL character (\\x00) at position {position}; remove it",
            {"what": what, "position": value.index("\x00") + 1},
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PydanticCustomError(
            "lone_surrogate",
            "the {what} contains a lone surrogate at position {position}, which is not valid text; "
            "re-type it or re-save the source file as UTF-8",
            {"what": what, "position": exc.start + 1},
        ) from None
    if len(value) > limit:
        raise PydanticCustomError(
            "too_long",
            "the {what} has {length} characters; at most {limit} are allowed, so shorten it",
            {"what": what, "length": len(value), "limit": limit},
        )
    return value


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
    """Refuse keys that become equal once stripped, so that no entry silently replaces another."""
    if isinstance(value, dict):
        seen: dict[str, str] = {}
        for key in value:
            if not isinstance(key, str):
                continue
            stripped = key.strip()
            if stripped in seen:
                raise PydanticCustomError(
                    "duplicate_key",
                    "the keys {first!r} and {second!r} are the same id once surrounding spaces are "
                    "removed; keep only one of them",
                    {"first": seen[stripped], "second": key},
                )
            seen[stripped] = key
    return value


Id = Annotated[str, AfterValidator(_id)]
Name = Annotated[str, AfterValidator(_name)]
Narrative = Annotated[str, AfterValidator(_narrative)]
Comment = Annotated[str, AfterValidator(_comment)]
Points = Annotated[Decimal, Field(allow_inf_nan=True)]
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
