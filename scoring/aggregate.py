"""Panel aggregation per criterion: mean, median, trimmed mean, reviewer z-normalisation.

All functions take the dense panel tensor (applications × slots × judged criteria) and return an
(applications × judged criteria) float array; applications without a panel get NaN. Each is an
axis reduction, so every method costs a few passes over the tensor whatever the number of rows.
"""

from __future__ import annotations

import numpy as np

from scoring.panel import Panel
from scoring.settings import METHODS, Method


def _present(panel: Panel) -> np.ndarray:
    return panel.present[:, :, None]


def _divide(numerator: np.ndarray, count: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, numerator / np.maximum(count, 1), np.nan)


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


def normalisation(values: np.ndarray, panel: Panel, max_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-slot (gain, offset) of reviewer z-score normalisation, in fractions of the maximum.

    Each score becomes a fraction of its criterion's maximum; each reviewer's fractions are
    standardised with that reviewer's mean and standard deviation over all their scores, then put
    back on the pooled mean and standard deviation of all fractions:
    pooled_mean + (f - m_r) / sd_r * pooled_sd = f * gain_r + offset_r. A reviewer with
    (numerically) no spread gets gain 0 and lands on the pooled mean, never NaN.
    """
    n_reviewers = len(panel.reviewer_ids)
    present = panel.present
    inverse_max = 1.0 / max_points
    width = values.shape[2]
    per_slot_sum = (values.reshape(-1, width) @ inverse_max).reshape(present.shape)
    per_slot_sq = np.einsum("akj,akj,j->ak", values, values, np.square(inverse_max))
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
    flat = reviewer_sd <= 1e-12
    gain = np.where(flat, 0.0, pooled_sd / np.where(flat, 1.0, reviewer_sd))
    offset = pooled_mean - reviewer_mean * gain
    slot_reviewer = np.maximum(panel.reviewer, 0)
    return np.where(present, gain[slot_reviewer], 0.0), np.where(present, offset[slot_reviewer], 0.0)


def _normalised_layer(
    values: np.ndarray, k: int, gain: np.ndarray, offset: np.ndarray, max_points: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Slot k's normalised points: clip(f * gain + offset, 0, 1) * max, 0 for an empty slot."""
    layer = values[:, k, :] * (1.0 / max_points)
    layer *= gain[:, k, None]
    layer += offset[:, k, None]
    np.clip(layer, 0.0, 1.0, out=layer)
    layer *= max_points
    if not present[:, k].all():
        layer *= present[:, k, None]
    return layer


def normalise(values: np.ndarray, panel: Panel, max_points: np.ndarray) -> np.ndarray:
    """Reviewer z-score normalisation rescaled to points, as a whole tensor (see `normalisation`)."""
    if values.size == 0:
        return np.zeros_like(values)
    gain, offset = normalisation(values, panel, max_points)
    present = panel.present
    out = np.empty_like(values)
    for k in range(values.shape[1]):
        out[:, k, :] = _normalised_layer(values, k, gain, offset, max_points, present)
    return out


def _sum_max_min(panel: Panel, layers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum, max and min over present slots from a sequence of (applications × criteria) layers."""
    present = panel.present
    total = highest = lowest = None
    for k, layer in enumerate(layers):
        if present[:, k].all():
            high_candidate = low_candidate = layer
        else:
            mask = present[:, k, None]
            high_candidate = np.where(mask, layer, -np.inf)
            low_candidate = np.where(mask, layer, np.inf)
        if total is None:
            total = layer.copy()
            highest = np.array(high_candidate, copy=True)
            lowest = np.array(low_candidate, copy=True)
        else:
            total += layer
            np.maximum(highest, high_candidate, out=highest)
            np.minimum(lowest, low_candidate, out=lowest)
    empty = (panel.size == 0)[:, None]
    if empty.any():
        highest = np.where(empty, 0.0, highest)
        lowest = np.where(empty, 0.0, lowest)
    return total, highest, lowest


def _layers(values: np.ndarray, panel: Panel, max_points: np.ndarray, normalised: bool):
    if not normalised:
        return (values[:, k, :] for k in range(values.shape[1]))
    gain, offset = normalisation(values, panel, max_points)
    present = panel.present
    return (_normalised_layer(values, k, gain, offset, max_points, present) for k in range(values.shape[1]))


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
    Mean and trimmed mean sweep the panel slots once, normalising one slot at a time.
    """
    values = panel.points
    normalised = normalised or method == "zscore"
    n_apps, n_slots, width = values.shape
    if method not in METHODS:
        raise ValueError(f"unknown aggregation method {method!r}; use mean, median, trimmed or zscore")
    if n_slots == 0 or width == 0:
        return np.full((n_apps, width), np.nan)
    if method == "median":
        return median(normalise(values, panel, max_points) if normalised else values, panel)
    total, highest, lowest = _sum_max_min(panel, _layers(values, panel, max_points, normalised))
    n = panel.size[:, None]
    if method in ("mean", "zscore"):
        return _divide(total, n)
    trim = n >= trim_min_reviewers
    if trim.all():
        total -= highest
        total -= lowest
        total /= n - 2
        return total
    return np.where(trim, _divide(total - highest - lowest, n - 2), _divide(total, n))


def to_units(points: np.ndarray, precision: int) -> np.ndarray:
    """Points -> integer units of 10^-precision, rounded half up; NaN -> 0.

    Totals are sums of these integers, so applications equal on paper are equal exactly.
    """
    scale = 10.0**precision
    finite = np.isfinite(points)
    if finite.all():
        scaled = points * scale
        scaled += 0.5 + 1e-9
        np.floor(scaled, out=scaled)
        return scaled.astype(np.int64)
    return np.where(finite, np.floor(np.where(finite, points, 0.0) * scale + 0.5 + 1e-9), 0).astype(np.int64)
