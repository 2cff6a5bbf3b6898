"""Reading the audit log as an administrator: filters, a time range, newest first, a limit that says so."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from submissions import accounts, audit, rounds
from submissions.errors import AccessDenied

BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def history(store, world, clock):
    """Three rounds created a day apart (Beijing 17:00), the middle one moved to open; one refused look."""
    clock.now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    made = []
    for day in range(3):
        made.append(rounds.create_round(store, world.admin, name=f"第{day + 1}批", rubric_id="project_life"))
        if day == 1:
            rounds.advance(store, world.admin, made[1].id, to_state="open", seen_version=made[1].version)
        clock.advance(days=1)
    with pytest.raises(AccessDenied):
        rounds.round_overview(store, world.reviewers[0])
    return made


def test_search_returns_the_newest_first_with_before_and_after_as_json(store, world, history):
    found = audit.search(store, world.admin, action="round.advance")

    assert found.rows[["action", "target", "round_id"]].values.tolist() == [
        ["round.advance", f"round:{history[1].id}", history[1].id]
    ]
    assert json.loads(found.rows["before"].iloc[0]) == {"state": "draft"}
    assert json.loads(found.rows["after"].iloc[0]) == {"state": "open"}
    assert not found.truncated


def test_search_narrows_by_round_actor_and_outcome(store, world, history):
    by_round = audit.search(store, world.admin, round_id=history[1].id)
    denied = audit.search(store, world.admin, outcome="denied")
    by_reviewer = audit.search(store, world.admin, actor_id=world.reviewers[0].user_id)

    assert by_round.rows["action"].tolist() == ["round.advance", "round.create"]
    assert denied.rows[["actor", "action", "outcome"]].values.tolist() == [
        [world.reviewers[0].label, "round.list", "denied"]
    ]
    assert by_reviewer.rows["id"].tolist() == denied.rows["id"].tolist()


def test_search_takes_whole_days_in_beijing_time(store, world, history):
    since, until = audit.day_bounds(dt.date(2026, 11, 3), dt.date(2026, 11, 3))

    found = audit.search(store, world.admin, action="round.create", since=since, until=until)

    assert (since, until) == (
        dt.datetime(2026, 11, 3, tzinfo=BEIJING),
        dt.datetime(2026, 11, 4, tzinfo=BEIJING),
    )
    assert found.rows["round_id"].tolist() == [history[1].id]  # created 2026-11-03 17:00 Beijing


def test_day_bounds_leave_open_ends_open():
    assert audit.day_bounds(None, None) == (None, None)
    assert audit.day_bounds(dt.date(2026, 1, 1), None) == (dt.datetime(2026, 1, 1, tzinfo=BEIJING), None)


def test_search_says_when_the_limit_cut_it_short(store, world, history):
    everything = audit.search(store, world.admin, limit=audit.MAX_SEARCH_LIMIT)

    cut = audit.search(store, world.admin, limit=2)

    assert cut.truncated
    assert cut.rows["id"].tolist() == everything.rows["id"].tolist()[:2]
    assert not audit.search(store, world.admin, limit=len(everything.rows)).truncated


def test_search_and_actions_are_for_administrators_only(store, world, history):
    applicant = world.applicants[0]

    with pytest.raises(AccessDenied):
        audit.search(store, applicant)
    with pytest.raises(AccessDenied):
        audit.actions(store, applicant)

    refused = audit.search(store, world.admin, actor_id=applicant.user_id, outcome="denied")
    assert refused.rows["action"].tolist() == ["audit.view", "audit.view"]


def test_actions_lists_each_logged_action_once(store, world, history):
    accounts.set_active(store, world.admin, world.reviewers[5].user_id, active=False)

    known = audit.actions(store, world.admin)

    assert known == sorted(set(known))
    assert {"organisation.create", "round.advance", "round.create", "round.list", "user.active", "user.create"} <= set(
        known
    )
