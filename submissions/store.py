"""The store: one database, the data directory beside it, a clock, and per-process caches.

`Store.open()` reads `StoreConfig` from the environment, creates the data directory and brings the
schema up to date, so the app and the command line start the same way. Service modules
(`accounts`, `rounds`, `applications`, `assignments`, `reviews`, `ranking`) take a store and an
actor and do one thing each, in one transaction, through `read` or `write`.

Refusals are audited here, each in a transaction of its own (the refused work rolled back), with
outcome "denied", the actor as claimed, the action and the target: every `AccessDenied`, and for a
change also a refusal by the round's state, a deadline or a conflict of interest (with its code).
A read refused only because of the round's state ("results are not published yet") is an answer,
not a probe, and is not logged. A target id that no table can hold (negative, too large for the
column, not a number at all) names no record: `AccessDenied` before the database sees the id.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from rubrics.loader import validate_document
from rubrics.schema import Rubric
from submissions import audit
from submissions.access import NOW_KEY, Actor
from submissions.config import StoreConfig
from submissions.db import Database
from submissions.errors import AccessDenied, ConflictOfInterest, DeadlinePassed, RoundStateError
from submissions.migrate import upgrade

T = TypeVar("T")

# Refusals of a change that are logged as denials besides `AccessDenied`: trying to change what the
# round's state, a deadline or a conflict of interest forbids is a probe worth an entry.
LOGGED_WRITE_REFUSALS = (AccessDenied, RoundStateError, DeadlinePassed, ConflictOfInterest)
INTEGER_KINDS = frozenset({"application", "round", "user", "organisation", "score_sheet"})
NAMED_TARGETS = frozenset({"new", "all", "import"})  # targets that name no single record
_MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds on PostgreSQL
_ATTACHMENT_ID = re.compile(r"[0-9a-f]{32}")
# Column widths of the audit log (see models.AuditEntry): a forged value is cut to fit, never refused.
_LABEL_MAX, _ACTION_MAX, _KIND_MAX, _IDENT_MAX = 300, 64, 32, 64


def _record_id(ident: str) -> int | None:
    """The id an integer column could hold, from its text; None for anything else."""
    # ASCII digits only: isdigit() alone takes superscripts and other scripts' digits.
    if ident.isascii() and ident.isdigit() and len(ident) <= 10 and 0 < int(ident) <= _MAX_ID:
        return int(ident)
    return None


def _fit(text: str, limit: int) -> str:
    """Claimed or typed text made storable in an audit column: no NUL, no lone surrogate, cut to fit."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


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
            self._check_target(target)
            return self.db.write(self._clocked(work))
        except LOGGED_WRITE_REFUSALS as exc:
            self.log_denial(actor, action, target, None if isinstance(exc, AccessDenied) else exc.code)
            raise

    def read(self, actor: Actor | None, action: str, work: Callable[[Session], T], *, target: str = "") -> T:
        try:
            self._check_target(target)
            return self.db.read(self._clocked(work))
        except AccessDenied:
            self.log_denial(actor, action, target)
            raise

    def _clocked(self, work: Callable[[Session], T]) -> Callable[[Session], T]:
        """`work` with the store's clock reading in the session, for checks such as a session's age."""

        def run(session: Session) -> T:
            session.info[NOW_KEY] = self.now()
            return work(session)

        return run

    @staticmethod
    def _check_target(target: str) -> None:
        kind, _, ident = target.partition(":")
        if not ident or ident in NAMED_TARGETS:
            return
        if kind in INTEGER_KINDS and _record_id(ident) is None:
            raise AccessDenied()
        if kind == "attachment" and not _ATTACHMENT_ID.fullmatch(ident):
            raise AccessDenied()

    def log_denial(self, actor: Actor | None, action: str, target: str, refused: str | None = None) -> None:
        """Write a denied entry in a transaction of its own; `refused` names a refusal other than `AccessDenied`."""
        kind, _, ident = target.partition(":")
        round_id = _record_id(ident) if kind == "round" else None
        claimed = actor if isinstance(actor, Actor) else None
        reason = None if refused is None else {"refused": refused}

        def work(session: Session) -> None:
            entry = audit.record(
                session,
                None,
                _fit(action, _ACTION_MAX),
                _fit(kind, _KIND_MAX) or "-",
                _fit(ident, _IDENT_MAX) or None,
                at=self.now(),
                outcome="denied",
                round_id=round_id,
                after=reason,
            )
            if claimed is not None:
                user_id = claimed.user_id
                valid_id = isinstance(user_id, int) and not isinstance(user_id, bool) and 0 < user_id <= _MAX_ID
                entry.actor_id = user_id if valid_id else None
                entry.actor_label = _fit(str(claimed.label), _LABEL_MAX)
            elif actor is not None:
                entry.actor_label = "?"

        self.db.write(work)

    def close(self) -> None:
        self.db.dispose()
