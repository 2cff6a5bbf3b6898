"""Seeded synthetic rounds for tests and benchmarks: valid input of any size, built vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rubrics.credit_code import ALPHABET, WEIGHTS
from rubrics.schema import Rubric


def credit_codes(n: int, rng: np.random.Generator) -> np.ndarray:
    """n fictional unified social credit codes with correct check characters."""
    body = rng.integers(0, 31, size=(n, 17))
    body[:, 0] = 9  # registered by the market-regulation authority
    body[:, 1] = 1  # enterprise
    check = (31 - (body @ WEIGHTS) % 31) % 31
    alphabet = np.array(list(ALPHABET))
    chars = alphabet[np.concatenate([body, check[:, None]], axis=1)]
    return chars.view("<U18").ravel() if chars.dtype.itemsize == 4 else np.array(["".join(r) for r in chars])


def round_data(
    rubric: Rubric,
    n_applications: int,
    reviewers_per_application: int = 5,
    n_reviewers: int = 50,
    seed: int = 0,
    categorical: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(applications, scores) for a complete round: every panel member scores every judged criterion.

    Scores are on each criterion's step grid, drawn around an application quality with a reviewer
    severity, so rankings have structure. Rows come application by application, reviewer by
    reviewer, as a store query ordered that way would return them.
    """
    rng = np.random.default_rng(seed)
    ids = np.char.add("A", np.arange(n_applications).astype(str).astype("U12")).astype(object)
    categories = [c.id for c in rubric.categories]
    applications = pd.DataFrame(
        {
            "application_id": ids,
            "category": rng.choice(categories, n_applications),
            "region": rng.choice(["广东", "湖北", "重庆", "黑龙江", "北京", "浙江"], n_applications),
            "credit_code": credit_codes(n_applications, rng).astype(object),
        }
    )
    for gate in rubric.gates:
        if gate.check == "declared":
            applications[gate.id] = True
    for veto in rubric.vetoes:
        applications[veto.id] = False
    for indicator in rubric.indicators:
        low = indicator.min if indicator.min is not None else 0.0
        high = indicator.max if indicator.max is not None else 100.0
        high = min(high, low + 200.0)
        values = rng.uniform(low, high, n_applications)
        applications[indicator.id] = np.round(values) if indicator.type == "int" else np.round(values, 1)

    judged = [c for c in rubric.criteria if c.method == "judged"]
    k = min(reviewers_per_application, n_reviewers)
    # Panels: k distinct reviewers per application, drawn without a per-row loop.
    offsets = rng.integers(0, n_reviewers, n_applications)
    panel = (offsets[:, None] + np.arange(k)[None, :] * max(n_reviewers // k, 1)) % n_reviewers
    panel.sort(axis=1)
    quality = rng.beta(5, 2, n_applications)
    severity = rng.normal(0, 0.06, n_reviewers)
    maxima = np.array([float(c.max_points) for c in judged])
    steps = np.array([float(c.step) if c.step else 0.01 for c in judged])
    fraction = (
        quality[:, None, None] + severity[panel][:, :, None] + rng.normal(0, 0.08, (n_applications, k, len(judged)))
    )
    points = np.clip(np.round(np.clip(fraction, 0, 1) * maxima / steps) * steps, 0, maxima)

    n_rows = n_applications * k * len(judged)
    reviewer_names = np.array([f"R{r:04d}" for r in range(n_reviewers)], dtype=object)
    criterion_names = np.array([c.id for c in judged], dtype=object)
    app_col = np.repeat(ids, k * len(judged))
    rev_col = np.repeat(panel.ravel(), len(judged))
    crit_col = np.tile(np.arange(len(judged)), n_applications * k)
    if categorical:
        scores = pd.DataFrame(
            {
                "application_id": pd.Categorical.from_codes(np.repeat(np.arange(n_applications), k * len(judged)), ids),
                "reviewer_id": pd.Categorical.from_codes(rev_col, reviewer_names),
                "criterion_id": pd.Categorical.from_codes(crit_col, criterion_names),
                "points": points.ravel(),
            }
        )
    else:
        scores = pd.DataFrame(
            {
                "application_id": app_col,
                "reviewer_id": reviewer_names[rev_col],
                "criterion_id": criterion_names[crit_col],
                "points": points.ravel(),
            }
        )
    assert len(scores) == n_rows
    return applications, scores
