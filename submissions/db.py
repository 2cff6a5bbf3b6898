"""Connections and transactions for SQLite (embedded default) and PostgreSQL.

Every unit of work runs through `Database.write` or `Database.read`, which open a session, run the
work, commit, and retry a bounded number of times when the database says "try again":

- SQLite: WAL journal, foreign keys on, a busy timeout, `synchronous=FULL`. Writing transactions
  start with `BEGIN IMMEDIATE`, so a writer takes the write lock before it reads; with the default
  deferred BEGIN two writers that both read first deadlock and one fails with "database is locked"
  at once, whatever the busy timeout. Reads use a plain BEGIN and never block writers (WAL).
- PostgreSQL: writes are SERIALIZABLE, reads REPEATABLE READ (one snapshot for a whole ranking);
  serialization failures and deadlocks are retried. A writing transaction waits for a lock at most
  the busy timeout (`SET LOCAL lock_timeout`), as SQLite does, then is retried: without it a writer
  behind a lock held by a stuck session would wait forever.

When every attempt fails the caller gets `StoreBusy`: nothing was written and retrying is safe.
When the database cannot grow (SQLite "database or disk is full" or a failed write, PostgreSQL
SQLSTATE 53100) the caller gets `StorageFull`: the transaction rolled back, earlier data is intact.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from submissions.errors import StorageFull, StoreBusy

T = TypeVar("T")

ATTEMPTS = 6
_PG_RETRYABLE = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
_PG_STORAGE_FULL = {"53100"}  # disk_full
# SQLITE_FULL, and a failed write of the file (a write past the disk's end or the file size limit
# fails with ENOSPC/EFBIG, which SQLite reports as SQLITE_IOERR_WRITE).
_SQLITE_STORAGE_FULL = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR_WRITE}


def _is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    return getattr(orig, "sqlstate", None) in _PG_RETRYABLE


def _is_storage_full(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        return getattr(orig, "sqlite_errorcode", None) in _SQLITE_STORAGE_FULL or "disk is full" in str(orig)
    return getattr(orig, "sqlstate", None) in _PG_STORAGE_FULL


def _enable_wal(cursor: sqlite3.Cursor, patience: float) -> None:
    """Switch a file to WAL. On a new file another connection's lock makes this fail at once rather
    than wait (SQLite's busy handler does not cover the journal-mode change), so wait here instead."""
    deadline = time.monotonic() + patience
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def make_engine(url: str, *, busy_timeout: float = 15.0) -> Engine:
    """An engine with the pragmas and isolation described in the module docstring."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": busy_timeout, "check_same_thread": False},
            pool_size=8,
            max_overflow=8,
        )
        timeout_ms = int(busy_timeout * 1000)

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None  # the driver must not issue its own BEGIN
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
            _enable_wal(cursor, busy_timeout)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            writing = connection.get_execution_options().get("writing", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    lock_timeout_ms = max(1, int(busy_timeout * 1000))

    @event.listens_for(engine, "begin")
    def _limit_lock_waits(connection) -> None:
        if connection.get_execution_options().get("writing", False):
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {lock_timeout_ms}")

    return engine


class Database:
    """One engine and two session factories: `write` (locking, serializable) and `read`."""

    def __init__(self, url: str, *, busy_timeout: float = 15.0, attempts: int = ATTEMPTS):
        self.url = url
        self.engine = make_engine(url, busy_timeout=busy_timeout)
        self.dialect = self.engine.dialect.name
        self.attempts = attempts
        if self.dialect == "sqlite":
            write_engine = self.engine.execution_options(writing=True)
            read_engine = self.engine
        else:
            write_engine = self.engine.execution_options(isolation_level="SERIALIZABLE", writing=True)
            read_engine = self.engine.execution_options(isolation_level="REPEATABLE READ")
        self._writer = sessionmaker(write_engine, expire_on_commit=False)
        self._reader = sessionmaker(read_engine, expire_on_commit=False)
        self.retries = 0  # how many attempts were retried over this object's life (for benchmarks)

    def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one writing transaction and commit; retried whole when the database is busy."""
        return self._run(self._writer, work, commit=True)

    def read(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one read-only snapshot."""
        return self._run(self._reader, work, commit=False)

    def _run(self, factory: sessionmaker, work: Callable[[Session], T], *, commit: bool) -> T:
        for attempt in range(self.attempts):
            session = factory()
            try:
                result = work(session)
                if commit:
                    session.commit()
                return result  # a read ends in `close`, which rolls back without expiring loaded rows
            except (OperationalError, DBAPIError) as exc:
                if _is_storage_full(exc):
                    raise StorageFull() from exc
                if not _is_retryable(exc):
                    raise
                self.retries += 1
                if attempt == self.attempts - 1:
                    raise StoreBusy() from exc
                time.sleep(min(0.05 * 2**attempt, 1.0) * (0.5 + random.random()))  # noqa: S311 - jitter
            finally:
                session.close()
        raise StoreBusy()

    def dispose(self) -> None:
        self.engine.dispose()
