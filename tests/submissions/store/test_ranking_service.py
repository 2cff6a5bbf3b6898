"""Ranking from the store: equal to the engine on the same data, cached, invalidated by any change."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from scoring import evaluate
from submissions import exports, ranking, reviews, rounds
from submissions.errors import AccessDenied, RoundStateError
from submissions.models import Application, Organisation, ScoreSheet
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    reviewer_actor,
    round_under_review,
    score_everything,
)


@pytest.fixture
def scored_round(store, world):
    round_, _ = round_under_review(store, world, per_applicant=2, per_application=3)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    pairs = assigned_pairs(store, world, round_.id)
    for n, (app_id, reviewer_id) in enumerate(pairs):
        fraction = 0.3 + (n * 37 % 60) / 100  # varied, so the ranking has structure
        reviews.save_sheet(
            store,
            reviewer_actor(world, reviewer_id),
            app_id,
            entries=full_entries(rubric, fraction),
            seen_version=0,
            submit=True,
        )
    return round_, rubric


def _by_hand(store, round_id, rubric):
    """The engine's input rebuilt row by row from the tables, without the store's fast path."""

    def work(session):
        apps = session.query(Application).filter_by(round_id=round_id, status="submitted").all()
        sheets = session.query(ScoreSheet).filter_by(round_id=round_id, status="submitted").all()
        codes = {o.id: o.credit_code for o in session.query(Organisation)}
        return apps, sheets, codes

    apps, sheets, codes = store.db.read(work)
    app_rows = []
    for app in apps:
        row = {
            "application_id": app.reference,
            "category": app.category,
            "region": app.region,
            "credit_code": codes[app.organisation_id],
        }
        row |= json.loads(app.indicators) | json.loads(app.declarations)
        app_rows.append(row)
    reference = {a.id: a.reference for a in apps}
    score_rows = [
        {
            "application_id": reference[s.application_id],
            "reviewer_id": ranking.reviewer_label(s.reviewer_id),
            "criterion_id": cid,
            "points": float(points),
        }
        for s in sheets
        for cid, points in reviews.decode_points(rubric, s.points).items()
    ]
    applications = pd.DataFrame(app_rows).sample(frac=1, random_state=1)
    return applications, pd.DataFrame(score_rows).sample(frac=1, random_state=2)


def test_ranking_from_the_store_equals_the_engine_on_the_same_data(store, world, scored_round):
    round_, rubric = scored_round

    result = ranking.rank_round(store, world.admin, round_.id)
    applications, scores = _by_hand(store, round_.id, rubric)
    expected = evaluate(rubric, applications, scores, result.settings.engine_settings())

    got = result.evaluation.table.set_index("application_id").sort_index()
    want = expected.table.set_index("application_id").sort_index()
    assert got["eligible"].all()
    assert got["rank"].tolist() == want["rank"].tolist()
    assert got["total"].tolist() == want["total"].tolist()
    assert got["band"].tolist() == want["band"].tolist()


def test_ranking_is_cached_until_a_score_changes(store, world, scored_round):
    round_, _ = scored_round
    first = ranking.rank_round(store, world.admin, round_.id)
    again = ranking.rank_round(store, world.admin, round_.id)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]

    reviews.reopen_sheet(store, world.admin, app_id, reviewer_id, reason="复核")
    after = ranking.rank_round(store, world.admin, round_.id)

    assert again is first
    assert after is not first
    assert after.sheets == first.sheets - 1


def test_downloads_keep_the_cached_ranking(store, world, scored_round):
    round_, _ = scored_round
    first = ranking.rank_round(store, world.admin, round_.id)

    exports.ranking_export(store, world.admin, round_.id, kind="csv")
    exports.ranking_export(store, world.admin, round_.id, kind="xlsx")

    assert ranking.rank_round(store, world.admin, round_.id) is first


def test_switching_the_method_ranks_with_that_method(store, world, scored_round):
    round_, _ = scored_round

    mean = ranking.rank_round(store, world.admin, round_.id, method="mean")
    median = ranking.rank_round(store, world.admin, round_.id, method="median")

    assert mean.evaluation.settings.method == "mean"
    assert median.evaluation.settings.method == "median"


def test_drafts_do_not_count(store, world):
    round_, _ = round_under_review(store, world, per_applicant=1)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    reviews.save_sheet(
        store, reviewer_actor(world, reviewer_id), app_id, entries={"market_prospect": {"points": 9}}, seen_version=0
    )

    result = ranking.rank_round(store, world.admin, round_.id)

    assert result.sheets == 0
    assert not result.table["scored"].any()


def test_applicants_see_results_only_after_publication(store, world):
    round_, submitted = round_under_review(store, world, per_applicant=1)
    score_everything(store, world, round_.id)
    applicant = world.applicants[0]
    own = [a for a in submitted if a.organisation_id == applicant.organisation_id]

    with pytest.raises(RoundStateError):
        ranking.applicant_results(store, applicant, round_.id)
    current = rounds.get_round(store, world.admin, round_.id)
    closed = rounds.advance(store, world.admin, round_.id, to_state="closed", seen_version=current.version)
    with pytest.raises(RoundStateError):
        ranking.applicant_results(store, applicant, round_.id)
    rounds.advance(store, world.admin, round_.id, to_state="published", seen_version=closed.version)

    results = ranking.applicant_results(store, applicant, round_.id)

    assert set(results.own["application_id"]) == {a.reference for a in own}
    assert not {"app:id", "disagreement_std"} & set(results.own.columns)
    assert list(results.public.columns) == ranking.PUBLIC_COLUMNS


def test_reviewers_and_applicants_cannot_rank(store, world, scored_round):
    round_, _ = scored_round

    for actor in (world.reviewers[1], world.applicants[0]):
        with pytest.raises(AccessDenied):
            ranking.rank_round(store, actor, round_.id)
