"""The checked entry point: hand-worked results, validation, ties, bands, quotas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rubrics import load_rubric
from scoring.errors import ScoringInputError
from scoring.evaluate import compare_methods, evaluate
from scoring.explain import explain
from scoring.settings import Settings
from scoring.synthetic import round_data
from tests.scoring.conftest import make_applications, make_scores


def hand_worked_round():
    # growth 11 % earns the formula criterion's full 10 points; 5.5 % would earn 5.
    applications = make_applications(["A", "B", "C"], legal_person=[True, True, False], growth=[11.0, 11.0, 11.0])
    scores = make_scores(
        {
            # quality trimmed: drop 10 and 1 -> (8+9+7)/3 = 8.00 (the plain mean would be 7.00)
            # impact trimmed: drop 9 and 5 -> (6+7+8)/3 = 7.00             total 8 + 7 + 10 = 25.00
            "A": {"quality": [8, 9, 7, 10, 1], "impact": [5, 6, 7, 8, 9]},
            # quality 7.00, impact 8.00: the same total as A, 25.00, with more impact
            "B": {"quality": [7, 7, 7, 7, 7], "impact": [8, 8, 8, 8, 8]},
            # top marks, 30.00, but not an independent legal person
            "C": {"quality": [10, 10, 10, 10, 10], "impact": [10, 10, 10, 10, 10]},
        }
    )
    return applications, scores


def test_evaluate_hand_worked_round_gives_exact_table(small_rubric):
    applications, scores = hand_worked_round()

    result = evaluate(small_rubric, applications, scores)

    columns = ["application_id", "quality", "impact", "growth_score", "total", "eligible", "reasons_en", "band"]
    expected = pd.DataFrame(
        {
            "application_id": ["A", "B", "C"],
            "quality": [8.0, 7.0, 10.0],
            "impact": [7.0, 8.0, 10.0],
            "growth_score": [10.0, 10.0, 10.0],
            "total": [25.0, 25.0, 30.0],
            "eligible": [True, True, False],
            "reasons_en": ["", "", "Not a legal person"],
            "band": ["recommended", "recommended", "ineligible"],
            "rank": pd.array([2, 1, None], dtype="Int64"),
            "tie_break": ["criterion:impact", "", ""],
        }
    )
    pd.testing.assert_frame_equal(result.table[[*columns, "rank", "tie_break"]], expected, check_dtype=False)
    assert result.table.loc[2, "reasons_zh"] == "不是独立法人"


def test_evaluate_formula_criterion_is_linear_between_floor_and_target(small_rubric):
    applications, scores = hand_worked_round()
    applications["growth"] = [5.5, 0.0, 30.0]

    table = evaluate(small_rubric, applications, scores).table

    assert table["growth_score"].tolist() == [5.0, 0.0, 10.0]


def test_evaluate_equal_on_paper_totals_are_exactly_equal(small_rubric):
    # 0.1-style float noise: 7+7+8 / 3 and 8+7+7 / 3 in different orders, plus means of thirds.
    applications = make_applications(["A", "B", "C", "D"])
    scores = make_scores(
        {
            "A": {"quality": [7, 7, 8, 9, 1], "impact": [3, 3, 4, 9, 0]},
            "B": {"quality": [8, 7, 7, 1, 9], "impact": [4, 3, 3, 0, 9]},
            "C": {"quality": [3, 3, 4, 9, 0], "impact": [7, 7, 8, 9, 1]},
            "D": {"quality": [5, 5, 5, 5, 5], "impact": [5, 6, 5, 6, 5]},
        }
    )
    settings = Settings.from_rubric(small_rubric.settings, tie_break=())

    table = evaluate(small_rubric, applications, scores, settings).table.set_index("application_id")

    assert table.loc["A", "total"] == table.loc["B", "total"] == table.loc["C", "total"]
    assert table.loc[["A", "B", "C", "D"], "rank"].tolist() == [1, 1, 1, 4]  # competition ranking


def test_evaluate_methods_side_by_side_differ_where_expected(small_rubric):
    applications, scores = hand_worked_round()
    base = Settings.from_rubric(small_rubric.settings)

    by_method = {
        m: evaluate(small_rubric, applications, scores, base.with_method(m)).table.set_index("application_id")
        for m in ("mean", "median", "trimmed", "zscore")
    }

    assert by_method["mean"].loc["A", "quality"] == 7.0
    assert by_method["median"].loc["A", "quality"] == 8.0
    assert by_method["trimmed"].loc["A", "quality"] == 8.0
    assert np.isfinite(by_method["zscore"]["quality"]).all()


def test_evaluate_trimming_needs_enough_reviewers(small_rubric):
    applications = make_applications(["A"])
    scores = make_scores({"A": {"quality": [10, 1, 4, 5], "impact": [5, 5, 5, 5]}})

    table = evaluate(small_rubric, applications, scores).table

    assert table.loc[0, "quality"] == 5.0  # four reviewers < 5: plain mean


def test_evaluate_collects_every_problem_with_rows(small_rubric):
    applications = make_applications(["A", "B"])
    scores = make_scores({"A": {"quality": [8, 9, 7, 10, 1], "impact": [5, 6, 7, 8, 9]}})
    scores.loc[0, "points"] = np.nan
    scores.loc[1, "points"] = 11
    scores.loc[2, "points"] = 7.5
    scores.loc[3, "criterion_id"] = "nonsense"
    scores.loc[4, "application_id"] = "Z"
    scores.loc[len(scores)] = ["A", "R1", "growth_score", 5]
    scores.loc[len(scores)] = ["A", "R2", "impact", 6]

    with pytest.raises(ScoringInputError) as caught:
        evaluate(small_rubric, applications, scores)

    codes = {issue.code: issue for issue in caught.value.issues}
    assert set(codes) >= {
        "not_a_number",
        "out_of_range",
        "off_step",
        "unknown_criterion",
        "unknown_application",
        "formula_scored",
        "duplicate_score",
    }
    assert codes["not_a_number"].rows == (0,)
    assert codes["out_of_range"].rows == (1,)
    assert codes["off_step"].rows == (2,)
    assert codes["unknown_criterion"].rows == (3,)
    assert codes["unknown_application"].rows == (4,)
    assert "分值" in codes["out_of_range"].message("zh")


@pytest.mark.parametrize("bad", [np.inf, -np.inf, None, "NaN", "abc", -1, 1e309])
def test_evaluate_rejects_non_scores(small_rubric, bad):
    applications = make_applications(["A"])
    scores = make_scores({"A": {"quality": [8, 9, 7, 10, 1], "impact": [5, 6, 7, 8, 9]}}).astype({"points": object})
    scores.loc[0, "points"] = bad

    with pytest.raises(ScoringInputError) as caught:
        evaluate(small_rubric, applications, scores)

    assert caught.value.issues[0].rows == (0,)


def test_evaluate_reports_incomplete_sheet_naming_the_missing_criterion(small_rubric):
    applications = make_applications(["A"])
    scores = make_scores({"A": {"quality": [8, 9, 7], "impact": [5, 6, 7]}})
    scores = scores.drop(index=4)  # R2 never scored impact

    with pytest.raises(ScoringInputError) as caught:
        evaluate(small_rubric, applications, scores)

    (issue,) = caught.value.issues
    assert issue.code == "incomplete_sheet"
    assert "A/R2 lacks impact" in issue.message_en


def test_evaluate_scattered_sheet_rows_give_same_result(small_rubric):
    applications, scores = hand_worked_round()
    shuffled = scores.sample(frac=1.0, random_state=3).reset_index(drop=True)

    expected = evaluate(small_rubric, applications, scores).table
    actual = evaluate(small_rubric, applications, shuffled).table

    pd.testing.assert_frame_equal(actual, expected)


def test_evaluate_unknown_reviewer_when_panel_is_known(small_rubric):
    applications, scores = hand_worked_round()
    settings = Settings.from_rubric(small_rubric.settings, known_reviewers=frozenset({"R1", "R2", "R3", "R4"}))

    with pytest.raises(ScoringInputError) as caught:
        evaluate(small_rubric, applications, scores, settings)

    assert caught.value.issues[0].code == "unknown_reviewer"
    assert caught.value.issues[0].count == 6


def test_evaluate_does_not_mutate_inputs(small_rubric):
    applications, scores = hand_worked_round()
    applications_before, scores_before = applications.copy(deep=True), scores.copy(deep=True)

    evaluate(small_rubric, applications, scores)

    pd.testing.assert_frame_equal(applications, applications_before)
    pd.testing.assert_frame_equal(scores, scores_before)


def test_evaluate_unscored_application_is_not_ranked(small_rubric):
    applications = make_applications(["A", "B"])
    scores = make_scores({"A": {"quality": [8, 9, 7, 10, 1], "impact": [5, 6, 7, 8, 9]}})

    table = evaluate(small_rubric, applications, scores).table.set_index("application_id")

    assert table.loc["B", "band"] == "unscored"
    assert pd.isna(table.loc["B", "rank"])
    assert table.loc["B", "reasons_en"] == "no panel scores yet"


def test_evaluate_invalid_credit_code_and_veto_give_reasons_in_both_languages(small_rubric):
    applications = make_applications(["A"], credit_code=["91110000802100433A"], security_incident=[True])
    scores = make_scores({"A": {"quality": [8, 9, 7, 10, 1], "impact": [5, 6, 7, 8, 9]}})

    row = evaluate(small_rubric, applications, scores).table.iloc[0]

    assert not row["eligible"]
    assert row["reasons_zh"] == "统一社会信用代码无效;发生重大安全事件"
    assert row["reasons_en"] == "Invalid credit code; Serious security incident"


def test_evaluate_category_quota_draws_the_cut_line(small_rubric):
    ids = [f"A{i}" for i in range(4)]
    applications = make_applications(ids, category=["life", "life", "life", "industry"])
    scores = make_scores(
        {
            "A0": {"quality": [9] * 5, "impact": [9] * 5},
            "A1": {"quality": [8] * 5, "impact": [9] * 5},
            "A2": {"quality": [7] * 5, "impact": [8] * 5},
            "A3": {"quality": [7] * 5, "impact": [7] * 5},
        }
    )
    settings = Settings.from_rubric(small_rubric.settings, quota_per_category=2)

    result = evaluate(small_rubric, applications, scores, settings)

    table = result.table.set_index("application_id")
    assert table["within_quota"].to_dict() == {"A0": True, "A1": True, "A2": False, "A3": True}
    life = result.cut_lines.set_index("group").loc["life"]
    assert (life["quota"], life["candidates"], life["selected"], life["cut_total"]) == (2, 3, 2, 27.0)


def test_evaluate_ties_at_the_quota_line_all_go_in_and_are_reported(small_rubric):
    ids = ["A0", "A1", "A2"]
    applications = make_applications(ids)
    same = {"quality": [8] * 5, "impact": [8] * 5}
    scores = make_scores({"A0": {"quality": [9] * 5, "impact": [9] * 5}, "A1": same, "A2": same})
    settings = Settings.from_rubric(small_rubric.settings, quota_per_category=2, tie_break=())

    result = evaluate(small_rubric, applications, scores, settings)

    assert result.table["within_quota"].tolist() == [True, True, True]
    assert bool(result.cut_lines.loc[0, "over_quota_by_ties"])


def test_explain_walks_gates_criteria_total_band_rank(small_rubric):
    applications, scores = hand_worked_round()
    result = evaluate(small_rubric, applications, scores)

    lines = explain(small_rubric, result, "A", "en")

    assert lines[0] == "Eligibility: all gates passed"
    assert "Quality: 8.00 / 10" in lines
    assert "Total: 25.00" in lines
    assert lines[-3:] == [
        "Rank in category: 2; overall: 2",
        "Same total as the application above; order decided by criterion:impact",
        "Within the recommendation quota",
    ]


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (7.3, "off_step"),
        (99.0, "out_of_range"),
        (-0.5, "out_of_range"),
        (np.nan, "not_a_number"),
        (np.inf, "not_a_number"),
    ],
)
def test_evaluate_store_ordered_rows_reject_bad_points_with_their_row(bad, code):
    # round_data emits complete sheets in (application, reviewer, criterion) order: the fast layout.
    rubric = load_rubric("project_life")
    applications, scores = round_data(rubric, 20, n_reviewers=8, seed=4)
    scores.loc[26, "points"] = bad  # market_prospect (max 10, step 0.5) on the third sheet

    with pytest.raises(ScoringInputError) as caught:
        evaluate(rubric, applications, scores)

    (issue,) = caught.value.issues
    assert (issue.code, issue.rows) == (code, (26,))


def test_evaluate_store_ordered_and_scattered_rows_agree_with_partial_panels():
    rubric = load_rubric("project_life")
    applications, scores = round_data(rubric, 30, n_reviewers=8, seed=5)
    judged = sum(c.method == "judged" for c in rubric.criteria)
    partial = scores.iloc[judged:].reset_index(drop=True)  # the first application loses one sheet

    ordered = evaluate(rubric, applications, partial).table
    scattered = evaluate(rubric, applications, partial.sample(frac=1.0, random_state=1)).table

    pd.testing.assert_frame_equal(ordered, scattered)


def test_compare_methods_shows_every_method_side_by_side(small_rubric):
    applications, scores = hand_worked_round()

    table = compare_methods(small_rubric, applications, scores).set_index("application_id")

    assert table.loc["A", ["total_mean", "total_median", "total_trimmed"]].tolist() == [24.0, 25.0, 25.0]
    assert table.loc["A", ["rank_mean", "rank_trimmed"]].tolist() == [2, 1]
    assert {"total_zscore", "rank_zscore"} <= set(table.columns)
