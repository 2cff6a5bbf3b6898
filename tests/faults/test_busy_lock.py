"""A lock held past the busy timeout: the user is told to try again, nothing was written, and reads go on.

Another connection holds the database's write lock (SQLite: `BEGIN IMMEDIATE` or `BEGIN EXCLUSIVE`
on a raw connection) or a lock on what the save needs (PostgreSQL: a table lock, or a row locked
`FOR UPDATE`). The store's busy timeout is short; on PostgreSQL it becomes the writers'
`lock_timeout`, so a writer stops waiting (55P03) instead of waiting for ever. Each attempt waits out
the timeout, the save is retried `db.ATTEMPTS` times and then refused with `StoreBusy`.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from submissions import applications, db, reviews, rounds
from submissions.errors import StoreBusy
from submissions.models import AuditEntry
from submissions.store import Store
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    round_under_review,
)
from tests.support.app_fixtures import unescaped
from ui.session import SignedIn, now

BUSY_TIMEOUT = 0.1  # seconds
PDF = b"%PDF-1.7 " + bytes(range(256)) * 64


@pytest.fixture
def impatient(store) -> Store:
    """Another app server on the same database, with a short busy timeout."""
    other = Store(dataclasses.replace(store.config, busy_timeout=BUSY_TIMEOUT), clock=store.clock)
    yield other
    other.close()


@contextmanager
def lock_held(store: Store, how: str, *, table: str = "", row_id: int = 0) -> Iterator[None]:
    """Another connection holding a lock until the block ends, then rolling back."""
    if store.db.dialect == "sqlite":
        connection = sqlite3.connect(store.config.data_dir / "review.db", isolation_level=None)
        connection.execute(f"BEGIN {how}")
        connection.execute("SELECT count(*) FROM users").fetchone()
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(store.config.database_url)
    try:
        with engine.connect() as connection:
            if how == "table":
                connection.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
            else:
                connection.execute(text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id})
            yield
            connection.rollback()
    finally:
        engine.dispose()


def _busy_message_says_try_again_and_nothing_saved(exc: StoreBusy) -> None:
    assert "重试" in exc.message("zh") and "未保存" in exc.message("zh")
    assert "try again" in exc.message("en") and "nothing was saved" in exc.message("en")


def _audit_count(store: Store) -> int:
    return store.db.read(lambda s: s.scalar(select(func.count()).select_from(AuditEntry)))


def _files(store: Store) -> set[str]:
    return {p.name for p in Path(store.config.attachment_dir).iterdir()}


@pytest.fixture
def sheet(store, world):
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=1)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    reviewer = reviewer_actor(world, reviewer_id)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    saved = reviews.save_sheet(store, reviewer, app_id, entries=full_entries(rubric, 0.5), seen_version=0)
    return app_id, reviewer, rubric, saved


@pytest.fixture
def draft(store, world):
    opened = open_round(store, world)
    applicant = world.applicants[0]
    created = applications.create_application(store, applicant, opened.id, category="life", title="原标题")
    return applicant, created


LOCKS = {  # operation -> (SQLite lock, PostgreSQL lock): each kind of lock with one save
    "sheet": ("IMMEDIATE", "table"),
    "application": ("EXCLUSIVE", "row"),
    "attachment": ("IMMEDIATE", "table"),
}


def test_score_sheet_save_behind_a_held_lock_is_refused_as_busy_with_nothing_saved(store, impatient, sheet):
    app_id, reviewer, rubric, saved = sheet
    before, logged, files = reviews.get_sheet(store, reviewer, app_id), _audit_count(store), _files(store)
    sqlite_lock, pg_lock = LOCKS["sheet"]

    with lock_held(store, sqlite_lock if store.db.dialect == "sqlite" else pg_lock, table="score_sheets"):
        assert reviews.get_sheet(impatient, reviewer, app_id) == before  # reads go on behind the lock
        with pytest.raises(StoreBusy) as refused:
            reviews.save_sheet(
                impatient, reviewer, app_id, entries=full_entries(rubric, 0.9), seen_version=saved.version
            )

    _busy_message_says_try_again_and_nothing_saved(refused.value)
    assert impatient.db.retries == db.ATTEMPTS  # every attempt waited out the timeout, then it gave up
    assert (reviews.get_sheet(store, reviewer, app_id), _audit_count(store), _files(store)) == (before, logged, files)
    again = reviews.save_sheet(
        impatient, reviewer, app_id, entries=full_entries(rubric, 0.9), seen_version=saved.version
    )
    assert again.version == saved.version + 1  # once the lock is gone the same save goes through


def test_application_save_behind_a_held_lock_is_refused_as_busy_with_nothing_saved(store, impatient, draft):
    applicant, created = draft
    before, logged = applications.get_application(store, applicant, created.id), _audit_count(store)
    sqlite_lock, pg_lock = LOCKS["application"]

    lock = sqlite_lock if store.db.dialect == "sqlite" else pg_lock
    with lock_held(store, lock, table="applications", row_id=created.id):
        assert applications.get_application(impatient, applicant, created.id) == before
        with pytest.raises(StoreBusy) as refused:
            applications.save_application(
                impatient, applicant, created.id, seen_version=created.version, changes={"title": "新标题"}
            )

    _busy_message_says_try_again_and_nothing_saved(refused.value)
    assert impatient.db.retries == db.ATTEMPTS
    assert (applications.get_application(store, applicant, created.id), _audit_count(store)) == (before, logged)
    again = applications.save_application(
        impatient, applicant, created.id, seen_version=created.version, changes={"title": "新标题"}
    )
    assert again.title == "新标题"


def test_attachment_upload_behind_a_held_lock_is_refused_as_busy_and_leaves_no_file(store, impatient, draft):
    applicant, created = draft
    files, logged = _files(store), _audit_count(store)
    sqlite_lock, pg_lock = LOCKS["attachment"]

    lock = sqlite_lock if store.db.dialect == "sqlite" else pg_lock
    with lock_held(store, lock, table="attachments"), pytest.raises(StoreBusy) as refused:
        applications.add_attachment(impatient, applicant, created.id, filename="证明.pdf", data=PDF)

    _busy_message_says_try_again_and_nothing_saved(refused.value)
    assert applications.get_application(store, applicant, created.id).attachments == ()
    assert (_files(store), _audit_count(store)) == (files, logged)
    added = applications.add_attachment(impatient, applicant, created.id, filename="证明.pdf", data=PDF)
    assert applications.read_attachment(store, applicant, added.id)[1] == PDF


# -- through the page ---------------------------------------------------------------------------------

APPLICATION_PAGE = "app_pages/applicant/application.py"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_save_on_the_page_behind_a_held_lock_shows_try_again_and_saves_nothing(pages, monkeypatch, lang):
    monkeypatch.setenv("APP_BUSY_TIMEOUT", str(BUSY_TIMEOUT))  # the page's store opens on its first run
    applicant = pages.actor("minjiang")
    (own,) = applications.list_own_applications(pages.store, applicant)
    draft = own.application
    app = pages.open(None, lang=lang, query={"id": draft.id})
    moment = now()
    app.session_state["auth"] = SignedIn(applicant, moment, moment)
    app = app.switch_page(APPLICATION_PAGE).run()
    assert not app.exception and not app.error

    with lock_held(pages.store, "IMMEDIATE"):
        app = app.text_input(key="ap_f_title").input("锁住时改的名称").run()

    assert not app.exception
    assert [unescaped(e.value) for e in app.error] == [StoreBusy().message(lang)]
    assert app.text_input(key="ap_f_title").value == "锁住时改的名称"  # the input stays for another try
    assert applications.get_application(pages.store, applicant, draft.id) == draft
