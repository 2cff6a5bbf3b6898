"""Panel statistics: disagreement per application, reviewer severity, inter-rater reliability."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.panel import Panel
from scoring.reliability import icc_forms, kendall_w


def reviewer_totals(panel: Panel, main_columns: np.ndarray) -> np.ndarray:
    """(applications × slots) each reviewer's sheet total over the judged main criteria."""
    if main_columns.size and np.array_equal(main_columns, np.arange(main_columns.size)):
        return panel.points[:, :, : main_columns.size].sum(axis=2)  # a view: main criteria come first
    return panel.points[:, :, main_columns].sum(axis=2)


def disagreement(panel: Panel, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per application: population standard deviation and range of the reviewers' sheet totals.

    `totals` comes from `reviewer_totals`. NaN for applications without a panel; 0 for a panel of one.
    """
    present = panel.present
    n = panel.size
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(n > 0, totals.sum(axis=1) / np.maximum(n, 1), np.nan)
        spread = np.where(present, np.square(totals - centre[:, None]), 0.0).sum(axis=1)
        std = np.where(n > 0, np.sqrt(spread / np.maximum(n, 1)), np.nan)
    if totals.shape[1]:
        high = np.where(present, totals, -np.inf).max(axis=1)
        low = np.where(present, totals, np.inf).min(axis=1)
        value_range = np.where(n > 0, high - low, np.nan)
    else:
        value_range = np.full(n.shape, np.nan)
    return std, value_range


def reviewer_severity(panel: Panel, totals: np.ndarray, main_max_total: float) -> pd.DataFrame:
    """Each reviewer's mean deviation of their sheet total from the panel mean of the same sheets.

    Negative means harsher than their co-reviewers. `severity_fraction` divides by the maximum of
    the judged main criteria, so reviewers of different rubrics compare. `totals` comes from
    `reviewer_totals`.
    """
    present = panel.present
    n = panel.size
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = totals.sum(axis=1) / np.maximum(n, 1)
    deviation = totals - centre[:, None]
    codes = panel.reviewer[present]
    count = np.bincount(codes, minlength=len(panel.reviewer_ids))
    summed = np.bincount(codes, weights=deviation[present], minlength=len(panel.reviewer_ids))
    mean_total = np.bincount(codes, weights=totals[present], minlength=len(panel.reviewer_ids))
    with np.errstate(invalid="ignore", divide="ignore"):
        severity = np.where(count > 0, summed / np.maximum(count, 1), np.nan)
        average = np.where(count > 0, mean_total / np.maximum(count, 1), np.nan)
    return pd.DataFrame(
        {
            "reviewer_id": panel.reviewer_ids.astype(str),
            "sheets": count,
            "mean_total": average,
            "severity_points": severity,
            "severity_fraction": severity / main_max_total if main_max_total else np.nan,
        }
    )


def reliability(panel: Panel, main_columns: np.ndarray) -> dict[str, object]:
    """The six Shrout & Fleiss ICC forms and Kendall's W over reviewers' sheet totals.

    A fully crossed design (every reviewer scored every application) uses reviewers as raters.
    Otherwise the applications with the most common panel size k are taken with their k panel
    slots as raters (design "slots"): ICC1/ICC1k are the forms that fit such a design.
    """
    totals = reviewer_totals(panel, main_columns)
    n_reviewers = len(panel.reviewer_ids)
    sizes = panel.size[panel.size > 0]
    result: dict[str, object] = {"design": "none", "targets": 0, "raters": 0}
    if sizes.size < 2:
        return result | _empty()
    if n_reviewers >= 2 and np.all(panel.size == n_reviewers):
        matrix = totals  # slots are reviewer-sorted, so slot k is reviewer k everywhere
        design = "crossed"
    else:
        counts = np.bincount(sizes)
        k = int(np.argmax(counts[2:]) + 2) if counts.size > 2 else 0
        if k < 2:
            return result | _empty()
        matrix = totals[panel.size == k][:, :k]
        design = "slots"
    if matrix.shape[0] < 2:
        return result | _empty()
    return {"design": design, "targets": int(matrix.shape[0]), "raters": int(matrix.shape[1])} | {
        **icc_forms(matrix),
        "kendall_w": kendall_w(matrix),
    }


def _empty() -> dict[str, float]:
    return {key: float("nan") for key in ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k", "kendall_w")}
