"""Concurrent writers: optimistic locking loses nothing and merges nothing, and busy databases are waited out.

Every race starts its threads at a barrier. On SQLite a writer takes the lock with BEGIN IMMEDIATE
and the others wait (busy timeout); on PostgreSQL writes are SERIALIZABLE and a serialization
failure is retried. Either way the outcome must be the same: each save either commits whole or is
refused with `EditConflict`, and nothing else reaches the caller.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from submissions import accounts, applications, audit, reviews, rounds
from submissions.errors import EditConflict
from submissions.reviews import Entry
from submissions.store import Store
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    round_under_review,
)
from tests.submissions.store.world import PASSWORD

BARRIER_TIMEOUT = 60


@pytest.fixture
def second_store(store, clock) -> Store:
    """Another app server on the same database: its own engine, connections and caches."""
    other = Store(store.config, clock=clock)
    yield other
    other.close()


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; each result is the return value or the exception raised."""
    barrier = threading.Barrier(len(calls), timeout=BARRIER_TIMEOUT)

    def run(call: Callable[[], object]) -> object:
        barrier.wait()
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def as_entries(entries: dict) -> dict[str, Entry]:
    return {cid: Entry(e["points"], e["comment"]) for cid, e in entries.items()}


# -- one sheet, two browser tabs on two app servers ----------------------------------------------


@pytest.mark.parametrize("saved_before", [False, True], ids=["new_sheet", "saved_draft"])
def test_same_sheet_saved_twice_from_one_version_keeps_exactly_the_winner(store, second_store, world, saved_before):
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=2)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    inputs = [
        full_entries(rubric, 0.6, comment="第一位:数据翔实。"),
        full_entries(rubric, 0.9, comment="第二位:论证充分。"),
    ]
    untouched = copy.deepcopy(inputs)
    pairs = assigned_pairs(store, world, round_.id)
    version = 1 if saved_before else 0
    races = []

    for app_id, reviewer_id in pairs:  # one race per sheet: six chances for the two saves to overlap
        reviewer = reviewer_actor(world, reviewer_id)
        if saved_before:
            reviews.save_sheet(store, reviewer, app_id, entries=full_entries(rubric, 0.3), seen_version=0)
        results = race(
            [
                lambda server=server, entries=entries, reviewer=reviewer, app_id=app_id: reviews.save_sheet(
                    server, reviewer, app_id, entries=entries, seen_version=version
                )
                for server, entries in zip((store, second_store), inputs, strict=True)
            ]
        )
        stored = reviews.get_sheet(store, reviewer, app_id)
        won = [i for i, r in enumerate(results) if isinstance(r, reviews.SheetView)]
        lost = [i for i, r in enumerate(results) if isinstance(r, EditConflict)]
        races.append(
            {
                "outcomes": sorted(type(r).__name__ for r in results),
                "loser_gets_its_input_back": [results[i].yours == inputs[i] for i in lost],
                "loser_versions": [(results[i].seen_version, results[i].current_version) for i in lost],
                "stored_version": stored.version,
                "stored_is_the_winners_input": [stored.entries == as_entries(inputs[i]) for i in won],
            }
        )

    assert races == [
        {
            "outcomes": ["EditConflict", "SheetView"],
            "loser_gets_its_input_back": [True],
            "loser_versions": [(version, version + 1)],
            "stored_version": version + 1,
            "stored_is_the_winners_input": [True],
        }
    ] * len(pairs)
    assert inputs == untouched


# -- many reviewers saving at once -------------------------------------------------------------


THREADS, SAVES = 8, 50


def _nth_input(rubric, n: int) -> dict:
    """The n-th save of a sheet: the first criterion's points move on the step grid, its comment counts."""
    criterion = next(c for c in rubric.criteria if c.method == "judged" and c.id not in rubric.bonus_ids)
    step = criterion.step or Decimal("0.5")
    points = min(step * n, criterion.max_points)
    return {criterion.id: {"points": points, "comment": f"第{n}次保存"}}


def test_many_threads_saving_their_own_sheets_commit_every_save(store, world):
    round_, _ = round_under_review(store, world, per_applicant=2, per_application=3)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    pairs = assigned_pairs(store, world, round_.id)[:THREADS]
    barrier = threading.Barrier(THREADS, timeout=BARRIER_TIMEOUT)

    def work(pair: tuple[int, int]) -> tuple[int, list[Exception]]:
        app_id, reviewer_id = pair
        reviewer = reviewer_actor(world, reviewer_id)
        version, errors = 0, []
        barrier.wait()
        for n in range(1, SAVES + 1):
            try:
                version = reviews.save_sheet(
                    store, reviewer, app_id, entries=_nth_input(rubric, n), seen_version=version
                ).version
            except Exception as exc:
                errors.append(exc)
        return version, errors

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(work, pairs))

    assert [errors for _, errors in results] == [[]] * THREADS
    assert [version for version, _ in results] == [SAVES] * THREADS
    final = [reviews.get_sheet(store, reviewer_actor(world, r), a).entries for a, r in pairs]
    assert final == [as_entries(_nth_input(rubric, SAVES))] * THREADS
    logged = store.db.read(lambda s: audit.entries(s, round_id=round_.id, action="sheet.save", limit=10_000))
    assert len(logged) == THREADS * SAVES


# -- references ----------------------------------------------------------------------------------


def test_concurrent_application_creation_gives_distinct_consecutive_references(store, world):
    opened = open_round(store, world)
    per_thread = 5

    def create(index: int) -> list[str]:
        applicant = world.applicants[index % len(world.applicants)]
        return [
            applications.create_application(
                store, applicant, opened.id, category="life", title=f"并发{index}-{n}"
            ).reference
            for n in range(per_thread)
        ]

    results = race([lambda i=i: create(i) for i in range(THREADS)])

    assert [r for r in results if isinstance(r, Exception)] == []
    references = [ref for result in results for ref in result]
    assert sorted(references) == [f"R{opened.id}-{n:05d}" for n in range(1, THREADS * per_thread + 1)]


# -- the round's state ---------------------------------------------------------------------------


def test_two_admins_advancing_from_one_version_one_wins(store, second_store, world):
    other = accounts.actor_of_view(
        accounts.create_user(
            store, world.admin, username="admin2", display_name="第二管理员", role="admin", password=PASSWORD
        )
    )
    created = rounds.create_round(store, world.admin, name="并发推进", rubric_id="project_life")

    outcomes = race(
        [
            lambda: rounds.advance(store, world.admin, created.id, to_state="open", seen_version=created.version),
            lambda: rounds.advance(second_store, other, created.id, to_state="open", seen_version=created.version),
        ]
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["EditConflict", "RoundView"]
    loser = next(o for o in outcomes if isinstance(o, EditConflict))
    assert (loser.seen_version, loser.current_version, loser.yours) == (
        created.version,
        created.version + 1,
        {"state": "open"},
    )
    current = rounds.get_round(store, world.admin, created.id)
    assert (current.state, current.version) == ("open", created.version + 1)
    logged = store.db.read(lambda s: audit.entries(s, round_id=created.id, action="round.advance"))
    assert [(e.before, e.after) for e in logged] == [({"state": "draft"}, {"state": "open"})]
