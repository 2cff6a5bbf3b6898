"""Shared pieces of the reviewer pages: the score sheet's widget state, its blocks, and small formatters.

The sheet's inputs live in session state under keys derived from the application and criterion
(`rv_points_<application>_<criterion>`, `rv_comment_<application>_<criterion>`), filled from the
saved sheet the first time the sheet is shown and after a deliberate reload, and otherwise left
exactly as the reviewer typed them, so a refused save (an edit conflict, a validation problem)
never loses the reviewer's input. `rv_seen_<application>` is the sheet version those inputs were
loaded from: every save names it, which is how a save based on an old read is detected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

import streamlit as st

from rubrics.schema import Criterion, Indicator, Rubric
from submissions import applications, reviews
from submissions.access import Actor
from submissions.applications import ApplicationView
from submissions.contracts import COMMENT_MAX
from submissions.excel.errors import CellProblem
from submissions.reviews import Entry
from submissions.store import Store
from ui.feedback import reported
from ui.session import lang, t
from ui.text import escaped, labelled, plain

MY_REVIEWS = "app_pages/reviewer/assignments.py"
SCORE = "app_pages/reviewer/score.py"
BEIJING = dt.timezone(dt.timedelta(hours=8))
FLASH_KEY = "rv_flash"
GRADE_KEYS = {"优": "rv_grade_excellent", "良": "rv_grade_good", "中": "rv_grade_fair", "差": "rv_grade_poor"}
STATUS_COLOURS = {"new": "gray", "draft": "orange", "submitted": "green", "conflict": "red"}


# -- keys and widget state --------------------------------------------------------------------------


def points_key(application_id: int, criterion_id: str) -> str:
    return f"rv_points_{application_id}_{criterion_id}"


def comment_key(application_id: int, criterion_id: str) -> str:
    return f"rv_comment_{application_id}_{criterion_id}"


def seen_key(application_id: int) -> str:
    return f"rv_seen_{application_id}"


def judged(rubric: Rubric) -> list[Criterion]:
    return [c for c in rubric.criteria if c.method == "judged"]


def needs_loading(application_id: int, rubric: Rubric) -> bool:
    """True when the sheet's inputs are not (all) in session state, e.g. on first opening it."""
    keys = [key(application_id, c.id) for c in judged(rubric) for key in (points_key, comment_key)]
    return seen_key(application_id) not in st.session_state or any(k not in st.session_state for k in keys)


def load_into_state(application_id: int, rubric: Rubric, entries: Mapping[str, Entry], version: int) -> None:
    """Put a saved sheet into the inputs (replacing whatever they held) and remember its version."""
    for c in judged(rubric):
        entry = entries.get(c.id, Entry(None, ""))
        st.session_state[points_key(application_id, c.id)] = None if entry.points is None else float(entry.points)
        st.session_state[comment_key(application_id, c.id)] = entry.comment
    st.session_state[seen_key(application_id)] = version


def inputs(application_id: int, rubric: Rubric) -> dict[str, dict]:
    """The reviewer's current input per judged criterion, as `reviews.save_sheet` takes it."""
    entries = {}
    for c in judged(rubric):
        points = st.session_state.get(points_key(application_id, c.id))
        entries[c.id] = {
            "points": None if points is None else Decimal(repr(float(points))),
            "comment": st.session_state.get(comment_key(application_id, c.id)) or "",
        }
    return entries


def input_entries(application_id: int, rubric: Rubric) -> dict[str, Entry]:
    """The current input as entries (criteria with points), e.g. to count what a submission would hold."""
    return {
        cid: Entry(entry["points"], entry["comment"])
        for cid, entry in inputs(application_id, rubric).items()
        if entry["points"] is not None
    }


def parse_id(raw: str | None) -> int | None:
    """A record id from the address bar: ASCII digits only, at most 12 of them; anything else is None."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        return None
    return int(raw)


# -- messages that survive a rerun ------------------------------------------------------------------


def flash(key: str, kind: str = "success", **values: object) -> None:
    """Show a message (a catalogue key) at the top of the next run, e.g. after `st.rerun()`."""
    st.session_state[FLASH_KEY] = (kind, key, values)


def show_flash() -> None:
    pending = st.session_state.pop(FLASH_KEY, None)
    if pending is None:
        return
    kind, key, values = pending
    {"success": st.success, "info": st.info, "warning": st.warning}[kind](t(key, **values))


# -- formatting -------------------------------------------------------------------------------------


def points_text(value: Decimal | float | None) -> str:
    """Points as a reader writes them: `7`, `5.5`, `—` when there are none."""
    if value is None:
        return "—"
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return format(number.normalize(), "f")


def points_format(criterion: Criterion) -> str:
    """The number input's display format: enough decimals for the criterion's step, at least one."""
    step = criterion.step or Decimal("0.01")
    exponent = step.normalize().as_tuple().exponent
    decimals = max(1, -exponent if isinstance(exponent, int) else 2)
    return f"%.{decimals}f"


def beijing_time(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def status_badge(status: str) -> None:
    st.badge(t(f"rv_status_{status}"), color=STATUS_COLOURS[status])


def deadline_text(deadline: dt.datetime | None, now: dt.datetime) -> str:
    """The review deadline in Beijing time and what is left of it, in the session's language."""
    left = reviews.time_left(deadline, now)
    if deadline is None or left is None:
        return t("rv_deadline_none")
    when = beijing_time(deadline)
    if left.passed:
        return t("rv_deadline_passed", when=when)
    if left.days:
        return t("rv_deadline_days", when=when, days=left.days, hours=left.hours)
    return t("rv_deadline_hours", when=when, hours=left.hours, minutes=left.minutes)


def category_label(rubric: Rubric, category: str) -> str:
    labels = {c.id: c.label.get(lang()) for c in rubric.categories}
    return labels.get(category, category)


def indicator_value(indicator: Indicator, value: object) -> str:
    """A reported indicator as text with its unit; choices by their label, yes/no for booleans."""
    if value is None or value == "":
        return t("rv_not_reported")
    if indicator.type == "bool":
        return t("rv_yes") if value is True else t("rv_no")
    if indicator.type == "choice":
        labels = {choice.value: choice.label.get(lang()) for choice in indicator.choices or []}
        return labels.get(str(value), str(value))
    shown = points_text(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    if not indicator.unit:
        return shown
    return f"{shown}{indicator.unit}" if lang() == "zh" or indicator.unit == "%" else f"{shown} {indicator.unit}"


def indicator_rows(rubric: Rubric, reported: Mapping[str, object]) -> list[dict[str, str]]:
    return [
        {"indicator": ind.label.get(lang()), "value": indicator_value(ind, reported.get(ind.id))}
        for ind in rubric.indicators
    ]


def problem_rows(problems: Iterable[CellProblem]) -> list[dict[str, str]]:
    return [{"sheet": p.sheet, "cell": p.cell or p.header, "problem": p.message(lang())} for p in problems]


def change_rows(rubric: Rubric, changes: Iterable[reviews.EntryChange]) -> list[dict[str, str]]:
    labels = {c.id: c.label.get(lang()) for c in rubric.criteria}
    return [
        {
            "criterion": labels[change.criterion_id],
            "saved_points": points_text(change.saved.points),
            "saved_comment": change.saved.comment,
            "your_points": points_text(change.yours.points),
            "your_comment": change.yours.comment,
        }
        for change in changes
    ]


# -- blocks of the score sheet ----------------------------------------------------------------------


def levels_block(criterion: Criterion) -> None:
    """The criterion's level descriptors with their point ranges, best first."""
    for level in reviews.level_ranges(criterion):
        line = t(
            "rv_level_line",
            grade=t(GRADE_KEYS[level.grade]),
            low=points_text(level.low),
            high=points_text(level.high),
            descriptor=level.descriptor(lang()),
        )
        st.caption(escaped(line))


def applicant_material(criterion: Criterion, application: ApplicationView) -> None:
    """What the applicant wrote for a judged criterion: the narrative, the evidence, attached files."""
    labelled(t("rv_narrative"), application.narratives.get(criterion.id), empty=t("rv_nothing_written"))
    labelled(t("rv_evidence"), application.evidence.get(criterion.id), empty=t("rv_nothing_written"))
    files = [a.filename for a in application.attachments if a.criterion_id == criterion.id]
    if files:
        labelled(t("rv_files"), "\n".join(files))
    if criterion.evidence is not None:
        st.caption(escaped(t("rv_look_for", what=criterion.evidence.get(lang()))))


def formula_block(rubric: Rubric, criterion: Criterion, application: ApplicationView, points: Decimal | None) -> None:
    """A computed criterion: the indicator it is computed from, the reported value, the points."""
    assert criterion.formula is not None
    indicator = next(i for i in rubric.indicators if i.id == criterion.formula.indicator)
    st.markdown(escaped(t("rv_computed_from", indicator=indicator.label.get(lang()))))
    plain(indicator_value(indicator, application.indicators.get(indicator.id)))
    if points is None:
        st.caption(t("rv_computed_missing"))
    else:
        st.caption(escaped(t("rv_computed_points", points=points_text(points), max=points_text(criterion.max_points))))


def score_inputs(application_id: int, criterion: Criterion, min_comment_length: int) -> None:
    """The bounded points input and the comment box of one judged criterion (inside the sheet's form)."""
    label = criterion.label.get(lang())
    step = criterion.step or Decimal("0.01")
    st.number_input(
        escaped(t("rv_points_label", criterion=label, max=points_text(criterion.max_points))),
        min_value=0.0,
        max_value=float(criterion.max_points),
        step=float(step),
        value=None,
        format=points_format(criterion),
        key=points_key(application_id, criterion.id),
        help=t("rv_points_help", max=points_text(criterion.max_points), step=points_text(step)),
        placeholder=t("rv_points_placeholder"),
    )
    rule = t("rv_comment_min", count=min_comment_length) if min_comment_length else t("rv_comment_optional")
    st.text_area(
        escaped(t("rv_comment_label", criterion=label)),
        key=comment_key(application_id, criterion.id),
        max_chars=COMMENT_MAX,
        height=110,
        placeholder=rule,
        help=rule,
    )


def saved_entry(criterion: Criterion, entry: Entry | None) -> None:
    """A judged criterion's saved points (with the level they fall in) and comment, read-only."""
    points = None if entry is None else entry.points
    level = reviews.level_of(criterion, points)
    shown = points_text(points)
    if level is not None:
        shown = t("rv_points_with_level", points=shown, grade=t(GRADE_KEYS[level.grade]))
    st.metric(escaped(t("rv_your_points", max=points_text(criterion.max_points))), shown)
    labelled(t("rv_your_comment"), None if entry is None else entry.comment, empty=t("rv_no_comment"))


# -- conflict of interest ---------------------------------------------------------------------------


def conflict_declaration(store: Store, actor: Actor, choices: Mapping[int, str], *, key: str) -> str | None:
    """A form to declare a conflict on one of `choices` (id → shown name), with a reason and a confirmation.

    Returns the shown name of the application declared on, after the service accepted it.
    """
    ids = list(choices)
    with st.form(f"{key}_form", enter_to_submit=False):
        chosen = st.selectbox(
            t("rv_conflict_application"),
            ids,
            index=0 if len(ids) == 1 else None,
            format_func=choices.get,
            placeholder=t("rv_conflict_choose"),
            key=f"{key}_application",
        )
        reason = st.text_area(
            t("rv_conflict_reason"), max_chars=1000, key=f"{key}_reason", placeholder=t("rv_conflict_reason_hint")
        )
        sure = st.checkbox(t("rv_conflict_confirm"), key=f"{key}_sure")
        sent = st.form_submit_button(t("rv_conflict_button"), key=f"{key}_go", icon=":material/block:")
    if not sent:
        return None
    if chosen is None:
        st.warning(t("rv_conflict_pick_first"))
        return None
    if not sure:
        st.warning(t("rv_conflict_tick_first"))
        return None
    with reported() as outcome:
        reviews.declare_conflict(store, actor, chosen, reason=reason)
    return choices[chosen] if outcome.ok else None


def attachment_downloads(store: Store, actor: Actor, application: ApplicationView, *, key: str) -> None:
    """A download button per attached file; the file is read only when the reviewer clicks."""

    def reader(attachment_id: str) -> Callable[[], bytes]:
        return lambda: applications.read_attachment(store, actor, attachment_id)[1]

    for attachment in application.attachments:
        st.download_button(
            escaped(attachment.filename),
            data=reader(attachment.id),
            file_name=attachment.filename,
            mime=attachment.media_type,
            key=f"{key}_{attachment.id}",
            on_click="ignore",
            icon=":material/attach_file:",
        )
