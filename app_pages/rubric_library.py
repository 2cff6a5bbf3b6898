"""The rubric library: every rubric's dimensions, criteria, points and the plan clauses they cite.

Administrators may also check a rubric of their own: an uploaded YAML file is validated by the
same loader as the shipped ones and every problem is listed at its path; a valid one can become a
review round at once. Checking a file changes nothing, so the check itself needs no role; creating
the round is refused by the rounds service to anyone but an administrator.
"""

from __future__ import annotations

import streamlit as st

from rubrics import RubricError, content_hash, list_rubrics, load_rubric
from rubrics.catalogue import bands_table, criteria_table, rules_table
from rubrics.errors import located, message_in
from rubrics.schema import Rubric
from submissions import rounds
from ui.feedback import reported
from ui.session import lang as session_lang
from ui.session import require_role, t
from ui.store import get_store
from ui.text import escaped, plain
from ui.widgets import CURRENT_ROUND_KEY

actor = require_role("library", "admin", "reviewer", "applicant")
lang = session_lang()
ROUNDS_PAGE = "app_pages/admin/rounds.py"


def show_rubric(rubric: Rubric) -> None:
    """Points, categories, criteria with their clauses and quotes, gates and vetoes, bands, defaults."""
    left, middle, right = st.columns(3)
    left.metric(t("total_points"), f"{rubric.total_points:g}")
    middle.metric(t("bonus_cap"), f"{rubric.bonus.cap:g}" if rubric.bonus else "—")
    right.metric(t("version"), rubric.version)
    plain(f"{t('categories')}: " + ", ".join(c.label.get(lang) for c in rubric.categories))
    plain(f"{t('content_hash')}: {content_hash(rubric)[:16]}")
    if rubric.description:
        plain(rubric.description.get(lang))

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
    plain(f"{t('aggregation')}: {rubric.settings.aggregation}")
    plain(f"{t('trim_min')}: {rubric.settings.trim_min_reviewers}")
    plain(f"{t('tie_break')}: {' → '.join(rubric.settings.tie_break)}")


def show_problems(error: RubricError) -> None:
    st.error(t("ad_rubric_problems", count=len(error.problems)))
    st.dataframe(
        [{"path": located(p, lang), "problem": message_in(p, lang)} for p in error.problems],
        hide_index=True,
        width="stretch",
        column_config={
            "path": t("ad_col_path"),
            "problem": st.column_config.TextColumn(t("ad_col_problem"), width="large"),
        },
    )


def check_upload() -> None:
    """An administrator's own rubric: every problem at its path, or its summary and a round from it."""
    st.divider()
    st.subheader(t("ad_upload_rubric"))
    st.caption(t("ad_upload_rubric_intro"))
    upload = st.file_uploader(t("ad_rubric_file"), type=["yaml", "yml"], key="library_upload")
    if upload is None:
        return
    try:
        text, rubric = rounds.rubric_upload(upload.getvalue(), upload.name)
    except RubricError as exc:
        show_problems(exc)
        return
    st.success(t("ad_rubric_valid", title=escaped(rubric.title.get(lang)), id=escaped(rubric.id)))
    with st.expander(t("ad_uploaded_details")):
        show_rubric(rubric)
    with st.form("library_create_round"):
        name = st.text_input(t("ad_round_name"), value=rubric.title.get(lang), max_chars=200, key="library_round_name")
        create = st.form_submit_button(t("ad_create_from_upload"), type="primary", key="library_create_submit")
    if create:
        with reported() as outcome:
            created = rounds.create_round(get_store(), actor, name=name, rubric_text=text)
        if outcome.ok:
            st.session_state[CURRENT_ROUND_KEY] = created.id
            st.success(t("ad_created", name=escaped(created.name)))
            st.page_link(ROUNDS_PAGE, label=t("ad_open_rounds"), icon=":material/event_note:")


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
if actor.role == "admin":
    st.page_link(
        ROUNDS_PAGE, label=t("ad_round_from_rubric"), icon=":material/add_circle:", query_params={"rubric": rubric_id}
    )
show_rubric(load_rubric(rubric_id))
if actor.role == "admin":
    check_upload()
