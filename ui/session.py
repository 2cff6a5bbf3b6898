"""Who is signed in to this browser session, and for how long.

The session record lives in Streamlit's per-session state, never in a process-wide place. It holds
the `Actor` the login returned; the services re-check that actor against the database on every
call (account, role, and that its session has not ended). This module decides when a session ends:
on sign-out, after 30 minutes without activity, or 8 hours after sign-in, whichever comes first;
and at once when the database no longer backs the session (account disabled, role changed, session
ended elsewhere, state written by hand).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, replace

import streamlit as st

from submissions import accounts
from submissions.access import IDLE_LIMIT, SESSION_LIFETIME, Actor
from submissions.errors import AccessDenied, StoreBusy
from ui.messages import translator
from ui.store import get_store

IDLE_LIMIT_SECONDS = int(IDLE_LIMIT.total_seconds())
ABSOLUTE_LIMIT_SECONDS = int(SESSION_LIFETIME.total_seconds())
NOTICES = {"user": "signed_out", "idle": "idle_timeout", "absolute": "absolute_timeout", "invalid": "session_invalid"}
AUTH_KEY = "auth"
NOTICE_KEY = "signed_out_notice"


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    started: float
    last_seen: float


def now() -> float:
    return time.time()


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **values: object) -> str:
    return translator(lang())(key, **values)


def sign_in(actor: Actor) -> None:
    moment = now()
    st.session_state[AUTH_KEY] = SignedIn(actor, moment, moment)
    st.session_state.pop(NOTICE_KEY, None)


def sign_out(reason: str = "user") -> None:
    """End the session: clear everything of it but the language, say why, and log the end.

    `reason` "invalid" (the database refused the session) logs nothing more: the refusal is logged.
    """
    signed = st.session_state.get(AUTH_KEY)
    language = lang()
    for key in list(st.session_state.keys()):
        del st.session_state[key]  # nothing of the last user's work stays in the session
    st.session_state["lang"] = language
    st.session_state[NOTICE_KEY] = NOTICES[reason]
    if isinstance(signed, SignedIn) and reason != "invalid":
        accounts.logout(get_store(), signed.actor, reason=reason)


def current_actor() -> Actor | None:
    """The signed-in actor, ending the session first when it has run out; each call counts as activity."""
    signed = st.session_state.get(AUTH_KEY)
    if signed is None:
        return None
    if not _well_formed(signed):
        return _refused(signed.actor if isinstance(signed, SignedIn) else signed)
    moment = now()
    if moment - signed.started >= ABSOLUTE_LIMIT_SECONDS:
        sign_out("absolute")
        return None
    if moment - signed.last_seen >= IDLE_LIMIT_SECONDS:
        sign_out("idle")
        return None
    try:
        accounts.confirm_session(get_store(), signed.actor)
    except AccessDenied:
        sign_out("invalid")
        return None
    except StoreBusy:
        pass  # the database is busy, not the session wrong: every service call checks the actor again
    st.session_state[AUTH_KEY] = replace(signed, last_seen=moment)
    return signed.actor


def _well_formed(signed: object) -> bool:
    return (
        isinstance(signed, SignedIn)
        and isinstance(signed.actor, Actor)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in (signed.started, signed.last_seen))
    )


def _refused(claimed: object) -> None:
    """Session state that no sign-in wrote: the store logs the refusal, and the session ends."""
    with contextlib.suppress(AccessDenied, StoreBusy):
        accounts.confirm_session(get_store(), claimed)  # raises for such state; what matters is the entry
    sign_out("invalid")
    return None


def signed_in_actor() -> Actor | None:
    """The actor without counting activity (the router has already done that for this run)."""
    signed = st.session_state.get(AUTH_KEY)
    return signed.actor if _well_formed(signed) else None


def require_role(page: str, *roles: str) -> Actor:
    """The page's first line: stop with a denial (and an audit entry) unless the user has one of `roles`.

    Pages missing from a role's navigation stay reachable by URL and by stale links, so every page
    asks again here rather than trusting the menu; and it asks the database, not the session state,
    so a disabled account, an ended session or a role written into the state opens nothing.
    """
    actor = signed_in_actor()
    try:
        if actor is None or actor.role not in roles:
            accounts.page_denied(get_store(), actor, page)
            raise AccessDenied()
        accounts.open_page(get_store(), actor, page, roles)
    except AccessDenied:
        st.error(t("page_denied"))
        st.stop()
    except StoreBusy as exc:
        st.error(exc.message(lang()))
        st.stop()
    return actor
