"""The frames the administrator's pages show (submissions.results): hand-checked small cases, then the
admin-checked reads of a real round on both backends."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from rubrics.loader import load_rubric
from submissions import applications, assignments, ranking, results, rounds
from submissions.assignment_plan import AssignmentPlan
from submissions.errors import AccessDenied, RoundStateError
from tests.submissions.store.scenario import (
    full_entries,
    open_round,
    score_everything,
    submit_application,
)

LIFE = load_rubric("project_life")


def progress_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["reviewer_id", "reviewer", "application_id", "reference", "status", "conflicted"]
    )


PROGRESS = progress_frame(
    [
        (1, "甲", 10, "R1-00010", "submitted", False),
        (1, "甲", 11, "R1-00011", "draft", False),
        (1, "甲", 12, "R1-00012", "new", False),
        (2, "乙", 10, "R1-00010", "submitted", False),
        (2, "乙", 11, "R1-00011", "submitted", True),
        (3, "丙", 12, "R1-00012", "draft", True),
    ]
)


# -- progress --------------------------------------------------------------------------------------


def test_reviewer_progress_counts_each_status_and_sets_conflicts_apart():
    shown = results.reviewer_progress(PROGRESS)

    expected = pd.DataFrame(
        {
            "reviewer_id": [1, 2, 3],
            "reviewer": ["甲", "乙", "丙"],
            "assigned": [3, 1, 0],
            "submitted": [1, 1, 0],
            "draft": [1, 0, 0],
            "not_started": [1, 0, 0],
            "conflicted": [0, 1, 1],
            "remaining": [2, 0, 0],
            "done_share": [1 / 3, 1.0, np.nan],
        }
    )
    pd.testing.assert_frame_equal(shown, expected, check_dtype=False)


def test_application_progress_marks_complete_applications():
    shown = results.application_progress(PROGRESS)

    assert shown["reference"].tolist() == ["R1-00010", "R1-00011", "R1-00012"]
    assert shown["assigned"].tolist() == [2, 1, 1]
    assert shown["submitted"].tolist() == [2, 0, 0]
    assert shown["draft"].tolist() == [0, 1, 0]
    assert shown["not_started"].tolist() == [0, 0, 1]
    assert shown["conflicted"].tolist() == [0, 1, 1]
    assert shown["complete"].tolist() == [True, False, False]


def test_progress_totals_add_up_the_round():
    totals = results.progress_totals(results.reviewer_progress(PROGRESS), results.application_progress(PROGRESS))

    assert totals == results.ProgressTotals(
        assigned=4,
        submitted=2,
        draft=1,
        not_started=1,
        remaining=2,
        done_share=0.5,
        reviewers_done=1,
        reviewers=2,
        applications_complete=1,
        applications=3,
    )


def test_progress_of_a_round_without_assignments_is_empty():
    empty = progress_frame([])

    by_reviewer = results.reviewer_progress(empty)
    totals = results.progress_totals(by_reviewer, results.application_progress(empty))

    assert by_reviewer.empty
    assert totals.assigned == 0
    assert totals.done_share is None


def test_progress_chart_is_long_without_zero_counts():
    chart = results.progress_chart(results.reviewer_progress(PROGRESS))

    assert list(zip(chart["reviewer"], chart["status"], chart["sheets"], strict=True)) == [
        ("甲", "submitted", 1),
        ("乙", "submitted", 1),
        ("甲", "draft", 1),
        ("甲", "not_started", 1),
    ]


def test_submitted_sheets_leave_out_drafts_and_conflicted_ones():
    sheets = results.submitted_sheets(PROGRESS)

    assert list(zip(sheets["reference"], sheets["reviewer"], strict=True)) == [("R1-00010", "甲"), ("R1-00010", "乙")]


def test_time_left_counts_whole_days_and_hours_either_side_of_the_deadline():
    deadline = dt.datetime(2026, 11, 12, 17, 0, tzinfo=dt.UTC)

    before = results.time_left(deadline, dt.datetime(2026, 11, 10, 9, 30, tzinfo=dt.UTC))
    after = results.time_left(deadline, dt.datetime(2026, 11, 13, 18, 0, tzinfo=dt.UTC))

    assert (before.passed, before.days, before.hours) == (False, 2, 7)
    assert (after.passed, after.days, after.hours) == (True, 1, 1)
    assert results.time_left(None, deadline) == results.TimeLeft(None, False, 0, 0)


# -- assignment ------------------------------------------------------------------------------------

PLAN = AssignmentPlan(pairs=((1, 10), (2, 10), (2, 11)), loads={10: 3, 11: 1, 12: 0}, shortfalls={3: 2})
NAMES = {10: "陈", 11: "林", 12: "周"}
REFS = {1: "R1-00001", 2: "R1-00002", 3: "R1-00003"}


def test_plan_loads_split_each_load_into_current_and_added():
    loads = results.plan_loads(PLAN, NAMES)

    assert loads.to_dict("list") == {
        "reviewer_id": [10, 11, 12],
        "reviewer": ["陈", "林", "周"],
        "before": [1, 0, 0],
        "added": [2, 1, 0],
        "after": [3, 1, 0],
    }
    assert results.plan_loads_long(loads).to_dict("list") == {
        "reviewer_id": [10, 10, 11],
        "reviewer": ["陈", "陈", "林"],
        "kind": ["before", "added", "added"],
        "sheets": [1, 2, 1],
    }


def test_plan_pairs_and_shortfalls_name_applications_and_reviewers():
    pairs = results.plan_pairs(PLAN, REFS, NAMES)
    short = results.plan_shortfalls(PLAN, REFS)

    assert list(zip(pairs["reference"], pairs["reviewer"], strict=True)) == [
        ("R1-00001", "陈"),
        ("R1-00002", "陈"),
        ("R1-00002", "林"),
    ]
    assert short.to_dict("list") == {"application_id": [3], "reference": ["R1-00003"], "missing": [2]}


def test_conflict_and_assignment_rows_say_the_kind_in_words():
    conflicts = pd.DataFrame(
        {
            "application_id": [2, 1],
            "reviewer_id": [11, 10],
            "kind": ["declared", "same_region"],
            "reason": ["担任顾问", ""],
        }
    )
    table = pd.DataFrame(
        {
            "application_id": [1],
            "reference": ["R1-00001"],
            "reviewer_id": [10],
            "reviewer": ["陈"],
            "method": ["manual"],
            "conflicted": [False],
        }
    )

    shown = results.conflict_rows(conflicts, REFS, NAMES, "en")

    assert shown.to_dict("list") == {
        "reference": ["R1-00001", "R1-00002"],
        "reviewer": ["陈", "林"],
        "kind": ["same region as the applicant", "declared by the reviewer"],
        "reason": ["", "担任顾问"],
    }
    assert results.assignment_rows(table, "zh")["method"].tolist() == ["手动分配"]


# -- the ranking table -----------------------------------------------------------------------------


def evaluation_table() -> pd.DataFrame:
    """Six applications as `RoundRanking.table` has them (only the columns the views read)."""
    criteria = {c.id: [np.nan] * 6 for c in LIFE.criteria}
    criteria["market_prospect"] = [9.0, 8.0, 6.0, 5.0, 4.0, np.nan]
    criteria["industry_pull"] = [8.0, 4.0, 6.0, 2.0, 4.0, np.nan]
    return pd.DataFrame(
        {
            "application_id": ["R1-00001", "R1-00002", "R1-00003", "R1-00004", "R1-00005", "R1-00006"],
            "app:title": ["甲项目", "乙项目", "丙项目", "丁项目", "戊项目", "己项目"],
            "app:organisation": ["甲公司", "乙公司", "丙公司", "丁公司", "戊公司", "己公司"],
            "category": ["life", "life", "life", "other", "life", "life"],
            "region": ["广东", "湖北", "重庆", "北京", "广东", "湖北"],
            "scored": [True, True, True, True, True, False],
            "eligible": [True, True, False, True, True, True],
            "reasons_zh": ["", "", "缺少证照", "", "", "尚无评审打分"],
            "reasons_en": ["", "", "no licence", "", "", "no panel scores yet"],
            "total": [85.0, 90.0, 95.0, 88.0, 70.5, np.nan],
            "main_total": [83.0, 88.0, 93.0, 88.0, 70.5, np.nan],
            "bonus": [2.0, 2.0, 2.0, 0.0, 0.0, np.nan],
            "band": ["recommended", "recommended", "ineligible", "recommended", "reserve", "unscored"],
            "recommended": [True, True, False, True, False, False],
            "rank": pd.array([3, 1, None, 2, 4, None], dtype="Int64"),
            "rank_category": pd.array([2, 1, None, 1, 3, None], dtype="Int64"),
            "within_quota": [True, True, False, True, False, False],
            "disagreement_std": [1.0, 4.0, 2.0, 0.5, 3.0, np.nan],
            "disagreement_range": [2.0, 9.0, 4.0, 1.0, 7.0, np.nan],
            "disagreement_flag": [False, True, False, False, True, False],
            "dim:outlook": [18.0, 19.0, 17.0, 16.0, 12.0, np.nan],
            **criteria,
        }
    )


def test_ranking_rows_are_one_category_in_ranking_order_with_labels():
    rows = results.ranking_rows(evaluation_table(), LIFE, "life", "zh")

    assert rows["reference"].tolist() == ["R1-00002", "R1-00001", "R1-00005", "R1-00003", "R1-00006"]
    assert rows["rank_category"].tolist() == [1, 2, 3, pd.NA, pd.NA]
    assert rows["band"].tolist() == ["推荐", "推荐", "备选", "不符合申报条件", "尚未评分"]
    assert rows["band_id"].tolist() == ["recommended", "recommended", "reserve", "ineligible", "unscored"]
    assert rows["reasons"].tolist() == ["", "", "", "缺少证照", "尚无评审打分"]
    assert rows["title"].tolist() == ["乙项目", "甲项目", "戊项目", "丙项目", "己项目"]
    assert rows["dim:outlook"].tolist()[:3] == [19.0, 18.0, 12.0]


def test_ranking_rows_in_english_use_english_labels():
    rows = results.ranking_rows(evaluation_table(), LIFE, "life", "en")

    assert rows["band"].tolist() == ["Recommended", "Recommended", "Reserve", "Ineligible", "Not scored"]
    assert rows["reasons"].tolist()[3] == "no licence"


def test_quota_line_is_after_the_last_application_within_the_quota():
    rows = results.ranking_rows(evaluation_table(), LIFE, "life", "zh")

    line = results.quota_line(rows, LIFE, 2)

    assert line == results.QuotaLine(threshold=80.0, quota=2, candidates=2, selected=2, cut_total=85.0, last_rank=2)


def test_quota_line_without_anyone_selected_has_no_cut():
    rows = results.ranking_rows(evaluation_table(), LIFE, "life", "zh").assign(within_quota=False)

    line = results.quota_line(rows, LIFE, None)

    assert (line.selected, line.cut_total, line.last_rank, line.threshold) == (0, None, None, 80.0)


def test_ranked_bars_keep_the_top_and_the_rows_around_a_far_line():
    n = 40
    rows = pd.DataFrame(
        {
            "rank_category": pd.array(range(1, n + 1), dtype="Int64"),
            "reference": [f"R1-{i:05d}" for i in range(1, n + 1)],
            "title": ["项目"] * n,
            "total": np.linspace(99, 60, n),
            "band": ["推荐"] * n,
            "band_id": ["recommended"] * n,
            "within_quota": [True] * 35 + [False] * 5,
        }
    )

    bars = results.ranked_bars(rows, top=30, around=3)

    assert bars["position"].tolist() == [*range(30), *range(31, 38)]
    assert bars["rank_category"].tolist()[-1] == 38


def test_ranked_bars_leave_out_unranked_rows():
    rows = results.ranking_rows(evaluation_table(), LIFE, "life", "zh")

    bars = results.ranked_bars(rows)

    assert bars["reference"].tolist() == ["R1-00002", "R1-00001", "R1-00005"]
    assert bars["position"].tolist() == [0, 1, 2]


def test_criterion_heatmap_is_the_mean_share_of_the_maximum_per_band():
    heat = results.criterion_heatmap(evaluation_table(), LIFE, "life", "en")

    cells = {(b, c): (s, n) for b, c, s, n in heat[["band_id", "criterion_id", "share", "applications"]].to_numpy()}
    # recommended: R1-00001 and R1-00002; market_prospect max 10, industry_pull max 8
    assert cells[("recommended", "market_prospect")] == (pytest.approx(0.85), 2)
    assert cells[("recommended", "industry_pull")] == (pytest.approx(0.75), 2)
    assert cells[("reserve", "market_prospect")] == (pytest.approx(0.4), 1)
    assert cells[("ineligible", "industry_pull")] == (pytest.approx(0.75), 1)
    assert set(heat["criterion_id"]) == {"market_prospect", "industry_pull"}  # unscored criteria left out
    assert heat["band"].tolist()[0] == "Recommended"
    assert heat["band_order"].is_monotonic_increasing


def test_disagreement_bins_split_flagged_applications():
    rows = pd.DataFrame(
        {
            "disagreement_std": [0.0, 1.0, 2.0, 3.0, 4.0, np.nan],
            "disagreement_flag": [False, False, False, True, True, False],
        }
    )

    bins = results.disagreement_bins(rows, bins=2)

    assert bins.to_dict("list") == {
        "low": [0.0, 2.0, 2.0],
        "high": [2.0, 4.0, 4.0],
        "flagged": [False, False, True],
        "applications": [2, 1, 2],
    }


def test_flagged_rows_list_the_widest_spread_first():
    rows = results.ranking_rows(evaluation_table(), LIFE, "life", "zh")

    flagged = results.flagged_rows(rows)

    assert flagged["reference"].tolist() == ["R1-00002", "R1-00005"]


def test_method_moves_compare_ranks_of_two_methods():
    rows = results.ranking_rows(evaluation_table(), LIFE, "life", "zh")
    comparison = pd.DataFrame(
        {
            "application_id": ["R1-00001", "R1-00002", "R1-00003", "R1-00004", "R1-00005", "R1-00006"],
            "total_mean": [85.0, 84.0, 95.0, 88.0, 70.0, np.nan],
            "rank_mean": pd.array([2, 3, None, 1, 4, None], dtype="Int64"),
            "total_median": [86.0, 90.0, 95.0, 80.0, 87.0, np.nan],
            "rank_median": pd.array([3, 1, None, 4, 2, None], dtype="Int64"),
        }
    )

    moves = results.method_moves(comparison, rows, "mean", "median")

    assert moves["reference"].tolist() == ["R1-00001", "R1-00002", "R1-00005", "R1-00003", "R1-00006"]
    assert moves["move"].tolist() == [-1, 2, 2, pd.NA, pd.NA]
    assert results.move_summary(moves) == results.MoveSummary(up=2, down=1, same=0, largest=2)


def test_severity_rows_put_the_harshest_reviewer_first_with_names():
    reviewers = pd.DataFrame(
        {
            "reviewer_id": [ranking.reviewer_label(2), ranking.reviewer_label(3), ranking.reviewer_label(4)],
            "sheets": [8, 7, 7],
            "mean_total": [60.0, 66.0, 45.0],
            "severity_points": [0.5, 8.0, -9.5],
            "severity_fraction": [0.005, 0.1, -0.12],
        }
    )

    shown = results.severity_rows(reviewers, {2: "陈思远", 3: "林晓岚"})

    assert shown["reviewer"].tolist() == ["4", "陈思远", "林晓岚"]
    assert shown["user_id"].tolist() == [4, 2, 3]


def test_sensitivity_rows_and_rank_ranges_follow_the_category_order():
    rows = results.ranking_rows(evaluation_table(), LIFE, "life", "zh")
    sens = pd.DataFrame(
        {
            "application_id": ["R1-00001", "R1-00002", "R1-00003", "R1-00004", "R1-00005", "R1-00006"],
            "rank": [2, 1, np.nan, 1, 3, np.nan],
            "weights_rank_min": [1, 1, np.nan, 1, 3, np.nan],
            "weights_rank_max": [2, 2, np.nan, 1, 3, np.nan],
            "method_rank_min": [2, 1, np.nan, 1, 2, np.nan],
            "method_rank_max": [3, 1, np.nan, 1, 3, np.nan],
            "in_line_share": [1.0, 1.0, 0.0, 1.0, 0.25, 0.0],
            "crosses_line": [False, False, False, False, True, False],
        }
    )

    table = results.sensitivity_rows(sens, rows)
    ranges = results.rank_ranges(table)

    assert table["reference"].tolist() == ["R1-00002", "R1-00001", "R1-00005", "R1-00003", "R1-00006"]
    assert table["weights_rank_max"].tolist() == [2, 2, 3, pd.NA, pd.NA]
    assert list(ranges.itertuples(index=False, name=None))[:2] == [
        ("R1-00002", "乙项目", 1.0, "weights", 1.0, 2.0, False, 0),
        ("R1-00001", "甲项目", 2.0, "weights", 1.0, 2.0, False, 1),
    ]
    assert ranges["kind"].tolist() == ["weights"] * 3 + ["method"] * 3  # unranked rows are not drawn


def test_self_panel_rows_keep_the_category_and_its_order():
    rows = results.ranking_rows(evaluation_table(), LIFE, "life", "zh")
    summary = pd.DataFrame(
        {
            "application_id": ["R1-00004", "R1-00001", "R1-00002"],
            "self": [80.0, 90.0, 70.0],
            "panel": [75.0, 70.0, 72.0],
            "gap": [5.0, 20.0, -2.0],
            "overclaim": [False, True, False],
            "criteria_overclaimed": [0, 3, 0],
        }
    )

    shown = results.self_panel_rows(summary, rows)

    assert shown["reference"].tolist() == ["R1-00002", "R1-00001"]
    assert shown["gap"].tolist() == [-2.0, 20.0]


def test_memoised_builds_once_per_ranking_and_forgets_it_with_the_ranking():
    class Ranking:  # stands in for a RoundRanking: hashable by identity, weakly referenceable
        pass

    calls = []
    first, second = Ranking(), Ranking()

    def build():
        calls.append(1)
        return object()

    a = results.memoised(first, ("x",), build)
    b = results.memoised(first, ("x",), build)
    c = results.memoised(second, ("x",), build)
    del first
    gc.collect()

    assert a is b
    assert c is not a
    assert len(calls) == 2
    assert [k for k in list(results._DERIVED.keys()) if isinstance(k, Ranking)] == [second]


# -- admin-checked reads on a real round (SQLite and PostgreSQL) ---------------------------------


@pytest.fixture
def self_assessed_round(store, world):
    """Two applications; the first self-assessed on two criteria; every sheet at 0.5 of the maximum."""
    opened = open_round(store, world, reviewers_per_application=3)
    first = submit_application(store, world, opened.id, 0, title="自评项目")
    submit_application(store, world, opened.id, 1, title="未自评项目")
    applications.save_self_assessment(
        store,
        world.applicants[0],
        first.id,
        points={"market_prospect": Decimal("9"), "industry_pull": Decimal("7.5")},
        seen_version=0,
    )
    assignments.apply_assignment(store, world.admin, opened.id, seed=1)
    current = rounds.get_round(store, world.admin, opened.id)
    rounds.advance(store, world.admin, opened.id, to_state="under_review", seen_version=current.version)
    score_everything(store, world, opened.id, fraction=0.5)
    return opened.id, first


def test_self_assessments_are_read_for_the_whole_round_in_long_form(store, world, self_assessed_round):
    round_id, first = self_assessed_round

    long = store.db.read(lambda session: results.read_self_assessments(session, round_id))

    assert sorted(long.itertuples(index=False, name=None)) == [
        (first.reference, "industry_pull", 7.5),
        (first.reference, "market_prospect", 9.0),
    ]


def test_self_vs_panel_compares_the_same_criteria(store, world, self_assessed_round):
    round_id, first = self_assessed_round
    entries = full_entries(LIFE, 0.5)
    panel = float(entries["market_prospect"]["points"] + entries["industry_pull"]["points"])

    summary = results.self_vs_panel(store, world.admin, round_id)

    assert summary["application_id"].tolist() == [first.reference]
    assert summary["self"].tolist() == [16.5]
    assert summary["panel"].tolist() == [panel]
    assert summary["gap"].tolist() == [16.5 - panel]


def test_method_comparison_agrees_with_the_ranking_of_each_method(store, world, self_assessed_round):
    round_id, _ = self_assessed_round

    comparison = results.method_comparison(store, world.admin, round_id)
    again = results.method_comparison(store, world.admin, round_id)

    for method in ("mean", "median", "trimmed", "zscore"):
        table = ranking.rank_round(store, world.admin, round_id, method=method).table
        assert comparison[f"total_{method}"].tolist() == table["total"].tolist()
    assert again is comparison  # computed once per revision


def test_round_analyses_are_for_admins_once_the_review_has_started(store, world, self_assessed_round):
    round_id, _ = self_assessed_round
    opened = open_round(store, world)

    with pytest.raises(AccessDenied):
        results.method_comparison(store, world.reviewers[1], round_id)
    with pytest.raises(AccessDenied):
        results.self_vs_panel(store, world.applicants[0], round_id)
    with pytest.raises(RoundStateError):
        results.round_sensitivity(store, world.admin, opened.id)


def test_views_of_a_round_without_applications_are_empty():
    empty = evaluation_table().iloc[:0]

    rows = results.ranking_rows(empty, LIFE, "life", "zh")

    assert rows.empty
    assert results.quota_line(rows, LIFE, None).selected == 0
    assert results.ranked_bars(rows).empty
    assert results.criterion_heatmap(empty, LIFE, "life", "zh").empty
    assert results.disagreement_bins(rows).empty
    assert results.flagged_rows(rows).empty


def test_cut_line_rows_name_categories_and_keep_regions():
    cut_lines = pd.DataFrame(
        {
            "kind": ["category", "region"],
            "group": ["life", "广东"],
            "quota": [10, 3],
            "candidates": [12, 4],
            "selected": [10, 4],
            "cut_total": [81.5, 83.0],
            "over_quota_by_ties": [False, True],
        }
    )

    rows = results.cut_line_rows(cut_lines, LIFE, "zh")

    assert rows.to_dict("list") == {
        "kind": ["按类别", "按地区"],
        "group": ["生活类", "广东"],
        "quota": [10, 3],
        "candidates": [12, 4],
        "selected": [10, 4],
        "cut_total": [81.5, 83.0],
        "over_quota_by_ties": [False, True],
    }
