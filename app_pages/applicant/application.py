"""One application, as a form generated from the round's frozen rubric; drafts save on every change.

`?id=<application id>` names the application. A submitted or withdrawn application, or one whose
round is no longer open or whose deadline has passed, shows read-only and says why.
"""

from __future__ import annotations

import streamlit as st

from submissions import applications
from ui import application_form as form
from ui.feedback import reported
from ui.session import lang, require_role, t
from ui.store import get_store

actor = require_role("application", "applicant")
st.title(t("nav_application"))

ws = form.workspace_from_query(actor, form.APPLICATION_PAGE)
if ws is None:
    st.stop()

app = ws.application
locked = ws.lock is not None
with st.container(key="ap_flash"):
    form.show_flash()
form.application_header(ws)
form.application_links(app.id, results=ws.round_state in ("published", "final"), current=form.APPLICATION_PAGE)
form.prepare_form(app, ws.rubric, locked=locked)

with st.container(key="ap_status"):
    if locked:
        st.info(t("ap_locked", reason=ws.lock.message(lang())), icon=":material/lock:")
    else:
        form.save_status(ws)

basics, indicators, declarations, narratives, attachments = st.tabs(
    [
        t("ap_tab_basics"),
        t("ap_tab_indicators"),
        t("ap_tab_declarations"),
        t("ap_tab_narratives"),
        t("ap_tab_attachments"),
    ],
    key="ap_tabs",  # a keyed tab bar keeps the open tab when an autosave reruns the page
)
with basics:
    form.organisation_section(ws)
    form.basics_section(actor, ws, disabled=locked)
with indicators:
    form.indicators_section(actor, ws, disabled=locked)
with declarations:
    form.declarations_section(actor, ws, disabled=locked)
with narratives:
    form.narratives_section(actor, ws, disabled=locked)
with attachments:
    form.attachments_section(actor, ws, disabled=locked)

st.divider()
if app.status == "draft" and not locked:
    st.subheader(t("ap_submit_heading"))
    missing = applications.submission_problems(get_store(), actor, app.id)
    if missing:
        st.warning(t("ap_not_ready", count=len(missing)))
        st.text("\n".join(f"- {p.message(lang())}" for p in missing))
    else:
        st.success(t("ap_ready"))
    confirmed = st.checkbox(t("ap_submit_confirm"), key="ap_submit_confirm")
    if st.button(t("ap_submit"), key="ap_submit", type="primary", icon=":material/send:"):
        if not confirmed:
            st.warning(t("ap_submit_confirm_first"))
        else:
            with reported() as outcome:
                applications.submit_application(get_store(), actor, app.id, seen_version=st.session_state[form.SEEN])
            if outcome.ok:
                form.reset_form()
                st.session_state.pop("ap_submit_confirm", None)
                form.flash("ap_submitted", reference=app.reference)
                st.rerun()
elif app.status == "submitted":
    st.success(t("ap_submitted_on", time=form.beijing(app.submitted_at)), icon=":material/task_alt:")

if ws.withdraw_lock is None:
    with st.expander(t("ap_withdraw_heading"), icon=":material/undo:"):
        st.caption(t("ap_withdraw_intro"))
        sure = st.checkbox(t("ap_withdraw_confirm"), key="ap_withdraw_confirm")
        if st.button(t("ap_withdraw"), key="ap_withdraw", disabled=not sure):
            with reported() as outcome:
                applications.withdraw_application(
                    get_store(), actor, app.id, seen_version=st.session_state.get(form.SEEN, app.version)
                )
            if outcome.ok:
                form.reset_form()
                st.session_state.pop("ap_withdraw_confirm", None)
                form.flash("ap_withdrawn", reference=app.reference)
                st.rerun()
