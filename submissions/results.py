"""What the administrator's review-operation pages show, as frames ready for a table or a chart.

Three kinds of function live here:

- pure reshaping of the services' frames (`reviews.progress`, `assignments.PlanPreview`, the
  ranking table), vectorised with pandas/numpy, each with hand-checked tests;
- views of a `RoundRanking` memoised on the ranking object itself (`per_ranking`). The store keeps
  a ranking per (round, revision, method), so a page's rerun finds its frames ready, while any
  change to the round (a new revision, hence a new ranking object) builds them afresh; frames go
  away with the ranking they came from;
- admin-checked reads that need the round's raw input: every aggregation method side by side,
  the sensitivity of the ranking, and the applicants' self-assessments against the panel.

Frames handed out by memoised views and services are shared between sessions: treat them as
read-only. Charts never get a row per application of a large round: bars are the top of the list
plus the rows around the quota line, the heatmap is band × criterion, disagreement is binned.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rubrics.schema import Rubric
from scoring import compare_methods, self_gaps, self_summary, sensitivity
from submissions.access import Actor, require_state, verified_user
from submissions.assignment_plan import AssignmentPlan
from submissions.assignments import CONFLICT_LABELS
from submissions.excel.ranking import ranking_order
from submissions.models import Application, SelfAssessment
from submissions.ranking import RoundRanking, compute, engine_inputs, fetch_rows, reviewer_user_id
from submissions.rounds import load_round
from submissions.store import Store

T = TypeVar("T")

RANKED_STATES = ("under_review", "closed", "published", "final")
SHEET_STATES = ("submitted", "draft", "new")
SPECIAL_BANDS = {"ineligible": ("不符合申报条件", "Ineligible"), "unscored": ("尚未评分", "Not scored")}
TOP_BARS = 30
AROUND_LINE = 3
DISAGREEMENT_BINS = 20
SENSITIVITY_DRAWS = 200


def _pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


# -- memoised views of a ranking ------------------------------------------------------------------

_DERIVED: weakref.WeakKeyDictionary[RoundRanking, dict[tuple, object]] = weakref.WeakKeyDictionary()
_DERIVED_LOCK = threading.Lock()
_MISSING = object()


def memoised(ranked: RoundRanking, key: tuple, build: Callable[[], T]) -> T:
    """`build()` once per ranking object and key; concurrent first calls may both build (same result)."""
    with _DERIVED_LOCK:
        found = _DERIVED.get(ranked, {}).get(key, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    value = build()
    with _DERIVED_LOCK:
        _DERIVED.setdefault(ranked, {})[key] = value
    return value


def per_ranking(fn: Callable[..., T]) -> Callable[..., T]:
    """Memoise `fn(ranked, *args)` on the ranking, keyed by the function and its (hashable) arguments."""

    @functools.wraps(fn)
    def wrapper(ranked: RoundRanking, *args: object) -> T:
        return memoised(ranked, (fn.__qualname__, *args), lambda: fn(ranked, *args))

    return wrapper


# -- progress --------------------------------------------------------------------------------------


def _tally(progress: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sheets per key by status (conflicted assignments counted apart), remaining and share submitted."""
    conflicted = progress["conflicted"].to_numpy(dtype=bool)
    everyone = progress.groupby(keys, sort=True)["conflicted"].sum().astype(int)
    active = progress.loc[~conflicted]
    counts = (
        active.pivot_table(index=keys, columns="status", aggfunc="size", fill_value=0)
        if len(active)
        else pd.DataFrame(index=everyone.index)
    )
    counts = counts.reindex(index=everyone.index, columns=list(SHEET_STATES)).fillna(0).astype(int)
    out = counts.rename(columns={"new": "not_started"}).rename_axis(columns=None)
    out.insert(0, "assigned", out.sum(axis=1))
    out["conflicted"] = everyone
    out["remaining"] = out["assigned"] - out["submitted"]
    assigned = out["assigned"].to_numpy(dtype=float)
    out["done_share"] = np.divide(
        out["submitted"].to_numpy(dtype=float), assigned, out=np.full(assigned.shape, np.nan), where=assigned > 0
    )
    return out.reset_index()


def reviewer_progress(progress: pd.DataFrame) -> pd.DataFrame:
    """Per reviewer (from `reviews.progress`): assigned, submitted, draft, not_started, conflicted, remaining,
    done_share. Conflicted assignments count for nothing but their own column."""
    return _tally(progress, ["reviewer_id", "reviewer"])


def application_progress(progress: pd.DataFrame) -> pd.DataFrame:
    """Per application: the same counts as `reviewer_progress`, plus `complete` (every sheet submitted)."""
    out = _tally(progress, ["application_id", "reference"])
    out["complete"] = (out["assigned"] > 0) & (out["remaining"] == 0)
    return out


def progress_chart(by_reviewer: pd.DataFrame) -> pd.DataFrame:
    """Long form of `reviewer_progress` for a stacked bar: reviewer, status, sheets (zero counts dropped)."""
    long = by_reviewer.melt(
        id_vars=["reviewer_id", "reviewer"],
        value_vars=["submitted", "draft", "not_started"],
        var_name="status",
        value_name="sheets",
    )
    return long.loc[long["sheets"] > 0].reset_index(drop=True)


@dataclass(frozen=True)
class ProgressTotals:
    assigned: int
    submitted: int
    draft: int
    not_started: int
    remaining: int
    done_share: float | None
    reviewers_done: int
    reviewers: int
    applications_complete: int
    applications: int


def progress_totals(by_reviewer: pd.DataFrame, by_application: pd.DataFrame) -> ProgressTotals:
    """The round's sheets in all, from the two per-key tallies."""
    sums = by_reviewer[["assigned", "submitted", "draft", "not_started", "remaining"]].sum()
    assigned = int(sums["assigned"])
    with_work = by_reviewer["assigned"] > 0
    return ProgressTotals(
        assigned,
        int(sums["submitted"]),
        int(sums["draft"]),
        int(sums["not_started"]),
        int(sums["remaining"]),
        float(sums["submitted"]) / assigned if assigned else None,
        int((with_work & (by_reviewer["remaining"] == 0)).sum()),
        int(with_work.sum()),
        int(by_application["complete"].sum()),
        int((by_application["assigned"] > 0).sum()),
    )


def submitted_sheets(progress: pd.DataFrame) -> pd.DataFrame:
    """The submitted, non-conflicted sheets (those an administrator may reopen), by reference then reviewer."""
    mask = (progress["status"] == "submitted").to_numpy() & ~progress["conflicted"].to_numpy(dtype=bool)
    chosen = progress.loc[mask, ["application_id", "reference", "reviewer_id", "reviewer"]]
    return chosen.sort_values(["reference", "reviewer_id"]).reset_index(drop=True)


@dataclass(frozen=True)
class TimeLeft:
    """Time until a deadline: whole days and hours left, or how long ago it passed."""

    deadline: dt.datetime | None
    passed: bool
    days: int
    hours: int


def time_left(deadline: dt.datetime | None, now: dt.datetime) -> TimeLeft:
    if deadline is None:
        return TimeLeft(None, False, 0, 0)
    gap = deadline - now
    passed = gap < dt.timedelta(0)
    hours = int(abs(gap).total_seconds() // 3600)
    return TimeLeft(deadline, passed, hours // 24, hours % 24)


# -- assignment ------------------------------------------------------------------------------------


def plan_loads(plan: AssignmentPlan, names: Mapping[int, str]) -> pd.DataFrame:
    """Per reviewer of the plan: reviewer_id, reviewer, before, added, after (the plan's loads), by reviewer id."""
    reviewer_ids = np.array(sorted(plan.loads), dtype=np.int64)
    after = np.array([plan.loads[r] for r in reviewer_ids], dtype=np.int64)
    new = np.array([r for _, r in plan.pairs], dtype=np.int64)
    added = np.bincount(np.searchsorted(reviewer_ids, new), minlength=reviewer_ids.size)[: reviewer_ids.size]
    return pd.DataFrame(
        {
            "reviewer_id": reviewer_ids,
            "reviewer": [names.get(int(r), str(r)) for r in reviewer_ids],
            "before": after - added,
            "added": added,
            "after": after,
        }
    )


def plan_loads_long(loads: pd.DataFrame) -> pd.DataFrame:
    """`plan_loads` for a stacked bar: reviewer_id, reviewer, kind ("before" or "added"), sheets; zeros dropped."""
    long = loads.melt(
        id_vars=["reviewer_id", "reviewer"], value_vars=["before", "added"], var_name="kind", value_name="sheets"
    )
    return long.loc[long["sheets"] > 0].reset_index(drop=True)


def plan_pairs(plan: AssignmentPlan, references: Mapping[int, str], names: Mapping[int, str]) -> pd.DataFrame:
    """The plan's new pairs with the application's reference and the reviewer's name, in plan order."""
    apps = [a for a, _ in plan.pairs]
    reviewers = [r for _, r in plan.pairs]
    return pd.DataFrame(
        {
            "application_id": pd.Series(apps, dtype="int64"),
            "reference": [references.get(a, str(a)) for a in apps],
            "reviewer_id": pd.Series(reviewers, dtype="int64"),
            "reviewer": [names.get(r, str(r)) for r in reviewers],
        }
    )


def plan_shortfalls(plan: AssignmentPlan, references: Mapping[int, str]) -> pd.DataFrame:
    """Applications the plan cannot fill to k reviewers: application_id, reference, missing."""
    ids = sorted(plan.shortfalls)
    return pd.DataFrame(
        {
            "application_id": pd.Series(ids, dtype="int64"),
            "reference": [references.get(a, str(a)) for a in ids],
            "missing": pd.Series([plan.shortfalls[a] for a in ids], dtype="int64"),
        }
    )


ASSIGNMENT_METHODS = {"auto": ("自动分配", "automatic"), "manual": ("手动分配", "manual")}


def assignment_rows(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """`assignments.assignment_table` with the method in words: reference, reviewer, method, conflicted."""
    methods = {key: _pick(lang, zh, en) for key, (zh, en) in ASSIGNMENT_METHODS.items()}
    return pd.DataFrame(
        {
            "application_id": table["application_id"],
            "reference": table["reference"],
            "reviewer_id": table["reviewer_id"],
            "reviewer": table["reviewer"],
            "method": table["method"].map(methods),
            "conflicted": table["conflicted"].astype(bool),
        }
    )


def conflict_rows(
    conflicts: pd.DataFrame, references: Mapping[int, str], names: Mapping[int, str], lang: str
) -> pd.DataFrame:
    """`assignments.conflicts` with references, reviewer names and the kind in words, by reference."""
    kinds = {kind: _pick(lang, zh, en) for kind, (zh, en) in CONFLICT_LABELS.items()}
    out = pd.DataFrame(
        {
            "reference": conflicts["application_id"].map(references),
            "reviewer": conflicts["reviewer_id"].map(names),
            "kind": conflicts["kind"].map(kinds),
            "reason": conflicts["reason"],
        }
    )
    return out.sort_values(["reference", "reviewer"], kind="stable").reset_index(drop=True)


# -- the ranking table -----------------------------------------------------------------------------


def band_labels(rubric: Rubric, lang: str) -> dict[str, str]:
    labels = {b.id: b.label.get(lang) for b in rubric.bands}
    labels.update({k: _pick(lang, zh, en) for k, (zh, en) in SPECIAL_BANDS.items()})
    return labels


def band_legend(rubric: Rubric, lang: str) -> pd.DataFrame:
    """Bands from the highest minimum down, then ineligible and unscored: band_id, band, recommended."""
    bands = sorted(rubric.bands, key=lambda b: -float(b.min))
    ids = [b.id for b in bands] + list(SPECIAL_BANDS)
    labels = band_labels(rubric, lang)
    return pd.DataFrame(
        {
            "band_id": ids,
            "band": [labels[i] for i in ids],
            "recommended": [b.recommended for b in bands] + [False] * len(SPECIAL_BANDS),
        }
    )


def ranking_rows(table: pd.DataFrame, rubric: Rubric, category: str, lang: str) -> pd.DataFrame:
    """One category of a ranking table (`RoundRanking.table`) in ranking order, labelled in `lang`.

    Order as in the ranking workbook: ranked applications by rank, then the others by total
    (highest first), then reference. Band ids stay beside the labels (`band_id`) for colouring.
    """
    ordered = table.iloc[ranking_order(table)]
    shown = ordered.loc[ordered["category"].to_numpy() == category]
    labels = band_labels(rubric, lang)
    out = pd.DataFrame(
        {
            "rank_category": shown["rank_category"].astype("Int64"),
            "rank": shown["rank"].astype("Int64"),
            "reference": shown["application_id"].astype(str),
            "title": shown["app:title"].astype(str),
            "organisation": shown["app:organisation"].astype(str),
            "region": shown["region"].astype(str),
            "band": shown["band"].map(labels),
            "recommended": shown["recommended"].astype(bool),
            "within_quota": shown["within_quota"].astype(bool),
            "total": shown["total"].astype(float),
            "main_total": shown["main_total"].astype(float),
            "bonus": shown["bonus"].astype(float),
        }
    )
    for d in rubric.dimensions:
        if f"dim:{d.id}" in shown.columns:
            out[f"dim:{d.id}"] = shown[f"dim:{d.id}"].astype(float)
    out["eligible"] = shown["eligible"].astype(bool)
    out["reasons"] = shown["reasons_en" if lang == "en" else "reasons_zh"].fillna("").astype(str)
    out["disagreement_std"] = shown["disagreement_std"].astype(float)
    out["disagreement_range"] = shown["disagreement_range"].astype(float)
    out["disagreement_flag"] = shown["disagreement_flag"].astype(bool)
    out["band_id"] = shown["band"].astype(str)
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class QuotaLine:
    """Where the recommendation line falls in one category.

    `threshold`: the lowest total of a recommended band; `quota`: places per category (None when
    unlimited); `candidates`: applications in a recommended band; `selected`: those within the
    quota; `cut_total`: the lowest selected total; `last_rank`: the category rank of the last one.
    """

    threshold: float | None
    quota: int | None
    candidates: int
    selected: int
    cut_total: float | None
    last_rank: int | None


def quota_line(rows: pd.DataFrame, rubric: Rubric, quota: int | None) -> QuotaLine:
    """The line of one category's `ranking_rows`."""
    recommended = [float(b.min) for b in rubric.bands if b.recommended]
    inside = rows.loc[rows["within_quota"]]
    return QuotaLine(
        min(recommended) if recommended else None,
        quota,
        int(rows["recommended"].sum()),
        len(inside),
        float(inside["total"].min()) if len(inside) else None,
        int(inside["rank_category"].max()) if len(inside) else None,
    )


QUOTA_KINDS = {"category": ("按类别", "per category"), "region": ("按地区", "per region")}


def cut_line_rows(cut_lines: pd.DataFrame, rubric: Rubric, lang: str) -> pd.DataFrame:
    """`Evaluation.cut_lines` in words: kind, group (a category's label, or the region), quota,
    candidates, selected, cut_total, over_quota_by_ties."""
    kinds = {key: _pick(lang, zh, en) for key, (zh, en) in QUOTA_KINDS.items()}
    categories = {c.id: c.label.get(lang) for c in rubric.categories}
    is_category = (cut_lines["kind"] == "category").to_numpy()
    groups = cut_lines["group"].astype(str)
    return pd.DataFrame(
        {
            "kind": cut_lines["kind"].map(kinds),
            "group": groups.where(~is_category, groups.map(categories)),
            "quota": cut_lines["quota"].astype(int),
            "candidates": cut_lines["candidates"].astype(int),
            "selected": cut_lines["selected"].astype(int),
            "cut_total": cut_lines["cut_total"].astype(float),
            "over_quota_by_ties": cut_lines["over_quota_by_ties"].astype(bool),
        }
    )


def ranked_bars(rows: pd.DataFrame, top: int = TOP_BARS, around: int = AROUND_LINE) -> pd.DataFrame:
    """The ranked rows a bar chart shows: the first `top`, plus `around` rows either side of the last
    one within the quota (so the line is visible however far down it falls). `position` keeps the order."""
    ranked = rows.loc[rows["rank_category"].notna()].reset_index(drop=True)
    position = np.arange(len(ranked))
    keep = position < top
    inside = np.flatnonzero(ranked["within_quota"].to_numpy(dtype=bool))
    if inside.size:
        keep |= np.abs(position - inside[-1]) <= around
    out = ranked.loc[keep, ["rank_category", "reference", "title", "total", "band", "band_id", "within_quota"]]
    return out.assign(position=position[keep]).reset_index(drop=True)


def criterion_heatmap(table: pd.DataFrame, rubric: Rubric, category: str, lang: str) -> pd.DataFrame:
    """Band × criterion: the mean criterion score as a share of its maximum over the category's scored
    applications in each band. Long form: band_id, band, band_order, criterion_id, criterion,
    criterion_order, share, applications. Criteria nobody in the band scored are left out."""
    criteria = [c for c in rubric.criteria if c.id in table.columns]
    ids = [c.id for c in criteria]
    mask = (table["category"].to_numpy() == category) & table["scored"].to_numpy(dtype=bool)
    maxima = np.array([float(c.max_points) for c in criteria])
    shares = pd.DataFrame(table.loc[mask, ids].to_numpy(dtype=float) / maxima, columns=ids)
    bands = table.loc[mask, "band"].astype(str).to_numpy()
    means = shares.groupby(bands).mean()
    counts = shares.groupby(bands).size()
    long = (
        means.rename_axis("band_id").reset_index().melt(id_vars="band_id", var_name="criterion_id", value_name="share")
    )
    long = long.loc[long["share"].notna()]
    legend = band_legend(rubric, lang)
    band_order = {b: i for i, b in enumerate(legend["band_id"])}
    criterion_order = {c: i for i, c in enumerate(ids)}
    labels = {c.id: c.label.get(lang) for c in criteria}
    out = long.assign(
        band=long["band_id"].map(dict(zip(legend["band_id"], legend["band"], strict=True))),
        band_order=long["band_id"].map(band_order),
        criterion=long["criterion_id"].map(labels),
        criterion_order=long["criterion_id"].map(criterion_order),
        applications=long["band_id"].map(counts).astype(int),
    )
    columns = ["band_id", "band", "band_order", "criterion_id", "criterion", "criterion_order", "share", "applications"]
    return out.sort_values(["band_order", "criterion_order"])[columns].reset_index(drop=True)


def severity_rows(reviewers: pd.DataFrame, names: Mapping[int, str]) -> pd.DataFrame:
    """`Evaluation.reviewers` with each reviewer's name, harshest first (most negative severity)."""
    user_ids = reviewers["reviewer_id"].map(reviewer_user_id)
    out = reviewers.assign(user_id=user_ids, reviewer=[names.get(int(u), str(u)) for u in user_ids])
    columns = ["user_id", "reviewer", "sheets", "mean_total", "severity_points", "severity_fraction"]
    return out.sort_values(["severity_points", "user_id"], na_position="last")[columns].reset_index(drop=True)


def disagreement_bins(rows: pd.DataFrame, bins: int = DISAGREEMENT_BINS) -> pd.DataFrame:
    """A histogram of the panel's disagreement (standard deviation of reviewers' totals) over one
    category's `ranking_rows`, split by the disagreement flag: low, high, flagged, applications.
    Empty bins are left out; applications without a panel are not counted."""
    std = rows["disagreement_std"].to_numpy(dtype=float)
    flagged = rows["disagreement_flag"].to_numpy(dtype=bool)
    ok = np.isfinite(std)
    if not ok.any():
        return pd.DataFrame({"low": [], "high": [], "flagged": pd.Series([], dtype=bool), "applications": []})
    edges = np.histogram_bin_edges(std[ok], bins=bins)
    slot = np.clip(np.searchsorted(edges, std[ok], side="right") - 1, 0, bins - 1)
    counts = np.bincount(slot * 2 + flagged[ok], minlength=bins * 2).reshape(bins, 2)
    out = pd.DataFrame(
        {
            "low": np.repeat(edges[:-1], 2),
            "high": np.repeat(edges[1:], 2),
            "flagged": np.tile([False, True], bins),
            "applications": counts.ravel(),
        }
    )
    return out.loc[out["applications"] > 0].reset_index(drop=True)


def flagged_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The category's applications whose panel disagrees beyond the flag, widest spread first."""
    columns = ["rank_category", "reference", "title", "total", "disagreement_std", "disagreement_range"]
    flagged = rows.loc[rows["disagreement_flag"], columns]
    return flagged.sort_values(["disagreement_std", "reference"], ascending=[False, True]).reset_index(drop=True)


def method_moves(comparison: pd.DataFrame, rows: pd.DataFrame, base: str, chosen: str) -> pd.DataFrame:
    """How one category's overall ranks by total move from method `base` to `chosen` (`compare_methods`).

    reference, title, rank_base, rank_chosen, move (positive: moved up), total_base, total_chosen;
    by base rank, unranked last.
    """
    picked = comparison[["application_id", f"rank_{base}", f"rank_{chosen}", f"total_{base}", f"total_{chosen}"]]
    picked = picked.set_axis(["reference", "rank_base", "rank_chosen", "total_base", "total_chosen"], axis=1)
    merged = rows[["reference", "title"]].merge(picked.astype({"reference": str}), on="reference", how="inner")
    merged["rank_base"] = merged["rank_base"].astype("Int64")
    merged["rank_chosen"] = merged["rank_chosen"].astype("Int64")
    merged.insert(4, "move", merged["rank_base"] - merged["rank_chosen"])
    return merged.sort_values(["rank_base", "reference"], na_position="last").reset_index(drop=True)


@dataclass(frozen=True)
class MoveSummary:
    up: int
    down: int
    same: int
    largest: int  # the largest move either way, 0 when nothing moved


def move_summary(moves: pd.DataFrame) -> MoveSummary:
    move = moves["move"].dropna().to_numpy(dtype=np.int64)
    return MoveSummary(
        int((move > 0).sum()),
        int((move < 0).sum()),
        int((move == 0).sum()),
        int(np.abs(move).max()) if move.size else 0,
    )


def sensitivity_rows(sens: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """`scoring.sensitivity` for one category, in ranking order, with reference and title.

    Columns: reference, title, rank_category, rank (by total alone), <kind>_rank_min/max for each
    kind the analysis ran (weights, method, reviewer), in_line_share, crosses_line.
    """
    kinds = [k for k in ("weights", "method", "reviewer") if f"{k}_rank_min" in sens.columns]
    ranges = [f"{k}_rank_{end}" for k in kinds for end in ("min", "max")]
    picked = sens[["application_id", "rank", *ranges, "in_line_share", "crosses_line"]]
    merged = rows[["reference", "title", "rank_category"]].merge(
        picked.rename(columns={"application_id": "reference"}).astype({"reference": str}), on="reference", how="inner"
    )
    integer = {c: "Int64" for c in ["rank", *ranges]}
    return merged.astype(integer)


def rank_ranges(sens_rows: pd.DataFrame, top: int = TOP_BARS) -> pd.DataFrame:
    """Long form for a range chart of the first `top` ranked rows of `sensitivity_rows`:
    reference, title, rank, kind, low, high, crosses_line, position."""
    ranked = sens_rows.loc[sens_rows["rank_category"].notna()].head(top).reset_index(drop=True)
    kinds = [k for k in ("weights", "method", "reviewer") if f"{k}_rank_min" in ranked.columns]
    frames = [
        pd.DataFrame(
            {
                "reference": ranked["reference"],
                "title": ranked["title"],
                "rank": ranked["rank"].astype(float),
                "kind": kind,
                "low": ranked[f"{kind}_rank_min"].astype(float),
                "high": ranked[f"{kind}_rank_max"].astype(float),
                "crosses_line": ranked["crosses_line"].astype(bool),
                "position": np.arange(len(ranked)),
            }
        )
        for kind in kinds
    ]
    if not frames:
        return pd.DataFrame(columns=["reference", "title", "rank", "kind", "low", "high", "crosses_line", "position"])
    return pd.concat(frames, ignore_index=True)


def self_panel_rows(summary: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Self-assessment against panel for one category, in ranking order: reference, title,
    rank_category, band, band_id, self, panel, gap, overclaim, criteria_overclaimed."""
    merged = rows[["reference", "title", "rank_category", "band", "band_id"]].merge(
        summary.rename(columns={"application_id": "reference"}).astype({"reference": str}), on="reference", how="inner"
    )
    return merged.astype({"criteria_overclaimed": int})


# -- memoised views of a ranking (what the results page asks for on every rerun) -------------------


@per_ranking
def table_of(ranked: RoundRanking) -> pd.DataFrame:
    return ranked.table


@per_ranking
def rows_of(ranked: RoundRanking, category: str, lang: str) -> pd.DataFrame:
    return ranking_rows(table_of(ranked), ranked.rubric, category, lang)


@per_ranking
def line_of(ranked: RoundRanking, category: str) -> QuotaLine:
    return quota_line(rows_of(ranked, category, "zh"), ranked.rubric, ranked.evaluation.settings.quota_per_category)


@per_ranking
def cut_lines_of(ranked: RoundRanking, lang: str) -> pd.DataFrame:
    return cut_line_rows(ranked.evaluation.cut_lines, ranked.rubric, lang)


@per_ranking
def bars_of(ranked: RoundRanking, category: str, lang: str) -> pd.DataFrame:
    return ranked_bars(rows_of(ranked, category, lang))


@per_ranking
def heatmap_of(ranked: RoundRanking, category: str, lang: str) -> pd.DataFrame:
    return criterion_heatmap(table_of(ranked), ranked.rubric, category, lang)


@per_ranking
def disagreement_of(ranked: RoundRanking, category: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = rows_of(ranked, category, "zh")
    return disagreement_bins(rows), flagged_rows(rows)


@per_ranking
def reliability_of(ranked: RoundRanking) -> dict[str, object]:
    return ranked.reliability()


def moves_of(ranked: RoundRanking, comparison: pd.DataFrame, category: str, lang: str, base: str) -> pd.DataFrame:
    """`method_moves` from the round's method `base` to the method `ranked` was computed with, memoised.

    `comparison` is `method_comparison` of the same revision (a source frame is keyed by identity:
    the service keeps it alive as long as the ranking it belongs to).
    """
    return memoised(
        ranked,
        ("moves", id(comparison), category, lang, base),
        lambda: method_moves(comparison, rows_of(ranked, category, lang), base, ranked.evaluation.settings.method),
    )


def sensitivity_of(
    ranked: RoundRanking, sens: pd.DataFrame, category: str, lang: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(`sensitivity_rows`, `rank_ranges`) of one category, memoised like `moves_of`."""

    def build() -> tuple[pd.DataFrame, pd.DataFrame]:
        table = sensitivity_rows(sens, rows_of(ranked, category, lang))
        return table, rank_ranges(table)

    return memoised(ranked, ("sensitivity_view", id(sens), category, lang), build)


def lines_crossed(table: pd.DataFrame) -> int:
    """How many rows of a `sensitivity_rows` table cross the line: inside in one scenario, outside in another."""
    return int(table["crosses_line"].sum())


def self_panel_of(ranked: RoundRanking, summary: pd.DataFrame, category: str, lang: str) -> pd.DataFrame:
    """`self_panel_rows` of one category, memoised like `moves_of`."""
    return memoised(
        ranked,
        ("self_panel_view", id(summary), category, lang),
        lambda: self_panel_rows(summary, rows_of(ranked, category, lang)),
    )


# -- admin-checked reads of the round's raw input ------------------------------------------------


def _ranked_round(store: Store, session: Session, actor: Actor, round_id: int, method: str | None):
    verified_user(session, actor, "admin")
    round_ = load_round(session, round_id)
    require_state(round_, "ranking.view")
    return round_, compute(store, session, round_, method)


def method_comparison(store: Store, actor: Actor, round_id: int) -> pd.DataFrame:
    """`scoring.compare_methods` on the round's current data: `total_<method>` and `rank_<method>` for
    every method (overall ranks by total alone), computed once per round revision."""

    def work(session: Session) -> pd.DataFrame:
        round_, ranked = _ranked_round(store, session, actor, round_id, None)

        def build() -> pd.DataFrame:
            applications, scores = engine_inputs(store, session, round_)
            return compare_methods(ranked.rubric, applications, scores, ranked.evaluation.settings)

        return memoised(ranked, ("method_comparison",), build)

    return store.read(actor, "ranking.compare", work, target=f"round:{round_id}")


def round_sensitivity(
    store: Store,
    actor: Actor,
    round_id: int,
    *,
    method: str | None = None,
    draws: int = SENSITIVITY_DRAWS,
    seed: int = 0,
) -> pd.DataFrame:
    """`scoring.sensitivity` of the round's ranking under `method` (the round's own when None): category
    rank ranges under weight jitter, every method and each reviewer left out; once per revision."""

    def work(session: Session) -> pd.DataFrame:
        round_, ranked = _ranked_round(store, session, actor, round_id, method)

        def build() -> pd.DataFrame:
            applications, _ = engine_inputs(store, session, round_)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # rank ranges of unranked rows are all-NaN
                return sensitivity(ranked.rubric, ranked.evaluation, applications, draws=draws, seed=seed)

        return memoised(ranked, ("sensitivity", draws, seed), build)

    return store.read(actor, "ranking.sensitivity", work, target=f"round:{round_id}")


def read_self_assessments(session: Session, round_id: int) -> pd.DataFrame:
    """Every submitted application's self-assessment in one query, long: application_id (the
    reference), criterion_id, points. Applications without one have no rows."""
    rows = fetch_rows(
        session,
        select(Application.reference, SelfAssessment.points)
        .join(SelfAssessment, SelfAssessment.application_id == Application.id)
        .where(Application.round_id == round_id, Application.status == "submitted")
        .order_by(Application.id),
    )
    if not rows:
        return pd.DataFrame({"application_id": [], "criterion_id": [], "points": []}).astype({"points": float})
    references = pd.Index([r[0] for r in rows], name="application_id")
    wide = pd.DataFrame.from_records(json.loads("[" + ",".join(r[1] for r in rows) + "]"), index=references)
    long = wide.reset_index().melt(id_vars="application_id", var_name="criterion_id", value_name="points")
    long = long.loc[long["points"].notna()].reset_index(drop=True)
    return long.astype({"points": float})


def self_vs_panel(store: Store, actor: Actor, round_id: int, *, method: str | None = None) -> pd.DataFrame:
    """Per application that self-assessed: its own total against the panel's over the same criteria
    (`scoring.self_summary`: application_id, self, panel, gap, overclaim, criteria_overclaimed)."""

    def work(session: Session) -> pd.DataFrame:
        _, ranked = _ranked_round(store, session, actor, round_id, method)

        def build() -> pd.DataFrame:
            gaps = self_gaps(ranked.rubric, ranked.evaluation, read_self_assessments(session, round_id))
            return self_summary(gaps, float(ranked.rubric.total_points), ranked.evaluation.settings.overclaim_flag)

        return memoised(ranked, ("self_vs_panel",), build)

    return store.read(actor, "ranking.self_assessment", work, target=f"round:{round_id}")
