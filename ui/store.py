"""The process's one store, opened (and its schema upgraded) the first time any page needs it."""

from __future__ import annotations

import gc

import streamlit as st

from submissions.store import Store


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    store = Store.open()
    # Everything imported so far lives as long as the server: keep it out of the collector's full
    # passes, which otherwise add ~100 ms pauses to page reruns on large rounds.
    gc.freeze()
    return store
