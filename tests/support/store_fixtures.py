"""Every store test runs twice: on a SQLite file and on a real PostgreSQL server.

PostgreSQL comes from `APP_TEST_DATABASE_URL` (default: the project machines' server at
127.0.0.1:5432, user postgres, database test). Each test gets a fresh database copied from a
template that was migrated and populated once. Without a server the PostgreSQL half is skipped
with the reason printed, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from submissions.config import StoreConfig
from submissions.store import Store
from tests.submissions.store.world import Clock, World, build_world

PG_URL = os.environ.get("APP_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _admin_engine():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def postgres_unavailable() -> str | None:
    try:
        engine = _admin_engine()
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {make_url(PG_URL).render_as_string(hide_password=True)} is not answering: {exc}"
    return None


def require_postgres() -> None:
    reason = postgres_unavailable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs PostgreSQL: {reason}")
    pytest.skip(reason)


def pg_url_for(database: str) -> str:
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def create_database(name: str, template: str | None = None) -> None:
    engine = _admin_engine()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    engine.dispose()


def drop_database(name: str) -> None:
    engine = _admin_engine()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> tuple[Path, World]:
    directory = tmp_path_factory.mktemp("sqlite-template")
    store = Store(StoreConfig.for_directory(directory), clock=Clock())
    world = build_world(store)
    store.close()
    return directory / "review.db", world


@pytest.fixture(scope="session")
def postgres_template() -> tuple[str, World]:
    require_postgres()
    name = f"review_template_{os.getpid()}"
    create_database(name)
    store = Store(StoreConfig(data_dir=Path("/tmp") / name, database_url=pg_url_for(name)), clock=Clock())
    world = build_world(store)
    store.close()
    yield name, world
    drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(request, backend) -> World:
    template = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_template")
    return template[1]


def fresh_config(request, backend: str, directory: Path) -> tuple[StoreConfig, str | None]:
    """A private copy of the populated template: (config, PostgreSQL database name or None)."""
    if backend == "sqlite":
        source, _ = request.getfixturevalue("sqlite_template")
        target = directory / "review.db"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return StoreConfig.for_directory(directory), None
    template, _ = request.getfixturevalue("postgres_template")
    name = f"review_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    create_database(name, template)
    return StoreConfig.for_directory(directory, pg_url_for(name)), name


@pytest.fixture
def store(request, backend, tmp_path, clock) -> Store:
    config, database = fresh_config(request, backend, tmp_path)
    store = Store(config, clock=clock)
    yield store
    store.close()
    if database:
        drop_database(database)
