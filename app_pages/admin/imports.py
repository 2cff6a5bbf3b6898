"""Bulk import: the round's applicant workbook template, and importing applications collected offline.

An import is all or nothing: every row is checked first; a rejected workbook lists each problem by
cell and offers the uploaded sheet back with the bad cells marked.
"""

from __future__ import annotations

import streamlit as st

from submissions import exports, imports
from submissions.excel.errors import WorkbookRejected
from ui.feedback import reported
from ui.session import lang, require_role, t
from ui.store import get_store
from ui.text import escaped
from ui.widgets import round_picker

actor = require_role("imports", "admin")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template(round_id: int) -> None:
    st.subheader(t("rs_template_heading"))
    st.caption(t("rs_template_intro"))
    if not st.button(t("rs_prepare_template"), key="rs_prepare_template", icon=":material/draft:"):
        return
    with st.spinner(t("rs_preparing")), reported() as outcome:
        data = exports.applicant_template(get_store(), actor, round_id)
    if outcome.ok:
        st.download_button(
            t("rs_download_template"),
            data,
            file_name=f"applications-round{round_id}.xlsx",
            mime=XLSX,
            key="rs_download_template",
            on_click="ignore",
            type="primary",
            icon=":material/download:",
        )


def show_rejection(outcome: imports.ImportOutcome, round_id: int, language: str) -> None:
    st.error(t("rs_import_rejected", count=len(outcome.problems)))
    st.dataframe(
        {
            "cell": [p.cell for p in outcome.problems],
            "header": [p.header for p in outcome.problems],
            "problem": [p.message(language) for p in outcome.problems],
        },
        hide_index=True,
        width="stretch",
        column_config={
            "cell": t("rs_col_cell"),
            "header": t("rs_col_header"),
            "problem": st.column_config.TextColumn(t("rs_col_problem"), width="large"),
        },
        key="rs_import_problems",
    )
    if outcome.error_workbook:
        st.download_button(
            t("rs_download_errors"),
            outcome.error_workbook,
            file_name=f"applications-round{round_id}-problems.xlsx",
            mime=XLSX,
            key="rs_download_errors",
            on_click="ignore",
            icon=":material/download:",
        )


def upload(round_id: int, language: str) -> None:
    st.subheader(t("rs_import_heading"))
    st.caption(t("rs_import_intro"))
    uploaded = st.file_uploader(t("rs_import_file"), type=["xlsx"], key="rs_import_file")
    if not st.button(
        t("rs_import"), key="rs_import", type="primary", disabled=uploaded is None, icon=":material/upload:"
    ):
        return
    if uploaded is None:
        return
    with reported() as done, st.status(t("rs_importing"), expanded=False) as status:
        try:
            outcome = imports.import_applications(get_store(), actor, round_id, uploaded.getvalue())
        except WorkbookRejected as exc:
            status.update(label=t("rs_import_failed"), state="error")
            st.error(escaped(exc.message(language)))  # it may quote the upload's sheet and part names
            return
        status.update(label=t("rs_import_checked"), state="complete" if outcome.ok else "error")
    if not done.ok:
        return
    if not outcome.ok:
        show_rejection(outcome, round_id, language)
        return
    st.success(t("rs_imported", count=outcome.imported))
    st.dataframe({"reference": outcome.references}, hide_index=True, column_config={"reference": t("rs_col_reference")})


st.title(t("nav_imports"))
language = lang()
round_ = round_picker(actor, states=("open",), key="rs_imports")
if round_ is None:
    st.caption(t("rs_imports_open_only"))
    st.stop()
template(round_.id)
upload(round_.id, language)
