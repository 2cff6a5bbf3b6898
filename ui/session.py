"""Who is signed in to this browser session, and for how long.

The session record lives in Streamlit's per-session state, never in a process-wide place. It holds
the `Actor` the login returned; the services re-check that actor against the database on every
call, so this module only decides when a session ends: on sign-out, after 30 minutes without
activity, or 8 hours after sign-in, whichever comes first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import streamlit as st

from submissions import accounts
from submissions.access import Actor
from ui.messages import translator
from ui.store import get_store

IDLE_LIMIT_SECONDS = 30 * 60
ABSOLUTE_LIMIT_SECONDS = 8 * 60 * 60
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
    signed = st.session_state.get(AUTH_KEY)
    language = lang()
    for key in list(st.session_state.keys()):
        del st.session_state[key]  # nothing of the last user's work stays in the session
    st.session_state["lang"] = language
    st.session_state[NOTICE_KEY] = {"user": "signed_out", "idle": "idle_timeout", "absolute": "absolute_timeout"}[
        reason
    ]
    if signed is not None:
        accounts.logout(get_store(), signed.actor, reason=reason)


def current_actor() -> Actor | None:
    """The signed-in actor, ending the session first when it has run out; each call counts as activity."""
    signed: SignedIn | None = st.session_state.get(AUTH_KEY)
    if signed is None:
        return None
    moment = now()
    if moment - signed.started >= ABSOLUTE_LIMIT_SECONDS:
        sign_out("absolute")
        return None
    if moment - signed.last_seen >= IDLE_LIMIT_SECONDS:
        sign_out("idle")
        return None
    st.session_state[AUTH_KEY] = replace(signed, last_seen=moment)
    return signed.actor


def signed_in_actor() -> Actor | None:
    """The actor without counting activity (the router has already done that for this run)."""
    signed: SignedIn | None = st.session_state.get(AUTH_KEY)
    return signed.actor if signed else None


def require_role(page: str, *roles: str) -> Actor:
    """The page's first line: stop with a denial (and an audit entry) unless the user has one of `roles`.

    Pages missing from a role's navigation stay reachable by URL and by stale links, so every page
    asks again here rather than trusting the menu.
    """
    actor = signed_in_actor()
    if actor is None or actor.role not in roles:
        accounts.page_denied(get_store(), actor, page)
        st.error(t("page_denied"))
        st.stop()
    return actor
