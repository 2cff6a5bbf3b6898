"""The applicant's own points per criterion, beside the rubric's level descriptors, with the live total.

`?id=<application id>` names the application. Every change saves; the total, band and chart follow
the inputs as they are typed. Formula criteria are computed from the reported indicators.
"""

from __future__ import annotations

import streamlit as st

from scoring.selfassess import self_total
from ui import application_form as form
from ui.session import lang, require_role, t
from ui.text import escaped

actor = require_role("self-assessment", "applicant")
st.title(t("nav_self_assessment"))

ws = form.workspace_from_query(actor, form.SELF_ASSESSMENT_PAGE)
if ws is None:
    st.stop()

rubric = ws.rubric
locked = ws.self_lock is not None
form.application_header(ws)
form.application_links(
    ws.application.id, results=ws.round_state in ("published", "final"), current=form.SELF_ASSESSMENT_PAGE
)
form.prepare_self_assessment(ws, locked=locked)
st.caption(t("ap_sa_intro"))
if locked:
    st.info(t("ap_sa_locked", reason=ws.self_lock.message(lang())), icon=":material/lock:")
else:
    form.self_assessment_status(ws)

summary = self_total(rubric, form.current_points(rubric), ws.application.indicators, precision=ws.precision)
total, band, progress = st.columns(3)
total.metric(
    t("ap_sa_total"), t("ap_sa_total_value", total=form.number(summary.total), max=form.number(summary.max_total))
)
band.metric(t("ap_sa_band"), escaped(summary.band_label(lang())))  # a metric's value is markdown
progress.metric(t("ap_sa_progress"), t("ap_sa_progress_value", done=summary.assessed, of=summary.to_assess))
st.caption(t("ap_sa_total_note", main=form.number(summary.main), bonus=form.number(summary.bonus)))
st.altair_chart(form.self_chart(summary.criteria), width="stretch", key="ap_sa_chart")

label = f"label_{lang()}"
st.dataframe(
    summary.dimensions,
    column_order=[label, "points", "max_points"],
    column_config={
        label: st.column_config.TextColumn(t("ap_col_dimension")),
        "points": st.column_config.NumberColumn(t("ap_col_self"), format="%.2f"),
        "max_points": st.column_config.NumberColumn(t("ap_col_max"), format="%g"),
    },
    hide_index=True,
    width="stretch",
    key="ap_sa_dimensions",
)

groups = [(d.label.get(lang()), d.criteria) for d in rubric.dimensions]
if rubric.bonus:
    groups.append((t("ap_bonus_items_cap", cap=form.number(float(rubric.bonus.cap))), rubric.bonus.items))
for heading, criteria in groups:
    st.subheader(escaped(heading))
    for c in criteria:
        with st.container(border=True, key=f"ap_sa_criterion_{c.id}"):
            st.markdown(f"**{escaped(form.criterion_title(c))}**")
            if c.method == "formula":
                computed = summary.points_of(c.id)
                if computed is None:
                    st.caption(t("ap_sa_no_indicator"))
                else:
                    st.caption(t("ap_sa_computed", points=form.number(computed)))
                continue
            left, right = st.columns([3, 2])
            with left:
                form.level_descriptors(c)
            with right:
                form.points_input(actor, ws, c, disabled=locked)
