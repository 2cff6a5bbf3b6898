"""The process's one store, opened (and its schema upgraded) the first time any page needs it."""

from __future__ import annotations

import streamlit as st

from submissions.store import Store


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    return Store.open()
