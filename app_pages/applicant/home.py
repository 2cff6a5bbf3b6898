"""The applicant's landing page: the organisation's applications in every round, and a new application.

Each application links to its form, its self-assessment and (once published) its results. A new
application starts in an open round, in one of the categories of that round's rubric.
"""

from __future__ import annotations

import streamlit as st

from submissions import applications, rounds
from submissions.contracts import NAME_MAX
from ui import application_form as form
from ui.feedback import reported
from ui.session import lang, require_role, t
from ui.store import get_store
from ui.text import escaped, plain
from ui.widgets import round_picker

actor = require_role("my-applications", "applicant")
st.title(t("nav_my_applications"))
form.show_flash()

mine = applications.list_own_applications(get_store(), actor)
st.subheader(t("ap_home_mine"))
if not mine:
    st.info(t("ap_home_none"))
else:
    st.dataframe(
        form.own_summary_frame(mine),
        column_config={
            "round": st.column_config.TextColumn(t("ap_col_round")),
            "reference": st.column_config.TextColumn(t("ap_col_reference")),
            "title": st.column_config.TextColumn(t("ap_title")),
            "category": st.column_config.TextColumn(t("ap_category")),
            "status": st.column_config.TextColumn(t("ap_col_status")),
            "self_assessed": st.column_config.CheckboxColumn(t("ap_col_self_assessed")),
            "updated": st.column_config.TextColumn(t("ap_col_updated")),
        },
        hide_index=True,
        width="stretch",
        key="ap_home_table",
    )
    for own in mine:
        app = own.application
        with st.container(border=True, key=f"ap_home_{app.id}"):
            plain(app.title, empty=t("ap_untitled"))
            st.caption(
                escaped(
                    t(
                        "ap_home_line",
                        reference=app.reference,
                        round=own.round_name,
                        category=own.category_label(lang()),
                        status=form.status_label(app.status),
                        updated=form.beijing(app.updated_at),
                    )
                )
            )
            form.application_links(app.id, results=own.round_state in ("published", "final"))

st.subheader(t("ap_home_new"))
opened = round_picker(actor, states=("open",), key="ap_new_round")
if opened is not None:
    rubric = rounds.round_rubric(get_store(), actor, opened.id)
    st.caption(t("ap_home_deadline", deadline=form.beijing(opened.settings.application_deadline)))
    categories = {c.id: c.label.get(lang()) for c in rubric.categories}
    category = st.selectbox(t("ap_category"), list(categories), format_func=categories.get, key="ap_new_category")
    title = st.text_input(t("ap_title"), key="ap_new_title", max_chars=NAME_MAX, placeholder=t("ap_title_placeholder"))
    if st.button(t("ap_create"), key="ap_create", type="primary", icon=":material/add:"):
        with reported() as outcome:
            created = applications.create_application(get_store(), actor, opened.id, category=category, title=title)
        if outcome.ok:
            form.reset_form()
            form.flash("ap_created", reference=created.reference)
            st.switch_page(form.APPLICATION_PAGE, query_params={"id": str(created.id)})
