"""Score sheet: one assigned application, criterion by criterion, beside what the applicant reported.

Opened from My reviews with `?application=<id>`. The services decide everything that matters: who
may see the application (assigned, not conflicted, review started), whether a save is allowed
(round state, deadline, the version the reviewer saw), what a submission needs (every judged
criterion scored, comments long enough) and which of the other reviewers' scores show (the round's
blind policy, only after this reviewer submitted). Whenever a save is refused the reviewer's input
stays on the page; after an edit conflict they choose to reload the latest version or to save
theirs over it.
"""

from __future__ import annotations

import streamlit as st

from submissions import applications, reviews, rounds
from submissions.access import ACTION_STATES
from submissions.applications import REVIEWER_STATES
from submissions.errors import EditConflict, OperationError, raise_if_problems
from ui import score_form as form
from ui.feedback import reported
from ui.session import lang, require_role, t
from ui.store import get_store
from ui.text import escaped, labelled
from ui.widgets import round_picker, state_label

actor = require_role("score", "reviewer")
st.title(t("nav_score"))
store = get_store()
st.page_link(form.MY_REVIEWS, label=t("rv_back"), icon=":material/arrow_back:")
form.show_flash()


def chooser() -> None:
    """Without an application in the address: the reviewer's assignments in a round, as links."""
    st.info(t("rv_choose_application"))
    round_ = round_picker(actor, states=REVIEWER_STATES, key="rv_round")
    if round_ is None:
        return
    with reported() as listed:
        assigned = reviews.my_assignments(store, actor, round_.id)
    if not listed.ok:
        return
    if not assigned:
        st.info(t("rv_no_assignments"))
    for item in assigned:
        st.page_link(
            form.SCORE,
            label=escaped(f"{item.reference} · {item.title} · {t('rv_status_' + item.sheet_status)}"),
            query_params={"application": item.application_id},
            icon=":material/rate_review:",
        )


raw_id = st.query_params.get("application")
application_id = form.parse_id(raw_id)
if application_id is None:
    if raw_id is not None:
        st.error(t("rv_bad_id"))
    chooser()
    st.stop()

with reported() as loaded:
    application = applications.get_application(store, actor, application_id)
    sheet = reviews.get_sheet(store, actor, application_id)
    round_ = rounds.get_round(store, actor, application.round_id)
    rubric = rounds.round_rubric(store, actor, application.round_id)
    assigned = reviews.my_assignments(store, actor, application.round_id)
if not loaded.ok:
    st.stop()

settings = round_.settings
conflict_key = f"rv_conflict_{application_id}"
confirm_key = f"rv_confirm_{application_id}"
scoring_open = round_.state in ACTION_STATES["sheet.edit"]
time_left = reviews.time_left(settings.review_deadline, store.now())
deadline_passed = time_left is not None and time_left.passed
# Input typed against an older version stays editable even if the sheet was submitted meanwhile
# (e.g. in another tab): saving it then reports the conflict instead of silently dropping it.
unsaved_stale = (
    not form.needs_loading(application_id, rubric) and st.session_state[form.seen_key(application_id)] != sheet.version
)
editable = scoring_open and not deadline_passed and (sheet.status != "submitted" or unsaved_stale)

# -- header ----------------------------------------------------------------------------------------

st.subheader(escaped(f"{application.reference} · {application.title}"))
st.caption(
    escaped(
        " · ".join(
            [
                round_.name,
                application.organisation,
                form.category_label(rubric, application.category),
                application.region,
            ]
        )
    )
)
progress = reviews.sheet_progress(rubric, sheet.entries)
status_col, progress_col, deadline_col = st.columns(3)
with status_col:
    st.caption(t("rv_sheet_status"))
    form.status_badge(sheet.status)
    st.caption(t("rv_version", version=sheet.version))
progress_col.metric(t("rv_progress"), t("rv_progress_value", scored=progress.scored, required=progress.required))
with deadline_col:
    st.caption(t("rv_deadline"))
    st.markdown(form.deadline_text(settings.review_deadline, store.now()))

if sheet.status == "submitted" and not editable:
    st.success(t("rv_submitted_readonly", when=form.beijing_time(sheet.submitted_at or store.now())))
elif not scoring_open:
    st.info(t("rv_round_not_scoring", state=state_label(round_.state)))
elif deadline_passed:
    st.warning(t("rv_deadline_over"))
elif settings.min_comment_length:
    st.info(t("rv_comment_rule", count=settings.min_comment_length))
else:
    st.info(t("rv_comment_rule_none"))

if rubric.indicators:
    with st.expander(t("rv_indicators"), expanded=True):
        st.dataframe(
            form.indicator_rows(rubric, application.indicators),
            hide_index=True,
            width="stretch",
            column_config={"indicator": t("rv_col_indicator"), "value": t("rv_col_value")},
        )
if application.attachments:
    with st.expander(t("rv_attachments", count=len(application.attachments))):
        form.attachment_downloads(store, actor, application, key=f"rv_file_{application_id}")

# -- the sheet -------------------------------------------------------------------------------------

computed = reviews.computed_points(rubric, application.indicators)


def criterion_block(criterion, *, editing: bool) -> None:
    formula = criterion.method == "formula"
    with st.container(border=True, key=f"rv_block_{criterion.id}"):
        label = escaped(criterion.label.get(lang()))
        heading = f"**{label}** · {escaped(t('rv_max_points', max=form.points_text(criterion.max_points)))}"
        st.markdown(heading + (f" · {t('method_formula')}" if formula else ""))
        material, scoring = st.columns([3, 2], gap="large")
        with material:
            if formula:
                form.formula_block(rubric, criterion, application, computed.get(criterion.id))
            else:
                form.applicant_material(criterion, application)
        with scoring:
            if formula:
                st.caption(t("rv_computed_no_input"))
            else:
                form.levels_block(criterion)
                if editing:
                    form.score_inputs(application_id, criterion, settings.min_comment_length)
                else:
                    form.saved_entry(criterion, sheet.entries.get(criterion.id))


def criteria_blocks(*, editing: bool) -> None:
    for dimension in rubric.dimensions:
        name = dimension.label.get(lang())
        title = (
            t("dimension_points", name=name, points=form.points_text(dimension.max_points))
            if dimension.max_points is not None
            else name
        )
        st.subheader(escaped(title))
        for criterion in dimension.criteria:
            criterion_block(criterion, editing=editing)
    if rubric.bonus is not None:
        st.subheader(escaped(t("rv_bonus", cap=form.points_text(rubric.bonus.cap))))
        for criterion in rubric.bonus.items:
            criterion_block(criterion, editing=editing)


def save(*, submit: bool, seen_version: int) -> None:
    """Save the input as a draft or submit it; a refusal leaves the input on the page."""
    entries = form.inputs(application_id, rubric)
    saved = conflict = None
    with reported():
        raise_if_problems(reviews.entry_problems(rubric, entries))
        try:
            saved = reviews.save_sheet(
                store, actor, application_id, entries=entries, seen_version=seen_version, submit=submit
            )
        except EditConflict as exc:
            conflict = exc
    if conflict is not None:
        st.session_state[conflict_key] = conflict
        return
    if saved is None:
        return
    st.session_state.pop(conflict_key, None)
    st.session_state[form.seen_key(application_id)] = saved.version
    if submit:
        form.flash("rv_submitted_done")
    else:
        form.flash("rv_draft_saved", version=saved.version, when=form.beijing_time(store.now()))
    st.rerun()


def reload_latest() -> None:
    """Replace the input by the latest saved sheet (the reviewer asked for it)."""
    try:
        latest = reviews.get_sheet(store, actor, application_id)
    except OperationError:
        return  # the page shows the refusal when it runs
    form.load_into_state(application_id, rubric, latest.entries, latest.version)
    st.session_state.pop(conflict_key, None)
    st.session_state.pop(confirm_key, None)
    form.flash("rv_reloaded", kind="info", version=latest.version)


def conflict_panel() -> None:
    """After an edit conflict: what happened, how the latest version differs, and the two ways on."""
    conflict: EditConflict | None = st.session_state.get(conflict_key)
    if conflict is None:
        return
    with st.container(border=True, key="rv_conflict_panel"):
        st.error(conflict.message(lang()))
        with reported() as fresh:
            latest = reviews.get_sheet(store, actor, application_id)
        if not fresh.ok:
            return
        st.markdown(t("rv_conflict_compare", version=latest.version))
        changes = reviews.changed_entries(rubric, latest.entries, form.inputs(application_id, rubric))
        if changes:
            st.dataframe(
                form.change_rows(rubric, changes),
                hide_index=True,
                width="stretch",
                column_config={
                    "criterion": t("col_criterion"),
                    "saved_points": t("rv_col_saved_points"),
                    "saved_comment": t("rv_col_saved_comment"),
                    "your_points": t("rv_col_your_points"),
                    "your_comment": t("rv_col_your_comment"),
                },
            )
        else:
            st.info(t("rv_conflict_same"))
        reload_col, overwrite_col = st.columns(2)
        reload_col.button(
            t("rv_conflict_reload"),
            key="rv_conflict_reload",
            on_click=reload_latest,
            icon=":material/refresh:",
            width="stretch",
        )
        if latest.status == "submitted":
            overwrite_col.info(t("rv_conflict_submitted"))
        elif overwrite_col.button(
            t("rv_conflict_overwrite"), key="rv_conflict_overwrite", icon=":material/save_as:", width="stretch"
        ):
            save(submit=False, seen_version=latest.version)


if editable:
    if form.needs_loading(application_id, rubric):
        form.load_into_state(application_id, rubric, sheet.entries, sheet.version)
    with st.form(f"rv_sheet_{application_id}", enter_to_submit=False, border=False):
        criteria_blocks(editing=True)
        st.divider()
        save_col, submit_col = st.columns(2)
        save_clicked = save_col.form_submit_button(
            t("rv_save_draft"), key="rv_save_draft", icon=":material/save:", width="stretch"
        )
        submit_clicked = submit_col.form_submit_button(
            t("rv_submit"), key="rv_submit", type="primary", icon=":material/send:", width="stretch"
        )
    seen_version = st.session_state[form.seen_key(application_id)]
    if save_clicked:
        st.session_state.pop(confirm_key, None)
        save(submit=False, seen_version=seen_version)
    if submit_clicked:
        st.session_state[confirm_key] = True
    if st.session_state.get(confirm_key):
        with st.container(border=True, key="rv_confirm_box"):
            pending = reviews.sheet_progress(rubric, form.input_entries(application_id, rubric))
            st.warning(t("rv_confirm_text", scored=pending.scored, required=pending.required))
            confirm_col, cancel_col = st.columns(2)
            confirmed = confirm_col.button(
                t("rv_confirm_submit"), key="rv_confirm_submit", type="primary", icon=":material/task_alt:"
            )
            cancelled = cancel_col.button(t("rv_cancel_submit"), key="rv_cancel_submit", icon=":material/close:")
        if cancelled:
            st.session_state.pop(confirm_key, None)
            st.rerun()
        if confirmed:
            st.session_state.pop(confirm_key, None)
            save(submit=True, seen_version=seen_version)
    conflict_panel()
else:
    criteria_blocks(editing=False)

# -- other reviewers, conflicts of interest, what next ---------------------------------------------

st.subheader(t("rv_panel_heading"))
with reported() as got_panel:
    panel = reviews.panel_view(store, actor, application_id)
if got_panel.ok and panel:
    policy = settings.blind_policy
    st.caption(t(f"rv_panel_policy_{policy}"))
    st.dataframe(reviews.panel_table(rubric, panel, blind_policy=policy, lang=lang()), width="stretch")
    for name, entry in zip(reviews.panel_names(panel, blind_policy=policy, lang=lang()), panel, strict=True):
        with st.expander(escaped(t("rv_panel_comments", name=name))):
            for criterion in form.judged(rubric):
                if entry.comments.get(criterion.id):
                    labelled(escaped(criterion.label.get(lang())), entry.comments[criterion.id])
elif got_panel.ok:
    if settings.blind_policy == "sealed":
        st.info(t("rv_panel_sealed"))
    elif sheet.status != "submitted":
        st.info(t("rv_panel_after_submit"))
    else:
        st.info(t("rv_panel_none_yet"))

if round_.state in ACTION_STATES["conflict.declare"] and sheet.status != "submitted":
    with st.expander(t("rv_conflict_expander")):
        st.caption(t("rv_conflict_intro"))
        declared = form.conflict_declaration(
            store, actor, {application_id: f"{application.reference} · {application.title}"}, key="rv_score_conflict"
        )
        if declared is not None:
            form.flash("rv_conflict_done", name=escaped(declared))
            st.switch_page(form.MY_REVIEWS)

upcoming = reviews.next_assignment(assigned, application_id)
if upcoming is not None:
    st.page_link(
        form.SCORE,
        label=escaped(t("rv_next", reference=upcoming.reference, title=upcoming.title)),
        query_params={"application": upcoming.application_id},
        icon=":material/arrow_forward:",
    )
