"""Score sheets: drafts and submission, immutability, reopening, blind policy, conflicts, deadlines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from submissions import audit, reviews, rounds
from submissions.errors import AccessDenied, EditConflict, RoundStateError, SubmissionError
from tests.submissions.store.scenario import assigned_pairs, full_entries, reviewer_actor, round_under_review


@pytest.fixture
def review(store, world):
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=3, min_comment_length=5)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    return round_, rubric, assigned_pairs(store, world, round_.id)


def panel_of(pairs, application_id):
    return [r for a, r in pairs if a == application_id]


def test_draft_then_submit_stores_exactly_the_points(store, world, review):
    _, rubric, pairs = review
    app_id, reviewer_id = pairs[0]
    reviewer = reviewer_actor(world, reviewer_id)

    draft = reviews.save_sheet(store, reviewer, app_id, entries={"market_prospect": {"points": "7.5"}}, seen_version=0)
    submitted = reviews.save_sheet(
        store, reviewer, app_id, entries=full_entries(rubric), seen_version=draft.version, submit=True
    )

    assert draft.status == "draft"
    assert draft.entries == {"market_prospect": reviews.Entry(Decimal("7.5"), "")}
    assert submitted.status == "submitted"
    assert reviews.get_sheet(store, reviewer, app_id).entries["market_prospect"].points == Decimal("7")


def test_submission_needs_every_criterion_and_long_enough_comments(store, world, review):
    _, rubric, pairs = review
    app_id, reviewer_id = pairs[0]
    entries = full_entries(rubric, comment="好")
    del entries["market_prospect"]

    with pytest.raises(SubmissionError) as error:
        reviews.save_sheet(
            store, reviewer_actor(world, reviewer_id), app_id, entries=entries, seen_version=0, submit=True
        )

    codes = {p.code for p in error.value.problems}
    assert codes == {"missing_criterion", "comment_too_short"}
    assert reviews.get_sheet(store, reviewer_actor(world, reviewer_id), app_id).status == "new"


def test_stale_sheet_save_is_a_conflict_and_keeps_the_reviewers_input(store, world, review):
    _, _, pairs = review
    app_id, reviewer_id = pairs[0]
    reviewer = reviewer_actor(world, reviewer_id)
    reviews.save_sheet(store, reviewer, app_id, entries={"market_prospect": {"points": 6}}, seen_version=0)

    mine = {"market_prospect": {"points": 9, "comment": "第二个标签页的修改"}}
    with pytest.raises(EditConflict) as conflict:
        reviews.save_sheet(store, reviewer, app_id, entries=mine, seen_version=0)

    assert conflict.value.yours == mine
    assert reviews.get_sheet(store, reviewer, app_id).entries["market_prospect"].points == Decimal("6")


def test_submitted_sheet_is_immutable_until_an_admin_reopens_it(store, world, review):
    _, rubric, pairs = review
    app_id, reviewer_id = pairs[0]
    reviewer = reviewer_actor(world, reviewer_id)
    sheet = reviews.save_sheet(store, reviewer, app_id, entries=full_entries(rubric), seen_version=0, submit=True)

    with pytest.raises(RoundStateError):
        reviews.save_sheet(store, reviewer, app_id, entries=full_entries(rubric, 0.2), seen_version=sheet.version)
    with pytest.raises(SubmissionError):
        reviews.reopen_sheet(store, world.admin, app_id, reviewer_id, reason="  ")
    reopened = reviews.reopen_sheet(store, world.admin, app_id, reviewer_id, reason="评分项“市场前景”误填")
    corrected = reviews.save_sheet(
        store, reviewer, app_id, entries=full_entries(rubric, 0.2), seen_version=reopened.version
    )

    assert reopened.status == "draft"
    assert corrected.entries["market_prospect"].points == Decimal("2")
    log = store.db.read(lambda s: audit.entries(s, action="sheet.reopen"))
    assert log[0].after == {"status": "draft", "reason": "评分项“市场前景”误填"}


def test_declared_conflict_removes_the_application_from_the_reviewers_list(store, world, review):
    round_, _, pairs = review
    app_id, reviewer_id = pairs[0]
    reviewer = reviewer_actor(world, reviewer_id)

    reviews.declare_conflict(store, reviewer, app_id, reason="曾为该单位提供咨询服务")

    assert app_id not in [a.application_id for a in reviews.my_assignments(store, reviewer, round_.id)]
    with pytest.raises(AccessDenied):
        reviews.get_sheet(store, reviewer, app_id)


def test_progress_lists_each_assignment_with_its_sheet_status(store, world, review):
    round_, rubric, pairs = review
    app_id, reviewer_id = pairs[0]
    reviews.save_sheet(
        store, reviewer_actor(world, reviewer_id), app_id, entries=full_entries(rubric), seen_version=0, submit=True
    )

    table = reviews.progress(store, world.admin, round_.id)

    assert len(table) == len(pairs)
    assert table["status"].value_counts().to_dict() == {"new": len(pairs) - 1, "submitted": 1}
