"""The signed-in user's account: who they are, a password change, and a copy of their personal information."""

from __future__ import annotations

import streamlit as st

from submissions import accounts, privacy
from ui.feedback import reported
from ui.session import lang, require_role, t
from ui.store import get_store
from ui.text import labelled

actor = require_role("account", "admin", "reviewer", "applicant")

st.title(t("account"))
labelled(t("username"), actor.username)
labelled(t("display_name"), actor.display_name)

st.subheader(t("change_password"))
with st.form("change_password", clear_on_submit=True):
    current = st.text_input(t("current_password"), type="password", autocomplete="current-password")
    new = st.text_input(t("new_password"), type="password", autocomplete="new-password")
    repeat = st.text_input(t("repeat_password"), type="password", autocomplete="new-password")
    submitted = st.form_submit_button(t("save"), type="primary")
if submitted:
    if new != repeat:
        st.error(t("passwords_differ"))
    else:
        with reported() as outcome:
            accounts.change_password(get_store(), actor, current=current, new=new)
        if outcome.ok:
            st.success(t("password_changed"))

st.subheader(t("pv_my_data"))
st.caption(t("pv_my_data_caption"))
if st.button(t("pv_prepare_my_data"), key="pv_prepare_my_data", icon=":material/draft:"):
    with st.spinner(t("pv_preparing")), reported() as outcome:
        data = privacy.subject_access_export(get_store(), actor, lang=lang())
    if outcome.ok:
        st.download_button(
            t("pv_download_my_data"),
            data,
            file_name=f"personal-information-{actor.user_id}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="pv_download_my_data",
            on_click="ignore",
            type="primary",
            icon=":material/download:",
        )
