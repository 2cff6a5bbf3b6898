"""The store: one database, the data directory beside it, a clock, and per-process caches.

`Store.open()` reads `StoreConfig` from the environment, creates the data directory and brings the
schema up to date, so the app and the command line start the same way. Service modules
(`accounts`, `rounds`, `applications`, `assignments`, `reviews`, `ranking`) take a store and an
actor and do one thing each, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from rubrics.loader import validate_document
from rubrics.schema import Rubric
from submissions import audit
from submissions.access import Actor
from submissions.config import StoreConfig
from submissions.db import Database
from submissions.errors import AccessDenied
from submissions.migrate import upgrade

T = TypeVar("T")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store:
    def __init__(self, config: StoreConfig, *, clock: Callable[[], dt.datetime] = utc_now, migrate: bool = True):
        self.config = config
        self.clock = clock
        config.data_dir.mkdir(parents=True, exist_ok=True)
        config.attachment_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(config.database_url, busy_timeout=config.busy_timeout)
        if migrate:
            upgrade(self.db.engine)
        self._rubrics: dict[str, Rubric] = {}
        self._rubrics_lock = threading.Lock()
        self.rankings: OrderedDict[tuple, object] = OrderedDict()  # owned by submissions.ranking
        self.rankings_lock = threading.Lock()

    @classmethod
    def open(cls, config: StoreConfig | None = None, **kwargs) -> Store:
        return cls(config or StoreConfig.from_env(), **kwargs)

    def now(self) -> dt.datetime:
        return self.clock()

    def rubric(self, rubric_text: str, content_hash: str) -> Rubric:
        """The frozen rubric of a round, parsed once per process."""
        with self._rubrics_lock:
            cached = self._rubrics.get(content_hash)
        if cached is None:
            # Rounds store the resolved rubric as JSON: the same validation, without the YAML parser.
            cached = validate_document(json.loads(rubric_text), "round rubric")
            with self._rubrics_lock:
                self._rubrics[content_hash] = cached
        return cached

    def write(self, actor: Actor | None, action: str, work: Callable[[Session], T], *, target: str = "") -> T:
        """Run `work` in a writing transaction; a refusal is logged in a transaction of its own."""
        try:
            return self.db.write(work)
        except AccessDenied:
            self._log_denial(actor, action, target)
            raise

    def read(self, actor: Actor | None, action: str, work: Callable[[Session], T], *, target: str = "") -> T:
        try:
            return self.db.read(work)
        except AccessDenied:
            self._log_denial(actor, action, target)
            raise

    def _log_denial(self, actor: Actor | None, action: str, target: str) -> None:
        kind, _, ident = target.partition(":")
        round_id = int(ident) if kind == "round" and ident.isdigit() else None
        self.db.write(
            lambda session: audit.record(
                session, actor, action, kind or "-", ident or None, at=self.now(), outcome="denied", round_id=round_id
            )
        )

    def close(self) -> None:
        self.db.dispose()
