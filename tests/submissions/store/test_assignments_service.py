"""Assignment through the store: k per application, balanced, never conflicted, seeded, manual edits."""

from __future__ import annotations

import pytest

from submissions import assignments
from submissions.errors import ConflictOfInterest, RoundStateError
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    submit_application,
)


@pytest.fixture
def round_with_applications(store, world):
    round_ = open_round(store, world)
    apps = [submit_application(store, world, round_.id, i % 3, title=f"项目{i}") for i in range(6)]
    return round_, apps


def test_automatic_assignment_gives_k_balanced_conflict_free_panels(store, world, round_with_applications):
    round_, apps = round_with_applications

    preview = assignments.apply_assignment(store, world.admin, round_.id, seed=3, per_application=3)
    pairs = assigned_pairs(store, world, round_.id)

    loads = [sum(1 for _, r in pairs if r == reviewer.user_id) for reviewer in world.reviewers]
    per_app = {a.id: sum(1 for p, _ in pairs if p == a.id) for a in apps}
    first_org_apps = {a.id for a in apps if a.organisation_id == world.organisation_ids[0]}
    conflicted_reviewer = world.reviewers[0].user_id  # works at the first organisation

    assert preview.plan.shortfalls == {}
    assert set(per_app.values()) == {3}
    assert max(loads) - min(loads) <= 1
    assert not [p for p in pairs if p[0] in first_org_apps and p[1] == conflicted_reviewer]


def test_preview_equals_what_apply_adds_for_the_same_seed(store, world, round_with_applications):
    round_, _ = round_with_applications

    preview = assignments.preview_assignment(store, world.admin, round_.id, seed=11, per_application=2)
    applied = assignments.apply_assignment(store, world.admin, round_.id, seed=11, per_application=2)

    assert preview.plan.pairs == applied.plan.pairs
    assert sorted(assigned_pairs(store, world, round_.id)) == sorted(applied.plan.pairs)


def test_same_region_rule_keeps_local_reviewers_off(store, world):
    round_ = open_round(store, world, conflict_same_region=True)
    apps = [submit_application(store, world, round_.id, i) for i in range(3)]

    assignments.apply_assignment(store, world.admin, round_.id, seed=0, per_application=2)

    region_of_reviewer = {r.user_id: r.region for r in world.reviewers}
    region_of_app = {a.id: a.region for a in apps}
    assert all(region_of_reviewer[r] != region_of_app[a] for a, r in assigned_pairs(store, world, round_.id))


def test_manual_assignment_of_a_conflicted_pair_is_refused_with_the_reason(store, world, round_with_applications):
    round_, apps = round_with_applications
    own_org_app = next(a for a in apps if a.organisation_id == world.organisation_ids[0])

    with pytest.raises(ConflictOfInterest) as refusal:
        assignments.assign(store, world.admin, own_org_app.id, world.reviewers[0].user_id)

    assert "同一单位" in refusal.value.message("zh")
    assert assigned_pairs(store, world, round_.id) == []


def test_manual_assignment_and_removal(store, world, round_with_applications):
    round_, apps = round_with_applications
    reviewer = world.reviewers[4].user_id

    assignments.assign(store, world.admin, apps[0].id, reviewer)
    assignments.assign(store, world.admin, apps[0].id, reviewer)  # twice is once
    assert assigned_pairs(store, world, round_.id) == [(apps[0].id, reviewer)]
    assignments.unassign(store, world.admin, apps[0].id, reviewer)
    assert assigned_pairs(store, world, round_.id) == []


def test_removing_a_reviewer_who_started_scoring_is_refused(store, world, round_with_applications):
    from submissions import reviews, rounds

    round_, apps = round_with_applications
    reviewer = world.reviewers[4]
    assignments.assign(store, world.admin, apps[0].id, reviewer.user_id)
    current = rounds.get_round(store, world.admin, round_.id)
    rounds.advance(store, world.admin, round_.id, to_state="under_review", seen_version=current.version)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    reviews.save_sheet(
        store, reviewer_actor(world, reviewer.user_id), apps[0].id, entries=full_entries(rubric), seen_version=0
    )

    with pytest.raises(RoundStateError):
        assignments.unassign(store, world.admin, apps[0].id, reviewer.user_id)


def test_conflicts_table_shows_declared_and_detected(store, world, round_with_applications):
    round_, apps = round_with_applications

    table = assignments.conflicts(store, world.admin, round_.id)

    first_org_apps = {a.id for a in apps if a.organisation_id == world.organisation_ids[0]}
    detected = table[table["kind"] == "same_organisation"]
    assert set(detected["application_id"]) == first_org_apps
    assert set(detected["reviewer_id"]) == {world.reviewers[0].user_id}
