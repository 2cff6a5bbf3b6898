"""Migrations: an empty database upgraded to head has exactly the models' schema, on both backends."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text

from submissions import accounts
from submissions.config import StoreConfig
from submissions.db import make_engine
from submissions.migrate import _ADVISORY_LOCK as MIGRATION_LOCK
from submissions.migrate import alembic_config, current_revision, head_revision, upgrade
from submissions.models import Base, User
from submissions.store import Store
from tests.submissions.store.world import PASSWORD
from tests.support.store_fixtures import create_database, drop_database, pg_url_for, require_postgres


@pytest.fixture
def empty_url(backend, tmp_path) -> str:
    """The URL of a database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    require_postgres()
    name = f"migrate_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    create_database(name)
    yield pg_url_for(name)
    drop_database(name)


@pytest.fixture
def engine(empty_url):
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def test_empty_database_has_no_revision(engine):
    assert current_revision(engine) is None


def test_upgraded_empty_database_matches_the_models(engine):
    upgrade(engine)

    assert schema_differences(engine) == []


def test_upgrade_ends_at_the_head_revision(engine):
    upgrade(engine)

    assert current_revision(engine) == head_revision()


def test_upgrading_twice_keeps_schema_and_data(engine, empty_url, tmp_path):
    store = Store(StoreConfig.for_directory(tmp_path / "data", empty_url))
    accounts.bootstrap_admin(store, username="admin", display_name="管理员", password=PASSWORD)
    store.close()

    upgrade(engine)

    assert current_revision(engine) == head_revision()
    assert schema_differences(engine) == []
    with engine.connect() as connection:
        assert connection.execute(select(User.username, User.role)).all() == [("admin", "admin")]


HOLD = 0.5  # seconds the other server keeps the migration lock


def _hold_migration_lock(backend: str, url: str, taken: threading.Event, released: list[float]) -> None:
    """What a server in the middle of its start holds: SQLite's write lock, or PostgreSQL's advisory lock."""
    if backend == "sqlite":
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(HOLD)
        released.append(time.monotonic())
        connection.rollback()
        connection.close()
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        taken.set()
        time.sleep(HOLD)
        released.append(time.monotonic())
    engine.dispose()


def test_server_starting_while_another_holds_the_migration_lock_waits_then_comes_up(backend, empty_url, engine):
    taken, released = threading.Event(), []
    holder = threading.Thread(target=_hold_migration_lock, args=(backend, empty_url, taken, released))
    holder.start()
    taken.wait(timeout=30)

    try:
        upgrade(engine)
        finished = time.monotonic()
    finally:
        holder.join()

    assert current_revision(engine) == head_revision()
    assert finished > released[0]


def test_servers_starting_together_after_a_deploy_both_come_up(empty_url):
    """The database exists (on SQLite: the file, in WAL mode) but its schema is behind the code."""
    existing = make_engine(empty_url)
    existing.connect().close()
    existing.dispose()
    engines = [make_engine(empty_url) for _ in range(2)]
    barrier = threading.Barrier(len(engines), timeout=60)

    def start(engine) -> str | None:
        barrier.wait()
        upgrade(engine)
        return current_revision(engine)

    try:
        with ThreadPoolExecutor(max_workers=len(engines)) as pool:
            revisions = list(pool.map(start, engines))
    finally:
        for engine in engines:
            engine.dispose()

    assert revisions == [head_revision()] * len(engines)


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(engine):
    upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    left = set(inspect(engine).get_table_names()) - {"alembic_version"}

    upgrade(engine)

    assert left == set()
    assert schema_differences(engine) == []
