"""The audit log: who did what to which record, filtered by round, action, person, outcome and dates."""

from __future__ import annotations

import streamlit as st

from submissions import accounts, audit, rounds
from submissions.access import STATE_LABELS
from ui.messages import translator
from ui.session import lang, require_role, t
from ui.store import get_store

actor = require_role("audit", "admin")
language = lang()
says = translator(language)  # for format_func: called again outside the run (tests), so bound to the language now
store = get_store()

st.title(t("nav_audit"))
st.caption(t("ad_audit_intro"))

round_views = {r.id: r for r in rounds.list_rounds(store, actor)}
people = {u.id: u for u in accounts.list_users(store, actor)}
known_actions = audit.actions(store, actor)

first, second, third = st.columns(3)
round_id = first.selectbox(
    t("ad_filter_round"),
    list(round_views),
    index=None,
    format_func=lambda rid: f"{round_views[rid].name} · {STATE_LABELS[round_views[rid].state][language == 'en']}",
    placeholder=t("ad_any"),
    key="ad_audit_round",
)
action = second.selectbox(
    t("ad_filter_action"), known_actions, index=None, placeholder=t("ad_any"), key="ad_audit_action"
)
actor_id = third.selectbox(
    t("ad_filter_actor"),
    list(people),
    index=None,
    format_func=lambda uid: f"{people[uid].display_name} ({people[uid].username})",
    placeholder=t("ad_any"),
    key="ad_audit_actor",
)
first, second, third = st.columns(3)
outcome = first.selectbox(
    t("ad_filter_outcome"),
    ["ok", "denied"],
    index=None,
    format_func=lambda o: says(f"ad_outcome_{o}"),
    placeholder=t("ad_any"),
    key="ad_audit_outcome",
)
days = second.date_input(t("ad_filter_dates"), value=(), format="YYYY-MM-DD", key="ad_audit_dates")
limit = third.number_input(
    t("ad_filter_limit"), min_value=1, max_value=audit.MAX_SEARCH_LIMIT, value=200, step=50, key="ad_audit_limit"
)

chosen_days = tuple(days) if isinstance(days, tuple | list) else (days,)
since, until = audit.day_bounds(chosen_days[0] if chosen_days else None, chosen_days[-1] if chosen_days else None)
found = audit.search(
    store,
    actor,
    round_id=round_id,
    action=action,
    actor_id=actor_id,
    outcome=outcome,
    since=since,
    until=until,
    limit=int(limit),
)

st.caption(t("ad_audit_count", count=len(found.rows)))
if found.truncated:
    st.info(t("ad_audit_truncated", limit=found.limit))
st.dataframe(
    found.rows,
    hide_index=True,
    width="stretch",
    column_config={
        "id": st.column_config.NumberColumn(t("ad_col_id"), format="%d"),
        "at": st.column_config.DatetimeColumn(t("ad_col_at"), format="YYYY-MM-DD HH:mm:ss", timezone="Asia/Shanghai"),
        "actor": t("ad_col_actor"),
        "action": t("ad_col_action"),
        "outcome": t("ad_col_outcome"),
        "target": t("ad_col_target"),
        "round_id": st.column_config.NumberColumn(t("ad_col_round"), format="%d"),
        "before": st.column_config.TextColumn(t("ad_col_before"), width="medium"),
        "after": st.column_config.TextColumn(t("ad_col_after"), width="medium"),
    },
)
