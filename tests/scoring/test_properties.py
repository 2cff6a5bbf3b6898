"""Invariants of the engine, checked on generated rounds (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rubrics import load_rubric
from scoring.aggregate import aggregate
from scoring.compiled import compile_rubric
from scoring.evaluate import evaluate
from scoring.panel import build_panel
from scoring.settings import Settings
from scoring.synthetic import round_data

RUBRIC = load_rubric("project_life")
COMPILED = compile_rubric(RUBRIC)
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

rounds = st.builds(
    lambda n, k, seed, categorical: round_data(
        RUBRIC, n, reviewers_per_application=k, n_reviewers=8, seed=seed, categorical=categorical
    ),
    n=st.integers(2, 25),
    k=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    categorical=st.booleans(),
)
methods = st.sampled_from(["mean", "median", "trimmed", "zscore"])


@PROPERTY
@given(data=rounds, method=methods, permutation_seed=st.integers(0, 10_000))
def test_ranking_is_invariant_to_row_order(data, method, permutation_seed):
    applications, scores = data
    options = Settings.from_rubric(RUBRIC.settings, method=method)
    rng = np.random.default_rng(permutation_seed)
    shuffled_scores = scores.iloc[rng.permutation(len(scores))].reset_index(drop=True)
    shuffled_apps = applications.iloc[rng.permutation(len(applications))].reset_index(drop=True)

    expected = evaluate(RUBRIC, applications, scores, options).table.set_index("application_id")
    actual = evaluate(RUBRIC, shuffled_apps, shuffled_scores, options).table.set_index("application_id")

    columns = ["total", "rank", "rank_category", "band", "within_quota"]
    pd.testing.assert_frame_equal(actual.loc[expected.index, columns], expected[columns])


@PROPERTY
@given(
    data=rounds,
    method=st.sampled_from(["mean", "median", "trimmed"]),
    row_seed=st.integers(0, 10_000),
    raise_steps=st.integers(1, 20),
)
def test_raising_one_score_never_lowers_that_total(data, method, row_seed, raise_steps):
    applications, scores = data
    options = Settings.from_rubric(RUBRIC.settings, method=method)
    row = int(np.random.default_rng(row_seed).integers(len(scores)))
    criterion = RUBRIC.criterion(str(scores.loc[row, "criterion_id"]))
    raised = scores.copy()
    new_points = min(float(criterion.max_points), raised.loc[row, "points"] + raise_steps * float(criterion.step))
    raised.loc[row, "points"] = new_points
    application = scores.loc[row, "application_id"]

    before = evaluate(RUBRIC, applications, scores, options).row(application)["total"]
    after = evaluate(RUBRIC, applications, raised, options).row(application)["total"]

    assert after >= before


@PROPERTY
@given(data=rounds)
def test_trimmed_mean_lies_within_panel_min_and_max(data):
    applications, scores = data
    panel = build_panel(scores, pd.Index(applications["application_id"]), COMPILED)
    maxima = COMPILED.max_points[panel.judged_columns]

    trimmed = aggregate(panel, maxima, "trimmed", trim_min_reviewers=3)

    present = panel.present[:, :, None]
    low = np.where(present, panel.points, np.inf).min(axis=1)
    high = np.where(present, panel.points, -np.inf).max(axis=1)
    scored = panel.size > 0
    assert np.all(trimmed[scored] >= low[scored] - 1e-9)
    assert np.all(trimmed[scored] <= high[scored] + 1e-9)


@PROPERTY
@given(data=rounds, fraction=st.sampled_from([0.0, 0.5, 1.0]))
def test_reviewer_with_identical_scores_gets_no_nan_under_zscore(data, fraction):
    applications, scores = data
    flat_reviewer = scores["reviewer_id"].astype(str).iloc[0]
    same = scores.copy()
    mask = same["reviewer_id"].astype(str) == flat_reviewer
    maxima = same.loc[mask, "criterion_id"].astype(str).map(lambda c: float(RUBRIC.criterion(c).max_points))
    same.loc[mask, "points"] = maxima * fraction  # the same fraction of every maximum, on every step grid
    options = Settings.from_rubric(RUBRIC.settings, method="zscore")

    table = evaluate(RUBRIC, applications, same, options).table

    judged = [c.id for c in RUBRIC.criteria if c.method == "judged"]
    assert not table.loc[table["scored"], [*judged, "total"]].isna().any().any()
