"""PostgreSQL serialization failures are retried a bounded number of times, and never write twice.

Writes run SERIALIZABLE. A real failure comes from two transactions that each read what the other
writes (write skew): PostgreSQL aborts one with SQLSTATE 40001, the store runs it again, and the
result is one of the two serial orders. Injected failures come from the server too (a statement
raising 40001 or 40P01 inside the unit of work, after its rows were written): the store retries
the whole unit at most `db.ATTEMPTS` times, then gives up with `StoreBusy`; a unit that fails fewer
times commits exactly once.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from submissions import applications, audit, db, reviews, rounds
from submissions.errors import StoreBusy
from submissions.models import Application, AuditEntry
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    round_under_review,
)

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])  # SQLite writers never run concurrently

FAILURE = {"40001": psycopg.errors.SerializationFailure, "40P01": psycopg.errors.DeadlockDetected}


def _raise_on_server(session, sqlstate: str) -> None:
    session.execute(text(f"DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END $$"))


def _count(store, action: str) -> int:
    return store.db.read(
        lambda s: s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))
    )


def test_write_skew_between_two_serializable_saves_is_retried_into_a_serial_order(store, world):
    opened = open_round(store, world)
    first, second = (
        applications.create_application(store, world.applicants[i], opened.id, category="life").id for i in (0, 1)
    )
    store.db.write(lambda s: s.execute(update(Application).where(Application.id == first).values(title="A")))
    store.db.write(lambda s: s.execute(update(Application).where(Application.id == second).values(title="B")))
    both_read = threading.Barrier(2, timeout=30)
    attempts = {"t1": 0, "t2": 0}

    def copy(name: str, source: int, target: int):
        def work(session) -> None:
            attempts[name] += 1
            title = session.scalar(select(Application.title).where(Application.id == source))
            if attempts[name] == 1:
                both_read.wait()  # each has read what the other is about to write
            session.execute(update(Application).where(Application.id == target).values(title=f"{title}+{name}"))
            audit.record(session, None, "probe.copy", "application", target, at=store.now())

        return lambda: store.db.write(work)

    threads = [threading.Thread(target=copy("t1", first, second)), threading.Thread(target=copy("t2", second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    titles = store.db.read(
        lambda s: tuple(s.scalar(select(Application.title).where(Application.id == i)) for i in (first, second))
    )
    assert titles in {("A+t1+t2", "A+t1"), ("B+t2", "B+t2+t1")}  # t1 then t2, or t2 then t1; never ("B+t2", "A+t1")
    fewer, more = sorted(attempts.values())
    assert fewer == 1 and more >= 2  # one committed at once, the other was aborted and ran again
    assert store.db.retries == more - 1
    assert _count(store, "probe.copy") == 2  # each change written once


@pytest.mark.parametrize(
    ("failures", "sqlstate"),
    [(1, "40001"), (1, "40P01"), (db.ATTEMPTS - 1, "40001"), (db.ATTEMPTS, "40001"), (db.ATTEMPTS, "40P01")],
)
def test_a_save_failing_to_serialize_is_retried_at_most_attempts_times_and_written_once(
    store, world, monkeypatch, failures, sqlstate
):
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=1)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    reviewer = reviewer_actor(world, reviewer_id)
    entries = full_entries(rounds.round_rubric(store, world.admin, round_.id), 0.8)
    calls = []
    record = audit.record

    def failing_record(session, *args, **kwargs):
        record(session, *args, **kwargs)
        if args[1] == "sheet.save":
            calls.append(sqlstate)
            session.flush()  # the sheet and its audit entry are written, then the transaction fails
            if len(calls) <= failures:
                _raise_on_server(session, sqlstate)

    monkeypatch.setattr(audit, "record", failing_record)

    if failures < db.ATTEMPTS:
        saved = reviews.save_sheet(store, reviewer, app_id, entries=entries, seen_version=0)
        assert saved.version == 1
    else:
        with pytest.raises(StoreBusy) as refused:
            reviews.save_sheet(store, reviewer, app_id, entries=entries, seen_version=0)
        assert isinstance(refused.value.__cause__.orig, FAILURE[sqlstate])
    monkeypatch.setattr(audit, "record", record)

    assert len(calls) == min(failures + 1, db.ATTEMPTS)  # bounded: never more than ATTEMPTS runs
    assert store.db.retries == min(failures, db.ATTEMPTS)
    sheet = reviews.get_sheet(store, reviewer, app_id)
    if failures < db.ATTEMPTS:
        assert (sheet.version, _count(store, "sheet.save")) == (1, 1)  # committed exactly once
    else:
        assert (sheet.status, sheet.version, _count(store, "sheet.save")) == ("new", 0, 0)  # nothing written


def test_an_upload_whose_commit_fails_to_serialize_is_retried_and_keeps_its_file(store, world, monkeypatch):
    opened = open_round(store, world)
    applicant = world.applicants[0]
    draft = applications.create_application(store, applicant, opened.id, category="life")
    sync = applications._sync_directory
    failures = []

    def renamed_then_failed(directory):
        sync(directory)
        if not failures:  # the file is in place; the first commit fails as a serialization failure would
            failures.append(1)
            raise OperationalError("COMMIT", {}, psycopg.errors.SerializationFailure("injected"))

    monkeypatch.setattr(applications, "_sync_directory", renamed_then_failed)
    data = b"%PDF-1.7 retried upload"

    added = applications.add_attachment(store, applicant, draft.id, filename="重试.pdf", data=data)

    assert store.db.retries == 1
    assert applications.read_attachment(store, applicant, added.id)[1] == data
    assert _count(store, "attachment.add") == 1
    assert {p.name for p in store.config.attachment_dir.iterdir()} == {added.id}
