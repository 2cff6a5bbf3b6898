"""The one checked entry point: rubric + applications + scores + settings -> a frozen Evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rubrics.schema import Rubric
from scoring import aggregate as agg
from scoring.compiled import CompiledRubric, compile_rubric
from scoring.eligibility import add_reason, check
from scoring.errors import MAX_ROWS_LISTED, Issue, ScoringInputError
from scoring.formulas import formula_points
from scoring.panel import Panel, build_panel
from scoring.ranking import competition_rank, quota_selection
from scoring.settings import METHODS, Settings
from scoring.statistics import disagreement, reviewer_severity, reviewer_totals

_DISAGREEMENT_DECIMALS = 4


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Everything a round's ranking shows; treat every frame as read-only.

    `table`: one row per application in the applications' order with `application_id, category,
    region, scored, eligible, reasons_zh, reasons_en, total, main_total, bonus, band, recommended,
    rank, rank_category, rank_region, within_quota, tie_break, disagreement_std,
    disagreement_range, disagreement_flag`, a column `dim:<id>` per dimension and one per
    criterion id. `reviewers`: severity per reviewer. `cut_lines`: per quota group the last
    selected total. Totals and criterion scores are exact decimals at `settings.precision`.
    """

    rubric_id: str
    content_hash: str
    settings: Settings
    table: pd.DataFrame
    reviewers: pd.DataFrame
    cut_lines: pd.DataFrame
    panel: Panel = field(repr=False)
    criterion_units: np.ndarray = field(repr=False)

    def row(self, application_id: str) -> pd.Series:
        match = self.table.loc[self.table["application_id"] == application_id]
        if match.empty:
            raise LookupError(f"no application {application_id!r} in this evaluation")
        return match.iloc[0]


def _validate_applications(rubric: Rubric, compiled: CompiledRubric, applications: pd.DataFrame) -> pd.Index:
    issues: list[Issue] = []

    def add(column: str, code: str, mask: np.ndarray | None, en: str, zh: str) -> None:
        rows = np.flatnonzero(mask) if mask is not None else np.zeros(0, dtype=np.int64)
        if mask is None or rows.size:
            issues.append(
                Issue(
                    "applications",
                    column,
                    code,
                    en,
                    zh,
                    tuple(int(r) for r in rows[:MAX_ROWS_LISTED]),
                    int(rows.size),
                )
            )

    required = ["application_id", "category", "region"]
    required += ["credit_code"] if any(g.check == "credit_code" for g in rubric.gates) else []
    required += [g.id for g in rubric.gates if g.check == "declared"] + [v.id for v in rubric.vetoes]
    required += [ind.id for ind in rubric.indicators if ind.required and _used_by_formula(rubric, ind.id)]
    for column in required:
        if column not in applications.columns:
            add(
                column,
                "missing_column",
                None,
                f"column {column!r} is missing from the applications",
                f"申报表缺少列 {column!r}",
            )
    if issues:
        raise ScoringInputError(issues)

    ids = applications["application_id"]
    add(
        "application_id",
        "missing_id",
        ids.isna().to_numpy(),
        "the application id is empty",
        "申报编号为空",
    )
    add(
        "application_id",
        "duplicate_id",
        (ids.duplicated(keep=False) & ids.notna()).to_numpy(),
        "the application id appears more than once; each application needs its own id",
        "申报编号重复,每个申报须有唯一编号",
    )
    known = [c.id for c in rubric.categories]
    add(
        "category",
        "unknown_category",
        (~applications["category"].isin(known)).to_numpy(),
        f"the category is not one of this rubric's: {', '.join(known)}",
        f"类别不属于本评分细则:{', '.join(known)}",
    )
    for _, formula in compiled.formulas:
        indicator = formula.indicator
        if indicator not in applications.columns:
            continue
        values = pd.to_numeric(applications[indicator], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        spec = next(i for i in rubric.indicators if i.id == indicator)
        bad = ~np.isfinite(values) if spec.required else np.isinf(values)
        add(
            indicator,
            "indicator_not_a_number",
            bad,
            f"indicator {indicator!r} must be a finite number",
            f"指标 {spec.label.zh} 须为有限数字",
        )
        finite = np.isfinite(values)
        low = -np.inf if spec.min is None else spec.min
        high = np.inf if spec.max is None else spec.max
        add(
            indicator,
            "indicator_out_of_range",
            finite & ((values < low) | (values > high)),
            f"indicator {indicator!r} must lie between {spec.min} and {spec.max}",
            f"指标 {spec.label.zh} 须在 {spec.min} 与 {spec.max} 之间",
        )
    if issues:
        raise ScoringInputError(issues)
    return pd.Index(ids.astype(str) if ids.dtype == object else ids)


def _used_by_formula(rubric: Rubric, indicator_id: str) -> bool:
    return any(c.formula is not None and c.formula.indicator == indicator_id for c in rubric.criteria)


def criterion_units(
    compiled: CompiledRubric,
    panel: Panel,
    applications: pd.DataFrame,
    settings: Settings,
    method: str | None = None,
) -> np.ndarray:
    """(applications × criteria) integer units: panel scores for judged, computed for formula ones."""
    units = np.zeros((len(applications), compiled.n_criteria), dtype=np.int64)
    judged_max = compiled.max_points[panel.judged_columns]
    scores = agg.aggregate(
        panel,
        judged_max,
        method or settings.method,
        trim_min_reviewers=settings.trim_min_reviewers,
        normalised=settings.normalise,
    )
    units[:, panel.judged_columns] = agg.to_units(scores, settings.precision)
    for position, formula in compiled.formulas:
        values = pd.to_numeric(applications[formula.indicator], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        points = formula_points(formula, values, compiled.max_points[position], compiled.step[position])
        units[:, position] = agg.to_units(points, settings.precision)
    return units


def totals_from_units(compiled: CompiledRubric, units: np.ndarray, precision: int) -> tuple[np.ndarray, np.ndarray]:
    """(main, bonus) integer units per application; bonus capped."""
    main = units[:, ~compiled.bonus].sum(axis=1)
    cap = round(compiled.bonus_cap * 10**precision)
    bonus = np.minimum(units[:, compiled.bonus].sum(axis=1), cap)
    return main, bonus


def evaluate(
    rubric: Rubric,
    applications: pd.DataFrame,
    scores: pd.DataFrame,
    settings: Settings | None = None,
) -> Evaluation:
    """Validate, aggregate, total, check eligibility, band, rank and describe a round.

    Inputs are never modified. Raises ScoringInputError with every problem found.
    """
    compiled = compile_rubric(rubric)
    settings = settings or Settings.from_rubric(rubric.settings)
    if settings.method not in METHODS:
        raise ScoringInputError(
            [
                Issue(
                    "settings",
                    "method",
                    "unknown_method",
                    f"unknown aggregation method {settings.method!r}; use one of {', '.join(METHODS)}",
                    f"未知的汇总方法 {settings.method!r};可选 {', '.join(METHODS)}",
                )
            ]
        )
    application_ids = _validate_applications(rubric, compiled, applications)
    panel = build_panel(scores, application_ids, compiled, settings.known_reviewers)
    scale = 10**settings.precision

    units = criterion_units(compiled, panel, applications, settings)
    main_units, bonus_units = totals_from_units(compiled, units, settings.precision)
    total_units = main_units + bonus_units
    has_judged = bool(compiled.judged_main.any())
    scored = panel.size > 0 if has_judged else np.ones(len(applications), dtype=bool)

    eligibility = check(rubric, applications)
    add_reason(eligibility, ~scored, "尚无评审打分", "no panel scores yet")
    rankable = eligibility.eligible & scored

    band_min_units = np.rint(compiled.band_min * scale).astype(np.int64)
    band_index = np.searchsorted(band_min_units, total_units, side="right") - 1
    band_ids = np.array(compiled.band_ids, dtype=object)[np.clip(band_index, 0, None)]
    band = np.where(rankable, band_ids, np.where(scored, "ineligible", "unscored"))
    recommended = rankable & compiled.band_recommended[np.clip(band_index, 0, None)]

    main_columns = np.flatnonzero(compiled.judged_main[panel.judged_columns])
    sheet_totals = reviewer_totals(panel, main_columns)
    std, value_range = disagreement(panel, sheet_totals)
    judged_max_total = float(compiled.max_points[compiled.judged_main].sum())

    # Criteria are stored dimension by dimension, so each subtotal is a sum over adjacent columns.
    in_dimension = np.flatnonzero(compiled.dimension_of >= 0)
    firsts = np.flatnonzero(np.diff(compiled.dimension_of[in_dimension], prepend=-1) != 0)
    dims = np.add.reduceat(units[:, in_dimension], firsts, axis=1) if len(applications) else units[:, firsts]

    keys, key_names = [total_units], ["total"]
    for rule in settings.tie_break:
        kind, _, name = rule.partition(":")
        if kind == "criterion" and name in compiled.criterion_ids:
            keys.append(units[:, compiled.criterion_ids.get_loc(name)])
        elif kind == "dimension" and name in compiled.dimension_ids:
            keys.append(dims[:, compiled.dimension_ids.index(name)])
        elif kind == "disagreement":
            keys.append(-np.rint(np.nan_to_num(std, nan=0.0) * 10**_DISAGREEMENT_DECIMALS).astype(np.int64))
        else:
            continue
        key_names.append(rule)

    category = pd.factorize(applications["category"])[0]
    region_codes, region_names = pd.factorize(applications["region"].astype(str))
    everyone = np.zeros(len(applications), dtype=np.int64)
    rank, order, _ = competition_rank(everyone, keys, rankable)
    rank_category, _, decided = competition_rank(category, keys, rankable, order)
    rank_region, _, _ = competition_rank(region_codes, keys, rankable, order)

    quotas = []
    if settings.quota_per_category:
        quotas.append((category, settings.quota_per_category))
    if settings.quota_per_region:
        quotas.append((region_codes, settings.quota_per_region))
    within_quota = quota_selection(order, recommended, rank, quotas) if quotas else recommended.copy()

    tie_break = np.where(decided >= 0, np.array(key_names, dtype=object)[np.maximum(decided, 0)], "")
    columns = {
        "application_id": application_ids.to_numpy(),
        "category": applications["category"].to_numpy(),
        "region": applications["region"].to_numpy(),
        "scored": scored,
        "eligible": eligibility.eligible,
        "reasons_zh": eligibility.reasons_zh,
        "reasons_en": eligibility.reasons_en,
        "total": np.where(scored, total_units / scale, np.nan),
        "main_total": np.where(scored, main_units / scale, np.nan),
        "bonus": np.where(scored, bonus_units / scale, np.nan),
        "band": band,
        "recommended": recommended,
        "rank": pd.array(rank, dtype="Int64"),
        "rank_category": pd.array(rank_category, dtype="Int64"),
        "rank_region": pd.array(rank_region, dtype="Int64"),
        "within_quota": within_quota,
        "tie_break": tie_break,
        "disagreement_std": std,
        "disagreement_range": value_range,
        "disagreement_flag": np.nan_to_num(std, nan=0.0) > settings.disagreement_flag * judged_max_total,
    }
    criterion_points = units / scale
    judged_positions = np.flatnonzero(compiled.judged)
    criterion_points[np.ix_(~scored, judged_positions)] = np.nan
    columns.update({f"dim:{d}": dims[:, i] / scale for i, d in enumerate(compiled.dimension_ids)})
    columns.update({c: criterion_points[:, i] for i, c in enumerate(compiled.criterion_ids)})
    table = pd.DataFrame(columns)

    return Evaluation(
        rubric_id=rubric.id,
        content_hash=compiled.content_hash,
        settings=settings,
        table=table,
        reviewers=reviewer_severity(panel, sheet_totals, judged_max_total),
        cut_lines=_cut_lines(table, quotas, region_names, settings),
        panel=panel,
        criterion_units=units,
    )


def _cut_lines(table: pd.DataFrame, quotas: list, region_names: pd.Index, settings: Settings) -> pd.DataFrame:
    """Per quota group: quota, candidates, selected, the lowest selected total, ties at the line."""
    frames = []
    for label, column, quota in (
        ("category", "category", settings.quota_per_category),
        ("region", "region", settings.quota_per_region),
    ):
        if not quota:
            continue
        candidates = table.loc[table["recommended"]]
        grouped = candidates.groupby(column, sort=True)
        selected = candidates.loc[candidates["within_quota"]].groupby(column)["total"]
        frame = pd.DataFrame(
            {
                "candidates": grouped.size(),
                "selected": selected.size(),
                "cut_total": selected.min(),
            }
        ).fillna({"selected": 0})
        frame["selected"] = frame["selected"].astype(int)
        frame.insert(0, "quota", quota)
        frame["over_quota_by_ties"] = frame["selected"] > quota
        frames.append(frame.reset_index(names="group").assign(kind=label))
    if not frames:
        return pd.DataFrame(
            columns=["kind", "group", "quota", "candidates", "selected", "cut_total", "over_quota_by_ties"]
        )
    out = pd.concat(frames, ignore_index=True)
    return out[["kind", "group", "quota", "candidates", "selected", "cut_total", "over_quota_by_ties"]]


def compare_methods(
    rubric: Rubric, applications: pd.DataFrame, scores: pd.DataFrame, settings: Settings | None = None
) -> pd.DataFrame:
    """Every aggregation method side by side: `total_<method>` and `rank_<method>` per application.

    Input is validated once; ranks are overall competition ranks of eligible, scored applications
    by total alone (the tie-break chain is left out so that the methods compare on their totals).
    """
    settings = settings or Settings.from_rubric(rubric.settings)
    base = evaluate(rubric, applications, scores, settings)
    compiled = compile_rubric(rubric)
    out = {"application_id": base.table["application_id"].to_numpy()}
    scored = base.table["scored"].to_numpy()
    rankable = base.table["eligible"].to_numpy() & scored
    everyone = np.zeros(len(applications), dtype=np.int64)
    for method in METHODS:
        units = criterion_units(compiled, base.panel, applications, settings, method)
        main, bonus = totals_from_units(compiled, units, settings.precision)
        total = main + bonus
        rank, _, _ = competition_rank(everyone, [total], rankable)
        out[f"total_{method}"] = np.where(scored, total / 10**settings.precision, np.nan)
        out[f"rank_{method}"] = pd.array(rank, dtype="Int64")
    return pd.DataFrame(out)
