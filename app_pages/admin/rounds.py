"""Review rounds: the list, creating a round from a rubric, its settings, and moving it one state on."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from rubrics import RubricError, list_rubrics, load_rubric
from rubrics.errors import located, message_in
from rubrics.schema import AGGREGATION_METHODS
from submissions import privacy, rounds
from submissions.access import ACTION_STATES
from submissions.errors import EditConflict, SubmissionError
from ui.feedback import reported
from ui.messages import translator
from ui.session import lang as session_lang
from ui.session import require_role, t
from ui.store import get_store
from ui.text import escaped, labelled
from ui.widgets import CURRENT_ROUND_KEY, round_picker, state_label

actor = require_role("rounds", "admin")
lang = session_lang()
says = translator(lang)  # for format_func: called again outside the run (tests), so bound to the language now
store = get_store()
FLASH = "ad_rounds_flash"
CONFIRM = "ad_confirm_advance"
SELECT_NEXT = "ad_rounds_select_next"
PICKER = "ad_rounds_picker"  # the key `round_picker(key="ad_rounds")` gives its select box


def label(field: str) -> str:
    zh, en = rounds.SETTING_LABELS[field]
    return en if lang == "en" else zh


def option(field: str):
    return lambda value: rounds.OPTION_LABELS[field][value][1 if lang == "en" else 0]


def show_rubric_problems(error: RubricError) -> None:
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


def office_settings(defaults: rounds.RoundSettings, key: str) -> dict:
    """The settings the programme office decides, as form widgets; returns the values entered."""
    left, right = st.columns(2)
    values = {
        "application_deadline": left.datetime_input(
            label("application_deadline"),
            value=rounds.beijing_wall_clock(defaults.application_deadline),
            help=t("ad_help_deadline"),
            key=f"{key}_application_deadline",
        ),
        "review_deadline": right.datetime_input(
            label("review_deadline"),
            value=rounds.beijing_wall_clock(defaults.review_deadline),
            help=t("ad_help_deadline"),
            key=f"{key}_review_deadline",
        ),
        "reviewers_per_application": left.number_input(
            label("reviewers_per_application"),
            min_value=1,
            max_value=50,
            value=defaults.reviewers_per_application,
            step=1,
            key=f"{key}_reviewers_per_application",
        ),
        "min_comment_length": right.number_input(
            label("min_comment_length"),
            min_value=0,
            max_value=2000,
            value=defaults.min_comment_length,
            step=1,
            help=t("ad_help_min_comment"),
            key=f"{key}_min_comment_length",
        ),
        "blind_policy": left.selectbox(
            label("blind_policy"),
            list(rounds.OPTION_LABELS["blind_policy"]),
            index=list(rounds.OPTION_LABELS["blind_policy"]).index(defaults.blind_policy),
            format_func=option("blind_policy"),
            key=f"{key}_blind_policy",
        ),
        "reviewer_identity": right.selectbox(
            label("reviewer_identity"),
            list(rounds.OPTION_LABELS["reviewer_identity"]),
            index=list(rounds.OPTION_LABELS["reviewer_identity"]).index(defaults.reviewer_identity),
            format_func=option("reviewer_identity"),
            key=f"{key}_reviewer_identity",
        ),
        "conflict_same_region": st.checkbox(
            label("conflict_same_region"),
            value=defaults.conflict_same_region,
            help=t("ad_help_conflict_region"),
            key=f"{key}_conflict_same_region",
        ),
    }
    for field in ("application_deadline", "review_deadline"):
        values[field] = rounds.beijing_time(values[field])
    return values


def panel_settings(defaults: rounds.RoundSettings, key: str) -> dict:
    """How the panel's scores are combined and ranked, and which regions applications come from."""
    left, right = st.columns(2)
    values = {
        "aggregation": left.selectbox(
            label("aggregation"),
            list(AGGREGATION_METHODS),
            index=list(AGGREGATION_METHODS).index(defaults.aggregation),
            format_func=option("aggregation"),
            key=f"{key}_aggregation",
        ),
        "trim_min_reviewers": right.number_input(
            label("trim_min_reviewers"),
            min_value=3,
            max_value=99,
            value=defaults.trim_min_reviewers,
            step=1,
            help=t("ad_help_trim"),
            key=f"{key}_trim_min_reviewers",
        ),
        "quota_per_category": left.number_input(
            label("quota_per_category"),
            min_value=1,
            value=defaults.quota_per_category,
            step=1,
            help=t("ad_help_quota"),
            key=f"{key}_quota_per_category",
        ),
        "quota_per_region": right.number_input(
            label("quota_per_region"),
            min_value=1,
            value=defaults.quota_per_region,
            step=1,
            help=t("ad_help_quota"),
            key=f"{key}_quota_per_region",
        ),
        "normalise": st.checkbox(
            label("normalise"), value=defaults.normalise, help=t("ad_help_normalise"), key=f"{key}_normalise"
        ),
    }
    regions = st.text_area(
        label("regions"), value="\n".join(defaults.regions), help=t("ad_help_regions"), key=f"{key}_regions"
    )
    values["regions"] = [line.strip() for line in regions.splitlines() if line.strip()]
    return values


def checked(rubric, values: dict) -> None:
    """Refuse settings the round would refuse, each problem naming its setting (raises SubmissionError)."""
    problems = rounds.settings_problems(rubric, values)
    if problems:
        raise SubmissionError(problems)


st.title(t("nav_rounds"))
flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(flash)

overview = rounds.round_overview(store, actor, lang)
st.subheader(t("ad_rounds_list"))
if overview.empty:
    st.info(t("no_rounds"))
else:
    st.dataframe(
        overview,
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn(t("ad_col_id"), format="%d"),
            "name": st.column_config.TextColumn(t("ad_col_round_name"), width="large"),
            "rubric_id": t("ad_col_rubric"),
            "state": t("round_state"),
            "created_at": st.column_config.DatetimeColumn(
                t("ad_col_created"), format="YYYY-MM-DD HH:mm", timezone="Asia/Shanghai"
            ),
            "applications": st.column_config.NumberColumn(t("ad_col_applications"), format="%d"),
            "drafts": st.column_config.NumberColumn(t("ad_col_drafts"), format="%d"),
            "assignments": st.column_config.NumberColumn(t("ad_col_assignments"), format="%d"),
            "sheets": st.column_config.NumberColumn(t("ad_col_sheets"), format="%d"),
        },
    )

wanted = st.query_params.get("rubric")  # "create a round from this rubric" in the library links here
if wanted:
    create, manage = st.tabs([t("ad_tab_create"), t("ad_tab_manage")])
else:
    manage, create = st.tabs([t("ad_tab_manage"), t("ad_tab_create")])
if SELECT_NEXT in st.session_state:  # a round created on the last run: show it (set before the picker exists)
    st.session_state[PICKER] = st.session_state.pop(SELECT_NEXT)

with manage:
    chosen = round_picker(actor, key="ad_rounds")
    if chosen is not None:
        labelled(t("ad_col_round_name"), chosen.name)
        st.caption(
            t(
                "ad_round_facts",
                rubric=escaped(chosen.rubric_id),
                state=state_label(chosen.state),
                version=chosen.version,
            )
        )

        st.subheader(t("ad_transition"))
        following = rounds.NEXT_STATE.get(chosen.state)
        if following is None:
            st.info(t("ad_round_is_final"))
        else:
            st.caption(t(f"ad_next_{following}"))
            if st.button(t("ad_advance", state=state_label(following)), key="ad_advance"):
                st.session_state[CONFIRM] = (chosen.id, chosen.version, following)
            pending = st.session_state.get(CONFIRM)
            if pending is not None and pending[0] == chosen.id:
                st.warning(
                    t(
                        "ad_confirm_question",
                        name=escaped(chosen.name),
                        current=state_label(chosen.state),
                        next=state_label(pending[2]),
                    )
                )
                yes, no = st.columns(2)
                if yes.button(t("ad_confirm"), key="ad_advance_confirm", type="primary"):
                    del st.session_state[CONFIRM]
                    with reported() as outcome:
                        moved = rounds.advance(store, actor, chosen.id, to_state=pending[2], seen_version=pending[1])
                    if outcome.ok:
                        # Moving on makes a new version of the round; its settings form starts from it.
                        st.session_state.pop(f"ad_set_{chosen.id}_seen", None)
                        st.session_state[FLASH] = t("ad_advanced", state=state_label(moved.state))
                        st.rerun()
                if no.button(t("ad_cancel"), key="ad_advance_cancel"):
                    del st.session_state[CONFIRM]
                    st.rerun()

        st.subheader(t("ad_settings"))
        if chosen.state not in ACTION_STATES["round.configure"]:
            st.caption(t("ad_settings_locked", state=state_label(chosen.state)))
            st.dataframe(
                rounds.settings_summary(chosen.settings, lang),
                hide_index=True,
                width="stretch",
                column_config={"setting": t("ad_col_setting"), "value": t("ad_col_value")},
            )
        else:
            # Widget keys stay the same across saves so that a refused save keeps the input on the page;
            # the version the form was filled in against is remembered beside them.
            key = f"ad_set_{chosen.id}"
            seen = st.session_state.setdefault(f"{key}_seen", chosen.version)
            if seen != chosen.version:
                st.info(t("ad_settings_changed_elsewhere"))
            with st.form(f"{key}_form"):
                values = office_settings(chosen.settings, key) | panel_settings(chosen.settings, key)
                save = st.form_submit_button(t("save"), type="primary", key=f"{key}_save")
            if save:
                with reported() as outcome:
                    checked(rounds.round_rubric(store, actor, chosen.id), chosen.settings.model_dump() | values)
                    saved = rounds.update_settings(store, actor, chosen.id, seen_version=seen, changes=values)
                if outcome.ok:
                    st.session_state[f"{key}_seen"] = saved.version
                    st.success(t("ad_settings_saved"))
                elif isinstance(outcome.error, EditConflict):
                    st.session_state["ad_conflicted"] = chosen.id
            if st.session_state.get("ad_conflicted") == chosen.id and st.button(
                t("ad_reload_settings"), key="ad_reload_settings"
            ):
                for widget in [k for k in st.session_state if str(k).startswith(f"{key}_")]:
                    del st.session_state[widget]
                del st.session_state["ad_conflicted"]
                st.rerun()

        st.subheader(t("pv_retention"))
        if chosen.purged_at is not None:
            st.info(t("pv_retention_purged", day=chosen.purged_at.date().isoformat()))
        else:
            st.caption(t("pv_retention_caption"))
            today = store.now().date()
            if chosen.retention_until is not None and chosen.retention_until < today:
                st.warning(t("pv_retention_due", day=chosen.retention_until.isoformat()))
            day = st.date_input(
                t("pv_retention_until"),
                value=chosen.retention_until,
                min_value=chosen.created_at.date(),
                max_value=chosen.created_at.date() + dt.timedelta(days=366 * 30),  # replace(year=) fails on 29 Feb
                key=f"pv_retention_{chosen.id}",
            )
            if st.button(t("pv_retention_save"), key=f"pv_retention_save_{chosen.id}") and day is not None:
                with reported() as outcome:
                    saved_day = privacy.set_retention(store, actor, chosen.id, until=day)
                if outcome.ok:
                    st.success(t("pv_retention_saved", day=saved_day.isoformat()))

with create:
    source = st.radio(
        t("ad_rubric_source"),
        ["library", "upload"],
        format_func=lambda s: says(f"ad_source_{s}"),
        horizontal=True,
        key="ad_create_source",
    )
    rubric_ids = list_rubrics()
    with st.form("ad_create_form"):
        name = st.text_input(t("ad_round_name"), max_chars=200, key="ad_create_name")
        if source == "library":
            rubric_id = st.selectbox(
                t("choose_rubric"),
                rubric_ids,
                index=rubric_ids.index(wanted) if wanted in rubric_ids else 0,
                format_func=lambda rid: f"{load_rubric(rid).title.get(lang)} · {rid}",
                key="ad_create_rubric",
            )
        else:
            upload = st.file_uploader(t("ad_rubric_file"), type=["yaml", "yml"], key="ad_create_upload")
        st.caption(t("ad_create_settings_note"))
        values = office_settings(rounds.RoundSettings(), "ad_create")
        create_clicked = st.form_submit_button(t("ad_create"), type="primary", key="ad_create_submit")
    if create_clicked:
        text = None
        rubric = None
        if source == "library":
            rubric = load_rubric(rubric_id)
        elif upload is None:
            st.error(t("ad_no_file"))
        else:
            try:
                text, rubric = rounds.rubric_upload(upload.getvalue(), upload.name)
            except RubricError as exc:
                show_rubric_problems(exc)
        if rubric is not None:
            with reported() as outcome:
                checked(rubric, values)
                created = rounds.create_round(
                    store,
                    actor,
                    name=name,
                    rubric_id=rubric_id if text is None else None,
                    rubric_text=text,
                    settings=values,
                )
            if outcome.ok:
                st.session_state[CURRENT_ROUND_KEY] = st.session_state[SELECT_NEXT] = created.id
                st.session_state[FLASH] = t("ad_created", name=escaped(created.name))
                st.rerun()
