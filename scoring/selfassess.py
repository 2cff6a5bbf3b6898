"""Self-assessment against the panel: per-criterion gaps and an over-claiming flag."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from rubrics.schema import Criterion, Level, Rubric
from scoring.aggregate import to_units
from scoring.compiled import compile_rubric
from scoring.errors import Issue, ScoringInputError
from scoring.evaluate import Evaluation, totals_from_units
from scoring.formulas import formula_points
from scoring.panel import codes_for


def self_gaps(rubric: Rubric, evaluation: Evaluation, self_scores: pd.DataFrame) -> pd.DataFrame:
    """Long table: application_id, criterion_id, self, panel, gap (self − panel), overclaim.

    A criterion is over-claimed when the applicant's own score exceeds the panel's by more than
    `settings.overclaim_flag` of its maximum. Self scores for formula criteria are not expected.
    """
    compiled = compile_rubric(rubric)
    table = evaluation.table
    ids = pd.Index(table["application_id"])
    app = codes_for(self_scores["application_id"], ids)
    crit = codes_for(self_scores["criterion_id"], compiled.criterion_ids)
    points = pd.to_numeric(self_scores["points"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = (app < 0) | (crit < 0) | ~np.isfinite(points)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ScoringInputError(
            [
                Issue(
                    "self_scores",
                    "points",
                    "bad_self_score",
                    "self scores need a known application, a criterion of the rubric and a finite number",
                    "自评须对应已知申报、细则中的指标,且分值为有限数字",
                    tuple(int(r) for r in rows[:20]),
                    int(rows.size),
                )
            ]
        )
    panel_points = table[list(compiled.criterion_ids)].to_numpy(dtype=np.float64)[app, crit]
    maximum = compiled.max_points[crit]
    gap = points - panel_points
    return pd.DataFrame(
        {
            "application_id": ids.to_numpy()[app],
            "criterion_id": compiled.criterion_ids.to_numpy()[crit],
            "self": points,
            "panel": panel_points,
            "gap": gap,
            "overclaim": gap > evaluation.settings.overclaim_flag * maximum,
        }
    )


def self_summary(gaps: pd.DataFrame, total_points: float, overclaim_flag: float) -> pd.DataFrame:
    """Per application: self total, panel total over the same criteria, gap, over-claiming flag."""
    summary = gaps.groupby("application_id", sort=False)[["self", "panel"]].sum()
    summary["gap"] = summary["self"] - summary["panel"]
    summary["overclaim"] = summary["gap"] > overclaim_flag * total_points
    summary["criteria_overclaimed"] = gaps.groupby("application_id", sort=False)["overclaim"].sum()
    return summary.reset_index()


# -- the applicant's live view ---------------------------------------------------------------------


def level_points(criterion: Criterion) -> list[tuple[Level, float, float]]:
    """A criterion's level descriptors, best first, each with the points it spans (low, high).

    Computed in decimal so that 0.7 of 7 points reads 4.9, not 4.8999999999999995.
    """
    top = criterion.max_points

    def points(fraction: float) -> float:
        return float(Decimal(str(fraction)) * top)

    return [
        (level, points(level.min_fraction), points(level.max_fraction))
        for level in sorted(criterion.levels, key=lambda lv: -lv.max_fraction)
    ]


_UNSCORED = {"zh": "未达任何档次", "en": "No band"}


@dataclass(frozen=True, eq=False)
class SelfTotal:
    """What the applicant's own points add up to, as the engine would total them.

    `criteria`: one row per criterion in sheet order with `criterion_id, dimension_id (None for
    bonus items), label_zh, label_en, max_points, points, source, bonus`; `source` is `self` (the
    applicant's points), `unassessed` (a judged criterion without points, counted as 0),
    `computed` (a formula criterion, from the reported indicator) or `no_indicator` (a formula
    criterion whose indicator is not reported yet, counted as 0). `dimensions`: `dimension_id,
    label_zh, label_en, points, max_points` per dimension, plus a `bonus` row when the rubric has
    bonus items (points capped). Totals are exact at `precision` decimals: main + capped bonus.
    """

    criteria: pd.DataFrame
    dimensions: pd.DataFrame
    main: float
    bonus: float
    total: float
    max_total: float
    band_id: str
    band_zh: str
    band_en: str
    recommended: bool
    assessed: int  # judged main criteria with the applicant's points
    to_assess: int  # judged main criteria in the rubric

    def band_label(self, lang: str) -> str:
        return self.band_en if lang == "en" else self.band_zh

    def points_of(self, criterion_id: str) -> float | None:
        """A criterion's points as counted in the total; None when nothing is given or computable yet."""
        match = self.criteria.loc[self.criteria["criterion_id"] == criterion_id, "points"]
        if match.empty:
            raise LookupError(f"no criterion {criterion_id!r} in this rubric")
        value = match.iloc[0]
        return None if pd.isna(value) else float(value)


def self_total(
    rubric: Rubric,
    points: Mapping[str, object],
    indicators: Mapping[str, object],
    *,
    precision: int = 2,
) -> SelfTotal:
    """Total, band and per-criterion points of a self-assessment while it is being filled in.

    Judged criteria take the applicant's `points` (missing or non-finite: 0, marked `unassessed`);
    formula criteria are computed from `indicators` exactly as the panel's ranking computes them.
    Bonus items are capped at the rubric's bonus cap; the band is the highest whose minimum the
    total reaches. Inputs are never modified.
    """
    compiled = compile_rubric(rubric)
    criteria = rubric.criteria
    given = np.array([_finite(points.get(c.id)) if c.method == "judged" else np.nan for c in criteria])
    computed = np.full(len(criteria), np.nan)
    for position, formula in compiled.formulas:
        value = _finite(indicators.get(formula.indicator))
        computed[position] = formula_points(
            formula, np.array([value]), compiled.max_points[position], compiled.step[position]
        )[0]
    shown = np.where(compiled.judged, given, computed)
    source = np.where(
        compiled.judged,
        np.where(np.isfinite(given), "self", "unassessed"),
        np.where(np.isfinite(computed), "computed", "no_indicator"),
    )
    units = to_units(shown, precision)
    scale = 10**precision
    main_units, bonus_units = totals_from_units(compiled, units[None, :], precision)
    total_units = int(main_units[0] + bonus_units[0])
    band_min_units = np.rint(compiled.band_min * scale).astype(np.int64)
    band_index = max(int(np.searchsorted(band_min_units, total_units, side="right")) - 1, 0)
    band = next(b for b in rubric.bands if b.id == compiled.band_ids[band_index])
    reached = total_units >= band_min_units[band_index]

    table = pd.DataFrame(
        {
            "criterion_id": [c.id for c in criteria],
            "dimension_id": [rubric.dimension_of(c.id) for c in criteria],
            "label_zh": [c.label.zh for c in criteria],
            "label_en": [c.label.en for c in criteria],
            "max_points": compiled.max_points,
            "points": np.where(np.isfinite(shown), units / scale, np.nan),
            "source": source,
            "bonus": compiled.bonus,
        }
    )
    dimension_rows = [
        (
            d.id,
            d.label.zh,
            d.label.en,
            int(units[compiled.dimension_of == i].sum()) / scale,
            float(compiled.max_points[compiled.dimension_of == i].sum()),
        )
        for i, d in enumerate(rubric.dimensions)
    ]
    if rubric.bonus:
        dimension_rows.append(("bonus", "加分项", "Bonus", int(bonus_units[0]) / scale, compiled.bonus_cap))
    judged_main = compiled.judged_main
    return SelfTotal(
        criteria=table,
        dimensions=pd.DataFrame(
            dimension_rows, columns=["dimension_id", "label_zh", "label_en", "points", "max_points"]
        ),
        main=int(main_units[0]) / scale,
        bonus=int(bonus_units[0]) / scale,
        total=total_units / scale,
        max_total=float(rubric.max_total),
        band_id=band.id if reached else "",
        band_zh=band.label.zh if reached else _UNSCORED["zh"],
        band_en=band.label.en if reached else _UNSCORED["en"],
        recommended=bool(reached and band.recommended),
        assessed=int((judged_main & np.isfinite(given)).sum()),
        to_assess=int(judged_main.sum()),
    )


def _finite(value: object) -> float:
    """A number as float, NaN for anything that is not a finite number (None, text, booleans)."""
    if value is None or isinstance(value, bool | str):
        return np.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return np.nan
    return number if np.isfinite(number) else np.nan


def criterion_comparison(rubric: Rubric, panel: Mapping[str, object], gaps: pd.DataFrame) -> pd.DataFrame:
    """Self against panel for one application, one row per criterion in sheet order.

    `panel` maps criterion ids to the panel's points (a row of the evaluation table); `gaps` is
    `self_gaps` output, already restricted to this application. Columns: `criterion_id, label_zh,
    label_en, max_points, panel, self, gap, overclaim, underclaim, verdict`; `self` and `gap` are
    NaN where the applicant gave no points (formula criteria, unassessed ones). `underclaim`: the
    applicant gave themselves less than the panel did. `verdict`: `overclaim`, `underclaim`,
    `in_line` or `not_assessed`, one word per row for a chart's colour.
    """
    compiled = compile_rubric(rubric)
    own = gaps.set_index("criterion_id").reindex(compiled.criterion_ids)
    panel_points = np.array([_finite(panel.get(c)) for c in compiled.criterion_ids])
    self_points = own["self"].to_numpy(dtype=np.float64, na_value=np.nan)
    gap = self_points - panel_points
    overclaim = own["overclaim"].eq(True).to_numpy()
    underclaim = np.nan_to_num(gap, nan=0.0) < 0
    verdict = np.where(
        np.isnan(self_points),
        "not_assessed",
        np.where(overclaim, "overclaim", np.where(underclaim, "underclaim", "in_line")),
    )
    return pd.DataFrame(
        {
            "criterion_id": list(compiled.criterion_ids),
            "label_zh": [c.label.zh for c in rubric.criteria],
            "label_en": [c.label.en for c in rubric.criteria],
            "max_points": compiled.max_points,
            "panel": panel_points,
            "self": self_points,
            "gap": gap,
            "overclaim": overclaim,
            "underclaim": underclaim,
            "verdict": verdict,
        }
    )
