"""Users and organisations: the lists, creating one at a time, enabling and disabling, Excel import."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from submissions import accounts, user_imports
from submissions.excel.errors import WorkbookRejected
from submissions.excel.users import users_template
from submissions.models import ROLES
from submissions.regions import PROVINCIAL_DIVISIONS
from ui.feedback import reported
from ui.messages import translator
from ui.session import lang as session_lang
from ui.session import require_role, t
from ui.store import get_store
from ui.text import escaped

actor = require_role("users", "admin")
lang = session_lang()
says = translator(lang)  # for format_func: called again outside the run (tests), so bound to the language now
store = get_store()
FLASH = "ad_users_flash"
OUTCOME = "ad_users_import_outcome"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def forget_outcome() -> None:
    st.session_state.pop(OUTCOME, None)


st.title(t("nav_users"))
flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(flash)

users_tab, organisations_tab, import_tab = st.tabs([t("ad_tab_users"), t("ad_tab_organisations"), t("ad_tab_import")])
organisations = accounts.list_organisations(store, actor)

with users_tab:
    directory = accounts.user_directory(store, actor)
    directory["role"] = directory["role"].map(lambda role: t(f"role_{role}"))
    st.dataframe(
        directory,
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn(t("ad_col_id"), format="%d"),
            "username": t("username"),
            "display_name": t("display_name"),
            "role": t("ad_col_role"),
            "organisation": st.column_config.TextColumn(t("ad_col_organisation"), width="large"),
            "region": t("ad_col_region"),
            "active": st.column_config.CheckboxColumn(t("ad_col_active")),
            "created_at": st.column_config.DatetimeColumn(
                t("ad_col_created"), format="YYYY-MM-DD HH:mm", timezone="Asia/Shanghai"
            ),
        },
    )

    st.subheader(t("ad_enable_disable"))
    others = {u.id: u for u in accounts.list_users(store, actor) if u.id != actor.user_id}
    chosen_id = st.selectbox(
        t("ad_choose_user"),
        list(others),
        format_func=lambda uid: says(
            "ad_user_choice",
            name=others[uid].display_name,
            username=others[uid].username,
            state=says("ad_active") if others[uid].active else says("ad_inactive"),
        ),
        index=None,
        placeholder=t("ad_choose_user_placeholder"),
        key="ad_users_toggle_user",
    )
    if chosen_id is not None:
        chosen = others[chosen_id]
        if st.button(t("ad_disable") if chosen.active else t("ad_enable"), key="ad_users_toggle"):
            with reported() as outcome:
                changed = accounts.set_active(store, actor, chosen.id, active=not chosen.active)
            if outcome.ok:
                st.session_state[FLASH] = t(
                    "ad_enabled" if changed.active else "ad_disabled", username=escaped(changed.username)
                )
                st.rerun()

    st.subheader(t("ad_create_user"))
    with st.form("ad_user_form"):
        left, right = st.columns(2)
        username = left.text_input(t("username"), max_chars=64, key="ad_user_username")
        display_name = right.text_input(t("display_name"), max_chars=200, key="ad_user_display_name")
        role = left.selectbox(t("ad_col_role"), ROLES, format_func=lambda r: says(f"role_{r}"), key="ad_user_role")
        by_id = {o.id: o for o in organisations}
        organisation_id = right.selectbox(
            t("ad_col_organisation"),
            list(by_id),
            index=None,
            format_func=lambda oid: f"{by_id[oid].name} · {by_id[oid].credit_code}",
            placeholder=t("ad_no_organisation"),
            help=t("ad_help_user_organisation"),
            key="ad_user_organisation",
        )
        region = left.text_input(t("ad_col_region"), max_chars=64, help=t("ad_help_user_region"), key="ad_user_region")
        password = left.text_input(t("ad_initial_password"), type="password", key="ad_user_password")
        repeat = right.text_input(t("ad_repeat_password"), type="password", key="ad_user_password_repeat")
        create_user = st.form_submit_button(t("ad_create_user"), type="primary", key="ad_user_submit")
    if create_user:
        if password != repeat:
            st.error(t("ad_passwords_differ"))
        else:
            with reported() as outcome:
                created = accounts.create_user(
                    store,
                    actor,
                    username=username,
                    display_name=display_name,
                    role=role,
                    password=password,
                    organisation_id=organisation_id,
                    region=region,
                )
            if outcome.ok:
                st.session_state[FLASH] = t("ad_user_created", username=escaped(created.username))
                for key in ("ad_user_username", "ad_user_display_name", "ad_user_password", "ad_user_password_repeat"):
                    st.session_state.pop(key, None)
                st.rerun()

with organisations_tab:
    st.dataframe(
        [asdict(o) for o in organisations],
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn(t("ad_col_id"), format="%d"),
            "name": st.column_config.TextColumn(t("ad_col_organisation"), width="large"),
            "credit_code": t("ad_col_credit_code"),
            "region": t("ad_col_region"),
        },
    )
    st.subheader(t("ad_create_organisation"))
    with st.form("ad_org_form"):
        org_name = st.text_input(t("ad_col_organisation"), max_chars=200, key="ad_org_name")
        left, right = st.columns(2)
        credit_code = left.text_input(
            t("ad_col_credit_code"), max_chars=18, help=t("ad_help_credit_code"), key="ad_org_credit_code"
        )
        org_region = right.selectbox(
            t("ad_col_region"),
            PROVINCIAL_DIVISIONS,
            index=None,
            accept_new_options=True,
            placeholder=t("ad_choose_region"),
            key="ad_org_region",
        )
        create_org = st.form_submit_button(t("ad_create_organisation"), type="primary", key="ad_org_submit")
    if create_org:
        with reported() as outcome:
            org = accounts.create_organisation(
                store, actor, name=org_name, credit_code=credit_code, region=org_region or ""
            )
        if outcome.ok:
            st.session_state[FLASH] = t("ad_organisation_created", name=escaped(org.name))
            for key in ("ad_org_name", "ad_org_credit_code"):
                st.session_state.pop(key, None)
            st.rerun()

with import_tab:
    st.caption(t("ad_import_intro"))
    st.download_button(
        t("ad_download_template"),
        data=users_template(),
        file_name="accounts-template.xlsx",
        mime=XLSX,
        icon=":material/download:",
        on_click="ignore",
        key="ad_users_template",
    )
    upload = st.file_uploader(t("ad_accounts_file"), type=["xlsx"], on_change=forget_outcome, key="ad_users_upload")
    if upload is not None and st.button(t("ad_import"), type="primary", key="ad_users_import"):
        with st.status(t("ad_importing"), expanded=True) as status:
            bar = st.progress(0.0, text=t("ad_checking"))

            def hashed(done: int, total: int) -> None:
                bar.progress(done / total, text=t("ad_hashing", done=done, total=total))

            try:
                result = user_imports.import_users(store, actor, upload.getvalue(), progress=hashed)
            except WorkbookRejected as refused:
                status.update(label=t("ad_import_failed"), state="error")
                st.error(escaped(refused.message(lang)))  # it may quote the upload's sheet and part names
                result = None
            if result is not None:
                status.update(
                    label=t("ad_import_done") if result.ok else t("ad_import_failed"),
                    state="complete" if result.ok else "error",
                )
                st.session_state[OUTCOME] = result
    result = st.session_state.get(OUTCOME)
    if result is not None and result.ok:
        st.success(t("ad_imported", organisations=result.organisations, users=result.users))
    elif result is not None:
        st.error(t("ad_import_problems", count=len(result.problems)))
        st.dataframe(
            [{"sheet": p.sheet, "cell": p.cell or f"{p.row}", "problem": p.message(lang)} for p in result.problems],
            hide_index=True,
            width="stretch",
            column_config={
                "sheet": t("ad_col_sheet"),
                "cell": t("ad_col_cell"),
                "problem": st.column_config.TextColumn(t("ad_col_problem"), width="large"),
            },
        )
        st.download_button(
            t("ad_download_errors"),
            data=result.error_workbook,
            file_name="accounts-errors.xlsx",
            mime=XLSX,
            icon=":material/download:",
            on_click="ignore",
            key="ad_users_errors",
        )
