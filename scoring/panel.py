"""Long-format scores -> a validated dense panel tensor.

Scores arrive as rows (application_id, reviewer_id, criterion_id, points) in any order. They are
checked as a whole (every problem collected with its rows) and then scattered into a tensor of
shape (applications, panel slots, judged criteria), slots ordered by reviewer id, so that every
later step is an axis reduction instead of a group-by. No step loops over rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.compiled import CompiledRubric
from scoring.errors import MAX_ROWS_LISTED, Issue, ScoringInputError

SCORE_COLUMNS = ("application_id", "reviewer_id", "criterion_id", "points")
_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class Panel:
    """Validated panel scores.

    `points[a, k, j]`: the points reviewer slot k gave application a on judged criterion j
    (0 where the slot is empty; a missing bonus item on a submitted sheet counts 0).
    `reviewer[a, k]`: the reviewer code in slot k, -1 for an empty slot. `size[a]`: panel size.
    """

    points: np.ndarray
    reviewer: np.ndarray
    size: np.ndarray
    reviewer_ids: pd.Index
    judged_columns: np.ndarray  # positions in the rubric's criteria of the tensor's last axis

    @property
    def present(self) -> np.ndarray:
        return self.reviewer >= 0

    @property
    def n_sheets(self) -> int:
        return int(self.size.sum())


def codes_for(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Positions of `values` in `index` (-1 where absent); categorical input maps its categories only."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        positions = index.get_indexer(values.cat.categories)
        codes = values.cat.codes.to_numpy()
        if positions.size == len(index) and np.array_equal(positions, np.arange(positions.size)):
            return codes  # categories are the index itself: the codes are the positions
        small = np.int8 if len(index) < 127 else np.int32  # criteria: a quarter of the memory traffic
        lookup = np.append(positions, -1).astype(small)  # code -1 picks the trailing -1
        return lookup[codes]
    return index.get_indexer(values)


def reviewer_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Reviewer codes in sorted-id order (so results never depend on row order); -1 for missing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        order = np.argsort(categories.astype(str), kind="stable")
        codes = values.cat.codes.to_numpy()
        if np.array_equal(order, np.arange(order.size)):
            return codes, categories
        rank = np.empty(order.size + 1, dtype=np.int32)
        rank[order] = np.arange(order.size)
        rank[-1] = -1
        return rank[codes], categories[order]
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


def _issue(issues: list[Issue], mask: np.ndarray, column: str, code: str, en: str, zh: str) -> None:
    rows = np.flatnonzero(mask)
    if rows.size:
        issues.append(
            Issue("scores", column, code, en, zh, tuple(int(r) for r in rows[:MAX_ROWS_LISTED]), int(rows.size))
        )


def build_panel(
    scores: pd.DataFrame,
    application_ids: pd.Index,
    compiled: CompiledRubric,
    known_reviewers: frozenset[str] | None = None,
) -> Panel:
    """Validate `scores` against the rubric and applications, then build the panel tensor.

    Raises ScoringInputError listing every problem: unknown applications, criteria or reviewers;
    points missing, not finite, out of [0, max] or off the declared step; formula criteria scored
    by hand; the same criterion scored twice on one sheet; sheets missing judged criteria.
    """
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ScoringInputError(
            [
                Issue(
                    "scores",
                    c,
                    "missing_column",
                    f"column {c!r} is missing; scores need {', '.join(SCORE_COLUMNS)}",
                    f"缺少列 {c!r};评分表需要列 {', '.join(SCORE_COLUMNS)}",
                )
                for c in missing
            ]
        )
    n_criteria = compiled.n_criteria
    app = codes_for(scores["application_id"], application_ids)
    crit = codes_for(scores["criterion_id"], compiled.criterion_ids)
    rev, reviewer_ids = reviewer_codes(scores["reviewer_id"])
    points = _as_float(scores["points"])

    issues: list[Issue] = []
    _issue(
        issues,
        app < 0,
        "application_id",
        "unknown_application",
        "the application is not in the applications table; check the id",
        "申报表中没有该申报编号,请核对",
    )
    _issue(
        issues,
        crit < 0,
        "criterion_id",
        "unknown_criterion",
        f"not a criterion of rubric {compiled.rubric.id}; use one of the rubric's criterion ids",
        f"不是评分细则 {compiled.rubric.id} 中的指标,请使用细则中的指标编号",
    )
    _issue(
        issues,
        rev < 0,
        "reviewer_id",
        "missing_reviewer",
        "the reviewer id is empty; every score needs its reviewer",
        "评审专家编号为空,每条评分都须注明专家",
    )
    if known_reviewers is not None:
        known = reviewer_ids.isin(list(known_reviewers))
        _issue(
            issues,
            (rev >= 0) & ~known[np.maximum(rev, 0)] if len(known) else rev >= 0,
            "reviewer_id",
            "unknown_reviewer",
            "the reviewer is not on this round's panel",
            "该专家不在本轮评审专家名单中",
        )

    if not issues:
        regular = _regular_panel(app, rev, crit, points, len(application_ids), compiled, reviewer_ids)
        if regular is not None:
            return regular
    _issue(
        issues,
        ~np.append(compiled.judged, True)[crit],  # code -1 (unknown, reported above) picks True
        "criterion_id",
        "formula_scored",
        "this criterion is computed from the application's indicators; remove the score",
        "该指标由申报数据自动计算,请删除人工评分",
    )
    valid = (app >= 0) & (crit >= 0) & (rev >= 0)
    all_valid = bool(valid.all())
    if not all_valid:
        _check_points(issues, points, np.maximum(crit, 0), crit >= 0, compiled)
        app, crit, rev, points = app[valid], crit[valid], rev[valid], points[valid]
    n_reviewers = max(len(reviewer_ids), 1)
    sheets = _sheets(app, rev, n_reviewers, crit, compiled)
    sheet_code, sheet_uniques = sheets.code, sheets.key
    row_positions = np.flatnonzero(valid) if not all_valid else None

    def original_rows(mask: np.ndarray) -> np.ndarray:
        return mask if row_positions is None else np.isin(np.arange(len(valid)), row_positions[mask])

    if sheets.duplicated.any():
        _issue(
            issues,
            original_rows(sheets.duplicated[sheet_code] & _duplicate_rows(sheet_code, crit, compiled)),
            "criterion_id",
            "duplicate_score",
            "the same reviewer scored this criterion of this application more than once; keep one row",
            "同一专家对同一申报的同一指标重复打分,请只保留一条",
        )
    incomplete_sheets = sheets.incomplete
    if incomplete_sheets.any():
        required_ids = compiled.criterion_ids[compiled.judged_main]
        examples = ", ".join(
            f"{application_ids[k // n_reviewers]}/{reviewer_ids[k % n_reviewers]} lacks "
            + "/".join(required_ids[~filled])
            for k, filled in zip(
                sheet_uniques[incomplete_sheets][:5], sheets.filled[incomplete_sheets][:5], strict=False
            )
        )
        _issue(
            issues,
            original_rows(incomplete_sheets[sheet_code]),
            "criterion_id",
            "incomplete_sheet",
            f"{int(incomplete_sheets.sum())} score sheet(s) lack judged criteria ({examples}); "
            "a submitted sheet scores every judged criterion",
            f"{int(incomplete_sheets.sum())} 份评分表缺少评分指标({examples});提交的评分表须对全部评审指标打分",
        )
    if issues:
        if all_valid:
            _check_points(issues, points, crit, np.ones(crit.size, dtype=bool), compiled)
        raise ScoringInputError(issues)

    n_apps = len(application_ids)
    sheet_app = sheet_uniques // n_reviewers
    sheet_rev = sheet_uniques % n_reviewers
    size, slot, n_slots = _slots(sheet_app, n_apps)

    judged_columns = np.flatnonzero(compiled.judged)
    column_of = np.full(n_criteria, -1, dtype=np.int64)
    column_of[judged_columns] = np.arange(judged_columns.size)
    n_judged = judged_columns.size

    tensor = np.zeros((n_apps, n_slots, n_judged), dtype=np.float64)
    flat = ((sheet_app * n_slots + slot) * n_judged)[sheet_code]
    flat += column_of[crit]
    tensor.reshape(-1)[flat] = points
    # Values are checked on the tensor, where the criterion is an axis (no per-row lookups);
    # only when something is wrong are the rows found, for the report.
    if not _values_ok(tensor.reshape(-1, n_judged), compiled.max_points[judged_columns], compiled.step[judged_columns]):
        _check_points(issues, points, crit, np.ones(crit.size, dtype=bool), compiled)
        raise ScoringInputError(issues)
    reviewer = np.full((n_apps, n_slots), -1, dtype=np.int64)
    reviewer[sheet_app, slot] = sheet_rev
    return Panel(tensor, reviewer, size, reviewer_ids, judged_columns)


def _check_points(
    issues: list[Issue], points: np.ndarray, crit: np.ndarray, known_crit: np.ndarray, compiled: CompiledRubric
) -> None:
    """Row-level report of points not finite, outside [0, max] or off the step grid (error path)."""
    finite = np.isfinite(points)
    safe = np.where(finite, points, 0.0)
    _issue(
        issues,
        ~finite,
        "points",
        "not_a_number",
        "points must be a finite number (empty, NaN and infinity are not scores)",
        "分值必须是有限数字(空值、NaN、无穷大均无效)",
    )
    maximum = compiled.max_points[crit]
    _issue(
        issues,
        finite & known_crit & ((safe < 0) | (safe > maximum + _TOLERANCE)),
        "points",
        "out_of_range",
        "points must lie between 0 and the criterion's maximum",
        "分值须在0到该指标满分之间",
    )
    step = compiled.step[crit]
    multiples = safe / np.where(step > 0, step, 1.0)
    _issue(
        issues,
        finite & known_crit & (step > 0) & (np.abs(multiples - np.rint(multiples)) > 1e-6),
        "points",
        "off_step",
        "points must be a multiple of the criterion's step (e.g. 0.5)",
        "分值须为该指标评分步长(如0.5)的整数倍",
    )


@dataclass(frozen=True, eq=False)
class _Sheets:
    code: np.ndarray  # per row: the sheet number, sheets numbered in key order
    key: np.ndarray  # per sheet: application code * n_reviewers + reviewer code, ascending
    filled: np.ndarray  # per sheet × judged main criterion: scored at least once
    duplicated: np.ndarray  # per sheet: some criterion scored twice
    incomplete: np.ndarray  # per sheet: some judged main criterion missing


def _sheets(app: np.ndarray, rev: np.ndarray, n_reviewers: int, crit: np.ndarray, compiled: CompiledRubric) -> _Sheets:
    """Group rows into score sheets (one per application and reviewer).

    Sheets normally arrive as contiguous runs of rows; then runs are found in one pass and each
    sheet's criteria are collected as a bit mask with `reduceat`. Rows of one sheet scattered
    through the file fall back to hashing the keys. Either way no Python loop touches the rows.
    """
    n_criteria = compiled.n_criteria
    required = compiled.judged_main
    if app.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Sheets(empty, empty, np.zeros((0, int(required.sum())), bool), empty.astype(bool), empty.astype(bool))
    boundary = np.empty(app.size, dtype=bool)
    boundary[0] = True
    np.not_equal(app[1:], app[:-1], out=boundary[1:])
    boundary[1:] |= rev[1:] != rev[:-1]
    starts = np.flatnonzero(boundary)
    run_keys = app[starts].astype(np.int64) * n_reviewers + rev[starts]
    order = np.argsort(run_keys, kind="stable")
    sorted_keys = run_keys[order]
    contiguous = bool(np.all(sorted_keys[1:] != sorted_keys[:-1]))
    if contiguous and n_criteria <= 62:
        run_of_row = np.cumsum(boundary, dtype=np.int32)
        run_of_row -= 1
        if np.array_equal(order, np.arange(order.size)):
            code = run_of_row  # runs already in (application, reviewer) order
        else:
            sheet_of_run = np.empty(order.size, dtype=np.int32)
            sheet_of_run[order] = np.arange(order.size)
            code = sheet_of_run[run_of_row]
        bit_dtype = np.int32 if n_criteria <= 30 else np.int64
        bits = (np.ones(1, dtype=bit_dtype) << np.arange(n_criteria, dtype=bit_dtype))[crit]
        seen = np.bitwise_or.reduceat(bits, starts)[order]
        count = np.diff(np.append(starts, app.size))[order]
        duplicated = np.bitwise_count(seen) < count
        filled = (seen[:, None] >> np.flatnonzero(required)[None, :]) & 1 == 1
        return _Sheets(code, sorted_keys, filled, duplicated, ~filled.all(axis=1))
    code, uniques = pd.factorize(app.astype(np.int64) * n_reviewers + rev, sort=True)
    n_sheets = len(uniques)
    cell = code.astype(np.int64) * n_criteria + crit
    per_cell = np.bincount(cell, minlength=n_sheets * n_criteria).reshape(n_sheets, n_criteria)
    filled = per_cell[:, required] > 0
    return _Sheets(code, uniques, filled, (per_cell > 1).any(axis=1), ~filled.all(axis=1))


def _duplicate_rows(sheet_code: np.ndarray, crit: np.ndarray, compiled: CompiledRubric) -> np.ndarray:
    """Rows whose (sheet, criterion) occurs more than once (only computed when there are some)."""
    cell = sheet_code.astype(np.int64) * compiled.n_criteria + crit
    _, inverse, counts = np.unique(cell, return_inverse=True, return_counts=True)
    return counts[inverse] > 1


def _slots(sheet_app: np.ndarray, n_apps: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Panel size per application and each sheet's slot, for sheets sorted by (application, reviewer).

    Slot k of an application is its k-th reviewer in reviewer-id order.
    """
    size = np.bincount(sheet_app, minlength=n_apps)
    first_sheet_of_app = np.concatenate(([0], np.cumsum(size)[:-1]))
    slot = np.arange(sheet_app.size) - first_sheet_of_app[sheet_app]
    return size, slot, int(size.max()) if sheet_app.size else 0


def _as_float(values: pd.Series) -> np.ndarray:
    """Points as float64 (NaN for anything that is not a number); no copy when already float64."""
    if values.dtype == np.float64:
        return values.to_numpy()
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _regular_panel(
    app: np.ndarray,
    rev: np.ndarray,
    crit: np.ndarray,
    points: np.ndarray,
    n_apps: int,
    compiled: CompiledRubric,
    reviewer_ids: pd.Index,
) -> Panel | None:
    """The panel without grouping, when rows come as a store query returns them.

    That is: complete sheets of every judged criterion in rubric order, sheets ordered by
    (application, reviewer). A few passes verify the layout; the points then reshape into the
    tensor (one block copy per sheet, none at all when every panel is full). Any other layout
    returns None and goes through the general path, which gives the same panel.
    """
    judged_columns = np.flatnonzero(compiled.judged)
    width = judged_columns.size
    n_rows = points.size
    if width == 0 or n_rows == 0 or n_rows % width:
        return None
    n_sheets = n_rows // width
    by_sheet_crit = crit.reshape(n_sheets, width)
    if not (by_sheet_crit == judged_columns.astype(crit.dtype)).all():
        return None
    by_sheet_app = app.reshape(n_sheets, width)
    by_sheet_rev = rev.reshape(n_sheets, width)
    sheet_app = by_sheet_app[:, 0].astype(np.int64)
    sheet_rev = by_sheet_rev[:, 0].astype(np.int64)
    if sheet_app.min() < 0 or sheet_rev.min() < 0:
        return None
    if not ((by_sheet_app == by_sheet_app[:, :1]).all() and (by_sheet_rev == by_sheet_rev[:, :1]).all()):
        return None
    key = sheet_app * max(len(reviewer_ids), 1) + sheet_rev
    if not (key[1:] > key[:-1]).all():
        return None
    maximum = compiled.max_points[judged_columns]
    block = points.reshape(n_sheets, width)
    if not _values_ok(block, maximum, compiled.step[judged_columns]):
        return None  # the general path reports the rows
    size, slot, n_slots = _slots(sheet_app, n_apps)
    if n_sheets == n_apps * n_slots:  # every application has a full panel, in order
        tensor = block.reshape(n_apps, n_slots, width)
        reviewer = sheet_rev.reshape(n_apps, n_slots)
    else:
        tensor = np.zeros((n_apps, n_slots, width), dtype=np.float64)
        tensor[sheet_app, slot] = block
        reviewer = np.full((n_apps, n_slots), -1, dtype=np.int64)
        reviewer[sheet_app, slot] = sheet_rev
    tensor = tensor.view()
    tensor.flags.writeable = False  # may share memory with the caller's frame
    return Panel(tensor, reviewer, size, reviewer_ids, judged_columns)


def _values_ok(block: np.ndarray, maximum: np.ndarray, step: np.ndarray) -> bool:
    """(rows × criteria) values finite, in [0, max] and on the step grid; few passes, one buffer."""
    if block.size == 0:
        return True
    if not (block.min() >= 0 and np.isfinite(block.max())):  # NaN and infinities fail here
        return False
    stepped = step > 0
    if not stepped.all():
        unstepped = block[:, ~stepped]
        if not (unstepped.max(axis=0) <= maximum[~stepped] + _TOLERANCE).all():
            return False
        if not stepped.any():
            return True
    # One buffer: values in steps, rounded to the grid; then the grid point minus the value.
    grid = block * np.where(stepped, 1.0 / np.where(stepped, step, 1.0), 0.0)
    np.rint(grid, out=grid)
    if (grid > np.where(stepped, np.rint(maximum / np.where(stepped, step, 1.0)), 0.0)).any():
        return False  # above the maximum by at least half a step
    grid *= step
    grid -= block
    if not stepped.all():
        grid[:, ~stepped] = 0.0
    tolerance = 1e-6 * step[stepped].min()
    return bool(grid.max() <= tolerance and grid.min() >= -tolerance)
