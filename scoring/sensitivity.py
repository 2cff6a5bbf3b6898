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


class _Scenarios:
    """Ranks totals within category and tests them against the recommendation line.

    What does not change between scenarios (who is rankable, the category codes, the threshold,
    the quota) is worked out once; each scenario then costs one ranking.
    """

    def __init__(self, compiled: CompiledRubric, evaluation: Evaluation):
        table = evaluation.table
        scale = 10**evaluation.settings.precision
        self.rankable = (table["eligible"] & table["scored"]).to_numpy()
        self.category = pd.factorize(table["category"])[0]
        recommended = compiled.band_min[compiled.band_recommended]
        self.threshold = np.rint(recommended.min() * scale) if recommended.size else np.inf
        self.quota = evaluation.settings.quota_per_category
        self.ranks: list[np.ndarray] = []
        self.inside: list[np.ndarray] = []

    def add(self, totals: np.ndarray) -> np.ndarray:
        """Record one scenario; returns its category ranks."""
        rank, _, _ = competition_rank(self.category, [totals], self.rankable)
        inside = self.rankable & (totals >= self.threshold)
        if self.quota:
            inside &= np.nan_to_num(rank, nan=np.inf) <= self.quota
        self.ranks.append(rank)
        self.inside.append(inside)
        return rank


def _totals(compiled: CompiledRubric, units: np.ndarray, precision: int) -> np.ndarray:
    main, bonus = totals_from_units(compiled, units, precision)
    return main + bonus


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
    units = evaluation.criterion_units
    scenarios = _Scenarios(compiled, evaluation)
    base_rank = scenarios.add(_totals(compiled, units, settings.precision))
    out = pd.DataFrame({"application_id": evaluation.table["application_id"], "rank": base_rank})

    def rank_range(first: int, prefix: str) -> None:
        stacked = np.column_stack(scenarios.ranks[first:])
        out[f"{prefix}_rank_min"] = np.nanmin(stacked, axis=1)
        out[f"{prefix}_rank_max"] = np.nanmax(stacked, axis=1)

    if draws:
        rng = np.random.default_rng(seed)
        main = ~compiled.bonus
        factors = rng.uniform(1 - weight_jitter, 1 + weight_jitter, size=(draws, int(main.sum())))
        _, bonus_units = totals_from_units(compiled, units, settings.precision)
        weighted = np.rint(units[:, main] @ factors.T).astype(np.int64) + bonus_units[:, None]
        first = len(scenarios.ranks)
        for d in range(draws):
            scenarios.add(weighted[:, d])
        rank_range(first, "weights")

    first = len(scenarios.ranks)
    for method in METHODS:
        method_units = criterion_units(compiled, evaluation.panel, applications, settings, method)
        out[f"rank_{method}"] = pd.array(
            scenarios.add(_totals(compiled, method_units, settings.precision)), dtype="Int64"
        )
    rank_range(first, "method")

    if leave_one_out and len(evaluation.panel.reviewer_ids):
        first = len(scenarios.ranks)
        for code in range(len(evaluation.panel.reviewer_ids)):
            reduced_units = criterion_units(compiled, _without_reviewer(evaluation.panel, code), applications, settings)
            scenarios.add(_totals(compiled, reduced_units, settings.precision))
        rank_range(first, "reviewer")

    inside = np.column_stack(scenarios.inside)
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
