"""Rubric-driven pieces of the applicant pages: the application form, the self-assessment inputs, charts.

Every input is generated from the round's frozen rubric, never from a list in the code: one widget
per indicator (with its unit and bounds), per gate declaration and veto, and a narrative and an
evidence box per criterion. Drafts save themselves: each widget's change callback sends that one
field through `applications.save_application` with the version the page last saw, so a change is
either in the store or reported beside the widget (the input stays on the page either way), and a
save based on an old read is an edit conflict, never an overwrite.

Widget keys are stable (`ap_f_title`, `ap_f_ind_<indicator>`, `ap_s_<criterion>`, ...) so that
browser tests can find them; they are reset whenever another application is opened.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from rubrics.schema import Criterion, Indicator, Rubric
from scoring.selfassess import level_points
from submissions import applications
from submissions.access import Actor
from submissions.applications import ApplicantWorkspace, ApplicationView, OwnApplication
from submissions.config import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_APPLICATION
from submissions.contracts import NAME_MAX, NARRATIVE_MAX
from submissions.errors import OperationError, SubmissionError
from ui.feedback import reported, show_refusal
from ui.session import lang, t
from ui.store import get_store
from ui.text import escaped, plain

HOME = "app_pages/applicant/home.py"
APPLICATION_PAGE = "app_pages/applicant/application.py"
SELF_ASSESSMENT_PAGE = "app_pages/applicant/self_assessment.py"
RESULTS_PAGE = "app_pages/applicant/results.py"

BEIJING = dt.timezone(dt.timedelta(hours=8))
ATTACHMENT_LIMIT_MB = MAX_ATTACHMENT_BYTES // (1024 * 1024)
ATTACHMENT_LIMIT_COUNT = MAX_ATTACHMENTS_PER_APPLICATION
ATTACHMENT_EXTENSIONS = tuple(sorted({ext.lstrip(".") for ext in applications.ATTACHMENT_TYPES}))
FLASH = "ap_state_flash"  # a one-time notice carried across a rerun or a page switch: (message key, values)


# -- small formatting helpers -----------------------------------------------------------------------


def beijing(moment: dt.datetime | None) -> str:
    """A stored (UTC) time as Beijing time, to the minute; an em dash when there is none."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def file_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(size / 1024, 0.1):.1f} KB"


def number(value: float | None) -> str:
    """10, 7.5, 0.25 as a reader writes them."""
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def status_label(status: str) -> str:
    return t(f"ap_status_{status}")


def flash(key: str, **values: object) -> None:
    st.session_state[FLASH] = (key, values)


def show_flash() -> None:
    notice = st.session_state.pop(FLASH, None)
    if notice:
        key, values = notice
        st.success(t(key, **values))


# -- which application: the `id` in the address ------------------------------------------------------


@dataclass(frozen=True)
class QueryId:
    value: int | None
    given: bool  # an id was in the address (valid or not)


def query_id() -> QueryId:
    raw = st.query_params.get("id")
    if raw is None or not str(raw).strip():
        return QueryId(None, False)
    text = str(raw).strip()
    return QueryId(int(text) if text.isdecimal() and len(text) < 12 else None, True)


def application_chooser(actor: Actor, page: str) -> None:
    """Shown when a page is opened without an application: pick one of the organisation's own."""
    mine = applications.list_own_applications(get_store(), actor)
    st.info(t("ap_choose_application"))
    if not mine:
        st.page_link(HOME, label=t("ap_go_home"), icon=":material/folder_open:")
        return
    by_id = {o.application.id: o for o in mine}
    chosen = st.selectbox(
        t("ap_application"),
        list(by_id),
        format_func=lambda i: (
            f"{by_id[i].application.reference} · {by_id[i].application.title or '—'} · {by_id[i].round_name}"
        ),
        key=f"ap_choose_{page.rsplit('/', 1)[-1].removesuffix('.py')}",
    )
    if st.button(t("ap_open"), key="ap_choose_open", type="primary"):
        st.query_params["id"] = str(chosen)
        st.rerun()


def workspace_from_query(actor: Actor, page: str) -> ApplicantWorkspace | None:
    """The application named by `?id=`: a chooser without one, a clear message for a bad or foreign one."""
    wanted = query_id()
    if not wanted.given:
        application_chooser(actor, page)
        return None
    if wanted.value is None:
        st.error(t("ap_bad_id"))
        st.page_link(HOME, label=t("ap_go_home"), icon=":material/folder_open:")
        return None
    try:
        return applications.applicant_workspace(get_store(), actor, wanted.value)
    except OperationError as exc:
        show_refusal(exc)
        st.page_link(HOME, label=t("ap_go_home"), icon=":material/folder_open:")
        return None


def application_links(application_id: int, *, results: bool, current: str | None = None) -> None:
    """Links between one application's pages; the results link is greyed out until results may exist."""
    targets = [
        (page, label, icon, enabled)
        for page, label, icon, enabled in (
            (APPLICATION_PAGE, "ap_link_application", ":material/edit_note:", True),
            (SELF_ASSESSMENT_PAGE, "ap_link_self_assessment", ":material/fact_check:", True),
            (RESULTS_PAGE, "ap_link_results", ":material/insights:", results),
        )
        if page != current
    ]
    for column, (page, label, icon, enabled) in zip(st.columns(len(targets)), targets, strict=True):
        with column:
            st.page_link(
                page,
                label=t(label),
                icon=icon,
                query_params={"id": str(application_id)},
                disabled=not enabled,
                help=None if enabled else t("ap_results_not_yet_help"),
            )


def application_header(ws: ApplicantWorkspace) -> None:
    """Who, which round, which application, in which state: shown on top of each application page."""
    app = ws.application
    plain(app.title, empty=t("ap_untitled"))
    st.caption(
        escaped(
            t(
                "ap_header",
                reference=app.reference,
                round=ws.round_name,
                status=status_label(app.status),
                deadline=t("ap_header_deadline", deadline=beijing(ws.deadline))
                if ws.deadline
                else t("ap_header_no_deadline"),
            )
        )
    )


# -- the application form: state and autosave --------------------------------------------------------

FORM_OF = "ap_state_form_of"
SEEN = "ap_state_seen_version"
SAVED = "ap_state_saved"
SAVED_AT = "ap_state_saved_at"
PROBLEMS = "ap_state_problems"
REFUSAL = "ap_state_refusal"
FIELD_PREFIX = "ap_f_"


def field_key(field: str, ident: str | None = None) -> str:
    short = {"indicators": "ind", "declarations": "decl", "narratives": "narr", "evidence": "evid"}
    return f"{FIELD_PREFIX}{field}" if ident is None else f"{FIELD_PREFIX}{short[field]}_{ident}"


def _widget_value(indicator: Indicator | None, value: object) -> object:
    # Every numeric indicator has a float input (see `indicator_input`), whole-number ones included.
    if indicator is not None and indicator.type in ("int", "float", "percent") and isinstance(value, int):
        return float(value) if not isinstance(value, bool) else value
    return value


def _whole(value: object) -> object:
    """A whole-number indicator's input as the integer it is (12.0 -> 12); anything else unchanged."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def form_values(saved: Mapping[str, object], rubric: Rubric) -> dict[str, object]:
    """Widget key -> the saved value it starts from."""
    values: dict[str, object] = {
        field_key("title"): saved.get("title") or "",
        field_key("region"): saved.get("region"),
        field_key("category"): saved.get("category"),
    }
    indicators = saved.get("indicators") or {}
    for ind in rubric.indicators:
        values[field_key("indicators", ind.id)] = _widget_value(ind, indicators.get(ind.id))
    declarations = saved.get("declarations") or {}
    for did in declared_ids(rubric):
        values[field_key("declarations", did)] = declarations.get(did)
    for collection in ("narratives", "evidence"):
        texts = saved.get(collection) or {}
        for c in rubric.criteria:
            values[field_key(collection, c.id)] = texts.get(c.id, "")
    return values


def declared_ids(rubric: Rubric) -> list[str]:
    return [g.id for g in rubric.gates if g.check == "declared"] + [v.id for v in rubric.vetoes]


def reset_form() -> None:
    for key in [k for k in st.session_state if str(k).startswith(FIELD_PREFIX)]:
        del st.session_state[key]
    for key in (FORM_OF, SEEN, SAVED, SAVED_AT, PROBLEMS, REFUSAL):
        st.session_state.pop(key, None)


def prepare_form(app: ApplicationView, rubric: Rubric, *, locked: bool) -> None:
    """Start the widgets from the stored application once per opened application (every run when locked).

    A widget whose state Streamlit dropped (the user visited another page) starts again from the last
    saved value; inputs that failed to save are then gone, and so is their message.
    """
    if locked or st.session_state.get(FORM_OF) != app.id:
        reset_form()
        st.session_state[FORM_OF] = app.id
        st.session_state[SEEN] = app.version
        st.session_state[SAVED] = app.editable_fields()
        st.session_state[SAVED_AT] = app.updated_at
        st.session_state[PROBLEMS] = {}
        st.session_state[REFUSAL] = None
    problems = st.session_state[PROBLEMS]
    for key, value in form_values(st.session_state[SAVED], rubric).items():
        if key not in st.session_state:
            st.session_state[key] = value
            problems.pop(key, None)


def change_for(field: str, ident: str | None, value: object, saved: Mapping[str, object]) -> dict:
    """The `changes` for `save_application` when one widget changed: its whole field, others untouched.

    A mapping field is sent whole, as saved plus this one entry, so that a rejected value in one box
    never blocks saving another. Empty text and unanswered questions are removed, not stored empty.
    """
    if ident is None:
        return {field: "" if value is None and field == "title" else value}
    entries = dict(saved.get(field) or {})
    if value is None or (isinstance(value, str) and not value.strip()):
        entries.pop(ident, None)
    else:
        entries[ident] = value
    return {field: entries}


def autosave(actor: Actor, application_id: int, key: str, field: str, ident: str | None, whole: bool = False) -> None:
    """A widget's change callback: save its field now, or keep the input and remember why not."""
    state = st.session_state
    value = _whole(state.get(key)) if whole else state.get(key)
    change = change_for(field, ident, value, state[SAVED])
    try:
        view = applications.save_application(
            get_store(), actor, application_id, seen_version=state[SEEN], changes=change
        )
    except SubmissionError as exc:
        state[PROBLEMS][key] = exc.problems
        return
    except OperationError as exc:
        state[REFUSAL] = exc
        return
    state[SEEN] = view.version
    state[SAVED] = view.editable_fields()
    state[SAVED_AT] = view.updated_at
    state[PROBLEMS].pop(key, None)
    state[REFUSAL] = None


def field_problems(key: str) -> None:
    problems = st.session_state.get(PROBLEMS, {}).get(key)
    if problems:
        st.error("\n\n".join(escaped(p.message(lang())) for p in problems), icon=":material/error:")


def _callback(
    actor: Actor, app: ApplicationView, key: str, field: str, ident: str | None = None, *, whole: bool = False
) -> dict:
    return {"on_change": autosave, "args": (actor, app.id, key, field, ident, whole)}


def save_status(ws: ApplicantWorkspace) -> None:
    """Draft saved at …, or why the last change was not saved, with a way to reload the stored version."""
    refusal: OperationError | None = st.session_state.get(REFUSAL)
    if refusal is not None:
        show_refusal(refusal)
        st.button(
            t("ap_reload"), key="ap_reload", on_click=reset_form, icon=":material/refresh:", help=t("ap_reload_help")
        )
        return
    if ws.application.version != st.session_state.get(SEEN):
        st.warning(t("ap_changed_elsewhere"))
        st.button(t("ap_reload"), key="ap_reload", on_click=reset_form, icon=":material/refresh:")
        return
    if any(st.session_state.get(PROBLEMS, {}).values()):
        st.warning(t("ap_some_not_saved"))
    st.caption(t("ap_saved_at", time=beijing(st.session_state.get(SAVED_AT))))


# -- the application form: sections --------------------------------------------------------------------


def organisation_section(ws: ApplicantWorkspace) -> None:
    app = ws.application
    st.markdown(f"**{t('ap_organisation')}**")
    plain(app.organisation)
    st.markdown(f"**{t('ap_credit_code')}**")
    plain(app.credit_code, empty=t("ap_credit_code_missing"))
    if ws.credit_code_problem is None:
        st.success(t("ap_credit_code_ok"), icon=":material/verified:")
    else:
        st.error(escaped(ws.credit_code_problem.message(lang())) + "  \n" + t("ap_credit_code_contact"))


def basics_section(actor: Actor, ws: ApplicantWorkspace, *, disabled: bool) -> None:
    app, rubric = ws.application, ws.rubric
    key = field_key("title")
    st.text_input(
        t("ap_title"),
        key=key,
        max_chars=NAME_MAX,
        disabled=disabled,
        placeholder=t("ap_title_placeholder"),
        **_callback(actor, app, key, "title"),
    )
    field_problems(key)
    categories = {c.id: c.label.get(lang()) for c in rubric.categories}
    key = field_key("category")
    st.selectbox(
        t("ap_category"),
        list(categories),
        format_func=lambda cid: categories.get(cid, cid),
        key=key,
        index=None,
        disabled=disabled or len(categories) == 1,
        **_callback(actor, app, key, "category"),
    )
    field_problems(key)
    regions = list(ws.regions)
    key = field_key("region")
    if st.session_state.get(key) not in regions:
        st.session_state[key] = None
    st.selectbox(
        t("ap_region"),
        regions,
        key=key,
        index=None,
        placeholder=t("ap_region_placeholder"),
        disabled=disabled,
        **_callback(actor, app, key, "region"),
    )
    field_problems(key)


def yes_no() -> Callable[[object], str]:
    """Yes/no labels fixed when the widget is drawn: a test harness may call the function outside the run."""
    yes, no = t("ap_yes"), t("ap_no")
    return lambda value: yes if value else no


def indicator_label(ind: Indicator) -> str:
    """The rubric's label with the unit and the allowed range, e.g. `用户数(万人,0–1000000)`."""
    label = ind.label.get(lang())
    if ind.type in ("bool", "choice"):
        return label
    unit = ind.unit or ("%" if ind.type == "percent" else "")
    low = number(ind.min) if ind.min is not None else ""
    high = number(ind.max) if ind.max is not None else ""
    bounds = f"{low}–{high}" if low or high else ""
    if unit and bounds:
        return t("ap_indicator_unit_bounds", label=label, unit=unit, bounds=bounds)
    if unit or bounds:
        return t("ap_indicator_label", label=label, detail=unit or bounds)
    return label


def indicator_input(actor: Actor, ws: ApplicantWorkspace, ind: Indicator, *, disabled: bool) -> None:
    """One indicator. Bounds are shown, not enforced by the widget: the store's check says in the user's
    language what is wrong with an out-of-range value and keeps it on the page (the browser's own
    bound check would silently refuse it, in English). Whole-number indicators get a float input too:
    an integer input reads `12.5` as 12 in the browser and saves it without a word, whereas the
    store refuses 12.5 and says that a whole number is needed."""
    key = field_key("indicators", ind.id)
    label = escaped(indicator_label(ind)) + (" \\*" if ind.required else "")
    help_text = escaped(ind.help.get(lang())) if ind.help else None
    callback = _callback(actor, ws.application, key, "indicators", ind.id, whole=ind.type == "int")
    if ind.type == "bool":
        st.radio(
            label,
            [True, False],
            format_func=yes_no(),
            index=None,
            horizontal=True,
            key=key,
            help=help_text,
            disabled=disabled,
            **callback,
        )
    elif ind.type == "choice":
        options = {c.value: c.label.get(lang()) for c in ind.choices or []}
        st.selectbox(
            label,
            list(options),
            format_func=lambda v: options.get(v, v),
            index=None,
            key=key,
            help=help_text,
            disabled=disabled,
            **callback,
        )
    else:
        whole = ind.type == "int"
        st.number_input(
            label,
            value=None,
            step=1.0 if whole else 0.1,
            format="%.10g" if whole else "%.2f",  # 12, 12.5 and 10000000 as typed, never 1e+07
            key=key,
            help=help_text,
            placeholder=t("ap_indicator_placeholder"),
            disabled=disabled,
            **callback,
        )
    field_problems(key)


def indicators_section(actor: Actor, ws: ApplicantWorkspace, *, disabled: bool) -> None:
    if not ws.rubric.indicators:
        st.info(t("ap_no_indicators"))
        return
    st.caption(t("ap_indicators_intro"))
    for ind in ws.rubric.indicators:
        indicator_input(actor, ws, ind, disabled=disabled)


def declarations_section(actor: Actor, ws: ApplicantWorkspace, *, disabled: bool) -> None:
    rubric = ws.rubric
    questions = [(g.id, g.label, "gate") for g in rubric.gates if g.check == "declared"]
    questions += [(v.id, v.label, "veto") for v in rubric.vetoes]
    if not questions:
        st.info(t("ap_no_declarations"))
        return
    st.caption(t("ap_declarations_intro"))
    for did, label, kind in questions:
        key = field_key("declarations", did)
        st.radio(
            escaped(label.get(lang())) + " \\*",
            [True, False],
            format_func=yes_no(),
            index=None,
            horizontal=True,
            key=key,
            help=t("ap_gate_help") if kind == "gate" else t("ap_veto_help"),
            disabled=disabled,
            **_callback(actor, ws.application, key, "declarations", did),
        )
        field_problems(key)


def criterion_title(c: Criterion) -> str:
    return t("ap_criterion_title", label=c.label.get(lang()), points=number(float(c.max_points)))


def narratives_section(actor: Actor, ws: ApplicantWorkspace, *, disabled: bool) -> None:
    rubric = ws.rubric
    st.caption(t("ap_narratives_intro"))
    groups = [(d.label.get(lang()), d.criteria) for d in rubric.dimensions]
    if rubric.bonus:
        groups.append((t("ap_bonus_items"), rubric.bonus.items))
    for heading, criteria in groups:
        st.markdown(f"#### {escaped(heading)}")
        for c in criteria:
            with st.container(border=True, key=f"ap_criterion_{c.id}"):
                st.markdown(f"**{escaped(criterion_title(c))}**")
                if c.method == "formula":
                    st.caption(t("ap_formula_note"))
                if c.evidence:
                    st.caption(escaped(t("ap_evidence_hint", hint=c.evidence.get(lang()))))
                for collection, label in (("narratives", "ap_narrative"), ("evidence", "ap_evidence")):
                    key = field_key(collection, c.id)
                    st.text_area(
                        t(label),
                        key=key,
                        max_chars=NARRATIVE_MAX,
                        height=120 if collection == "narratives" else 80,
                        disabled=disabled,
                        **_callback(actor, ws.application, key, collection, c.id),
                    )
                    field_problems(key)


# -- attachments ----------------------------------------------------------------------------------------


def attachments_section(actor: Actor, ws: ApplicantWorkspace, *, disabled: bool) -> None:
    app, rubric = ws.application, ws.rubric
    store = get_store()
    st.caption(
        t(
            "ap_attachment_limits",
            size=ATTACHMENT_LIMIT_MB,
            count=ATTACHMENT_LIMIT_COUNT,
            types=", ".join(e.upper() for e in ATTACHMENT_EXTENSIONS),
        )
    )
    labels = {c.id: c.label.get(lang()) for c in rubric.criteria}
    if not app.attachments:
        st.info(t("ap_no_attachments"))
    for att in app.attachments:
        with st.container(border=True, key=f"ap_attachment_{att.id}"):
            name, meta, download, remove = st.columns([4, 4, 2, 2], vertical_alignment="center")
            with name:
                plain(att.filename)
            with meta:
                st.caption(
                    escaped(
                        t(
                            "ap_attachment_meta",
                            criterion=labels.get(att.criterion_id or "", t("ap_attachment_general")),
                            size=file_size(att.size),
                            time=beijing(att.uploaded_at),
                        )
                    )
                )
            with download:
                st.download_button(
                    t("ap_download"),
                    data=_reader(actor, att.id),
                    file_name=att.filename,
                    mime=att.media_type,
                    key=f"ap_download_{att.id}",
                    icon=":material/download:",
                    on_click="ignore",
                )
            with remove:
                if not disabled and st.button(t("ap_delete"), key=f"ap_delete_{att.id}", icon=":material/delete:"):
                    with reported() as outcome:
                        applications.delete_attachment(store, actor, att.id)
                    if outcome.ok:
                        flash("ap_attachment_deleted", name=escaped(att.filename))
                        st.rerun()
    if disabled:
        return
    st.markdown(f"**{t('ap_upload_heading')}**")
    # A fresh key after each upload empties the box; the keyed container gives tests a stable handle.
    counter = st.session_state.setdefault("ap_upload_round", 0)
    with st.container(key="ap_uploader"):
        uploaded = st.file_uploader(
            t("ap_upload_file"),
            type=list(ATTACHMENT_EXTENSIONS),
            key=f"ap_upload_{counter}",
            max_upload_size=ATTACHMENT_LIMIT_MB,
            help=t("ap_upload_help", size=ATTACHMENT_LIMIT_MB),
        )
    general = t("ap_attachment_general")
    criterion = st.selectbox(
        t("ap_upload_criterion"),
        [None, *labels],
        format_func=lambda cid: general if cid is None else labels[cid],
        key="ap_upload_criterion",
    )
    if st.button(t("ap_upload"), key="ap_upload_button", icon=":material/upload:"):
        if uploaded is None:
            st.warning(t("ap_upload_choose_first"))
            return
        with reported() as outcome:
            added = applications.add_attachment(
                store, actor, app.id, filename=uploaded.name, data=uploaded.getvalue(), criterion_id=criterion
            )
        if outcome.ok:
            st.session_state["ap_upload_round"] = counter + 1
            flash("ap_attachment_added", name=escaped(added.filename))  # the stored, sanitised name
            st.rerun()


def _reader(actor: Actor, attachment_id: str) -> Callable[[], bytes]:
    """The file's bytes, read only when the user clicks download (a page may list thirty large files)."""
    return lambda: applications.read_attachment(get_store(), actor, attachment_id)[1]


# -- self-assessment: state and autosave -----------------------------------------------------------------

SA_OF = "ap_state_sa_of"
SA_SEEN = "ap_state_sa_seen_version"
SA_SAVED = "ap_state_sa_saved"
SA_SAVED_AT = "ap_state_sa_saved_at"
SA_PROBLEMS = "ap_state_sa_problems"
SA_REFUSAL = "ap_state_sa_refusal"
SA_PREFIX = "ap_s_"


def points_key(criterion_id: str) -> str:
    return f"{SA_PREFIX}{criterion_id}"


def reset_self_assessment() -> None:
    for key in [k for k in st.session_state if str(k).startswith(SA_PREFIX)]:
        del st.session_state[key]
    for key in (SA_OF, SA_SEEN, SA_SAVED, SA_SAVED_AT, SA_PROBLEMS, SA_REFUSAL):
        st.session_state.pop(key, None)


def prepare_self_assessment(ws: ApplicantWorkspace, *, locked: bool) -> None:
    sa = ws.self_assessment
    if locked or st.session_state.get(SA_OF) != sa.application_id:
        reset_self_assessment()
        st.session_state[SA_OF] = sa.application_id
        st.session_state[SA_SEEN] = sa.version
        st.session_state[SA_SAVED] = {k: float(v) for k, v in sa.points.items()}
        st.session_state[SA_SAVED_AT] = ws.self_assessed_at
        st.session_state[SA_PROBLEMS] = {}
        st.session_state[SA_REFUSAL] = None
    saved = st.session_state[SA_SAVED]
    for c in ws.rubric.criteria:
        key = points_key(c.id)
        if c.method == "judged" and key not in st.session_state:
            st.session_state[key] = saved.get(c.id)
            st.session_state[SA_PROBLEMS].pop(key, None)


def current_points(rubric: Rubric) -> dict[str, float]:
    """The points in the inputs now (saved or not): what the live total shows."""
    values = {c.id: st.session_state.get(points_key(c.id)) for c in rubric.criteria if c.method == "judged"}
    return {cid: value for cid, value in values.items() if value is not None}


def autosave_points(actor: Actor, application_id: int, criterion_id: str) -> None:
    state = st.session_state
    key = points_key(criterion_id)
    points = dict(state[SA_SAVED])
    value = state.get(key)
    if value is None:
        points.pop(criterion_id, None)
    else:
        points[criterion_id] = value
    try:
        view = applications.save_self_assessment(
            get_store(),
            actor,
            application_id,
            points={cid: str(v) for cid, v in points.items()},
            seen_version=state[SA_SEEN],
        )
    except SubmissionError as exc:
        state[SA_PROBLEMS][key] = exc.problems
        return
    except OperationError as exc:
        state[SA_REFUSAL] = exc
        return
    state[SA_SEEN] = view.version
    state[SA_SAVED] = {k: float(v) for k, v in view.points.items()}
    state[SA_SAVED_AT] = get_store().now()
    state[SA_PROBLEMS].pop(key, None)
    state[SA_REFUSAL] = None


def self_assessment_status(ws: ApplicantWorkspace) -> None:
    refusal: OperationError | None = st.session_state.get(SA_REFUSAL)
    if refusal is not None:
        show_refusal(refusal)
        st.button(t("ap_reload"), key="ap_sa_reload", on_click=reset_self_assessment, icon=":material/refresh:")
        return
    if ws.self_assessment.version != st.session_state.get(SA_SEEN):
        st.warning(t("ap_changed_elsewhere"))
        st.button(t("ap_reload"), key="ap_sa_reload", on_click=reset_self_assessment, icon=":material/refresh:")
        return
    if any(st.session_state.get(SA_PROBLEMS, {}).values()):
        st.warning(t("ap_some_not_saved"))
    moment = st.session_state.get(SA_SAVED_AT)
    st.caption(t("ap_sa_saved_at", time=beijing(moment)) if moment else t("ap_sa_not_saved_yet"))


GRADES = {"优": "ap_grade_excellent", "良": "ap_grade_good", "中": "ap_grade_fair", "差": "ap_grade_poor"}


def level_descriptors(c: Criterion) -> None:
    """The rubric's level descriptors of a criterion, best first, with the points each level spans."""
    lines = [
        escaped(
            t(
                "ap_level",
                grade=t(GRADES[level.grade]),
                span=f"{number(low)}–{number(high)}",
                descriptor=level.descriptor.get(lang()),
            )
        )
        for level, low, high in level_points(c)
    ]
    if lines:
        st.markdown("  \n".join(lines))


def points_input(actor: Actor, ws: ApplicantWorkspace, c: Criterion, *, disabled: bool) -> None:
    key = points_key(c.id)
    step = float(c.step) if c.step else 0.5
    st.number_input(
        t("ap_sa_points", points=number(float(c.max_points))),
        min_value=0.0,
        max_value=float(c.max_points),
        value=None,
        step=step,
        format="%.1f" if step * 10 == int(step * 10) else "%.2f",
        key=key,
        placeholder=t("ap_sa_placeholder"),
        disabled=disabled,
        on_change=autosave_points,
        args=(actor, ws.application.id, c.id),
    )
    problems = st.session_state.get(SA_PROBLEMS, {}).get(key)
    if problems:
        st.error("\n\n".join(escaped(p.message(lang())) for p in problems), icon=":material/error:")


# -- charts -------------------------------------------------------------------------------------------------


def _legend(mapping: Mapping[str, str]) -> str:
    """A Vega expression that shows each code's translation in a legend (json.dumps quotes safely)."""
    return f"{json.dumps(dict(mapping), ensure_ascii=False)}[datum.label] || datum.label"


SOURCE_COLOURS = {"self": "#1f77b4", "unassessed": "#c7c7c7", "computed": "#2ca02c", "no_indicator": "#ff9896"}


def self_chart(criteria: pd.DataFrame) -> alt.LayerChart:
    """Self points (coloured by where they come from) against each criterion's maximum, in sheet order."""
    label = f"label_{lang()}"
    order = criteria[label].tolist()
    base = alt.Chart(criteria).encode(y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)))
    maximum = base.mark_bar(color="#e6e6e6").encode(
        x=alt.X("max_points:Q", title=t("ap_chart_points")),
        tooltip=[
            alt.Tooltip(f"{label}:N", title=t("ap_col_criterion")),
            alt.Tooltip("max_points:Q", title=t("ap_col_max")),
        ],
    )
    sources = {code: t(f"ap_source_{code}") for code in SOURCE_COLOURS}
    own = base.mark_bar(height=12).encode(
        x="points:Q",
        color=alt.Color(
            "source:N",
            scale=alt.Scale(domain=list(SOURCE_COLOURS), range=list(SOURCE_COLOURS.values())),
            legend=alt.Legend(title=None, orient="bottom", labelExpr=_legend(sources)),
        ),
        tooltip=[
            alt.Tooltip(f"{label}:N", title=t("ap_col_criterion")),
            alt.Tooltip("points:Q", title=t("ap_col_self")),
            alt.Tooltip("max_points:Q", title=t("ap_col_max")),
        ],
    )
    return alt.layer(maximum, own).properties(height=alt.Step(26))


VERDICT_COLOURS = {"overclaim": "#d62728", "underclaim": "#1f4e9c", "in_line": "#333333", "not_assessed": "#bbbbbb"}


def comparison_chart(criteria: pd.DataFrame) -> alt.LayerChart:
    """Panel points as bars, the applicant's own as marks: red where over-claimed, blue where below the panel."""
    label = f"label_{lang()}"
    order = criteria[label].tolist()
    base = alt.Chart(criteria).encode(y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)))
    tooltip = [
        alt.Tooltip(f"{label}:N", title=t("ap_col_criterion")),
        alt.Tooltip("panel:Q", title=t("ap_col_panel"), format=".2f"),
        alt.Tooltip("self:Q", title=t("ap_col_self"), format=".2f"),
        alt.Tooltip("gap:Q", title=t("ap_col_gap"), format="+.2f"),
        alt.Tooltip("max_points:Q", title=t("ap_col_max")),
    ]
    maximum = base.mark_bar(color="#eeeeee").encode(x=alt.X("max_points:Q", title=t("ap_chart_points")))
    panel = base.mark_bar(color="#9ecae1", height=12).encode(x="panel:Q", tooltip=tooltip)
    verdicts = {code: t(f"ap_verdict_{code}") for code in VERDICT_COLOURS}
    own = base.mark_tick(thickness=3, size=20).encode(
        x="self:Q",
        color=alt.Color(
            "verdict:N",
            scale=alt.Scale(domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())),
            legend=alt.Legend(title=t("ap_col_self"), orient="bottom", labelExpr=_legend(verdicts)),
        ),
        tooltip=tooltip,
    )
    return alt.layer(maximum, panel, own).properties(height=alt.Step(26))


ROW_STYLES = {
    "overclaim": "background-color: #fde0dd; color: #a50f15",
    "underclaim": "background-color: #deebf7; color: #08519c",
}


def highlight_gaps(row: pd.Series) -> list[str]:
    """Row styles for the self-vs-panel table: over-claimed red, below the panel blue."""
    return [ROW_STYLES.get(row["verdict"], "")] * len(row)


def comparison_table(criteria: pd.DataFrame):
    """The self-vs-panel table with its rows coloured by verdict and missing self points as a dash."""
    return criteria.style.apply(highlight_gaps, axis=1).format(
        {"max_points": "{:g}", "panel": "{:.2f}", "self": "{:.2f}", "gap": "{:+.2f}"}, na_rep="—"
    )


def own_summary_frame(mine: list[OwnApplication]) -> pd.DataFrame:
    """The overview table of the organisation's applications, labelled in the session's language."""
    return pd.DataFrame(
        {
            "round": [o.round_name for o in mine],
            "reference": [o.application.reference for o in mine],
            "title": [o.application.title for o in mine],
            "category": [o.category_label(lang()) for o in mine],
            "status": [status_label(o.application.status) for o in mine],
            "self_assessed": [o.self_assessed for o in mine],
            "updated": [beijing(o.application.updated_at) for o in mine],
        }
    )
