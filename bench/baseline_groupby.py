"""A plain pandas-groupby version of `scoring.evaluate.evaluate` (trimmed mean + normalise) for benchmarks.

Written the way a competent pandas user would write the pipeline without the engine's dense panel
tensor: validation with `map`/`duplicated`/group counts, reviewer z-normalisation with
`groupby(...).transform`, the trimmed mean with `groupby(...).agg`, totals, dimensions and
disagreement with further group-bys, and competition ranking with `rank(method="min")` over a
combined sort. Shared domain logic (formula points, credit-code check) is imported, not the pipeline.

Only `application_id, total, rank` are produced; the engine also builds per-category/per-region
ranks, bands, quotas, reviewer severity and the full result table, so it does strictly more work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rubrics.credit_code import valid_codes
from rubrics.schema import Rubric
from scoring.eligibility import declared_true
from scoring.formulas import formula_points
from scoring.settings import Settings

_TOLERANCE = 1e-9
_DISAGREEMENT_DECIMALS = 4


class BaselineInputError(ValueError):
    """The baseline found invalid input (it reports problem codes, not the engine's rich issues)."""


def _to_units(points: pd.Series | np.ndarray, precision: int) -> np.ndarray:
    """Round half up to `precision` decimals as integer units; NaN -> 0 (as the engine does)."""
    values = np.asarray(points, dtype=np.float64)
    finite = np.isfinite(values)
    units = np.floor(np.where(finite, values, 0.0) * 10.0**precision + 0.5 + 1e-9)
    return np.where(finite, units, 0).astype(np.int64)


def _validate_applications(rubric: Rubric, applications: pd.DataFrame) -> list[str]:
    problems = []
    ids = applications["application_id"]
    if ids.isna().any():
        problems.append("missing_id")
    if ids.duplicated().any():
        problems.append("duplicate_id")
    if (~applications["category"].isin([c.id for c in rubric.categories])).any():
        problems.append("unknown_category")
    indicators = {i.id: i for i in rubric.indicators}
    for criterion in rubric.criteria:
        if criterion.formula is None or criterion.formula.indicator not in applications.columns:
            continue
        spec = indicators[criterion.formula.indicator]
        values = pd.to_numeric(applications[spec.id], errors="coerce")
        if (values.isna() if spec.required else np.isinf(values)).any():
            problems.append(f"indicator_not_a_number:{spec.id}")
        low = -np.inf if spec.min is None else spec.min
        high = np.inf if spec.max is None else spec.max
        if ((values < low) | (values > high)).any():
            problems.append(f"indicator_out_of_range:{spec.id}")
    return problems


def _validate_scores(scores: pd.DataFrame, app_ids: pd.Index, criteria: pd.DataFrame) -> list[str]:
    """Problem codes found in the scores (empty when they are valid)."""
    problems = []
    points = pd.to_numeric(scores["points"], errors="coerce")
    criterion = scores["criterion_id"]
    maximum = criterion.map(criteria["max_points"]).astype("float64")
    step = criterion.map(criteria["step"]).astype("float64")
    judged = criterion.map(criteria["judged"]).astype("boolean")
    known_criterion = maximum.notna()

    if (~scores["application_id"].isin(app_ids)).any():
        problems.append("unknown_application")
    if (~known_criterion).any():
        problems.append("unknown_criterion")
    if scores["reviewer_id"].isna().any():
        problems.append("missing_reviewer")
    if (known_criterion & ~judged.fillna(True)).any():
        problems.append("formula_scored")
    finite = np.isfinite(points)
    if (~finite).any():
        problems.append("not_a_number")
    if (finite & known_criterion & ((points < 0) | (points > maximum + _TOLERANCE))).any():
        problems.append("out_of_range")
    multiples = points / step.where(step > 0, 1.0)
    if (finite & (step > 0) & ((multiples - multiples.round()).abs() > 1e-6)).any():
        problems.append("off_step")
    if scores.duplicated(["application_id", "reviewer_id", "criterion_id"]).any():
        problems.append("duplicate_score")

    is_main = criterion.map(criteria["judged_main"]).astype("boolean").fillna(False)
    n_main = int(criteria["judged_main"].sum())
    per_sheet = is_main.groupby([scores["application_id"], scores["reviewer_id"]], observed=True).sum()
    if (per_sheet < n_main).any():
        problems.append("incomplete_sheet")
    return problems


def _criteria_frame(rubric: Rubric) -> pd.DataFrame:
    bonus_ids = rubric.bonus_ids
    frame = pd.DataFrame(
        {
            "criterion_id": [c.id for c in rubric.criteria],
            "max_points": [float(c.max_points) for c in rubric.criteria],
            "step": [float(c.step) if c.step else 0.0 for c in rubric.criteria],
            "judged": [c.method == "judged" for c in rubric.criteria],
            "bonus": [c.id in bonus_ids for c in rubric.criteria],
            "dimension": [rubric.dimension_of(c.id) for c in rubric.criteria],
        }
    ).set_index("criterion_id")
    frame["judged_main"] = frame["judged"] & ~frame["bonus"]
    return frame


def _complete_bonus_items(scores: pd.DataFrame, criteria: pd.DataFrame) -> pd.DataFrame:
    """A submitted sheet that skips a judged bonus item scores it 0 (the engine's rule)."""
    judged_ids = criteria.index[criteria["judged"]]
    rows_per_sheet = scores.groupby(["application_id", "reviewer_id"], observed=True).size()
    if (rows_per_sheet == len(judged_ids)).all():
        return scores
    sheets = rows_per_sheet.index.to_frame(index=False).astype(str)
    full = sheets.merge(pd.DataFrame({"criterion_id": judged_ids}), how="cross")
    plain = scores.astype({c: str for c in ("application_id", "reviewer_id", "criterion_id")})
    merged = full.merge(plain, on=["application_id", "reviewer_id", "criterion_id"], how="left")
    return merged.fillna({"points": 0.0})


def rank_applications(
    rubric: Rubric,
    applications: pd.DataFrame,
    scores: pd.DataFrame,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """`application_id, total, rank` (competition rank among eligible scored applications).

    Only `settings.method == "trimmed"` is implemented; `settings.normalise` is honoured.
    """
    settings = settings or Settings.from_rubric(rubric.settings, method="trimmed", normalise=True)
    if settings.method != "trimmed":
        raise NotImplementedError("the baseline implements the trimmed mean only")
    precision = settings.precision
    criteria = _criteria_frame(rubric)
    app_ids = pd.Index(applications["application_id"].astype(str))

    # 1. validate
    problems = _validate_applications(rubric, applications)
    if problems:
        raise BaselineInputError(", ".join(problems))
    problems = _validate_scores(scores, app_ids, criteria)
    if problems:
        raise BaselineInputError(", ".join(problems))
    scores = _complete_bonus_items(scores, criteria)

    # 2. z-normalise per reviewer on fractions of the maximum, rescale with the pooled mean/std
    points = scores["points"].astype("float64")
    maximum = scores["criterion_id"].map(criteria["max_points"]).astype("float64")
    values = points
    if settings.normalise:
        fraction = points / maximum
        by_reviewer = fraction.groupby(scores["reviewer_id"], observed=True)
        reviewer_mean = by_reviewer.transform("mean")
        reviewer_sd = by_reviewer.transform("std", ddof=0)
        flat = reviewer_sd <= 1e-12
        z = ((fraction - reviewer_mean) / reviewer_sd.mask(flat, 1.0)).mask(flat, 0.0)
        pooled_mean, pooled_sd = fraction.mean(), fraction.std(ddof=0)
        values = (pooled_mean + z * pooled_sd).clip(0.0, 1.0) * maximum

    # 3. trimmed mean per (application, criterion)
    stats = values.groupby([scores["application_id"], scores["criterion_id"]], observed=True).agg(
        ["sum", "min", "max", "count"]
    )
    trim = stats["count"] >= settings.trim_min_reviewers
    trimmed = (stats["sum"] - stats["max"] - stats["min"]) / (stats["count"] - 2)
    panel_score = trimmed.where(trim, stats["sum"] / stats["count"])
    units = pd.DataFrame(
        {
            "application_id": panel_score.index.get_level_values(0).astype(str),
            "criterion_id": panel_score.index.get_level_values(1).astype(str),
            "units": _to_units(panel_score, precision),
        }
    )

    # 4. formula criteria from the applications' indicators
    formula_frames = []
    for criterion in rubric.criteria:
        if criterion.formula is None:
            continue
        indicator = pd.to_numeric(applications[criterion.formula.indicator], errors="coerce")
        computed = formula_points(
            criterion.formula,
            indicator.to_numpy(dtype=np.float64, na_value=np.nan),
            float(criterion.max_points),
            float(criterion.step) if criterion.step else 0.0,
        )
        formula_frames.append(
            pd.DataFrame(
                {
                    "application_id": app_ids,
                    "criterion_id": criterion.id,
                    "units": _to_units(computed, precision),
                }
            )
        )
    units = pd.concat([units, *formula_frames], ignore_index=True)
    units["bonus"] = units["criterion_id"].map(criteria["bonus"])
    units["dimension"] = units["criterion_id"].map(criteria["dimension"])

    # 5. totals: main + capped bonus
    main = units.loc[~units["bonus"]].groupby("application_id")["units"].sum().reindex(app_ids, fill_value=0)
    bonus = units.loc[units["bonus"]].groupby("application_id")["units"].sum().reindex(app_ids, fill_value=0)
    cap = round(float(rubric.bonus.cap) * 10**precision) if rubric.bonus else 0
    total_units = main + bonus.clip(upper=cap)

    # 6. eligibility: gates and vetoes; scored = has at least one score sheet
    eligible = np.ones(len(applications), dtype=bool)
    for gate in rubric.gates:
        if gate.check == "credit_code":
            eligible &= valid_codes(applications["credit_code"].to_numpy(dtype=object))
        else:
            eligible &= declared_true(applications[gate.id])
    for veto in rubric.vetoes:
        eligible &= ~declared_true(applications[veto.id])
    sheet_apps = scores["application_id"].astype(str).unique() if len(scores) else []
    has_judged_main = bool(criteria["judged_main"].any())
    scored = app_ids.isin(sheet_apps) if has_judged_main else np.ones(len(app_ids), dtype=bool)

    # 7. disagreement: population std of the reviewers' sheet totals over judged main criteria
    main_rows = scores["criterion_id"].map(criteria["judged_main"]).astype(bool)
    sheet_totals = scores.loc[main_rows].groupby(["application_id", "reviewer_id"], observed=True)["points"].sum()
    std = sheet_totals.groupby(level="application_id", observed=True).std(ddof=0)
    std.index = std.index.astype(str)
    std = std.reindex(app_ids)

    # 8. rank: total desc, then the tie-break chain, competition ranking among rankable applications
    keys = pd.DataFrame({"total": total_units.to_numpy()}, index=app_ids)
    for rule in settings.tie_break:
        kind, _, name = rule.partition(":")
        if kind == "criterion" and name in criteria.index:
            per_app = units.loc[units["criterion_id"] == name].groupby("application_id")["units"].sum()
            keys[rule] = per_app.reindex(app_ids, fill_value=0).to_numpy()
        elif kind == "dimension" and name in set(criteria["dimension"].dropna()):
            per_app = units.loc[units["dimension"] == name].groupby("application_id")["units"].sum()
            keys[rule] = per_app.reindex(app_ids, fill_value=0).to_numpy()
        elif kind == "disagreement":
            scaled = np.rint(std.fillna(0.0).to_numpy() * 10**_DISAGREEMENT_DECIMALS)
            keys[rule] = -scaled.astype(np.int64)
    rankable = eligible & np.asarray(scored)
    ordered = keys.loc[rankable].sort_values(list(keys.columns), ascending=False)
    new_run = ordered.ne(ordered.shift()).any(axis=1)
    run_id = new_run.cumsum()
    rank = run_id.rank(method="min").astype("int64").reindex(app_ids)

    scale = 10**precision
    return pd.DataFrame(
        {
            "application_id": app_ids,
            "total": np.where(scored, total_units.to_numpy() / scale, np.nan),
            "rank": pd.array(rank.to_numpy(), dtype="Int64"),
        }
    )
