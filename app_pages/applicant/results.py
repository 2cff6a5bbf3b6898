"""After publication (公示): the organisation's own results, self against panel, and the public list.

`?id=<application id>` (from the overview) opens the round of that application. Before a round is
published the service refuses and the page says that the results are not published yet.
"""

from __future__ import annotations

import streamlit as st

from submissions import applications
from submissions.errors import OperationError, RoundStateError
from ui import application_form as form
from ui.feedback import show_refusal
from ui.session import lang, require_role, t
from ui.store import get_store
from ui.text import escaped, plain
from ui.widgets import CURRENT_ROUND_KEY, round_picker

actor = require_role("my-results", "applicant")
st.title(t("nav_my_results"))

PICKER = "ap_results_round"
wanted = form.query_id()
if wanted.given and wanted.value is None:
    st.error(t("ap_bad_id"))
elif wanted.value is not None and st.session_state.get("ap_results_for") != wanted.value:
    # Open the round of the application the link came from, once; the picker stays free afterwards.
    st.session_state["ap_results_for"] = wanted.value
    try:
        chosen = applications.applicant_workspace(get_store(), actor, wanted.value).round_id
    except OperationError as exc:
        show_refusal(exc)
    else:
        st.session_state[CURRENT_ROUND_KEY] = chosen
        st.session_state[f"{PICKER}_picker"] = chosen

round_ = round_picker(actor, key=PICKER)
if round_ is None:
    st.stop()

try:
    results = applications.published_results(get_store(), actor, round_.id)
except RoundStateError as exc:
    st.info(t("ap_results_not_published"), icon=":material/schedule:")
    st.caption(escaped(exc.message(lang())))
    st.stop()
except OperationError as exc:
    show_refusal(exc)
    st.stop()

label = f"label_{lang()}"
st.subheader(t("ap_results_own"))
if not results.own:
    st.info(t("ap_results_no_own"))
for own in results.own:
    with st.container(border=True, key=f"ap_result_{own.reference}"):
        plain(own.title, empty=t("ap_untitled"))
        st.caption(escaped(own.reference))
        total, band, rank, rank_category = st.columns(4)
        total.metric(t("ap_col_total"), form.number(own.total))
        band.metric(t("ap_col_band"), escaped(own.band_label(lang())))
        rank.metric(t("ap_col_rank"), "—" if own.rank is None else str(own.rank))
        rank_category.metric(t("ap_col_rank_category"), "—" if own.rank_category is None else str(own.rank_category))
        if own.recommended:
            st.success(t("ap_results_recommended"), icon=":material/workspace_premium:")
        if not own.eligible:
            st.warning(escaped(t("ap_results_ineligible", reasons=own.reasons(lang()))), icon=":material/block:")

        st.markdown(f"**{t('ap_results_compare')}**")
        if not own.self_assessed:
            st.info(t("ap_results_no_self"))
        else:
            st.caption(t("ap_results_compare_note", flag=f"{results.overclaim_flag:.0%}"))
            st.altair_chart(form.comparison_chart(own.criteria), width="stretch", key=f"ap_chart_{own.reference}")
        st.dataframe(
            form.comparison_table(own.criteria),
            column_order=[label, "max_points", "panel", "self", "gap"],
            column_config={
                label: st.column_config.TextColumn(t("ap_col_criterion")),
                "max_points": t("ap_col_max"),
                "panel": t("ap_col_panel"),
                "self": t("ap_col_self"),
                "gap": t("ap_col_gap"),
            },
            hide_index=True,
            width="stretch",
            height="content",
            placeholder="—",
            key=f"ap_compare_{own.reference}",
        )

st.subheader(t("ap_results_public"))
st.caption(t("ap_results_public_intro"))
if results.public.empty:
    st.info(t("ap_results_public_empty"))
else:
    category, band = f"category_{lang()}", f"band_{lang()}"
    st.dataframe(
        results.public,
        column_order=["rank", "organisation", "title", category, "region", "total", band],
        column_config={
            "rank": st.column_config.NumberColumn(t("ap_col_rank"), format="%d"),
            "organisation": st.column_config.TextColumn(t("ap_organisation")),
            "title": st.column_config.TextColumn(t("ap_title")),
            category: st.column_config.TextColumn(t("ap_category")),
            "region": st.column_config.TextColumn(t("ap_region")),
            "total": st.column_config.NumberColumn(t("ap_col_total"), format="%.2f"),
            band: st.column_config.TextColumn(t("ap_col_band")),
        },
        hide_index=True,
        width="stretch",
        key="ap_public",
    )
