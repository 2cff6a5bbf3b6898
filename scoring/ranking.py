"""Competition ranking (1, 2, 2, 4) within groups, tie-break chains and quotas."""

from __future__ import annotations

import numpy as np


def competition_rank(
    group: np.ndarray, keys: list[np.ndarray], mask: np.ndarray, overall_order: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank rows within `group` by `keys` (each higher-is-better, compared exactly), first key first.

    Returns (rank, order, decided_by): `rank` is float with NaN where `mask` is False; equal on all
    keys means equal rank and the next rank skips. `order` lists the ranked rows best first within
    group order. `decided_by[i]` is the index of the first key that separated row i from the row
    ranked just above it in its group when the first key (the total) was equal, else -1.
    `overall_order`, the `order` of an earlier call without groups over the same keys and mask,
    spares the sort: a stable sort of it by group gives the order within groups.
    """
    n = group.shape[0]
    rank = np.full(n, np.nan)
    decided_by = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return rank, rows, decided_by
    if overall_order is not None:
        order = overall_order[np.argsort(group[overall_order], kind="stable")]
    else:
        order = rows[_sort_rows([group[rows], *[-k[rows] for k in keys]])]
    sorted_group = group[order]
    new_group = np.empty(order.size, dtype=bool)
    new_group[0] = True
    new_group[1:] = sorted_group[1:] != sorted_group[:-1]
    differs = np.stack([k[order][1:] != k[order][:-1] for k in keys]) if keys else np.zeros((0, order.size - 1), bool)
    new_run = new_group.copy()
    new_run[1:] |= differs.any(axis=0) if keys else False
    positions = np.arange(order.size)
    run_start = np.maximum.accumulate(np.where(new_run, positions, 0))
    group_start = np.maximum.accumulate(np.where(new_group, positions, 0))
    rank[order] = (run_start - group_start + 1).astype(np.float64)
    if len(keys) > 1:
        tied_on_total = ~differs[0] & ~new_group[1:]
        broken = tied_on_total & differs[1:].any(axis=0)
        first_key = 1 + np.argmax(differs[1:], axis=0)
        decided_by[order[1:][broken]] = first_key[broken]
    return rank, order, decided_by


def quota_selection(
    rank_order: np.ndarray,
    candidate: np.ndarray,
    rank: np.ndarray,
    groups: list[tuple[np.ndarray, int]],
) -> np.ndarray:
    """Which candidates fall within the quotas.

    `rank_order` lists rows best first (overall order); `groups` pairs a group code per row with
    that group's quota. With one quota the selection is vectorised: a candidate is in when fewer
    than `quota` candidates of its group rank strictly above it (so ties at the line all go in and
    are reported). With several quotas a row is taken only if every group it belongs to still has
    room, in rank order; that pass walks the candidates, not every application.
    """
    selected = np.zeros(candidate.shape[0], dtype=bool)
    ordered = rank_order[candidate[rank_order]]
    if ordered.size == 0 or not groups:
        selected[ordered] = True
        return selected
    if len(groups) == 1:
        codes, quota = groups[0]
        group = codes[ordered]
        ranks = rank[ordered]
        by_group = np.lexsort((ranks, group))
        g_sorted, r_sorted = group[by_group], ranks[by_group]
        start = np.ones(g_sorted.size, dtype=bool)
        start[1:] = g_sorted[1:] != g_sorted[:-1]
        pos = np.arange(g_sorted.size)
        group_start = np.maximum.accumulate(np.where(start, pos, 0))
        new_rank = start.copy()
        new_rank[1:] |= r_sorted[1:] != r_sorted[:-1]
        above = np.maximum.accumulate(np.where(new_rank, pos, 0)) - group_start
        selected[ordered[by_group[above < quota]]] = True
        return selected
    used = [dict() for _ in groups]
    for row in ordered.tolist():
        keys = [int(codes[row]) for codes, _ in groups]
        if all(used[i].get(k, 0) < quota for i, (k, (_, quota)) in enumerate(zip(keys, groups, strict=True))):
            selected[row] = True
            for i, k in enumerate(keys):
                used[i][k] = used[i].get(k, 0) + 1
    return selected


def _sort_rows(columns: list[np.ndarray]) -> np.ndarray:
    """Row order sorting by the first column, then the next…, all ascending and stable.

    Integer keys whose combined range fits in 62 bits are packed into one key and sorted once,
    which is several times faster than a multi-key lexsort; anything else falls back to lexsort.
    """
    if all(np.issubdtype(c.dtype, np.integer) for c in columns) and columns[0].size:
        lows = [int(c.min()) for c in columns]
        spans = [int(c.max()) - low + 1 for c, low in zip(columns, lows, strict=True)]
        if np.prod([float(s) for s in spans]) < 2.0**62:
            packed = np.zeros(columns[0].size, dtype=np.int64)
            for column, low, span in zip(columns, lows, spans, strict=True):
                packed *= span
                packed += column.astype(np.int64) - low
            return np.argsort(packed, kind="stable")
    return np.lexsort(list(reversed(columns)))
