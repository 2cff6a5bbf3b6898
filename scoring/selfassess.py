"""Self-assessment against the panel: per-criterion gaps and an over-claiming flag."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rubrics.schema import Rubric
from scoring.compiled import compile_rubric
from scoring.errors import Issue, ScoringInputError
from scoring.evaluate import Evaluation
from scoring.panel import codes_for


def self_gaps(rubric: Rubric, evaluation: Evaluation, self_scores: pd.DataFrame) -> pd.DataFrame:
    """Long table: application_id, criterion_id, self, panel, gap (self − panel), overclaim.

    A criterion is over-claimed when the applicant's own score exceeds the panel's by more than
    `settings.overclaim_flag` of its maximum. Self scores for formula criteria are not expected.
    """
    compiled = compile_rubric(rubric)
    table = evaluation.table
    ids = pd.Index(table["application_id"])
    app = codes_for(self_scores["application_id"], ids)
    crit = codes_for(self_scores["criterion_id"], compiled.criterion_ids)
    points = pd.to_numeric(self_scores["points"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = (app < 0) | (crit < 0) | ~np.isfinite(points)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ScoringInputError(
            [
                Issue(
                    "self_scores",
                    "points",
                    "bad_self_score",
                    "self scores need a known application, a criterion of the rubric and a finite number",
                    "自评须对应已知申报、细则中的指标,且分值为有限数字",
                    tuple(int(r) for r in rows[:20]),
                    int(rows.size),
                )
            ]
        )
    panel_points = table[list(compiled.criterion_ids)].to_numpy(dtype=np.float64)[app, crit]
    maximum = compiled.max_points[crit]
    gap = points - panel_points
    return pd.DataFrame(
        {
            "application_id": ids.to_numpy()[app],
            "criterion_id": compiled.criterion_ids.to_numpy()[crit],
            "self": points,
            "panel": panel_points,
            "gap": gap,
            "overclaim": gap > evaluation.settings.overclaim_flag * maximum,
        }
    )


def self_summary(gaps: pd.DataFrame, total_points: float, overclaim_flag: float) -> pd.DataFrame:
    """Per application: self total, panel total over the same criteria, gap, over-claiming flag."""
    summary = gaps.groupby("application_id", sort=False)[["self", "panel"]].sum()
    summary["gap"] = summary["self"] - summary["panel"]
    summary["overclaim"] = summary["gap"] > overclaim_flag * total_points
    summary["criteria_overclaimed"] = gaps.groupby("application_id", sort=False)["overclaim"].sum()
    return summary.reset_index()
