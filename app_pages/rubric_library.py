"""The rubric library: every rubric's dimensions, criteria, points and the plan clauses they cite."""

from __future__ import annotations

import streamlit as st

from rubrics import content_hash, list_rubrics, load_rubric
from rubrics.catalogue import bands_table, criteria_table, rules_table
from ui.session import lang as session_lang
from ui.session import require_role, t

require_role("library", "admin", "reviewer", "applicant")
lang = session_lang()

st.title(t("library"))
st.caption(t("library_intro"))

rubric_ids = list_rubrics()
rubric_id = st.selectbox(
    t("choose_rubric"),
    rubric_ids,
    index=rubric_ids.index("city_comprehensive") if "city_comprehensive" in rubric_ids else 0,
    format_func=lambda rid: f"{load_rubric(rid).title.get(lang)} · {rid}",
    key="library_rubric",
)
rubric = load_rubric(rubric_id)

left, middle, right = st.columns(3)
left.metric(t("total_points"), f"{rubric.total_points:g}")
middle.metric(t("bonus_cap"), f"{rubric.bonus.cap:g}" if rubric.bonus else "—")
right.metric(t("version"), rubric.version)
st.text(f"{t('categories')}: " + ", ".join(c.label.get(lang) for c in rubric.categories))
st.text(f"{t('content_hash')}: {content_hash(rubric)[:16]}")
if rubric.description:
    st.text(rubric.description.get(lang))

st.subheader(t("criteria"))
criteria = criteria_table(rubric, lang)
criteria["method"] = criteria["method"].map({"judged": t("method_judged"), "formula": t("method_formula")})
st.dataframe(
    criteria.drop(columns=["criterion_id"]),
    hide_index=True,
    width="stretch",
    column_config={
        "dimension": t("col_dimension"),
        "criterion": t("col_criterion"),
        "max_points": st.column_config.NumberColumn(t("col_max_points"), format="%g"),
        "step": st.column_config.NumberColumn(t("col_step"), format="%g"),
        "method": t("col_method"),
        "formula": t("col_formula"),
        "evidence": t("col_evidence"),
        "clauses": t("col_clauses"),
        "quotes": st.column_config.TextColumn(t("col_quotes"), width="large"),
    },
)

st.subheader(t("rules"))
rules = rules_table(rubric, lang)
rules["kind"] = rules["kind"].map({"gate": t("kind_gate"), "veto": t("kind_veto")})
st.dataframe(
    rules.drop(columns=["id"]),
    hide_index=True,
    width="stretch",
    column_config={
        "kind": t("col_kind"),
        "rule": t("col_rule"),
        "clauses": t("col_clauses"),
        "quotes": t("col_quotes"),
    },
)

st.subheader(t("bands"))
st.dataframe(
    bands_table(rubric, lang),
    hide_index=True,
    column_config={
        "band": t("col_band"),
        "min": st.column_config.NumberColumn(t("col_min"), format="%g"),
        "max": st.column_config.NumberColumn(t("col_max"), format="%g"),
        "recommended": t("col_recommended"),
    },
)

st.subheader(t("panel_defaults"))
st.text(f"{t('aggregation')}: {rubric.settings.aggregation}")
st.text(f"{t('trim_min')}: {rubric.settings.trim_min_reviewers}")
st.text(f"{t('tie_break')}: {' → '.join(rubric.settings.tie_break)}")
