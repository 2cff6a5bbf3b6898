"""This page's first cut: the role check and the title; the content lands with the page's own commit."""

from __future__ import annotations

import streamlit as st

from ui.session import require_role, t

actor = require_role("my-reviews", "reviewer")
st.title(t("nav_my_reviews"))
