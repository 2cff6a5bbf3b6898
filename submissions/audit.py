"""The audit log: who did what to which record, before and after, and when.

`record` adds an entry to the caller's session, so it commits or rolls back together with the
change it describes. Denials are recorded by the store in a transaction of their own (the refused
work rolled back). The table itself refuses UPDATE and DELETE.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from submissions.access import Actor, verified_user
from submissions.models import AuditEntry

if TYPE_CHECKING:  # the store records through this module, so it is imported for annotations only
    from submissions.store import Store

SYSTEM = "system"


def _json(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    target_type: str,
    target_id: object = None,
    *,
    at: dt.datetime,
    round_id: int | None = None,
    before: object = None,
    after: object = None,
    outcome: str = "ok",
) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        actor_id=actor.user_id if actor else None,
        actor_label=actor.label if actor else SYSTEM,
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        round_id=round_id,
        before=_json(before),
        after=_json(after),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditView:
    id: int
    at: dt.datetime
    actor_id: int | None
    actor: str
    action: str
    outcome: str
    target_type: str
    target_id: str | None
    round_id: int | None
    before: object
    after: object


def entries(
    session: Session,
    *,
    round_id: int | None = None,
    action: str | None = None,
    actor_id: int | None = None,
    outcome: str | None = None,
    limit: int = 500,
) -> list[AuditView]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    filters: Mapping[object, object] = {
        AuditEntry.round_id: round_id,
        AuditEntry.action: action,
        AuditEntry.actor_id: actor_id,
        AuditEntry.outcome: outcome,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    return [
        AuditView(
            e.id,
            e.at,
            e.actor_id,
            e.actor_label,
            e.action,
            e.outcome,
            e.target_type,
            e.target_id,
            e.round_id,
            json.loads(e.before) if e.before else None,
            json.loads(e.after) if e.after else None,
        )
        for e in session.scalars(query)
    ]


def summary(session: Session, round_id: int) -> pd.DataFrame:
    """Per action and outcome: how many entries, first and last time; for the ranking workbook."""
    rows = session.execute(
        select(
            AuditEntry.action,
            AuditEntry.outcome,
            func.count(),
            func.min(AuditEntry.at),
            func.max(AuditEntry.at),
        )
        .where(AuditEntry.round_id == round_id)
        .group_by(AuditEntry.action, AuditEntry.outcome)
        .order_by(AuditEntry.action, AuditEntry.outcome)
    ).all()
    return pd.DataFrame(rows, columns=["action", "outcome", "count", "first", "last"])


# -- reading the log: administrators only ---------------------------------------------------------

BEIJING = dt.timezone(dt.timedelta(hours=8))
SEARCH_COLUMNS = ["id", "at", "actor", "action", "outcome", "target", "round_id", "before", "after"]
MAX_SEARCH_LIMIT = 5_000


@dataclass(frozen=True)
class AuditSearch:
    """The newest `limit` entries matching a search; `truncated` when older ones matched too.

    `rows` has one row per entry, newest first, with `before` and `after` as JSON text.
    """

    rows: pd.DataFrame
    truncated: bool
    limit: int


def day_bounds(first: dt.date | None, last: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Calendar days in Beijing time as a half-open range of instants: [start of `first`, end of `last`)."""
    since = dt.datetime.combine(first, dt.time(), BEIJING) if first else None
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), BEIJING) if last else None
    return since, until


def search(
    store: Store,
    actor: Actor,
    *,
    round_id: int | None = None,
    action: str | None = None,
    actor_id: int | None = None,
    outcome: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 500,
) -> AuditSearch:
    """Entries matching every filter given (`since` inclusive, `until` exclusive), newest first."""
    limit = max(1, min(limit, MAX_SEARCH_LIMIT))

    def work(session: Session) -> AuditSearch:
        verified_user(session, actor, "admin")
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
        filters: Mapping[object, object] = {
            AuditEntry.round_id: round_id,
            AuditEntry.action: action,
            AuditEntry.actor_id: actor_id,
            AuditEntry.outcome: outcome,
        }
        for column, value in filters.items():
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if until is not None:
            query = query.where(AuditEntry.at < until)
        found = session.scalars(query).all()
        rows = pd.DataFrame(
            [
                {
                    "id": e.id,
                    "at": e.at,
                    "actor": e.actor_label,
                    "action": e.action,
                    "outcome": e.outcome,
                    "target": f"{e.target_type}:{e.target_id}" if e.target_id is not None else e.target_type,
                    "round_id": e.round_id,
                    "before": e.before or "",
                    "after": e.after or "",
                }
                for e in found[:limit]
            ],
            columns=SEARCH_COLUMNS,
        )
        rows["round_id"] = rows["round_id"].astype("Int64")
        return AuditSearch(rows, len(found) > limit, limit)

    return store.read(actor, "audit.view", work)


def actions(store: Store, actor: Actor) -> list[str]:
    """Every action the log holds, alphabetically (for a filter's choices)."""

    def work(session: Session) -> list[str]:
        verified_user(session, actor, "admin")
        return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))

    return store.read(actor, "audit.view", work)
