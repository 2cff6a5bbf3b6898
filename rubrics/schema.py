"""Rubric models: a rubric is data, validated here and nowhere else.

Every model forbids unknown keys, so a typo in a YAML file is a reported problem, not a silently
ignored setting. Cross-field rules (ids unique after normalisation, points summing to the declared
total, bands tiling the scale, formulas naming known indicators, monotonic thresholds) are checked
in `Rubric`'s validators so that every way in — shipped files, uploads, tests — behaves alike.
"""

from __future__ import annotations

import itertools
import unicodedata
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from rubrics.errors import format_path

SCHEMA_VERSION = 1

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
Points = Annotated[Decimal, Field(ge=0, max_digits=9, decimal_places=2)]
PositivePoints = Annotated[Decimal, Field(gt=0, max_digits=9, decimal_places=2)]
Fraction = Annotated[float, Field(ge=0, le=1)]

AggregationMethod = Literal["mean", "median", "trimmed", "zscore"]
AGGREGATION_METHODS: tuple[AggregationMethod, ...] = ("mean", "median", "trimmed", "zscore")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Text(Strict):
    """A label in both interface languages."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class Source(Strict):
    """Where a rule comes from: a quoted plan clause, or a later MIIT notice.

    A plan source has `seed`, `clause` and a `quote` that occurs verbatim in the seed file;
    a notice source has `document` (its number) and a `note`.
    """

    seed: str | None = Field(default=None, pattern=r"^\d{3}$")
    clause: str | None = None
    quote: str | None = Field(default=None, min_length=2)
    document: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        plan = (self.seed, self.clause, self.quote)
        notice = (self.document, self.note)
        if all(plan) and not any(notice):
            return self
        if all(notice) and not any(plan):
            return self
        raise PydanticCustomError(
            "source_kind",
            "a source is either {seed, clause, quote} from a plan or {document, note} from a notice; "
            "give all fields of exactly one kind",
        )

    def cite(self) -> str:
        if self.seed:
            return f"{self.seed} {self.clause}"
        return str(self.document)


Sources = Annotated[list[Source], Field(min_length=1)]


class Choice(Strict):
    value: Id
    label: Text


class Indicator(Strict):
    """A quantity the applicant reports; formula criteria and the form are built from these."""

    id: Id
    label: Text
    unit: str | None = None
    type: Literal["int", "float", "percent", "bool", "choice"]
    min: float | None = None
    max: float | None = None
    choices: list[Choice] | None = None
    required: bool = True
    help: Text | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Indicator:
        if self.type == "choice" and not self.choices:
            raise PydanticCustomError("choice_without_choices", "a choice indicator needs `choices`")
        if self.type != "choice" and self.choices:
            raise PydanticCustomError("choices_on_non_choice", "only a choice indicator takes `choices`")
        if self.type in ("bool", "choice") and (self.min is not None or self.max is not None):
            raise PydanticCustomError("bounds_on_non_number", "only numeric indicators take `min`/`max`")
        if self.type == "percent":
            lo = 0.0 if self.min is None else self.min
            hi = 100.0 if self.max is None else self.max
            object.__setattr__(self, "min", lo)
            object.__setattr__(self, "max", hi)
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise PydanticCustomError("bounds_order", "`min` must be below `max`")
        return self


class Level(Strict):
    """A descriptor band: points from `min_fraction` to `max_fraction` of the maximum."""

    grade: Literal["优", "良", "中", "差"]
    min_fraction: Fraction
    max_fraction: Fraction
    descriptor: Text


class Step(Strict):
    """From indicator value `at` upwards, the criterion earns `fraction` of its maximum."""

    at: float
    fraction: Fraction


class Formula(Strict):
    """Points computed from an indicator: linear between floor and target, or steps."""

    indicator: Id
    kind: Literal["linear", "steps"]
    floor: float | None = None
    target: float | None = None
    steps: list[Step] | None = None
    sources: Sources

    @model_validator(mode="after")
    def _shape(self) -> Formula:
        if self.kind == "linear":
            if self.floor is None or self.target is None or self.steps:
                raise PydanticCustomError("linear_shape", "a linear formula takes `floor` and `target` and no `steps`")
            if not self.target > self.floor:
                raise PydanticCustomError(
                    "thresholds_not_monotonic",
                    "`target` must be greater than `floor` (thresholds must increase)",
                )
        else:
            if not self.steps or self.floor is not None or self.target is not None:
                raise PydanticCustomError(
                    "steps_shape", "a steps formula takes a non-empty `steps` list and no floor/target"
                )
            ats = [s.at for s in self.steps]
            fractions = [s.fraction for s in self.steps]
            if any(b <= a for a, b in itertools.pairwise(ats)) or any(b < a for a, b in itertools.pairwise(fractions)):
                raise PydanticCustomError(
                    "thresholds_not_monotonic",
                    "steps must have strictly increasing `at` and non-decreasing `fraction`",
                )
        return self


class Criterion(Strict):
    id: Id
    label: Text
    max_points: PositivePoints
    step: PositivePoints | None = None
    method: Literal["judged", "formula"] = "judged"
    levels: list[Level] = Field(default_factory=list)
    formula: Formula | None = None
    evidence: Text | None = None
    sources: Sources

    @model_validator(mode="after")
    def _method(self) -> Criterion:
        if self.method == "formula" and self.formula is None:
            raise PydanticCustomError("formula_missing", "a formula criterion needs a `formula`")
        if self.method == "judged" and self.formula is not None:
            raise PydanticCustomError(
                "formula_on_judged", "a judged criterion takes no `formula`; set `method: formula`"
            )
        if self.step is not None and (self.max_points / self.step) % 1 != 0:
            raise PydanticCustomError("step_not_divisor", "`max_points` must be a whole number of `step`s")
        if self.levels:
            _check_tiling(
                [(lv.min_fraction, lv.max_fraction) for lv in self.levels],
                0.0,
                1.0,
                "levels",
            )
        return self


class Dimension(Strict):
    id: Id
    label: Text
    max_points: PositivePoints | None = None
    criteria: Annotated[list[Criterion], Field(min_length=1)]


class Gate(Strict):
    """An eligibility condition; failing it makes the application ineligible.

    `check: credit_code` verifies the GB 32100-2015 check character of the application's
    `credit_code`; `check: declared` requires the applicant's declaration `id` to be true.
    """

    id: Id
    label: Text
    check: Literal["credit_code", "declared"]
    failure: Text
    sources: Sources


class Veto(Strict):
    """一票否决: when the declaration `id` is true the application is ineligible."""

    id: Id
    label: Text
    failure: Text
    sources: Sources


class Bonus(Strict):
    """加分项: criteria scored like any other, whose sum is capped at `cap`."""

    cap: PositivePoints
    items: Annotated[list[Criterion], Field(min_length=1)]


class Band(Strict):
    """A recommendation band over totals: `min` inclusive, `max` exclusive (the top band inclusive)."""

    id: Id
    label: Text
    min: Points
    max: Points
    recommended: bool = False


class Category(Strict):
    id: Id
    label: Text


TieBreak = Annotated[
    str, Field(pattern=r"^(criterion:[A-Za-z][A-Za-z0-9_]*|dimension:[A-Za-z][A-Za-z0-9_]*|disagreement)$")
]


class PanelSettings(Strict):
    """Defaults a review round starts from; administrators may change them per round."""

    aggregation: AggregationMethod = "trimmed"
    trim_min_reviewers: int = Field(default=5, ge=3, le=99)
    precision: int = Field(default=2, ge=0, le=4)
    tie_break: list[TieBreak] = Field(default_factory=lambda: ["disagreement"])
    disagreement_flag: Fraction = 0.15
    overclaim_flag: Fraction = 0.2
    quota_per_category: int | None = Field(default=None, ge=1)
    quota_per_region: int | None = Field(default=None, ge=1)


class Rubric(Strict):
    schema_version: int
    id: Id
    version: str = Field(min_length=1)
    title: Text
    programme: Literal["demo_city", "demo_project", "ecommerce_platform", "agri_base", "cloud_case", "skills_training"]
    description: Text | None = None
    categories: Annotated[list[Category], Field(min_length=1)]
    total_points: PositivePoints
    indicators: list[Indicator] = Field(default_factory=list)
    dimensions: Annotated[list[Dimension], Field(min_length=1)]
    gates: list[Gate] = Field(default_factory=list)
    vetoes: list[Veto] = Field(default_factory=list)
    bonus: Bonus | None = None
    bands: Annotated[list[Band], Field(min_length=1)]
    settings: PanelSettings = Field(default_factory=PanelSettings)
    sources: Sources

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise PydanticCustomError(
                "schema_version",
                "schema_version {value} is not supported; this release reads schema_version {known}",
                {"value": value, "known": SCHEMA_VERSION},
            )
        return value

    # -- derived views -------------------------------------------------------------------------

    @property
    def criteria(self) -> list[Criterion]:
        """All scored criteria in sheet order (dimensions first, then bonus items)."""
        main = [c for d in self.dimensions for c in d.criteria]
        return main + (list(self.bonus.items) if self.bonus else [])

    @property
    def bonus_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.bonus.items) if self.bonus else frozenset()

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise LookupError(f"rubric {self.id} has no criterion {criterion_id!r}")

    def dimension_of(self, criterion_id: str) -> str | None:
        for d in self.dimensions:
            if any(c.id == criterion_id for c in d.criteria):
                return d.id
        return None

    @property
    def max_total(self) -> Decimal:
        return self.total_points + (self.bonus.cap if self.bonus else Decimal(0))

    # -- cross-field rules ---------------------------------------------------------------------

    @model_validator(mode="after")
    def _cross_checks(self) -> Rubric:
        problems: list[tuple[tuple[str | int, ...], str, str]] = []
        _duplicates(problems, ("categories",), [c.id for c in self.categories])
        _duplicates(problems, ("indicators",), [i.id for i in self.indicators])
        _duplicates(problems, ("dimensions",), [d.id for d in self.dimensions])
        all_criteria: list[tuple[tuple[str | int, ...], str]] = []
        for di, d in enumerate(self.dimensions):
            for ci, c in enumerate(d.criteria):
                all_criteria.append((("dimensions", di, "criteria", ci), c.id))
        if self.bonus:
            for bi, c in enumerate(self.bonus.items):
                all_criteria.append((("bonus", "items", bi), c.id))
        decl_ids = [(("gates", i), g.id) for i, g in enumerate(self.gates) if g.check == "declared"]
        decl_ids += [(("vetoes", i), v.id) for i, v in enumerate(self.vetoes)]
        _duplicates_at(
            problems,
            all_criteria + decl_ids + [(("gates", i), g.id) for i, g in enumerate(self.gates) if g.check != "declared"],
        )
        _duplicates_at(problems, [(("bands", i), b.id) for i, b in enumerate(self.bands)])

        for di, d in enumerate(self.dimensions):
            subtotal = sum((c.max_points for c in d.criteria), Decimal(0))
            if d.max_points is not None and subtotal != d.max_points:
                problems.append(
                    (
                        ("dimensions", di, "max_points"),
                        "points_sum",
                        f"criteria points add up to {subtotal} but the dimension declares {d.max_points}; "
                        "change a criterion's max_points or the dimension's max_points",
                    )
                )
        total = sum((c.max_points for d in self.dimensions for c in d.criteria), Decimal(0))
        if total != self.total_points:
            problems.append(
                (
                    ("total_points",),
                    "points_sum",
                    f"criteria points add up to {total} but total_points is {self.total_points}; "
                    "change a criterion's max_points or total_points",
                )
            )

        indicators = {i.id: i for i in self.indicators}
        criterion_sets = [
            ("dimensions", di, "criteria", ci, c)
            for di, d in enumerate(self.dimensions)
            for ci, c in enumerate(d.criteria)
        ]
        if self.bonus:
            criterion_sets += [("bonus", "items", bi, None, c) for bi, c in enumerate(self.bonus.items)]
        for *where, c in criterion_sets:
            path = tuple(p for p in where if p is not None)
            if c.formula is None:
                continue
            ind = indicators.get(c.formula.indicator)
            if ind is None:
                problems.append(
                    (
                        (*path, "formula", "indicator"),
                        "unknown_indicator",
                        f"formula uses indicator {c.formula.indicator!r}, which the rubric does not "
                        f"declare; add it under `indicators` or use one of: "
                        f"{', '.join(sorted(indicators)) or '(none declared)'}",
                    )
                )
            elif ind.type in ("bool", "choice"):
                problems.append(
                    (
                        (*path, "formula", "indicator"),
                        "formula_on_non_number",
                        f"formula uses indicator {ind.id!r} of type {ind.type}; use a numeric indicator",
                    )
                )

        band_ranges = [(float(b.min), float(b.max)) for b in self.bands]
        try:
            _check_tiling(band_ranges, 0.0, float(self.max_total), "bands")
        except PydanticCustomError as exc:
            problems.append((("bands",), exc.type, str(exc)))

        known_criteria = {c.id for c in self.criteria}
        known_dimensions = {d.id for d in self.dimensions}
        for i, rule in enumerate(self.settings.tie_break):
            kind, _, name = rule.partition(":")
            if (kind == "criterion" and name not in known_criteria) or (
                kind == "dimension" and name not in known_dimensions
            ):
                problems.append(
                    (
                        ("settings", "tie_break", i),
                        "unknown_tie_break",
                        f"tie-break {rule!r} names no {kind} of this rubric; use one of: "
                        + ", ".join(
                            ["disagreement"]
                            + [f"criterion:{c}" for c in sorted(known_criteria)]
                            + [f"dimension:{d}" for d in sorted(known_dimensions)]
                        ),
                    )
                )
        if problems:
            # The loader unpacks `problems` so that each one is reported at its own path.
            raise PydanticCustomError(
                "rubric_rules",
                "{count} rule(s) broken: {summary}",
                {
                    "count": len(problems),
                    "summary": "; ".join(m for _, _, m in problems),
                    "problems": problems,
                },
            )
        return self


# -- helpers -------------------------------------------------------------------------------------


def normalise_id(value: str) -> str:
    """The form under which two ids count as the same: NFC, case-folded, no whitespace."""
    return "".join(unicodedata.normalize("NFC", value).casefold().split())


def _duplicates(problems: list, path: tuple, ids: list[str]) -> None:
    _duplicates_at(problems, [((*path, i), v) for i, v in enumerate(ids)])


def _duplicates_at(problems: list, located: list[tuple[tuple, str]]) -> None:
    seen: dict[str, tuple] = {}
    for path, value in located:
        key = normalise_id(value)
        if key in seen:
            first = format_path(seen[key])
            problems.append(
                (
                    (*path, "id"),
                    "duplicate_id",
                    f"id {value!r} repeats the id at {first} (ids are compared ignoring case, "
                    "whitespace and Unicode normalisation); give each one its own id",
                )
            )
        else:
            seen[key] = path


def _check_tiling(ranges: list[tuple[float, float]], low: float, high: float, what: str) -> None:
    """Ranges must cover [low, high] without overlap or gap."""
    ordered = sorted(ranges)
    for lo, hi in ordered:
        if hi <= lo:
            raise PydanticCustomError("range_order", "each of {what} must have min below max", {"what": what})
    if ordered[0][0] != low:
        raise PydanticCustomError(
            "range_gap",
            "{what} start at {start}, leaving a gap from {low}; the lowest must start at {low}",
            {"what": what, "start": ordered[0][0], "low": low},
        )
    for (_, hi), (lo, _) in itertools.pairwise(ordered):
        if lo < hi:
            raise PydanticCustomError(
                "range_overlap",
                "{what} overlap between {lo} and {hi}; make each start where the previous ends",
                {"what": what, "lo": lo, "hi": hi},
            )
        if lo > hi:
            raise PydanticCustomError(
                "range_gap",
                "{what} leave a gap between {hi} and {lo}; make each start where the previous ends",
                {"what": what, "lo": lo, "hi": hi},
            )
    if ordered[-1][1] != high:
        raise PydanticCustomError(
            "range_gap",
            "{what} end at {end} but must reach {high}",
            {"what": what, "end": ordered[-1][1], "high": high},
        )
