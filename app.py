"""Entry point: a router. The page list comes from the signed-in user's role; nothing is computed here.

Pages live in app_pages/ and check the role again themselves, since a page left out of the menu is
still reachable by URL. Signed out, every page's address still resolves (so a deep link survives
the sign-in) but only the sign-in form runs.

An unexpected exception in a page is logged with an incident number and the user sees only that
number and what to do, never a traceback (`client.showErrorDetails` is off as well). `APP_DEBUG=1`
lets the exception through for development and for the tests, which must see every failure.
"""

from __future__ import annotations

import logging
import os
import secrets

import streamlit as st

from ui.login import login_form
from ui.messages import LANGUAGES, translator
from ui.navigation import PAGES, SECTIONS, PageSpec, pages_for
from ui.session import current_actor, sign_out
from ui.store import get_store
from ui.text import escaped

log = logging.getLogger("app")


def page(spec: PageSpec, t, *, default: bool = False) -> st.Page:
    return st.Page(spec.path, title=t(spec.title), icon=spec.icon, url_path=spec.url, default=default)


def guarded(run, t) -> None:
    """Run a page; an unexpected failure becomes a logged incident and a plain message."""
    try:
        run()
    except Exception:
        if os.environ.get("APP_DEBUG") == "1":
            raise
        incident = secrets.token_hex(4)
        log.exception("incident %s: unexpected failure", incident)
        st.error(t("unexpected_error", incident=incident))


st.set_page_config(page_title="信息消费示范评审", page_icon=":material/how_to_vote:", layout="wide")
get_store()  # opens the database and upgrades its schema before any page runs

if "lang" not in st.session_state:
    st.session_state["lang"] = "zh"
actor = current_actor()  # ends an idle or expired session before anything renders
# The language lives in a plain session key: a widget's own key is dropped when a page switch
# interrupts a run, and the choice must survive that.
st.sidebar.radio(
    translator(st.session_state["lang"])("language"),
    list(LANGUAGES),
    index=list(LANGUAGES).index(st.session_state["lang"]),
    format_func=LANGUAGES.get,
    key="lang_choice",
    on_change=lambda: st.session_state.update(lang=st.session_state["lang_choice"]),
    horizontal=True,
)
t = translator(st.session_state["lang"])

if actor is None:
    st.navigation([page(spec, t, default=i == 0) for i, spec in enumerate(PAGES)], position="hidden")
    guarded(login_form, t)
else:
    mine = pages_for(actor.role)
    own = [page(spec, t, default=i == 0) for i, spec in enumerate(mine) if spec.roles == (actor.role,)]
    shared = [page(spec, t) for spec in mine if spec.roles != (actor.role,)]
    with st.sidebar:
        st.caption(escaped(t("signed_in_as", name=actor.display_name)) + f" · {t('role_' + actor.role)}")
        st.button(t("logout"), on_click=sign_out, icon=":material/logout:", width="stretch")
    guarded(st.navigation({t(SECTIONS[actor.role]): own, t("section_general"): shared}).run, t)
