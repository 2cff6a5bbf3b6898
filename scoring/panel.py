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
        return np.where(codes >= 0, positions[codes], -1)
    return index.get_indexer(values)


def reviewer_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Reviewer codes in sorted-id order (so results never depend on row order); -1 for missing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        order = np.argsort(categories.astype(str), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, rank[codes], -1), categories[order]
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
    points = pd.to_numeric(scores["points"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

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

    safe_crit = np.maximum(crit, 0)
    known_crit = crit >= 0
    _issue(
        issues,
        known_crit & ~compiled.judged[safe_crit],
        "criterion_id",
        "formula_scored",
        "this criterion is computed from the application's indicators; remove the score",
        "该指标由申报数据自动计算,请删除人工评分",
    )
    finite = np.isfinite(points)
    _issue(
        issues,
        ~finite,
        "points",
        "not_a_number",
        "points must be a finite number (empty, NaN and infinity are not scores)",
        "分值必须是有限数字(空值、NaN、无穷大均无效)",
    )
    maximum = compiled.max_points[safe_crit]
    _issue(
        issues,
        finite & known_crit & ((points < 0) | (points > maximum + _TOLERANCE)),
        "points",
        "out_of_range",
        "points must lie between 0 and the criterion's maximum",
        "分值须在0到该指标满分之间",
    )
    step = compiled.step[safe_crit]
    with np.errstate(invalid="ignore", divide="ignore"):
        multiples = points / np.where(step > 0, step, 1.0)
    _issue(
        issues,
        finite & known_crit & (step > 0) & (np.abs(multiples - np.rint(multiples)) > 1e-6),
        "points",
        "off_step",
        "points must be a multiple of the criterion's step (e.g. 0.5)",
        "分值须为该指标评分步长(如0.5)的整数倍",
    )

    valid = (app >= 0) & (crit >= 0) & (rev >= 0)
    all_valid = bool(valid.all())
    if not all_valid:
        app, crit, rev, points = app[valid], crit[valid], rev[valid], points[valid]
    n_reviewers = max(len(reviewer_ids), 1)
    sheet_key = app.astype(np.int64) * n_reviewers + rev
    sheet_code, sheet_uniques = pd.factorize(sheet_key, sort=True)
    n_sheets = len(sheet_uniques)
    cell = sheet_code.astype(np.int64) * n_criteria + crit
    per_cell = np.bincount(cell, minlength=n_sheets * n_criteria)
    row_positions = np.flatnonzero(valid) if not all_valid else None

    def original_rows(mask: np.ndarray) -> np.ndarray:
        return mask if row_positions is None else np.isin(np.arange(len(valid)), row_positions[mask])

    _issue(
        issues,
        original_rows(per_cell[cell] > 1),
        "criterion_id",
        "duplicate_score",
        "the same reviewer scored this criterion of this application more than once; keep one row",
        "同一专家对同一申报的同一指标重复打分,请只保留一条",
    )
    required = compiled.judged_main
    filled = per_cell.reshape(n_sheets, n_criteria)[:, required] > 0
    incomplete_sheets = filled.sum(axis=1) < int(required.sum())
    if incomplete_sheets.any():
        sheet_ids = sheet_uniques[incomplete_sheets]
        first_missing = np.argmax(~filled[incomplete_sheets], axis=1)
        required_ids = compiled.criterion_ids[required]
        examples = ", ".join(
            f"{application_ids[k // n_reviewers]}/{reviewer_ids[k % n_reviewers]} lacks "
            f"{required_ids[m]}"
            for k, m in zip(sheet_ids[:5], first_missing[:5], strict=False)
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
        raise ScoringInputError(issues)

    # Slots: sheets sorted by (application, reviewer) — factorize(sort=True) already did that.
    n_apps = len(application_ids)
    sheet_app = sheet_uniques // n_reviewers
    sheet_rev = sheet_uniques % n_reviewers
    size = np.bincount(sheet_app, minlength=n_apps)
    first_sheet_of_app = np.concatenate(([0], np.cumsum(size)[:-1]))
    slot = np.arange(n_sheets) - first_sheet_of_app[sheet_app]
    n_slots = int(size.max()) if n_sheets else 0

    judged_columns = np.flatnonzero(compiled.judged)
    column_of = np.full(n_criteria, -1, dtype=np.int64)
    column_of[judged_columns] = np.arange(judged_columns.size)
    n_judged = judged_columns.size

    tensor = np.zeros((n_apps, n_slots, n_judged), dtype=np.float64)
    flat = (sheet_app * n_slots + slot)[sheet_code] * n_judged + column_of[crit]
    tensor.reshape(-1)[flat] = points
    reviewer = np.full((n_apps, n_slots), -1, dtype=np.int64)
    reviewer[sheet_app, slot] = sheet_rev
    return Panel(tensor, reviewer, size, reviewer_ids, judged_columns)
