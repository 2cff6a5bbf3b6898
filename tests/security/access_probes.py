"""Shared pieces of the access probes: the audit log read back, refusals compared, pages read as text.

Probes that are refused change nothing, so each backend gets one database per test module (a copy of
the populated template), built on first use like the permission matrix: a fresh copy per case would
cost ~0.3 s each on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from submissions import audit
from submissions.access import Actor
from submissions.errors import AccessDenied, OperationError
from submissions.models import AuditEntry, Base
from submissions.store import Store
from tests.submissions.store.world import Clock, World
from tests.support.app_fixtures import ROOT, unescaped
from tests.support.store_fixtures import drop_database, fresh_config
from ui.navigation import PAGES
from ui.session import SignedIn, now

MISSING = 2_000_000_000  # no table reaches this id in a test; inside PostgreSQL's INTEGER range
DENIED_ZH = "找不到该记录,或您没有权限进行此操作。"
DENIED_EN = "Not found, or you are not permitted to do this."
PAGE_DENIED_ZH = "您没有权限访问此页面。"
# Ids that name no record: negative, zero, past PostgreSQL's INTEGER, past SQLite's INTEGER, far past
# both, and text an address bar or a tampered call could carry instead of a number.
ODD_INT_IDS = [-1, 0, 2**31, 2**63, 10**30, "1 OR 1=1", "../", "1; DROP TABLE applications", " 7", True, 1.5]
ODD_ATTACHMENT_IDS = [
    "../review.db",
    "/etc/passwd",
    "1 OR 1=1",
    "",
    "x" * 300,
    "A" * 32,  # the right length, but ids are lowercase hex
    "0" * 31 + "\x00",
    "%2e%2e%2f" * 4,
]


class Shared:
    """One store per backend and test module, with the template's people and a settable clock."""

    def __init__(self, store: Store, world: World, clock: Clock):
        self.store = store
        self.world = world
        self.clock = clock
        self.built: dict[str, object] = {}

    def once(self, name: str, build):
        if name not in self.built:
            self.built[name] = build(self)
        return self.built[name]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request, tmp_path_factory) -> Iterator[Shared]:
    backend = request.param
    config, database = fresh_config(request, backend, tmp_path_factory.mktemp(f"probes-{backend}"))
    template = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_template")
    clock = Clock()
    store = Store(config, clock=clock)
    yield Shared(store, template[1], clock)
    store.close()
    if database:
        drop_database(database)


# -- the audit log --------------------------------------------------------------------------------


def last_entry(store: Store) -> int:
    return store.db.read(lambda s: s.scalar(select(func.max(AuditEntry.id))) or 0)


def entries_since(store: Store, last: int) -> list[audit.AuditView]:
    """Every entry written after `last`, oldest first, whatever its outcome."""
    found = store.db.read(lambda s: audit.entries(s, limit=10_000))
    return [e for e in reversed(found) if e.id > last]


def one_denial(store: Store, last: int) -> audit.AuditView:
    """The single entry written since `last`, which must be a denial."""
    written = entries_since(store, last)
    assert [e.outcome for e in written] == ["denied"], [(e.action, e.outcome) for e in written]
    return written[0]


def entry_text(entry: audit.AuditView) -> str:
    """Everything an audit entry holds, as text, to look for what must not be in it."""
    return "\n".join(
        str(v) for v in (entry.actor, entry.action, entry.target_type, entry.target_id, entry.before, entry.after)
    )


# -- refusals -------------------------------------------------------------------------------------


def refusal_of(call) -> OperationError:
    """The refusal `call()` raises; any other outcome (success, a crash) fails the test."""
    with pytest.raises(OperationError) as refused:
        call()
    return refused.value


def reads_as_not_found(refusal: OperationError) -> None:
    """An access denial, word for word what a missing record gets, in both languages."""
    assert type(refusal) is AccessDenied
    assert (refusal.code, str(refusal), refusal.message("zh"), refusal.message("en")) == (
        "not_found_or_denied",
        DENIED_EN,
        DENIED_ZH,
        DENIED_EN,
    )


# -- pages ----------------------------------------------------------------------------------------


def _nodes(node) -> Iterator[object]:
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _nodes(child)


def page_text(app: AppTest) -> str:
    """Every label, value and body on the page (main area and sidebar), markdown escapes removed."""
    found = []
    for root in (app.main, app.sidebar):
        for node in _nodes(root):
            for attr in ("label", "value", "body", "options"):
                try:
                    value = getattr(node, attr, None)
                except Exception:  # a widget without a value in this run
                    continue
                if isinstance(value, pd.DataFrame):  # a table: names and titles show in its cells too
                    found.append(value.to_string())
                    continue
                values = value if isinstance(value, list | tuple) else [value]
                found += [unescaped(v) for v in values if isinstance(v, str) and v]
    return "\n".join(found)


def errors_of(app: AppTest) -> list[str]:
    return [unescaped(e.value) for e in app.error]


URLS = {spec.path: spec.url for spec in PAGES}


def as_state(actor_or_state: object) -> object:
    """What goes into the session's `auth`: a fresh `SignedIn` for an actor, anything else as it is."""
    if isinstance(actor_or_state, Actor):
        moment = now()
        return SignedIn(actor_or_state, moment, moment)
    return actor_or_state


def run_direct(path: str, state: object, *, query: dict | None = None, lang: str = "zh") -> AppTest:
    """One page file run on its own (an address typed past the menu) with `auth` as given; needs `pages`."""
    app = AppTest.from_file(str(ROOT / path), default_timeout=60)
    app.session_state["lang"] = lang
    if state is not None:
        app.session_state["auth"] = as_state(state)
    for key, value in (query or {}).items():
        app.query_params[key] = str(value)
    return app.run()


def run_routed(pages, path: str, state: object, *, query: dict | None = None, lang: str = "zh") -> AppTest:
    """The app (router) on `path` with `auth` as given, run once.

    The router runs signed out first (the sign-in form registers every page and runs none of them):
    before a first run `AppTest.switch_page` finds a page only when its url equals its file name.
    """
    app = pages.open(None, user=None, lang=lang, query=query)
    app.session_state["auth"] = as_state(state)
    return app.switch_page(path).run()


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table but the audit log and the login throttle: "nothing changed" is equality."""
    skipped = {"audit_log", "login_throttle", "alembic_version"}

    def work(session) -> dict[str, list[tuple]]:
        return {
            table.name: sorted(tuple(map(repr, row)) for row in session.execute(select(table)).all())
            for table in Base.metadata.sorted_tables
            if table.name not in skipped
        }

    return store.db.read(work)
