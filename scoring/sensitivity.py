"""How stable is a ranking? Weight perturbation, method changes and leave-one-reviewer-out.

Each scenario re-ranks within category from the criterion scores already computed (weights) or
from the panel tensor (methods, reviewers); the loops run over scenarios, never over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rubrics.schema import Rubric
from scoring.compiled import CompiledRubric, compile_rubric
from scoring.evaluate import Evaluation, criterion_units, totals_from_units
from scoring.panel import Panel
from scoring.ranking import competition_rank
from scoring.settings import METHODS


def _category_rank(evaluation: Evaluation, totals: np.ndarray) -> np.ndarray:
    table = evaluation.table
    rankable = (table["eligible"] & table["scored"]).to_numpy()
    category = pd.factorize(table["category"])[0]
    rank, _, _ = competition_rank(category, [totals], rankable)
    return rank


def _in_line(
    compiled: CompiledRubric, evaluation: Evaluation, totals: np.ndarray, rank: np.ndarray, scale: int
) -> np.ndarray:
    """Recommended band and, when a category quota is set, within it."""
    table = evaluation.table
    threshold = (
        np.rint(compiled.band_min[compiled.band_recommended].min() * scale)
        if compiled.band_recommended.any()
        else np.inf
    )
    inside = (table["eligible"] & table["scored"]).to_numpy() & (totals >= threshold)
    quota = evaluation.settings.quota_per_category
    if quota:
        inside &= np.nan_to_num(rank, nan=np.inf) <= quota
    return inside


def sensitivity(
    rubric: Rubric,
    evaluation: Evaluation,
    applications: pd.DataFrame,
    *,
    weight_jitter: float = 0.1,
    draws: int = 200,
    seed: int = 0,
    leave_one_out: bool = True,
) -> pd.DataFrame:
    """Per application: category-rank range under each kind of change, and whether it crosses the line.

    Weights: each main criterion's points are multiplied by an independent uniform factor in
    [1 - jitter, 1 + jitter] per draw (seeded). Methods: every aggregation method. Reviewers:
    each reviewer's sheets removed in turn. `crosses_line` is True when the application is inside
    the recommendation line (recommended band and category quota) in some scenario and outside it
    in another.
    """
    compiled = compile_rubric(rubric)
    settings = evaluation.settings
    scale = 10**settings.precision
    units = evaluation.criterion_units
    base_total = np.rint(evaluation.table["total"].fillna(0).to_numpy() * scale).astype(np.int64)
    base_rank = _category_rank(evaluation, base_total)
    scenarios_in = [_in_line(compiled, evaluation, base_total, base_rank, scale)]
    out = pd.DataFrame({"application_id": evaluation.table["application_id"], "rank": base_rank})

    rng = np.random.default_rng(seed)
    main = ~compiled.bonus
    factors = rng.uniform(1 - weight_jitter, 1 + weight_jitter, size=(draws, int(main.sum())))
    _, bonus_units = totals_from_units(compiled, units, settings.precision)
    weighted = np.rint(units[:, main] @ factors.T).astype(np.int64) + bonus_units[:, None]
    ranks = np.column_stack([_category_rank(evaluation, weighted[:, d]) for d in range(draws)])
    scenarios_in += [_in_line(compiled, evaluation, weighted[:, d], ranks[:, d], scale) for d in range(draws)]
    out["weights_rank_min"] = np.nanmin(ranks, axis=1) if draws else np.nan
    out["weights_rank_max"] = np.nanmax(ranks, axis=1) if draws else np.nan

    method_ranks = []
    for method in METHODS:
        method_units = criterion_units(compiled, evaluation.panel, applications, settings, method)
        main_units, bonus = totals_from_units(compiled, method_units, settings.precision)
        rank = _category_rank(evaluation, main_units + bonus)
        out[f"rank_{method}"] = pd.array(rank, dtype="Int64")
        method_ranks.append(rank)
        scenarios_in.append(_in_line(compiled, evaluation, main_units + bonus, rank, scale))
    out["method_rank_min"] = np.nanmin(np.column_stack(method_ranks), axis=1)
    out["method_rank_max"] = np.nanmax(np.column_stack(method_ranks), axis=1)

    if leave_one_out and len(evaluation.panel.reviewer_ids):
        loo_ranks = []
        for code in range(len(evaluation.panel.reviewer_ids)):
            reduced = _without_reviewer(evaluation.panel, code)
            reduced_units = criterion_units(compiled, reduced, applications, settings)
            main_units, bonus = totals_from_units(compiled, reduced_units, settings.precision)
            totals = main_units + bonus
            rank = _category_rank(evaluation, totals)
            loo_ranks.append(rank)
            scenarios_in.append(_in_line(compiled, evaluation, totals, rank, scale))
        stacked = np.column_stack(loo_ranks)
        out["reviewer_rank_min"] = np.nanmin(stacked, axis=1)
        out["reviewer_rank_max"] = np.nanmax(stacked, axis=1)
    inside = np.column_stack(scenarios_in)
    out["in_line_share"] = inside.mean(axis=1)
    out["crosses_line"] = inside.any(axis=1) & ~inside.all(axis=1)
    return out


def _without_reviewer(panel: Panel, code: int) -> Panel:
    """The panel with one reviewer's sheets emptied (their slots become empty)."""
    drop = panel.reviewer == code
    if not drop.any():
        return panel
    reviewer = np.where(drop, -1, panel.reviewer)
    points = np.where(drop[:, :, None], 0.0, panel.points)
    # Keep slots dense (filled slots first) so that methods reading only present slots stay exact.
    order = np.argsort(reviewer < 0, axis=1, kind="stable")
    reviewer = np.take_along_axis(reviewer, order, axis=1)
    points = np.take_along_axis(points, order[:, :, None], axis=1)
    return Panel(points, reviewer, panel.size - drop.sum(axis=1), panel.reviewer_ids, panel.judged_columns)
