"""Small shared widgets: the round picker that every round-based page starts with."""

from __future__ import annotations

from collections.abc import Collection

import streamlit as st

from submissions import rounds
from submissions.access import Actor
from submissions.rounds import RoundView
from ui.session import lang, t
from ui.store import get_store

CURRENT_ROUND_KEY = "current_round"


def state_label(state: str) -> str:
    zh, en = rounds.STATE_LABELS[state]
    return en if lang() == "en" else zh


def round_picker(actor: Actor, *, states: Collection[str] | None = None, key: str = "round") -> RoundView | None:
    """A select box of the rounds the actor may see (optionally only in `states`).

    The choice is remembered across pages for the session, so moving from progress to results keeps
    the same round. Returns None, after saying so, when there is nothing to choose.
    """
    choices = [r for r in rounds.list_rounds(get_store(), actor) if states is None or r.state in states]
    if not choices:
        st.info(t("no_rounds"))
        return None
    by_id = {r.id: r for r in choices}
    remembered = st.session_state.get(CURRENT_ROUND_KEY)
    ids = list(by_id)
    # The labels carry nothing that changes: a keyed select box keeps showing the label it first drew
    # for the chosen option, so a state in the label would go stale after a transition. The state
    # is shown beneath instead.
    labels = {r.id: r.name for r in choices}
    chosen = st.selectbox(
        t("choose_round"),
        ids,
        index=ids.index(remembered) if remembered in by_id else 0,
        format_func=labels.__getitem__,
        key=f"{key}_picker",
    )
    st.session_state[CURRENT_ROUND_KEY] = chosen
    st.caption(f"{t('round_state')}: {state_label(by_id[chosen].state)}")
    return by_id[chosen]
