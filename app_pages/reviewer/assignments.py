"""My reviews: the reviewer's assigned applications in a round, conflicts of interest, offline scoring.

The landing page of reviewers. Each assignment shows its sheet's status and links to its score
sheet; the counts and the deadline say how much is left. A conflict of interest is declared here
with a reason (the application then leaves the list). The offline workbook holds every assigned
application with the reviewer's drafts; a filled one is uploaded back, checked cell by cell and
saved all at once, or not at all with every problem listed and a marked-up copy to download.
"""

from __future__ import annotations

import streamlit as st

from submissions import exports, reviews, rounds
from submissions.access import ACTION_STATES
from submissions.applications import REVIEWER_STATES
from submissions.excel.errors import WorkbookRejected
from ui import score_form as form
from ui.feedback import reported
from ui.session import lang, require_role, t
from ui.store import get_store
from ui.text import escaped, plain
from ui.widgets import round_picker, state_label

actor = require_role("my-reviews", "reviewer")
st.title(t("nav_my_reviews"))
store = get_store()
form.show_flash()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

round_ = round_picker(actor, states=REVIEWER_STATES, key="rv_round")
if round_ is None:
    st.stop()

with reported() as loaded:
    assigned = reviews.my_assignments(store, actor, round_.id)
    conflicts = reviews.my_conflicts(store, actor, round_.id)
    rubric = rounds.round_rubric(store, actor, round_.id)
if not loaded.ok:
    st.stop()

settings = round_.settings
counts = reviews.work_counts(assigned, conflicts)
time_left = reviews.time_left(settings.review_deadline, store.now())
scoring_open = round_.state in ACTION_STATES["sheet.edit"] and not (time_left is not None and time_left.passed)

# -- where the reviewer stands ---------------------------------------------------------------------

submitted_col, todo_col, conflict_col, deadline_col = st.columns(4)
submitted_col.metric(t("rv_count_submitted"), counts.submitted)
todo_col.metric(
    t("rv_count_to_do"), counts.to_do, help=t("rv_count_to_do_help", draft=counts.draft, new=counts.not_started)
)
conflict_col.metric(t("rv_count_conflicts"), counts.conflicts)
with deadline_col:
    st.caption(t("rv_deadline"))
    st.markdown(form.deadline_text(settings.review_deadline, store.now()))

if round_.state not in ACTION_STATES["sheet.edit"]:
    st.info(t("rv_round_not_scoring", state=state_label(round_.state)))
elif not scoring_open:
    st.warning(t("rv_deadline_over"))
elif assigned and counts.to_do == 0:
    st.success(t("rv_all_done"))
elif settings.min_comment_length:
    st.caption(t("rv_comment_rule", count=settings.min_comment_length))

# -- the assignments -------------------------------------------------------------------------------

st.subheader(t("rv_list_heading"))
widths = [1.3, 4.2, 1.4, 1.4, 1.6]
if not assigned and not conflicts:
    st.info(t("rv_no_assignments"))
else:
    for column, key in zip(
        st.columns(widths),
        ("rv_col_reference", "rv_col_title", "rv_col_category", "rv_col_status", "rv_col_action"),
        strict=True,
    ):
        column.caption(t(key))
for item in assigned:
    with st.container(border=True, key=f"rv_row_{item.application_id}"):
        reference, title, category, status, action = st.columns(widths, vertical_alignment="center")
        with reference:
            plain(item.reference)
        with title:
            plain(item.title)
            st.caption(escaped(f"{item.organisation} · {item.region}"))
        with category:
            plain(form.category_label(rubric, item.category))
        with status:
            form.status_badge(item.sheet_status)
        action.page_link(
            form.SCORE,
            label=t(f"rv_open_{item.sheet_status}" if scoring_open else "rv_open_view"),
            query_params={"application": item.application_id},
            icon=":material/rate_review:",
        )
for conflict in conflicts:
    with st.container(border=True, key=f"rv_row_conflict_{conflict.application_id}"):
        reference, title, category, status, action = st.columns(widths, vertical_alignment="center")
        with reference:
            plain(conflict.reference)
        with title:
            plain(conflict.title)
            st.caption(escaped(t("rv_conflict_reason_shown", reason=conflict.reason)))
        with category:
            plain("—")
        with status:
            form.status_badge("conflict")
        with action:
            st.caption(t("rv_conflict_declared_on", when=form.beijing_time(conflict.declared_at)))

# -- conflict of interest --------------------------------------------------------------------------

if round_.state in ACTION_STATES["conflict.declare"] and assigned:
    st.subheader(t("rv_conflict_heading"))
    st.caption(t("rv_conflict_intro"))
    declared = form.conflict_declaration(
        store,
        actor,
        {item.application_id: f"{item.reference} · {item.title}" for item in assigned},
        key="rv_conflict",
    )
    if declared is not None:
        for suffix in ("application", "reason", "sure"):
            st.session_state.pop(f"rv_conflict_{suffix}", None)
        form.flash("rv_conflict_done", name=escaped(declared))
        st.rerun()

# -- offline scoring -------------------------------------------------------------------------------

st.subheader(t("rv_offline_heading"))
st.caption(t("rv_offline_intro"))
if assigned:
    st.download_button(
        t("rv_template_download"),
        data=lambda: exports.reviewer_template(store, actor, round_.id),
        file_name=f"review-sheet-R{round_.id}-{actor.username}.xlsx",
        mime=XLSX,
        key="rv_template_download",
        on_click="ignore",
        icon=":material/download:",
    )
else:
    st.caption(t("rv_template_nothing"))

result_key = f"rv_upload_result_{round_.id}"
if scoring_open and assigned:
    uploaded = st.file_uploader(t("rv_upload_label"), type=["xlsx"], key="rv_upload_file")
    submit_all = st.checkbox(t("rv_upload_submit"), key="rv_upload_submit", help=t("rv_upload_submit_help"))
    if st.button(t("rv_upload_button"), key="rv_upload_go", icon=":material/upload:"):
        if uploaded is None:
            st.warning(t("rv_upload_missing"))
        else:
            outcome = rejected = None
            with st.status(t("rv_upload_running"), expanded=False) as progress:
                with reported() as checked:
                    try:
                        outcome = reviews.upload_offline(
                            store, actor, round_.id, uploaded.getvalue(), submit=submit_all
                        )
                    except WorkbookRejected as exc:
                        rejected = exc
                progress.update(
                    label=t("rv_upload_checked"),
                    state="complete" if outcome is not None and outcome.ok else "error",
                )
            if rejected is not None:
                st.error(escaped(rejected.message(lang())))  # it may quote the upload's sheet and part names
            if outcome is not None and outcome.ok:
                st.session_state.pop(result_key, None)
                form.flash(
                    "rv_upload_saved_submitted" if submit_all else "rv_upload_saved",
                    count=len(outcome.saved),
                    references=escaped(", ".join(outcome.saved) or "—"),
                    skipped=len(outcome.skipped),
                )
                st.rerun()
            st.session_state[result_key] = outcome if checked.ok else None
elif assigned:
    st.caption(t("rv_upload_closed"))

failed = st.session_state.get(result_key)
if failed is not None:
    st.error(t("rv_upload_rejected", count=len(failed.problems)))
    st.dataframe(
        form.problem_rows(failed.problems),
        hide_index=True,
        width="stretch",
        column_config={"sheet": t("rv_col_sheet"), "cell": t("rv_col_cell"), "problem": t("rv_col_problem")},
    )
    if failed.error_workbook:
        st.download_button(
            t("rv_upload_error_workbook"),
            data=failed.error_workbook,
            file_name=f"review-sheet-R{round_.id}-{actor.username}-errors.xlsx",
            mime=XLSX,
            key="rv_upload_errors",
            on_click="ignore",
            icon=":material/download:",
        )
