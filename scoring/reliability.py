"""Inter-rater reliability statistics for a targets x raters rating matrix.

Every function in this module is pure: it takes an array-like of shape
``(n_targets, k_raters)`` (rows are the things being rated, columns are the
raters), never modifies it, performs no I/O and is vectorised with numpy (no
Python loops over rows or columns).  pandas objects are accepted because they
convert with :func:`numpy.asarray`, but pandas is not required.

Contents
--------
``icc_forms``
    The six intraclass correlation forms of Shrout, P. E. & Fleiss, J. L.
    (1979). Intraclass correlations: uses in assessing rater reliability.
    *Psychological Bulletin*, 86(2), 420-428.
``kendall_w``
    Kendall's coefficient of concordance W with the correction for tied ranks:
    Kendall, M. G. & Babington Smith, B. (1939). The problem of m rankings.
    *Annals of Mathematical Statistics*, 10(3), 275-287; tie correction as
    given in Siegel, S. & Castellan, N. J. (1988). *Nonparametric Statistics
    for the Behavioral Sciences* (2nd ed.), section 9.4.

Undefined results (a zero denominator, e.g. when every rating is identical)
are reported as ``nan``; no division-by-zero warning is emitted.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["icc_forms", "kendall_w"]

# Relative tolerance (in units of machine epsilon) below which a sum of squares
# or a denominator is treated as exactly zero.  Rounding in the row/column
# means leaves residues of this order where the exact value is zero.
_ZERO_TOLERANCE_ULPS = 64.0


def _as_rating_matrix(ratings: ArrayLike, function_name: str) -> np.ndarray:
    """Return ``ratings`` as a 2-D float64 array that callers must not write to.

    Raises ``ValueError`` with an English sentence when the input is not a
    2-D matrix of finite numbers with at least two targets and two raters.
    The input object itself is never modified.
    """
    matrix = np.asarray(ratings, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(
            f"{function_name} expects a 2-D matrix of ratings "
            "(targets as rows, raters as columns), but got an array with "
            f"{matrix.ndim} dimension(s)."
        )
    n_targets, n_raters = matrix.shape
    if n_targets < 2:
        raise ValueError(f"{function_name} needs at least 2 targets (rows), but the ratings matrix has {n_targets}.")
    if n_raters < 2:
        raise ValueError(f"{function_name} needs at least 2 raters (columns), but the ratings matrix has {n_raters}.")
    if np.isnan(matrix).any():
        raise ValueError(
            f"{function_name} cannot handle missing ratings: the matrix contains "
            f"{int(np.isnan(matrix).sum())} NaN value(s); drop or impute them first."
        )
    if np.isinf(matrix).any():
        raise ValueError(f"{function_name} needs finite ratings, but the matrix contains infinite value(s).")
    return matrix


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Element-wise ``numerator / denominator``, ``nan`` where the denominator is zero.

    A denominator is considered zero when its magnitude is within a few ulps of
    ``scale`` (the sum of the absolute values of the terms it was built from),
    so that cancellation residues do not masquerade as real values.
    """
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    threshold = _ZERO_TOLERANCE_ULPS * np.finfo(np.float64).eps * np.asarray(scale)
    is_zero = np.abs(denominator) <= threshold
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / np.where(is_zero, 1.0, denominator)
    return np.where(is_zero, np.nan, ratio)


def icc_forms(ratings: ArrayLike) -> dict[str, float]:
    """Six Shrout & Fleiss (1979) intraclass correlation coefficients.

    Parameters
    ----------
    ratings:
        Array-like of shape ``(n_targets, k_raters)`` with no missing values:
        ``ratings[i, j]`` is the score rater ``j`` gave target ``i``.  It is not
        modified.

    Returns
    -------
    dict[str, float]
        Keys ``ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k``.  With the two-way ANOVA
        mean squares BMS (between targets), WMS (within targets), JMS (between
        judges) and EMS (residual), following Shrout & Fleiss (1979),
        *Psychological Bulletin* 86(2):420-428, Table 2 and equations 2-4:

        * ``ICC1``  = ICC(1,1) = (BMS - WMS) / (BMS + (k-1) WMS)
        * ``ICC2``  = ICC(2,1) = (BMS - EMS) / (BMS + (k-1) EMS + k (JMS - EMS) / n)
        * ``ICC3``  = ICC(3,1) = (BMS - EMS) / (BMS + (k-1) EMS)
        * ``ICC1k`` = ICC(1,k) = (BMS - WMS) / BMS
        * ``ICC2k`` = ICC(2,k) = (BMS - EMS) / (BMS + (JMS - EMS) / n)
        * ``ICC3k`` = ICC(3,k) = (BMS - EMS) / BMS

        A form whose denominator is zero (for example when all ratings are
        identical) is ``nan``; no warning is emitted.

    Raises
    ------
    ValueError
        If the matrix is not 2-D, contains NaN or infinite values, or has fewer
        than 2 targets or fewer than 2 raters.
    """
    x = _as_rating_matrix(ratings, "icc_forms")
    n, k = x.shape

    grand_mean = x.mean()
    row_means = x.mean(axis=1, keepdims=True)
    col_means = x.mean(axis=0, keepdims=True)

    # Sums of squares computed directly from deviations (not by subtraction)
    # so that exactly-zero components stay at rounding-residue level.
    ss_rows = k * np.sum((row_means - grand_mean) ** 2)
    ss_cols = n * np.sum((col_means - grand_mean) ** 2)
    ss_within = np.sum((x - row_means) ** 2)
    ss_error = np.sum((x - row_means - col_means + grand_mean) ** 2)

    # Snap rounding residues of exactly-zero sums of squares to 0.
    data_scale = float(np.max(np.abs(x)))
    ss_floor = x.size * (_ZERO_TOLERANCE_ULPS * np.finfo(np.float64).eps * data_scale) ** 2
    ss = np.array([ss_rows, ss_cols, ss_within, ss_error])
    ss = np.where(ss <= ss_floor, 0.0, ss)
    ss_rows, ss_cols, ss_within, ss_error = ss

    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    wms = ss_within / (n * (k - 1))
    ems = ss_error / ((n - 1) * (k - 1))

    names = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
    numerators = np.array([bms - wms, bms - ems, bms - ems, bms - wms, bms - ems, bms - ems])
    denominators = np.array(
        [
            bms + (k - 1) * wms,
            bms + (k - 1) * ems + k * (jms - ems) / n,
            bms + (k - 1) * ems,
            bms,
            bms + (jms - ems) / n,
            bms,
        ]
    )
    # Magnitude of the terms each denominator is built from, for the
    # relative zero test (the ICC2 / ICC2k denominators involve a difference).
    scales = np.array(
        [
            bms + (k - 1) * wms,
            bms + (k - 1) * ems + k * (jms + ems) / n,
            bms + (k - 1) * ems,
            bms,
            bms + (jms + ems) / n,
            bms,
        ]
    )
    values = _safe_ratio(numerators, denominators, scales)
    return {name: float(value) for name, value in zip(names, values, strict=True)}


def _average_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank each column of ``x`` (1 = smallest), giving tied values their mean rank.

    Returns ``(ranks, tie_sums)`` where ``ranks`` has the shape of ``x`` and
    ``tie_sums[j]`` is ``sum(t**3 - t)`` over the groups of ``t`` tied values in
    column ``j``.  Fully vectorised: one argsort per call, no Python loops.
    """
    n = x.shape[0]
    order = np.argsort(x, axis=0, kind="stable")
    sorted_x = np.take_along_axis(x, order, axis=0)

    position = np.broadcast_to(np.arange(n)[:, None], x.shape)
    differs_from_previous = np.ones(x.shape, dtype=bool)
    differs_from_previous[1:] = sorted_x[1:] != sorted_x[:-1]
    differs_from_next = np.ones(x.shape, dtype=bool)
    differs_from_next[:-1] = differs_from_previous[1:]

    # First and last sorted position of the tie group each element belongs to.
    group_start = np.maximum.accumulate(np.where(differs_from_previous, position, 0), axis=0)
    group_end = np.minimum.accumulate(np.where(differs_from_next, position, n - 1)[::-1], axis=0)[::-1]

    sorted_ranks = (group_start + group_end) / 2.0 + 1.0
    ranks = np.empty_like(sorted_ranks)
    np.put_along_axis(ranks, order, sorted_ranks, axis=0)

    # Each of the t members of a tie group contributes t**2 - 1, so the group
    # contributes t * (t**2 - 1) = t**3 - t in total.
    group_size = (group_end - group_start + 1).astype(np.float64)
    tie_sums = np.sum(group_size**2 - 1.0, axis=0)
    return ranks, tie_sums


def kendall_w(ratings: ArrayLike) -> float:
    """Kendall's coefficient of concordance W, corrected for ties.

    Parameters
    ----------
    ratings:
        Array-like of shape ``(n_targets, m_raters)`` with no missing values.
        Each column (rater) is converted to ranks of the targets, ties receiving
        the average of the ranks they occupy.  Scores or ranks may be passed;
        only their order within a column matters.  The input is not modified.

    Returns
    -------
    float
        ``W = 12 S / (m**2 (n**3 - n) - m * sum_j T_j)`` where ``R_i`` is the sum
        of the ranks of target ``i``, ``S = sum_i (R_i - m (n + 1) / 2) ** 2`` and
        ``T_j = sum (t**3 - t)`` over the groups of ``t`` tied ranks given by
        rater ``j`` (Kendall & Babington Smith 1939, *Ann. Math. Statist.*
        10(3):275-287; Siegel & Castellan 1988, *Nonparametric Statistics for
        the Behavioral Sciences*, 2nd ed., section 9.4).  Without ties it reduces
        to ``12 S / (m**2 (n**3 - n))``.  ``W`` lies in ``[0, 1]``: 1 is complete
        agreement, 0 no agreement.  ``nan`` when undefined, i.e. when every rater
        gives all targets the same score.

    Raises
    ------
    ValueError
        If the matrix is not 2-D, contains NaN or infinite values, or has fewer
        than 2 targets or fewer than 2 raters.
    """
    x = _as_rating_matrix(ratings, "kendall_w")
    n, m = x.shape

    ranks, tie_sums = _average_ranks(x)
    rank_sums = ranks.sum(axis=1)
    s = np.sum((rank_sums - m * (n + 1) / 2.0) ** 2)

    full_scale = float(m**2 * (n**3 - n))
    denominator = full_scale - m * float(tie_sums.sum())
    return float(_safe_ratio(12.0 * s, denominator, full_scale))
