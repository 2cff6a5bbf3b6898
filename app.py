"""Entry point: a router. Pages live in app_pages/ and call the libraries; nothing is computed here."""

from __future__ import annotations

import streamlit as st

from ui.messages import LANGUAGES, translator
from ui.store import get_store

st.set_page_config(page_title="信息消费示范评审", layout="wide")
get_store()  # opens the database and upgrades its schema before any page runs

if "lang" not in st.session_state:
    st.session_state["lang"] = "zh"
st.sidebar.radio(
    translator(st.session_state["lang"])("language"),
    list(LANGUAGES),
    format_func=LANGUAGES.get,
    key="lang",
    horizontal=True,
)
t = translator(st.session_state["lang"])

pages = [st.Page("app_pages/rubric_library.py", title=t("library"), icon=":material/menu_book:", default=True)]
st.navigation(pages).run()
