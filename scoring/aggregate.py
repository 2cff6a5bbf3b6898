"""Panel aggregation per criterion: mean, median, trimmed mean, reviewer z-normalisation.

All functions take the dense panel tensor (applications × slots × judged criteria) and return an
(applications × judged criteria) float array; applications without a panel get NaN. Each is an
axis reduction, so every method costs a few passes over the tensor whatever the number of rows.
"""

from __future__ import annotations

import numpy as np

from scoring.panel import Panel
from scoring.settings import Method


def _present(panel: Panel) -> np.ndarray:
    return panel.present[:, :, None]


def _divide(numerator: np.ndarray, count: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, numerator / np.maximum(count, 1), np.nan)


def mean(values: np.ndarray, panel: Panel) -> np.ndarray:
    return _divide(values.sum(axis=1), panel.size[:, None])


def median(values: np.ndarray, panel: Panel) -> np.ndarray:
    ordered = np.sort(np.where(_present(panel), values, np.inf), axis=1)
    n = panel.size
    lower = np.maximum((n - 1) // 2, 0)[:, None, None]
    upper = np.maximum(n // 2, 0)[:, None, None]
    if ordered.shape[1] == 0:
        return np.full((values.shape[0], values.shape[2]), np.nan)
    low = np.take_along_axis(ordered, lower, axis=1)[:, 0, :]
    high = np.take_along_axis(ordered, upper, axis=1)[:, 0, :]
    return np.where(n[:, None] > 0, (low + high) / 2, np.nan)


def trimmed_mean(values: np.ndarray, panel: Panel, min_reviewers: int) -> np.ndarray:
    """Drop the single highest and lowest score when the panel has at least `min_reviewers`."""
    if values.shape[1] == 0:
        return np.full((values.shape[0], values.shape[2]), np.nan)
    if panel.present.all():  # every panel full: one sweep over the slots gives sum, max and min
        total = values[:, 0, :].copy()
        highest = total.copy()
        lowest = total.copy()
        for k in range(1, values.shape[1]):  # a loop over panel slots (≤ panel size), not rows
            layer = values[:, k, :]
            total += layer
            np.maximum(highest, layer, out=highest)
            np.minimum(lowest, layer, out=lowest)
    else:
        total = values.sum(axis=1)
        present = _present(panel)
        highest = np.where(present, values, -np.inf).max(axis=1)
        lowest = np.where(present, values, np.inf).min(axis=1)
        empty = panel.size[:, None] == 0
        highest[np.broadcast_to(empty, highest.shape)] = 0.0
        lowest[np.broadcast_to(empty, lowest.shape)] = 0.0
    n = panel.size[:, None]
    trim = n >= min_reviewers
    if trim.all():
        total -= highest
        total -= lowest
        total /= n - 2
        return total
    return np.where(trim, _divide(total - highest - lowest, n - 2), _divide(total, n))


def normalise(values: np.ndarray, panel: Panel, max_points: np.ndarray) -> np.ndarray:
    """Reviewer z-score normalisation rescaled to points.

    Each score becomes a fraction of its criterion's maximum; each reviewer's fractions are
    standardised with that reviewer's mean and standard deviation over all their scores, then put
    back on the pooled mean and standard deviation of all fractions, clipped to [0, 1] and scaled
    to points. A reviewer who gives identical fractions everywhere has z = 0 (the pooled mean),
    never NaN.
    """
    n_reviewers = len(panel.reviewer_ids)
    present = panel.present
    inverse_max = 1.0 / max_points
    width = values.shape[2]
    if values.size == 0:
        return np.zeros_like(values)
    # Per-slot sums of fractions and squared fractions as matrix-vector products over criteria.
    flat_values = values.reshape(-1, width)
    per_slot_sum = (flat_values @ inverse_max).reshape(present.shape)
    fraction = np.square(values)
    per_slot_sq = (fraction.reshape(-1, width) @ np.square(inverse_max)).reshape(present.shape)
    codes = panel.reviewer[present]
    count = np.bincount(codes, minlength=n_reviewers) * width
    total = np.bincount(codes, weights=per_slot_sum[present], minlength=n_reviewers)
    total_sq = np.bincount(codes, weights=per_slot_sq[present], minlength=n_reviewers)
    safe_count = np.maximum(count, 1)
    reviewer_mean = np.where(count > 0, total / safe_count, 0.0)
    reviewer_var = np.where(count > 0, total_sq / safe_count - reviewer_mean**2, 0.0)
    reviewer_sd = np.sqrt(np.maximum(reviewer_var, 0.0))
    all_count = count.sum()
    pooled_mean = total.sum() / all_count if all_count else 0.0
    pooled_sd = np.sqrt(max(total_sq.sum() / all_count - pooled_mean**2, 0.0)) if all_count else 0.0

    # rescaled fraction = pooled_mean + (f - m_r) / sd_r * pooled_sd = f * gain_r + offset_r;
    # a reviewer with (numerically) no spread gets gain 0 and lands on the pooled mean.
    flat = reviewer_sd <= 1e-12
    gain = np.where(flat, 0.0, pooled_sd / np.where(flat, 1.0, reviewer_sd))
    offset = pooled_mean - reviewer_mean * gain
    slot_reviewer = np.maximum(panel.reviewer, 0)
    slot_gain = np.where(present, gain[slot_reviewer], 0.0)[:, :, None]
    slot_offset = np.where(present, offset[slot_reviewer], 0.0)[:, :, None]
    out = np.multiply(values, inverse_max, out=fraction)
    out *= slot_gain
    out += slot_offset
    np.clip(out, 0.0, 1.0, out=out)
    out *= max_points
    if not present.all():
        out *= present[:, :, None]
    return out


def aggregate(
    panel: Panel,
    max_points: np.ndarray,
    method: Method,
    *,
    trim_min_reviewers: int = 5,
    normalised: bool = False,
) -> np.ndarray:
    """Panel score per (application, judged criterion) under one method.

    `method="zscore"` is the mean of normalised scores; `normalised=True` normalises first for
    any method. `max_points` holds the judged criteria's maxima in the tensor's column order.
    """
    values = panel.points
    if normalised or method == "zscore":
        values = normalise(values, panel, max_points)
    if method in ("mean", "zscore"):
        return mean(values, panel)
    if method == "median":
        return median(values, panel)
    if method == "trimmed":
        return trimmed_mean(values, panel, trim_min_reviewers)
    raise ValueError(f"unknown aggregation method {method!r}; use mean, median, trimmed or zscore")


def to_units(points: np.ndarray, precision: int) -> np.ndarray:
    """Points -> integer units of 10^-precision, rounded half up; NaN -> 0.

    Totals are sums of these integers, so applications equal on paper are equal exactly.
    """
    scale = 10.0**precision
    finite = np.isfinite(points)
    return np.where(finite, np.floor(np.where(finite, points, 0.0) * scale + 0.5 + 1e-9), 0).astype(np.int64)
