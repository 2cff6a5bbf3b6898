"""The sign-in form shown whenever nobody is signed in, whatever page the address names."""

from __future__ import annotations

import streamlit as st

from submissions import accounts
from submissions.errors import LoginFailed, StoreBusy
from ui.session import NOTICE_KEY, sign_in, t
from ui.session import lang as session_lang
from ui.store import get_store


def login_form() -> None:
    st.title(t("login_title"))
    notice = st.session_state.get(NOTICE_KEY)
    if notice:
        (st.success if notice == "signed_out" else st.warning)(t(notice))
    st.caption(t("login_intro"))
    with st.form("login", enter_to_submit=True):
        username = st.text_input(t("username"), max_chars=64, autocomplete="username")
        password = st.text_input(t("password"), type="password", max_chars=256, autocomplete="current-password")
        submitted = st.form_submit_button(t("login_button"), type="primary")
    if not submitted:
        return
    if not username.strip() or not password:
        st.error(t("login_missing"))
        return
    try:
        actor = accounts.login(get_store(), username, password)
    except (LoginFailed, StoreBusy) as exc:
        st.error(exc.message(session_lang()))
        return
    sign_in(actor)
    st.rerun()
