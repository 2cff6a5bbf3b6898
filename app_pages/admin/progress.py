"""Progress: how far each reviewer and each application has got, what remains before the review
deadline, and reopening a submitted score sheet (with a recorded reason) for its reviewer to correct."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from submissions import results, reviews
from ui import charts
from ui.feedback import reported
from ui.session import require_role, t
from ui.store import get_store
from ui.text import escaped
from ui.widgets import round_picker

actor = require_role("progress", "admin")

SHOWN_STATES = ("open", "under_review", "closed", "published", "final")
REOPEN_STATES = ("under_review", "closed")
BEIJING = dt.timezone(dt.timedelta(hours=8))
FLASH_KEY = "rs_progress_flash"


def show_deadline(left: results.TimeLeft) -> None:
    if left.deadline is None:
        st.caption(t("rs_no_deadline"))
        return
    shown = left.deadline.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    key = "rs_deadline_passed" if left.passed else "rs_deadline_left"
    st.markdown(f"**{t('rs_deadline', at=shown)}** · {t(key, days=left.days, hours=left.hours)}")


def show_totals(totals: results.ProgressTotals) -> None:
    cells = st.columns(5)
    done = "—" if totals.done_share is None else f"{totals.done_share:.0%}"
    cells[0].metric(
        t("rs_metric_submitted_sheets"),
        f"{totals.submitted} / {totals.assigned}",
        done,
        delta_color="off",
        delta_arrow="off",
    )
    cells[1].metric(t("rs_metric_remaining"), totals.remaining)
    cells[2].metric(t("rs_metric_drafts"), totals.draft)
    cells[3].metric(t("rs_metric_reviewers_done"), f"{totals.reviewers_done} / {totals.reviewers}")
    cells[4].metric(t("rs_metric_applications_done"), f"{totals.applications_complete} / {totals.applications}")


def status_names() -> dict[str, str]:
    return {"submitted": t("rs_status_submitted"), "draft": t("rs_status_draft"), "not_started": t("rs_status_new")}


def counts_config(names: dict[str, str]) -> dict:
    return {
        "assigned": t("rs_col_assigned"),
        "submitted": names["submitted"],
        "draft": names["draft"],
        "not_started": names["not_started"],
        "conflicted": t("rs_col_conflicted"),
        "remaining": t("rs_col_remaining"),
        "done_share": st.column_config.ProgressColumn(t("rs_col_done"), min_value=0.0, max_value=1.0, format="percent"),
    }


def show_reopen(round_id: int, frame) -> None:
    st.subheader(t("rs_reopen_heading"))
    st.caption(t("rs_reopen_intro"))
    sheets = results.submitted_sheets(frame)
    if sheets.empty:
        st.info(t("rs_reopen_nothing"))
        return
    labels = {
        (int(a), int(r)): f"{ref} · {name}"
        for a, r, ref, name in zip(
            sheets["application_id"], sheets["reviewer_id"], sheets["reference"], sheets["reviewer"], strict=True
        )
    }
    chosen = st.selectbox(t("rs_reopen_sheet"), list(labels), format_func=labels.get, key="rs_reopen_sheet")
    reason = st.text_area(t("rs_reopen_reason"), max_chars=1000, key="rs_reopen_reason")
    if st.button(t("rs_reopen"), key="rs_reopen_button", icon=":material/undo:"):
        with reported() as done:
            reviews.reopen_sheet(get_store(), actor, chosen[0], chosen[1], reason=reason)
        if done.ok:
            st.session_state[FLASH_KEY] = t("rs_reopened", sheet=escaped(labels[chosen]))
            st.rerun()


st.title(t("nav_progress"))
round_ = round_picker(actor, states=SHOWN_STATES, key="rs_progress")
if round_ is None:
    st.stop()
message = st.session_state.pop(FLASH_KEY, None)
if message:
    st.success(message)

with reported() as loaded:
    frame = reviews.progress(get_store(), actor, round_.id)
if not loaded.ok:
    st.stop()

show_deadline(results.time_left(round_.settings.review_deadline, get_store().now()))
if frame.empty:
    st.info(t("rs_no_assignments"))
    st.stop()

by_reviewer = results.reviewer_progress(frame)
by_application = results.application_progress(frame)
show_totals(results.progress_totals(by_reviewer, by_application))

names = status_names()
st.subheader(t("rs_by_reviewer"))
chart = charts.stacked_counts(
    results.progress_chart(by_reviewer),
    category="reviewer",
    value="sheets",
    series="status",
    names=names,
    labels={"category": t("rs_col_reviewer"), "value": t("rs_col_sheets"), "series": t("rs_col_status")},
)
st.altair_chart(chart, width="stretch")
st.dataframe(
    by_reviewer,
    hide_index=True,
    width="stretch",
    column_order=["reviewer", "assigned", "submitted", "draft", "not_started", "conflicted", "remaining", "done_share"],
    column_config={"reviewer": t("rs_col_reviewer"), **counts_config(names)},
    key="rs_progress_reviewers",
)

st.subheader(t("rs_by_application"))
st.dataframe(
    by_application,
    hide_index=True,
    width="stretch",
    column_order=[
        "reference",
        "assigned",
        "submitted",
        "draft",
        "not_started",
        "conflicted",
        "remaining",
        "done_share",
        "complete",
    ],
    column_config={
        "reference": t("rs_col_reference"),
        **counts_config(names),
        "complete": st.column_config.CheckboxColumn(t("rs_col_complete")),
    },
    key="rs_progress_applications",
)

if round_.state in REOPEN_STATES:
    show_reopen(round_.id, frame)
