from __future__ import annotations

import numpy as np
import pandas as pd

from rubrics import load_rubric
from scoring.evaluate import evaluate
from scoring.selfassess import self_gaps, self_summary
from scoring.sensitivity import sensitivity
from scoring.synthetic import round_data
from tests.scoring.conftest import make_applications, make_scores


def test_sensitivity_is_seeded_and_brackets_the_base_rank():
    rubric = load_rubric("project_life")
    applications, scores = round_data(rubric, 40, n_reviewers=8, seed=2)
    result = evaluate(rubric, applications, scores)

    first = sensitivity(rubric, result, applications, draws=30, seed=7)
    second = sensitivity(rubric, result, applications, draws=30, seed=7)

    pd.testing.assert_frame_equal(first, second)
    ranked = first["rank"].notna()
    assert (first.loc[ranked, "weights_rank_min"] <= first.loc[ranked, "rank"]).all()
    assert (first.loc[ranked, "weights_rank_max"] >= first.loc[ranked, "rank"]).all()
    assert {"rank_mean", "rank_median", "rank_trimmed", "rank_zscore", "reviewer_rank_max"} <= set(first.columns)


def test_sensitivity_flags_an_application_on_the_line(small_rubric):
    # A totals 7 + 7 + 10 = 24, exactly the recommended threshold: ±10 % weights push it either side.
    applications = make_applications(["A", "B"], growth=[11.0, 0.0])
    scores = make_scores(
        {
            "A": {"quality": [7] * 5, "impact": [7] * 5},
            "B": {"quality": [3] * 5, "impact": [3] * 5},
        }
    )
    result = evaluate(small_rubric, applications, scores)

    table = sensitivity(small_rubric, result, applications, draws=20).set_index("application_id")

    assert bool(table.loc["A", "crosses_line"])
    assert not bool(table.loc["B", "crosses_line"])


def test_self_gaps_flag_over_claiming(small_rubric):
    applications = make_applications(["A"])
    scores = make_scores({"A": {"quality": [5] * 5, "impact": [8] * 5}})
    result = evaluate(small_rubric, applications, scores)
    own = pd.DataFrame({"application_id": ["A", "A"], "criterion_id": ["quality", "impact"], "points": [9.0, 8.0]})

    gaps = self_gaps(small_rubric, result, own)
    summary = self_summary(gaps, float(small_rubric.total_points), 0.1)

    assert gaps["gap"].tolist() == [4.0, 0.0]
    assert gaps["overclaim"].tolist() == [True, False]
    assert summary.loc[0, "gap"] == 4.0
    assert bool(summary.loc[0, "overclaim"])
    assert np.isclose(summary.loc[0, "self"], 17.0)
