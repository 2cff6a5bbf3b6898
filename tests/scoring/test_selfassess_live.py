"""The applicant's live self-assessment total, and self against panel per criterion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rubrics import load_rubric
from scoring.evaluate import evaluate
from scoring.selfassess import criterion_comparison, level_points, self_gaps, self_total
from tests.scoring.conftest import make_applications, make_scores


def test_self_total_adds_own_points_and_computed_criteria(small_rubric):
    # quality 7 + impact 6 + growth 5.5 % against the 0..11 % line (10 points) = 7 + 6 + 5 = 18: reserve.
    result = self_total(small_rubric, {"quality": 7, "impact": 6}, {"growth": 5.5})

    assert (result.main, result.bonus, result.total, result.max_total) == (18.0, 0.0, 18.0, 30.0)
    assert (result.band_id, result.band_zh, result.band_en, result.recommended) == ("reserve", "备选", "Reserve", False)
    assert (result.assessed, result.to_assess) == (2, 2)
    assert result.criteria[["criterion_id", "points", "source"]].to_dict("records") == [
        {"criterion_id": "quality", "points": 7.0, "source": "self"},
        {"criterion_id": "impact", "points": 6.0, "source": "self"},
        {"criterion_id": "growth_score", "points": 5.0, "source": "computed"},
    ]
    assert result.dimensions[["dimension_id", "points", "max_points"]].to_dict("records") == [
        {"dimension_id": "merit", "points": 13.0, "max_points": 20.0},
        {"dimension_id": "numbers", "points": 5.0, "max_points": 10.0},
    ]


def test_self_total_counts_gaps_as_zero_and_says_which(small_rubric):
    result = self_total(small_rubric, {"quality": 8}, {})

    assert result.total == 8.0
    assert result.band_id == "not_recommended"
    assert (result.assessed, result.to_assess) == (1, 2)
    assert result.criteria["source"].tolist() == ["self", "unassessed", "no_indicator"]
    assert result.points_of("impact") is None
    assert result.points_of("growth_score") is None


def test_self_total_band_minimum_is_inclusive(small_rubric):
    # 7 + 7 + 10 (growth at the 11 % target) = 24, exactly the recommended band's minimum.
    result = self_total(small_rubric, {"quality": 7, "impact": 7}, {"growth": 11.0})

    assert (result.total, result.band_id, result.recommended) == (24.0, "recommended", True)


def test_self_total_ignores_what_is_not_a_number(small_rubric):
    result = self_total(small_rubric, {"quality": float("nan"), "impact": "7", "growth_score": 9}, {"growth": True})

    assert result.total == 0.0
    assert result.criteria["source"].tolist() == ["unassessed", "unassessed", "no_indicator"]


def test_self_total_caps_the_bonus():
    rubric = load_rubric("city_comprehensive")
    # Bonus items: 5G 2 + national pilot 2 + growth lead 2 (growth 15 % reaches its target) = 6, capped at 5.
    result = self_total(rubric, {"five_g_bonus": 2, "national_pilot_bonus": 2}, {"info_consumption_growth": 15.0})

    assert result.bonus == 5.0
    bonus_row = result.dimensions.set_index("dimension_id").loc["bonus"]
    assert (bonus_row["points"], bonus_row["max_points"]) == (5.0, 5.0)
    assert result.criteria.loc[result.criteria["bonus"], "points"].tolist() == [2.0, 2.0, 2.0]


def test_self_total_equals_the_engine_total_for_the_same_points():
    rubric = load_rubric("project_life")
    rng = np.random.default_rng(11)
    points = {
        c.id: float(rng.integers(0, int(c.max_points / c.step) + 1) * c.step)
        for c in rubric.criteria
        if c.method == "judged"
    }
    indicators = {"business_growth": 7.25, "users_served": 40.0}
    applications = make_applications(["A"], business_growth=[7.25], users_served=[40.0])
    applications = applications.assign(legal_person=True, not_blacklisted=True, security_incident=False)
    scores = make_scores({"A": {cid: [value] for cid, value in points.items()}})

    engine = evaluate(rubric, applications, scores).table.iloc[0]
    result = self_total(rubric, points, indicators)

    assert (result.total, result.main, result.bonus) == (engine["total"], engine["main_total"], engine["bonus"])
    assert result.band_id == engine["band"]
    for row in result.criteria.itertuples():
        assert row.points == engine[row.criterion_id]


def test_self_total_leaves_its_inputs_alone(small_rubric):
    points, indicators = {"quality": 7}, {"growth": 3.0}

    self_total(small_rubric, points, indicators)

    assert (points, indicators) == ({"quality": 7}, {"growth": 3.0})


def test_points_of_an_unknown_criterion_is_an_error(small_rubric):
    with pytest.raises(LookupError):
        self_total(small_rubric, {}, {}).points_of("nope")


def test_criterion_comparison_lines_up_self_and_panel(small_rubric):
    applications = make_applications(["A"], growth=[5.5])
    scores = make_scores({"A": {"quality": [5, 5, 5], "impact": [8, 8, 8]}})
    evaluation = evaluate(small_rubric, applications, scores)
    own = pd.DataFrame({"application_id": ["A", "A"], "criterion_id": ["quality", "impact"], "points": [9.0, 7.0]})
    gaps = self_gaps(small_rubric, evaluation, own)

    table = criterion_comparison(small_rubric, evaluation.table.iloc[0].to_dict(), gaps)

    # quality: 9 against 5 is 4 over, beyond 20 % of 10 points; impact: 7 against 8 is below.
    assert table["criterion_id"].tolist() == ["quality", "impact", "growth_score"]
    assert table["panel"].tolist() == [5.0, 8.0, 5.0]
    assert table["self"].fillna(-1).tolist() == [9.0, 7.0, -1]
    assert table["gap"].fillna(-1).tolist() == [4.0, -1.0, -1]
    assert table["overclaim"].tolist() == [True, False, False]
    assert table["underclaim"].tolist() == [False, True, False]
    assert table["verdict"].tolist() == ["overclaim", "underclaim", "not_assessed"]
    assert table["label_en"].tolist() == ["Quality", "Impact", "Growth"]


def test_level_points_span_each_level_best_first():
    criterion = load_rubric("project_life").criterion("consumer_reach")  # 7 points

    spans = [(level.grade, low, high) for level, low, high in level_points(criterion)]

    assert spans == [("优", 5.95, 7.0), ("良", 4.9, 5.95), ("中", 3.5, 4.9), ("差", 0.0, 3.5)]
