"""One round from creation to publication, through the services only."""

from __future__ import annotations

from submissions import applications, ranking, reviews, rounds
from tests.submissions.store.scenario import assigned_pairs, round_under_review, score_everything


def test_round_from_application_to_published_ranking(store, world):
    round_, submitted = round_under_review(store, world)
    pairs = assigned_pairs(store, world, round_.id)
    assert len(pairs) == len(submitted) * 3

    sheets = score_everything(store, world, round_.id)
    result = ranking.rank_round(store, world.admin, round_.id)

    assert sheets == len(pairs)
    assert result.sheets == sheets
    assert sorted(result.table["application_id"]) == sorted(a.reference for a in submitted)
    assert result.table["scored"].all()

    current = rounds.get_round(store, world.admin, round_.id)
    closed = rounds.advance(store, world.admin, round_.id, to_state="closed", seen_version=current.version)
    published = rounds.advance(store, world.admin, round_.id, to_state="published", seen_version=closed.version)
    seen = ranking.applicant_results(store, world.applicants[0], round_.id)
    assert published.state == "published"
    assert set(seen.own["app:title"]) == {a.title for a in submitted if a.organisation_id == world.organisation_ids[0]}
    own = applications.list_applications(store, world.applicants[0], round_.id)
    assert {a.organisation_id for a in own} == {world.organisation_ids[0]}
    assert reviews.my_assignments(store, world.reviewers[1], round_.id) is not None
