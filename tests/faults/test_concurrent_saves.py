"""Concurrent saves: no busy database reaches a user, optimistic locking loses nothing and merges nothing.

Writers are threads of one store (one app server) and forked processes with stores of their own
(other app servers on the same SQLite file or PostgreSQL database). Every race starts together.
On SQLite a writer takes the lock with BEGIN IMMEDIATE and the others wait (busy timeout); on
PostgreSQL writes are SERIALIZABLE and a serialization failure is retried. Either way the outcome
must be the same: each save either commits whole or is refused with `EditConflict`, and nothing
else reaches the caller.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from submissions import accounts, applications, audit, reviews, rounds
from submissions.errors import EditConflict
from submissions.reviews import Entry
from submissions.store import Store
from tests.faults.lost_updates import (
    TOKEN,
    Records,
    WorkerLog,
    add_tokens,
    prepare_records,
    run_lost_update_trial,
    run_workers,
)
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


# -- many reviewers on several app servers saving at once ----------------------------------------


THREADS, PROCESSES, OWN_SAVES, SHARED_SAVES, TOKENS = 8, 4, 8, 2, 3


def _nth_input(rubric, n: int) -> dict:
    """The n-th save of a sheet: the first criterion's points move on the step grid, its comment counts."""
    criterion = next(c for c in rubric.criteria if c.method == "judged" and c.id not in rubric.bonus_ids)
    step = criterion.step or Decimal("0.5")
    points = min(step * n, criterion.max_points)
    return {criterion.id: {"points": points, "comment": f"第{n}次保存"}}


def _own_sheet_then_shared(records: Records, worker: int) -> Callable[[Store, WorkerLog], None]:
    """Save one's own sheet OWN_SAVES times, with a token added to the shared application between saves."""
    app_id, reviewer = records.sheets[worker]
    shared = records.narrative_text()

    def job(store: Store, log: WorkerLog) -> None:
        version = 0
        for n in range(1, OWN_SAVES + 1):
            try:
                entries = _nth_input(records.rubric, n)
                version = reviews.save_sheet(store, reviewer, app_id, entries=entries, seen_version=version).version
                log.saves += 1
            except Exception as exc:  # nothing but success may reach this reviewer
                log.errors.append(f"{type(exc).__name__}: {exc}")
            if n % (OWN_SAVES // SHARED_SAVES) == 0:
                add_tokens(store, shared, [f"<w{worker:02d}t{n:02d}>"], log)

    return job


def test_threads_and_processes_saving_at_once_see_no_busy_database_and_lose_nothing(store, world):
    records = prepare_records(store, world, per_applicant=2)
    jobs = [_own_sheet_then_shared(records, w) for w in range(THREADS + PROCESSES)]

    logs = run_workers(store, jobs[:THREADS], jobs[THREADS:])

    assert [e for log in logs for e in log.errors] == []
    assert [log.saves for log in logs] == [OWN_SAVES + SHARED_SAVES] * (THREADS + PROCESSES)
    final = [reviews.get_sheet(store, r, a) for a, r in records.sheets[: THREADS + PROCESSES]]
    assert [(s.version, s.entries) for s in final] == [
        (OWN_SAVES, as_entries(_nth_input(records.rubric, OWN_SAVES)))
    ] * (THREADS + PROCESSES)
    shared, _ = records.narrative_text().read(store)
    assert sorted(TOKEN.findall(shared)) == sorted(t for log in logs for t in log.added)
    logged = store.db.read(lambda s: audit.entries(s, action="sheet.save", limit=10_000))
    assert len(logged) == (THREADS + PROCESSES) * OWN_SAVES
    conflicts = sum(log.conflicts for log in logs)
    print(f"{store.db.dialect}: {len(logs)} workers, every save committed; {conflicts} edit conflicts retried")


# -- lost updates -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["sheet", "application"])
def test_read_modify_write_from_threads_and_processes_loses_no_update(store, world, target, record_property):
    result = run_lost_update_trial(
        store, world, target=target, threads=THREADS, processes=PROCESSES, tokens_per_worker=TOKENS
    )
    print(result.summary())
    record_property("lost_updates", result.lost_updates)  # summed by bench/hardening_report.py

    assert result.lost_updates == 0, result.lost
    assert (result.duplicated, result.unexpected, result.errors) == ((), (), ())
    assert result.tokens_added == result.tokens_present == (THREADS + PROCESSES) * TOKENS


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


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_trial_counts_the_updates_lost_when_the_version_seen_is_not_checked(store, world, monkeypatch):
    get_sheet = reviews.get_sheet

    def slow_read(*args, **kwargs):  # widen the gap between a worker's read and its save
        sheet = get_sheet(*args, **kwargs)
        time.sleep(0.02)
        return sheet

    monkeypatch.setattr(reviews, "check_version", lambda *args, **kwargs: None)  # forked workers inherit this
    monkeypatch.setattr(reviews, "get_sheet", slow_read)

    result = run_lost_update_trial(store, world, target="sheet", threads=4, processes=2, tokens_per_worker=3)
    print(result.summary())

    assert result.tokens_added == 18
    assert result.lost_updates > 0
    assert result.tokens_present == 18 - result.lost_updates
