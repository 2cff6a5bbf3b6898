"""Formula criteria: points computed from an application's indicators."""

from __future__ import annotations

import numpy as np

from rubrics.schema import Formula


def formula_fraction(formula: Formula, values: np.ndarray) -> np.ndarray:
    """Fraction of the maximum earned for each indicator value (NaN where the value is missing).

    linear: 0 at or below `floor`, 1 at or above `target`, straight in between.
    steps: the fraction of the highest step whose `at` the value reaches, 0 below the first.
    """
    values = np.asarray(values, dtype=np.float64)
    if formula.kind == "linear":
        span = formula.target - formula.floor
        fraction = np.clip((values - formula.floor) / span, 0.0, 1.0)
    else:
        ats = np.array([s.at for s in formula.steps])
        fractions = np.concatenate(([0.0], [s.fraction for s in formula.steps]))
        fraction = fractions[np.searchsorted(ats, np.where(np.isnan(values), -np.inf, values), side="right")]
    return np.where(np.isnan(values), np.nan, fraction)


def formula_points(formula: Formula, values: np.ndarray, max_points: float, step: float) -> np.ndarray:
    """Points for each value; with a declared step, rounded down to a whole number of steps."""
    points = formula_fraction(formula, values) * max_points
    if step > 0:
        points = np.floor(points / step + 1e-9) * step
    return points
