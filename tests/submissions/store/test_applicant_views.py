"""What the applicant pages read: own applications across rounds, edit locks, readiness, published results."""

from __future__ import annotations

import datetime as dt

import pytest

from submissions import applications, assignments, rounds
from submissions.errors import AccessDenied, DeadlinePassed, RoundStateError, SubmissionError
from tests.submissions.store.scenario import (
    open_round,
    round_under_review,
    score_everything,
    submit_application,
)


def advance_to(store, world, round_id: int, *states: str) -> None:
    for state in states:
        current = rounds.get_round(store, world.admin, round_id)
        rounds.advance(store, world.admin, round_id, to_state=state, seen_version=current.version)


def test_own_applications_span_rounds_newest_first(store, world):
    first = open_round(store, world, "project_life")
    second = open_round(store, world, "project_industry")
    applicant = world.applicants[0]
    life = applications.create_application(store, applicant, first.id, category="life", title="甲")
    industry = applications.create_application(store, applicant, second.id, category="industry", title="乙")
    applications.save_self_assessment(store, applicant, life.id, points={"market_prospect": "7"}, seen_version=0)
    applications.create_application(store, world.applicants[1], first.id, category="life", title="别家")

    mine = applications.list_own_applications(store, applicant)

    assert [(o.application.id, o.round_name, o.round_state) for o in mine] == [
        (industry.id, second.name, "open"),
        (life.id, first.name, "open"),
    ]
    assert [(o.category_zh, o.category_en, o.self_assessed) for o in mine] == [
        ("行业类", "Industry", False),
        ("生活类", "Daily life", True),
    ]


def test_own_applications_are_for_applicants_only(store, world):
    with pytest.raises(AccessDenied):
        applications.list_own_applications(store, world.reviewers[0])


def test_workspace_of_an_open_draft_has_no_locks(store, world):
    opened = open_round(store, world)
    draft = applications.create_application(store, world.applicants[0], opened.id, category="life")

    ws = applications.applicant_workspace(store, world.applicants[0], draft.id)

    assert (ws.lock, ws.withdraw_lock, ws.self_lock, ws.credit_code_problem) == (None, None, None, None)
    assert (ws.round_id, ws.round_state, ws.rubric.id) == (opened.id, "open", "project_life")
    assert ws.regions == opened.settings.regions
    assert (ws.self_assessment.version, ws.self_assessed_at) == (0, None)


def test_workspace_locks_say_what_the_operations_would(store, world, clock):
    opened = open_round(store, world, application_deadline=clock.now + dt.timedelta(days=1))
    submitted = submit_application(store, world, opened.id)
    applicant = world.applicants[0]

    ws = applications.applicant_workspace(store, applicant, submitted.id)
    assert isinstance(ws.lock, RoundStateError)
    assert ws.lock.message("en") == "This application is submitted and can no longer be changed."
    assert (ws.withdraw_lock, ws.self_lock) == (None, None)

    clock.advance(days=2)
    late = applications.applicant_workspace(store, applicant, submitted.id)
    assert all(isinstance(lock, DeadlinePassed) for lock in (late.lock, late.withdraw_lock, late.self_lock))
    with pytest.raises(DeadlinePassed) as refused:
        applications.save_self_assessment(store, applicant, submitted.id, points={}, seen_version=0)
    assert late.self_lock.message("zh") == refused.value.message("zh")


def test_workspace_of_another_organisation_is_denied(store, world):
    opened = open_round(store, world)
    draft = applications.create_application(store, world.applicants[0], opened.id, category="life")

    for outsider in (world.applicants[1], world.reviewers[0], world.admin):
        with pytest.raises(AccessDenied):
            applications.applicant_workspace(store, outsider, draft.id)


def test_submission_problems_are_what_submit_would_refuse(store, world):
    opened = open_round(store, world)
    applicant = world.applicants[0]
    draft = applications.create_application(store, applicant, opened.id, category="life")

    listed = applications.submission_problems(store, applicant, draft.id)
    with pytest.raises(SubmissionError) as refused:
        applications.submit_application(store, applicant, draft.id, seen_version=draft.version)

    assert listed == refused.value.problems
    assert {p.code for p in listed} == {"missing_indicator", "missing_declaration"}
    assert applications.get_application(store, applicant, draft.id).status == "draft"


def test_submission_problems_of_a_complete_draft_are_none(store, world):
    opened = open_round(store, world)
    submitted = submit_application(store, world, opened.id)  # complete, so submittable until it was submitted

    assert applications.submission_problems(store, world.applicants[0], submitted.id) == []


def test_published_results_only_after_publication(store, world):
    round_, _ = round_under_review(store, world, per_applicant=1)
    score_everything(store, world, round_.id)
    advance_to(store, world, round_.id, "closed")

    with pytest.raises(RoundStateError):
        applications.published_results(store, world.applicants[0], round_.id)


def test_published_results_shape_own_rows_gaps_and_public_list(store, world):
    round_, submitted = round_under_review(store, world, per_applicant=1)
    applicant = world.applicants[0]
    (own,) = [a for a in submitted if a.organisation_id == applicant.organisation_id]
    score_everything(store, world, round_.id, fraction=0.7)
    advance_to(store, world, round_.id, "closed", "published")
    # The self-assessment was never saved: the comparison still lists the panel's points.

    results = applications.published_results(store, applicant, round_.id)

    (mine,) = results.own
    assert (mine.reference, mine.title, mine.category) == (own.reference, own.title, "life")
    assert (mine.scored, mine.eligible, mine.reasons_en) == (True, True, "")
    assert mine.band_zh in {b.label.zh for b in results.rubric.bands}
    assert mine.criteria["criterion_id"].tolist() == [c.id for c in results.rubric.criteria]
    assert mine.criteria["self"].isna().all() and not mine.self_assessed
    assert results.overclaim_flag == 0.2
    assert list(results.public.columns) == [
        "rank",
        "organisation",
        "title",
        "category_zh",
        "category_en",
        "region",
        "total",
        "band_zh",
        "band_en",
    ]
    assert set(results.public["category_en"]) <= {"Daily life"}
    assert results.public["rank"].is_monotonic_increasing


def test_published_results_compare_the_saved_self_assessment(store, world):
    opened = open_round(store, world, reviewers_per_application=3)
    applicant = world.applicants[0]
    own = submit_application(store, world, opened.id)
    applications.save_self_assessment(
        store, applicant, own.id, points={"market_prospect": "10", "industry_pull": "1"}, seen_version=0
    )
    for index in range(1, len(world.applicants)):
        submit_application(store, world, opened.id, index)
    assignments.apply_assignment(store, world.admin, opened.id, seed=1)
    advance_to(store, world, opened.id, "under_review")
    score_everything(store, world, opened.id, fraction=0.7)
    advance_to(store, world, opened.id, "closed", "published")

    (mine,) = applications.published_results(store, applicant, opened.id).own

    rows = mine.criteria.set_index("criterion_id")
    # The panel gave 7 of 10 and 5.5 of 8 (0.7 of the maximum on the 0.5 grid).
    assert (rows.loc["market_prospect", "panel"], rows.loc["market_prospect", "self"]) == (7.0, 10.0)
    assert rows.loc["market_prospect", "verdict"] == "overclaim"
    assert (rows.loc["industry_pull", "gap"], rows.loc["industry_pull", "verdict"]) == (1.0 - 5.5, "underclaim")
    assert rows.loc["digital_home", "verdict"] == "not_assessed"
    assert mine.self_assessed
