"""Assignment: plan reviewers automatically (previewed before anything is saved), assign or remove one
by hand, and see every conflict of interest and the round's current assignments."""

from __future__ import annotations

import streamlit as st

from submissions import accounts, applications, assignments, results
from ui import charts
from ui.feedback import reported
from ui.session import lang, require_role, t
from ui.store import get_store
from ui.text import escaped
from ui.widgets import round_picker, state_label

actor = require_role("assignment", "admin")

CHANGEABLE = ("open", "under_review")
SHOWN_STATES = ("open", "under_review", "closed", "published", "final")
PLAN_KEY = "rs_plan"
FLASH_KEY = "rs_assignment_flash"


def flash(message: str) -> None:
    """A success message (markdown: names in it are escaped) that survives the rerun refreshing the tables."""
    st.session_state[FLASH_KEY] = message
    st.rerun()


def show_preview(preview: assignments.PlanPreview, names: dict[int, str], references: dict[int, str]) -> None:
    plan = preview.plan
    cells = st.columns(4)
    cells[0].metric(t("rs_metric_submitted"), preview.applications)
    cells[1].metric(t("rs_metric_reviewers"), preview.reviewers)
    cells[2].metric(t("rs_metric_new_pairs"), len(plan.pairs))
    cells[3].metric(t("rs_metric_shortfalls"), len(plan.shortfalls))
    loads = results.plan_loads(plan, names)
    st.markdown(f"**{t('rs_plan_loads', k=preview.per_application)}**")
    kinds = {"before": t("rs_load_before"), "added": t("rs_load_added")}
    long = results.plan_loads_long(loads)
    if not long.empty:
        chart = charts.stacked_counts(
            long,
            category="reviewer",
            value="sheets",
            series="kind",
            names=kinds,
            labels={"category": t("rs_col_reviewer"), "value": t("rs_col_sheets"), "series": t("rs_col_kind")},
        )
        st.altair_chart(chart, width="stretch")
    st.dataframe(
        loads,
        hide_index=True,
        width="stretch",
        column_order=["reviewer", "before", "added", "after"],
        column_config={
            "reviewer": t("rs_col_reviewer"),
            "before": kinds["before"],
            "added": kinds["added"],
            "after": t("rs_load_after"),
        },
        key="rs_plan_loads",
    )
    if plan.shortfalls:
        st.warning(t("rs_plan_shortfalls", count=len(plan.shortfalls)))
        st.dataframe(
            results.plan_shortfalls(plan, references),
            hide_index=True,
            column_order=["reference", "missing"],
            column_config={"reference": t("rs_col_reference"), "missing": t("rs_col_missing")},
            key="rs_plan_shortfalls",
        )
    with st.expander(t("rs_plan_pairs", count=len(plan.pairs))):
        st.dataframe(
            results.plan_pairs(plan, references, names),
            hide_index=True,
            width="stretch",
            column_order=["reference", "reviewer"],
            column_config={"reference": t("rs_col_reference"), "reviewer": t("rs_col_reviewer")},
            key="rs_plan_pairs",
        )


def automatic(round_id: int, default_k: int, names: dict[int, str], references: dict[int, str]) -> None:
    st.subheader(t("rs_auto_heading"))
    st.caption(t("rs_auto_intro"))
    left, right = st.columns(2)
    seed = left.number_input(t("rs_seed"), min_value=0, max_value=2_147_483_647, value=0, step=1, key="rs_seed")
    k = right.number_input(
        t("rs_per_application"), min_value=1, max_value=50, value=default_k, step=1, key=f"rs_k_{round_id}"
    )
    if st.button(t("rs_preview"), key="rs_preview", icon=":material/preview:"):
        with st.spinner(t("rs_planning")), reported() as planned:
            preview = assignments.preview_assignment(
                get_store(), actor, round_id, seed=int(seed), per_application=int(k)
            )
        if planned.ok:
            st.session_state[PLAN_KEY] = (round_id, int(seed), int(k), preview)
    stored = st.session_state.get(PLAN_KEY)
    if not stored or stored[0] != round_id:
        return
    _, seed_used, k_used, preview = stored
    st.markdown(f"**{t('rs_plan_heading', seed=seed_used, k=k_used)}**")
    show_preview(preview, names, references)
    if not preview.plan.pairs:
        st.info(t("rs_plan_nothing"))
        return
    if st.button(
        t("rs_apply", count=len(preview.plan.pairs)), type="primary", key="rs_apply", icon=":material/done_all:"
    ):
        with st.spinner(t("rs_applying")), reported() as applied_outcome:
            applied = assignments.apply_assignment(get_store(), actor, round_id, seed=seed_used, per_application=k_used)
        if applied_outcome.ok:
            del st.session_state[PLAN_KEY]
            same = applied.plan.pairs == preview.plan.pairs
            flash(t("rs_applied" if same else "rs_applied_changed", count=len(applied.plan.pairs)))


def manual(submitted: dict[int, str], titles: dict[int, str], reviewers: dict[int, str]) -> None:
    st.subheader(t("rs_manual_heading"))
    if not submitted or not reviewers:
        st.info(t("rs_manual_nothing"))
        return
    left, right = st.columns(2)
    app_id = left.selectbox(
        t("rs_application"),
        list(submitted),
        format_func=lambda a: f"{submitted[a]} · {titles[a]}",
        key="rs_manual_application",
    )
    reviewer_id = right.selectbox(
        t("rs_reviewer"), list(reviewers), format_func=reviewers.get, key="rs_manual_reviewer"
    )
    add, remove = st.columns(2)
    if add.button(t("rs_assign"), key="rs_assign", icon=":material/person_add:"):
        with reported() as done:
            assignments.assign(get_store(), actor, app_id, reviewer_id)
        if done.ok:
            flash(t("rs_assigned", reviewer=escaped(reviewers[reviewer_id]), reference=escaped(submitted[app_id])))
    if remove.button(t("rs_unassign"), key="rs_unassign", icon=":material/person_remove:"):
        with reported() as done:
            assignments.unassign(get_store(), actor, app_id, reviewer_id)
        if done.ok:
            flash(t("rs_unassigned", reviewer=escaped(reviewers[reviewer_id]), reference=escaped(submitted[app_id])))


st.title(t("nav_assignment"))
language = lang()
round_ = round_picker(actor, states=SHOWN_STATES, key="rs_assignment")
if round_ is None:
    st.stop()
message = st.session_state.pop(FLASH_KEY, None)
if message:
    st.success(message)

with reported() as loaded:
    store = get_store()
    reviewer_views = accounts.list_users(store, actor, role="reviewer")
    apps = applications.list_applications(store, actor, round_.id)
    table = assignments.assignment_table(store, actor, round_.id)
    conflicts = assignments.conflicts(store, actor, round_.id)
if not loaded.ok:
    st.stop()

names = {u.id: u.display_name for u in reviewer_views}
active = {u.id: u.display_name for u in reviewer_views if u.active}
references = {a.id: a.reference for a in apps}
submitted = {a.id: a.reference for a in apps if a.status == "submitted"}
titles = {a.id: a.title for a in apps}

cells = st.columns(4)
cells[0].metric(t("rs_metric_submitted"), len(submitted))
cells[1].metric(t("rs_metric_reviewers"), len(active))
cells[2].metric(t("rs_metric_assignments"), len(table))
cells[3].metric(t("rs_metric_conflicts"), len(conflicts))

if round_.state in CHANGEABLE:
    automatic(round_.id, round_.settings.reviewers_per_application, names, submitted)
    manual(submitted, titles, active)
else:
    st.info(t("rs_assign_locked", state=state_label(round_.state)))

st.subheader(t("rs_conflicts_heading"))
if conflicts.empty:
    st.success(t("rs_no_conflicts"))
else:
    st.dataframe(
        results.conflict_rows(conflicts, references, names, language),
        hide_index=True,
        width="stretch",
        column_config={
            "reference": t("rs_col_reference"),
            "reviewer": t("rs_col_reviewer"),
            "kind": t("rs_col_conflict_kind"),
            "reason": st.column_config.TextColumn(t("rs_col_conflict_reason"), width="large"),
        },
        key="rs_conflicts_table",
    )

st.subheader(t("rs_current_heading"))
if table.empty:
    st.info(t("rs_no_assignments"))
else:
    st.dataframe(
        results.assignment_rows(table, language),
        hide_index=True,
        width="stretch",
        column_order=["reference", "reviewer", "method", "conflicted"],
        column_config={
            "reference": t("rs_col_reference"),
            "reviewer": t("rs_col_reviewer"),
            "method": t("rs_col_assignment_method"),
            "conflicted": st.column_config.CheckboxColumn(t("rs_col_conflicted")),
        },
        key="rs_assignments_table",
    )
