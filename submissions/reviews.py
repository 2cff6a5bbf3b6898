"""Score sheets: a reviewer's points and comments for one assigned application.

- Only an assigned, non-conflicted reviewer scores, only while the round is under review and
  before the review deadline (server clock, at save time).
- Every save names the version the reviewer saw; a stale save raises `EditConflict` carrying the
  reviewer's input, and nothing is overwritten.
- A submitted sheet is immutable until an admin reopens it with a recorded reason.
- Other reviewers' scores are shown only as the round's blind policy allows, and never before the
  reviewer has submitted their own sheet.
- Every change writes its audit entry in the same transaction; the round's newest entry is what
  invalidates cached rankings.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from openpyxl.utils.cell import get_column_letter
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rubrics.schema import Criterion, Rubric
from scoring.formulas import formula_points
from submissions import audit
from submissions.access import Actor, require_state, valid_id, verified_user
from submissions.applications import REVIEWER_STATES, _contract_problems, reviewer_may_see
from submissions.assignments import rule_conflict
from submissions.contracts import ScoreSheet as ScoreSheetContract
from submissions.contracts import text_problem
from submissions.errors import AccessDenied, FieldProblem, RoundStateError, SubmissionError, raise_if_problems
from submissions.excel.errors import CellProblem
from submissions.excel.panel import panel_columns, read_panel
from submissions.excel.report import error_report_workbook
from submissions.models import Application, Assignment, Conflict, Organisation, ReviewRound, ScoreSheet, User
from submissions.rounds import check_deadline, load_round, rubric_of, settings_of
from submissions.store import Store
from submissions.validation import check_score_sheet
from submissions.versioning import check_version


@dataclass(frozen=True)
class Entry:
    points: Decimal | None
    comment: str = ""


@dataclass(frozen=True)
class SheetView:
    application_id: int
    reviewer_id: int
    status: str  # "new" before the first save
    version: int  # 0 before the first save
    entries: dict[str, Entry]
    submitted_at: dt.datetime | None


@dataclass(frozen=True)
class AssignmentView:
    round_id: int
    application_id: int
    reference: str
    title: str
    organisation: str
    category: str
    region: str
    sheet_status: str
    sheet_version: int
    review_deadline: dt.datetime | None
    entries: dict[str, Entry]  # the reviewer's own points and comments so far


def encode_points(rubric: Rubric, points: Mapping[str, Decimal]) -> str:
    """Points as a JSON list in `rubric.criteria` order, `null` where a criterion is not scored."""
    values = []
    for c in rubric.criteria:
        value = points.get(c.id)
        values.append(None if value is None else float(value))
    return json.dumps(values, separators=(",", ":"))


def decode_points(rubric: Rubric, text: str) -> dict[str, Decimal]:
    values = json.loads(text)
    return {
        c.id: Decimal(repr(v))
        for c, v in zip(rubric.criteria, values, strict=True)
        if v is not None and math.isfinite(v)
    }


def _sheet_view(rubric: Rubric, sheet: ScoreSheet | None, application_id: int, reviewer_id: int) -> SheetView:
    if sheet is None:
        return SheetView(application_id, reviewer_id, "new", 0, {}, None)
    points = decode_points(rubric, sheet.points)
    comments = json.loads(sheet.comments)
    ids = [c.id for c in rubric.criteria if c.id in points or c.id in comments]
    return SheetView(
        application_id,
        reviewer_id,
        sheet.status,
        sheet.version,
        {cid: Entry(points.get(cid), comments.get(cid, "")) for cid in ids},
        sheet.submitted_at,
    )


def _find_sheet(session: Session, application_id: int, reviewer_id: int) -> ScoreSheet | None:
    return session.scalar(
        select(ScoreSheet).where(ScoreSheet.application_id == application_id, ScoreSheet.reviewer_id == reviewer_id)
    )


def _may_review(session: Session, app: Application, user: User, round_: ReviewRound) -> bool:
    """Assigned, no declared conflict, and none the round's rules see (same organisation or region)."""
    return reviewer_may_see(session, app, user.id) and rule_conflict(app, user, round_) is None


def _reviewer_application(session: Session, actor: Actor, application_id: int) -> tuple[Application, ReviewRound]:
    user = verified_user(session, actor, "reviewer")
    app = session.get(Application, application_id)
    if app is None or app.status != "submitted":
        raise AccessDenied()
    round_ = session.get(ReviewRound, app.round_id)
    assert round_ is not None
    if round_.state not in REVIEWER_STATES or not _may_review(session, app, user, round_):
        raise AccessDenied()
    return app, round_


# -- reviewer operations --------------------------------------------------------------------------


def my_assignments(store: Store, actor: Actor, round_id: int) -> list[AssignmentView]:
    """The reviewer's non-conflicted assignments in a round, with each sheet's status."""

    def work(session: Session) -> list[AssignmentView]:
        user = verified_user(session, actor, "reviewer")
        round_ = load_round(session, round_id)
        if round_.state == "draft":
            raise AccessDenied()
        deadline = settings_of(round_).review_deadline
        rubric = rubric_of(store, round_)
        conflicted = select(Conflict.application_id).where(Conflict.reviewer_id == user.id)
        rows = session.execute(
            select(Application, Organisation, ScoreSheet)
            .join(Assignment, Assignment.application_id == Application.id)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .outerjoin(
                ScoreSheet,
                (ScoreSheet.application_id == Application.id) & (ScoreSheet.reviewer_id == user.id),
            )
            .where(Assignment.round_id == round_id, Assignment.reviewer_id == user.id)
            .where(Application.status == "submitted", Application.id.not_in(conflicted))
            .order_by(Application.id)
        ).all()
        return [
            AssignmentView(
                round_id,
                app.id,
                app.reference,
                app.title,
                org.name,
                app.category,
                app.region,
                sheet.status if sheet else "new",
                sheet.version if sheet else 0,
                deadline,
                _sheet_view(rubric, sheet, app.id, user.id).entries,
            )
            for app, org, sheet in rows
            if rule_conflict(app, user, round_) is None
        ]

    return store.read(actor, "assignment.mine", work, target=f"round:{round_id}")


def get_sheet(store: Store, actor: Actor, application_id: int) -> SheetView:
    def work(session: Session) -> SheetView:
        app, round_ = _reviewer_application(session, actor, application_id)
        return _sheet_view(rubric_of(store, round_), _find_sheet(session, app.id, actor.user_id), app.id, actor.user_id)

    return store.read(actor, "sheet.view", work, target=f"application:{application_id}")


def _contract(
    app: Application, actor: Actor, entries: Mapping[str, Mapping | Entry], status: str
) -> ScoreSheetContract:
    normalised = {}
    for cid, entry in entries.items():
        if isinstance(entry, Entry):
            entry = {"points": entry.points, "comment": entry.comment}
        if entry.get("points") is None and not (entry.get("comment") or "").strip():
            continue  # an untouched criterion on a draft
        normalised[cid] = dict(entry)
    try:
        return ScoreSheetContract(
            application_id=app.reference, reviewer_id=str(actor.user_id), entries=normalised, status=status
        )
    except ValidationError as exc:
        raise SubmissionError(_contract_problems(exc)) from None


def save_sheet(
    store: Store,
    actor: Actor,
    application_id: int,
    *,
    entries: Mapping[str, Mapping | Entry],
    seen_version: int,
    submit: bool = False,
) -> SheetView:
    """Save the reviewer's draft, or submit it (every judged criterion scored, comments long enough).

    `entries` maps criterion id to `{"points": ..., "comment": ...}`; a criterion with neither
    points nor comment is left unscored. `seen_version` is 0 for a sheet never saved.
    """
    return store.write(
        actor,
        "sheet.save",
        lambda session: save_sheet_in(
            session, store, actor, application_id, entries=entries, seen_version=seen_version, submit=submit
        ),
        target=f"application:{application_id}",
    )


def save_sheet_in(
    session: Session,
    store: Store,
    actor: Actor,
    application_id: int,
    *,
    entries: Mapping[str, Mapping | Entry],
    seen_version: int,
    submit: bool,
) -> SheetView:
    """`save_sheet` inside the caller's transaction (the offline upload saves several sheets at once)."""
    app, round_ = _reviewer_application(session, actor, application_id)
    sheet = _find_sheet(session, app.id, actor.user_id)
    yours = {cid: dict(e) if not isinstance(e, Entry) else e for cid, e in entries.items()}
    check_version(sheet.version if sheet else 0, seen_version, yours)
    require_state(round_, "sheet.edit")
    settings = settings_of(round_)
    check_deadline(store, settings.review_deadline, "评分", "scoring")
    if sheet is not None and sheet.status == "submitted":
        raise RoundStateError(
            "该评分表已提交,不能再修改;如需更正,请联系管理员退回。",
            "This score sheet is submitted and can no longer be changed; ask an administrator to reopen it.",
        )
    rubric = rubric_of(store, round_)
    status = "submitted" if submit else "draft"
    contract = _contract(app, actor, entries, status)
    raise_if_problems(
        check_score_sheet(contract, rubric, min_comment_length=settings.min_comment_length if submit else 0)
    )
    points = {cid: e.points for cid, e in contract.entries.items()}
    comments = {cid: e.comment for cid, e in contract.entries.items() if e.comment}
    now = store.now()
    before = (
        None
        if sheet is None
        else {"status": sheet.status, "points": json.loads(sheet.points), "comments": json.loads(sheet.comments)}
    )
    if sheet is None:
        sheet = ScoreSheet(round_id=app.round_id, application_id=app.id, reviewer_id=actor.user_id, created_at=now)
        session.add(sheet)
    sheet.points = encode_points(rubric, points)
    sheet.comments = json.dumps(comments, ensure_ascii=False, sort_keys=True)
    sheet.status = status
    sheet.updated_at = now
    sheet.submitted_at = now if submit else None
    session.flush()
    audit.record(
        session,
        actor,
        "sheet.submit" if submit else "sheet.save",
        "score_sheet",
        sheet.id,
        at=now,
        round_id=app.round_id,
        before=before,
        after={"status": status, "points": json.loads(sheet.points), "comments": comments},
    )
    return _sheet_view(rubric, sheet, app.id, actor.user_id)


def _require_reason(reason: str, zh: str, en: str) -> None:
    fault = text_problem(reason, 1000, field="reason", label_zh="理由", label_en="reason")
    if fault is not None:
        raise SubmissionError([fault])
    if not reason:
        raise SubmissionError([FieldProblem("reason", "missing_reason", zh, en)])


def declare_conflict(store: Store, actor: Actor, application_id: int, *, reason: str) -> None:
    """The reviewer declares a conflict of interest; the application leaves their list at once."""
    reason = reason.strip()

    def work(session: Session) -> None:
        user = verified_user(session, actor, "reviewer")
        app = session.get(Application, application_id)
        if app is None:
            raise AccessDenied()
        round_ = load_round(session, app.round_id)
        if not _may_review(session, app, user, round_):
            raise AccessDenied()
        _require_reason(
            reason, "请说明回避理由(1至1000个字)。", "Give the reason for the conflict (1 to 1000 characters)."
        )
        require_state(round_, "conflict.declare")
        session.add(
            Conflict(
                round_id=app.round_id,
                application_id=app.id,
                reviewer_id=user.id,
                source="declared",
                reason=reason,
                created_at=store.now(),
            )
        )
        audit.record(
            session,
            actor,
            "conflict.declare",
            "application",
            app.id,
            at=store.now(),
            round_id=app.round_id,
            after={"reviewer_id": user.id, "reason": reason},
        )

    store.write(actor, "conflict.declare", work, target=f"application:{application_id}")


@dataclass(frozen=True)
class PanelEntry:
    reviewer: str  # a name or an anonymous label, as the blind policy says
    status: str
    points: dict[str, Decimal]
    comments: dict[str, str]


def anonymous_label(index: int, lang: str = "zh") -> str:
    letters = string.ascii_uppercase
    code = letters[index % 26] + (str(index // 26 + 1) if index >= 26 else "")
    return f"专家{code}" if lang == "zh" else f"Reviewer {code}"


def panel_view(store: Store, actor: Actor, application_id: int) -> list[PanelEntry]:
    """Other reviewers' submitted sheets for this application, as the round's blind policy allows.

    Empty until the caller has submitted their own sheet; always empty under a sealed policy.
    """

    def work(session: Session) -> list[PanelEntry]:
        app, round_ = _reviewer_application(session, actor, application_id)
        policy = settings_of(round_).blind_policy
        own = _find_sheet(session, app.id, actor.user_id)
        if policy == "sealed" or own is None or own.status != "submitted":
            return []
        rubric = rubric_of(store, round_)
        others = session.execute(
            select(ScoreSheet, User)
            .join(User, User.id == ScoreSheet.reviewer_id)
            .where(ScoreSheet.application_id == app.id, ScoreSheet.status == "submitted")
            .where(ScoreSheet.reviewer_id != actor.user_id)
            .order_by(ScoreSheet.reviewer_id)
        ).all()
        return [
            PanelEntry(
                user.display_name if policy == "named_after_submit" else anonymous_label(i),
                sheet.status,
                decode_points(rubric, sheet.points),
                json.loads(sheet.comments),
            )
            for i, (sheet, user) in enumerate(others)
        ]

    return store.read(actor, "sheet.panel", work, target=f"application:{application_id}")


# -- admin operations -----------------------------------------------------------------------------


def reopen_sheet(store: Store, actor: Actor, application_id: int, reviewer_id: int, *, reason: str) -> SheetView:
    """Return a submitted sheet to draft so its reviewer can correct it; the reason is audited."""
    reason = reason.strip()

    def work(session: Session) -> SheetView:
        verified_user(session, actor, "admin")
        _require_reason(
            reason, "请填写退回理由(1至1000个字)。", "Give the reason for reopening (1 to 1000 characters)."
        )
        sheet = _find_sheet(session, application_id, reviewer_id) if valid_id(reviewer_id) else None
        if sheet is None:
            raise AccessDenied()
        round_ = load_round(session, sheet.round_id)
        require_state(round_, "sheet.reopen")
        if sheet.status != "submitted":
            raise RoundStateError(
                "该评分表尚未提交,无需退回。", "This score sheet is not submitted, so there is nothing to reopen."
            )
        sheet.status = "draft"
        sheet.submitted_at = None
        sheet.updated_at = store.now()
        session.flush()
        audit.record(
            session,
            actor,
            "sheet.reopen",
            "score_sheet",
            sheet.id,
            at=sheet.updated_at,
            round_id=sheet.round_id,
            before={"status": "submitted"},
            after={"status": "draft", "reason": reason},
        )
        return _sheet_view(rubric_of(store, round_), sheet, application_id, reviewer_id)

    return store.write(actor, "sheet.reopen", work, target=f"application:{application_id}")


def progress(store: Store, actor: Actor, round_id: int) -> pd.DataFrame:
    """Per assignment: reviewer, application and sheet status, for the admin's progress views."""

    def work(session: Session) -> pd.DataFrame:
        verified_user(session, actor, "admin")
        load_round(session, round_id)
        conflicted = (
            select(func.count())
            .select_from(Conflict)
            .where(Conflict.application_id == Assignment.application_id, Conflict.reviewer_id == Assignment.reviewer_id)
            .scalar_subquery()
        )
        rows = session.execute(
            select(
                Assignment.reviewer_id,
                User.display_name,
                Assignment.application_id,
                Application.reference,
                func.coalesce(ScoreSheet.status, "new"),
                conflicted,
            )
            .join(User, User.id == Assignment.reviewer_id)
            .join(Application, Application.id == Assignment.application_id)
            .outerjoin(
                ScoreSheet,
                (ScoreSheet.application_id == Assignment.application_id)
                & (ScoreSheet.reviewer_id == Assignment.reviewer_id),
            )
            .where(Assignment.round_id == round_id)
            .order_by(Assignment.reviewer_id, Assignment.application_id)
        ).all()
        frame = pd.DataFrame(
            rows, columns=["reviewer_id", "reviewer", "application_id", "reference", "status", "conflicted"]
        )
        frame["conflicted"] = frame["conflicted"].astype(bool)
        return frame

    return store.read(actor, "progress.view", work, target=f"round:{round_id}")


# -- the reviewer's pages: declared conflicts and pure views of sheets and assignments ---------------


@dataclass(frozen=True)
class DeclaredConflict:
    application_id: int
    reference: str
    title: str
    reason: str
    declared_at: dt.datetime


def my_conflicts(store: Store, actor: Actor, round_id: int) -> list[DeclaredConflict]:
    """The conflicts of interest the reviewer has declared in a round (they left `my_assignments`)."""

    def work(session: Session) -> list[DeclaredConflict]:
        user = verified_user(session, actor, "reviewer")
        round_ = load_round(session, round_id)
        if round_.state == "draft":
            raise AccessDenied()
        rows = session.execute(
            select(Conflict, Application)
            .join(Application, Application.id == Conflict.application_id)
            .where(Conflict.round_id == round_id, Conflict.reviewer_id == user.id)
            .order_by(Application.id)
        ).all()
        return [
            DeclaredConflict(app.id, app.reference, app.title, conflict.reason, conflict.created_at)
            for conflict, app in rows
        ]

    return store.read(actor, "conflict.mine", work, target=f"round:{round_id}")


@dataclass(frozen=True)
class WorkCounts:
    """How far the reviewer is in a round: sheets submitted, drafts, untouched, conflicts declared."""

    submitted: int
    draft: int
    not_started: int
    conflicts: int

    @property
    def to_do(self) -> int:
        return self.draft + self.not_started


def work_counts(assigned: list[AssignmentView], conflicts: list[DeclaredConflict]) -> WorkCounts:
    statuses = [item.sheet_status for item in assigned]
    return WorkCounts(statuses.count("submitted"), statuses.count("draft"), statuses.count("new"), len(conflicts))


def next_assignment(assigned: list[AssignmentView], current_id: int | None = None) -> AssignmentView | None:
    """The next sheet still to finish after `current_id` in list order (wrapping round), never `current_id`."""
    open_items = [item for item in assigned if item.sheet_status != "submitted" and item.application_id != current_id]
    if not open_items:
        return None
    ids = [item.application_id for item in assigned]
    start = ids.index(current_id) if current_id in ids else -1
    later = [item for item in open_items if ids.index(item.application_id) > start]
    return (later or open_items)[0]


@dataclass(frozen=True)
class TimeLeft:
    """Whole days, hours and minutes until a deadline (all zero and `passed` once it is over)."""

    days: int
    hours: int
    minutes: int
    passed: bool


def time_left(deadline: dt.datetime | None, now: dt.datetime) -> TimeLeft | None:
    """None without a deadline; otherwise what is left of it, rounded down to the minute."""
    if deadline is None:
        return None
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return TimeLeft(0, 0, 0, True)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    return TimeLeft(days, hours, rest // 60, False)


@dataclass(frozen=True)
class LevelRange:
    """A level descriptor in points: from `low` to `high` of the criterion's maximum."""

    grade: str
    low: Decimal
    high: Decimal
    descriptor_zh: str
    descriptor_en: str

    def descriptor(self, lang: str) -> str:
        return self.descriptor_en if lang == "en" else self.descriptor_zh


def level_ranges(criterion: Criterion) -> list[LevelRange]:
    """The criterion's level descriptors in points, best level first (points to two decimals)."""
    cent = Decimal("0.01")

    def points(fraction: float) -> Decimal:
        return (Decimal(str(fraction)) * criterion.max_points).quantize(cent).normalize()

    return [
        LevelRange(lv.grade, points(lv.min_fraction), points(lv.max_fraction), lv.descriptor.zh, lv.descriptor.en)
        for lv in sorted(criterion.levels, key=lambda lv: -lv.min_fraction)
    ]


def level_of(criterion: Criterion, points: Decimal | None) -> LevelRange | None:
    """The level whose range holds `points` (a shared bound belongs to the higher level)."""
    if points is None:
        return None
    for level in level_ranges(criterion):
        if level.low <= points <= level.high:
            return level
    return None


def computed_points(rubric: Rubric, indicators: Mapping[str, object]) -> dict[str, Decimal | None]:
    """Points of each formula criterion from the reported indicators (None where the value is missing)."""
    result: dict[str, Decimal | None] = {}
    for c in rubric.criteria:
        if c.formula is None:
            continue
        value = indicators.get(c.formula.indicator)
        if isinstance(value, bool) or not isinstance(value, int | float):
            result[c.id] = None
            continue
        points = formula_points(c.formula, np.array([float(value)]), float(c.max_points), float(c.step or 0))[0]
        result[c.id] = Decimal(repr(float(points))).quantize(Decimal("0.01")).normalize()
    return result


@dataclass(frozen=True)
class SheetProgress:
    """Judged main criteria scored so far, out of those a submission needs."""

    scored: int
    required: int


def sheet_progress(rubric: Rubric, entries: Mapping[str, Entry]) -> SheetProgress:
    required = [c.id for c in rubric.criteria if c.method == "judged" and c.id not in rubric.bonus_ids]
    scored = [cid for cid in required if cid in entries and entries[cid].points is not None]
    return SheetProgress(len(scored), len(required))


def entry_problems(rubric: Rubric, entries: Mapping[str, Mapping]) -> list[FieldProblem]:
    """What the web form must refuse before saving: a comment written on a criterion left unscored.

    The contract needs points for every entry; this says so in the reviewer's words, as the offline
    workbook does, instead of a type error.
    """
    problems = []
    for c in rubric.criteria:
        entry = entries.get(c.id)
        if entry is None or entry.get("points") is not None or not (entry.get("comment") or "").strip():
            continue
        problems.append(
            FieldProblem(
                f"entries.{c.id}.points",
                "comment_without_points",
                f"“{c.label.zh}”写了评语但没有打分;请填写分数,或删除评语。",
                f"“{c.label.en}” has a comment but no points; enter the points or delete the comment.",
            )
        )
    return problems


@dataclass(frozen=True)
class EntryChange:
    """One criterion where the latest saved sheet and the reviewer's unsaved input differ."""

    criterion_id: str
    saved: Entry
    yours: Entry


def changed_entries(rubric: Rubric, saved: Mapping[str, Entry], yours: Mapping[str, Mapping]) -> list[EntryChange]:
    """Criteria (rubric order) whose points or comment differ between the saved sheet and `yours`."""
    changes = []
    for c in rubric.criteria:
        before = saved.get(c.id, Entry(None, ""))
        given = yours.get(c.id) or {}
        points = given.get("points")
        after = Entry(None if points is None else Decimal(str(points)), given.get("comment") or "")
        if before.points != after.points or before.comment.strip() != after.comment.strip():
            changes.append(EntryChange(c.id, before, after))
    return changes


def panel_table(rubric: Rubric, panel: list[PanelEntry], *, blind_policy: str, lang: str) -> pd.DataFrame:
    """Other reviewers' points: a row per judged criterion (indexed by its label), a column per reviewer.

    Columns are labelled as `panel_names` says; anonymous labels follow the order `panel_view`
    returns, so only their language changes here. A criterion a reviewer left out is NaN.
    """
    judged = [c for c in rubric.criteria if c.method == "judged"]
    return pd.DataFrame(
        [[None if entry.points.get(c.id) is None else float(entry.points[c.id]) for entry in panel] for c in judged],
        index=pd.Index([c.label.get(lang) for c in judged], name="criterion"),
        columns=panel_names(panel, blind_policy=blind_policy, lang=lang),
        dtype=float,
    )


def panel_names(panel: list[PanelEntry], *, blind_policy: str, lang: str) -> list[str]:
    """Each panel entry's label in `lang`, made distinct (a repeated name gets its position appended)."""
    names = [
        anonymous_label(i, lang) if blind_policy == "anonymous_after_submit" else entry.reviewer
        for i, entry in enumerate(panel)
    ]
    return [name if names.count(name) == 1 else f"{name} ({i + 1})" for i, name in enumerate(names)]


@dataclass(frozen=True)
class OfflineUpload:
    """What an offline upload did: sheets saved, rows left alone, or nothing saved and every problem.

    `skipped` are rows that had nothing to save: a sheet already submitted coming back unchanged
    (the downloaded workbook carries submitted sheets too), a draft coming back unchanged (unless
    submitting), or an untouched row of a sheet never started. With `problems` nothing was saved;
    `error_workbook` is the upload with the bad cells marked.
    """

    saved: list[str]
    skipped: list[str]
    problems: list[CellProblem] = field(default_factory=list)
    error_workbook: bytes | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _same_entries(saved: Mapping[str, Entry], given: Mapping[str, Entry]) -> bool:
    def shown(entries: Mapping[str, Entry]) -> dict[str, tuple]:
        return {cid: (e.points, e.comment.strip()) for cid, e in entries.items() if e.points is not None}

    return shown(saved) == shown(given)


def upload_offline(store: Store, actor: Actor, round_id: int, data: bytes, *, submit: bool = False) -> OfflineUpload:
    """The reviewer's downloaded workbook as it comes back filled in: checked, then saved together or not at all.

    Every row is read and checked like the web form, and the sheets are saved in one transaction,
    each against its current version (the workbook is the reviewer's own latest input). Rows of
    sheets already submitted are left alone when unchanged or emptied instead of refusing
    the whole upload (the downloaded workbook carries them), a changed one being a problem at its
    row; an empty row of a sheet never started creates no empty draft; an unchanged draft is not
    saved again (that would only bump its version under the reviewer's open browser tab); and when
    submitting, what a submission needs (every required criterion, long enough comments) is
    reported per cell rather than as one list without rows. Raises `WorkbookRejected` for a file
    that is not a readable workbook.
    """

    def visible(session: Session) -> tuple[Rubric, int, dict[str, tuple[int, SheetView | None]]]:
        user = verified_user(session, actor, "reviewer")
        round_ = load_round(session, round_id)
        if round_.state not in REVIEWER_STATES:
            raise AccessDenied()
        rubric = rubric_of(store, round_)
        rows = session.execute(
            select(Application, ScoreSheet)
            .outerjoin(ScoreSheet, (ScoreSheet.application_id == Application.id) & (ScoreSheet.reviewer_id == user.id))
            .where(Application.round_id == round_id, Application.status == "submitted")
        ).all()
        mine = {
            app.reference: (app.id, None if sheet is None else _sheet_view(rubric, sheet, app.id, user.id))
            for app, sheet in rows
            if _may_review(session, app, user, round_)
        }
        return rubric, settings_of(round_).min_comment_length, mine

    rubric, min_comment_length, mine = store.read(actor, "sheet.upload", visible, target=f"round:{round_id}")
    parsed = read_panel(data, rubric, expected_refs=set(mine))
    if any(p.code == "unknown_ref" for p in parsed.problems):
        # A row naming an application that is not (or no longer) theirs: refused like a web save, and logged.
        store.log_denial(actor, "sheet.upload", f"round:{round_id}", "unknown_ref")
    if parsed.problems:
        return OfflineUpload([], [], parsed.problems, error_report_workbook(data, parsed.problems))
    to_save: list[tuple[str, int, dict]] = []
    skipped: list[str] = []
    problems: list[CellProblem] = []
    for row in parsed.sheets:
        app_id, current = mine[row.application_ref]
        given = {cid: Entry(e.points, e.comment) for cid, e in row.entries.items()}
        if current is not None and current.status == "submitted":
            if given and not _same_entries(current.entries, given):
                problems.append(_submitted_row_problem(parsed.sheet, row.row, row.application_ref))
            else:
                skipped.append(row.application_ref)
        elif (current is None and not given) or (
            current is not None and not submit and _same_entries(current.entries, given)
        ):
            skipped.append(row.application_ref)  # nothing new: no empty draft, no version bump for an open tab
        else:
            if submit:
                contract = ScoreSheetContract(
                    application_id=row.application_ref,
                    reviewer_id=str(actor.user_id),
                    entries=row.entries,
                    status="submitted",
                )
                found = check_score_sheet(contract, rubric, min_comment_length=min_comment_length)
                problems += [_located(rubric, parsed.sheet, row.row, p) for p in found]
            entries = {cid: {"points": e.points, "comment": e.comment} for cid, e in given.items()}
            to_save.append((row.application_ref, app_id, entries))
    if problems:
        return OfflineUpload([], [], problems, error_report_workbook(data, problems))

    def work(session: Session) -> OfflineUpload:
        for _, app_id, entries in to_save:
            existing = session.scalar(
                select(ScoreSheet.version).where(
                    ScoreSheet.application_id == app_id, ScoreSheet.reviewer_id == actor.user_id
                )
            )
            save_sheet_in(session, store, actor, app_id, entries=entries, seen_version=existing or 0, submit=submit)
        saved = [reference for reference, _, _ in to_save]
        audit.record(
            session,
            actor,
            "sheet.upload",
            "round",
            round_id,
            at=store.now(),
            round_id=round_id,
            after={"sheets": saved, "submitted": submit, "skipped": skipped},
        )
        return OfflineUpload(saved, skipped)

    return store.write(actor, "sheet.upload", work, target=f"round:{round_id}")


def _located(rubric: Rubric, sheet: str, row: int, problem: FieldProblem) -> CellProblem:
    """A sheet-level problem placed at its cell of the downloaded workbook's layout."""
    target = problem.field if problem.field.count(".") == 2 else f"{problem.field}.points"
    columns = panel_columns(rubric)
    position = next((i for i, c in enumerate(columns, start=1) if c.field == target), None)
    header = "" if position is None else columns[position - 1].header
    letter = "" if position is None else get_column_letter(position)
    return CellProblem(sheet, row, letter, header, target, problem.code, problem.message_zh, problem.message_en)


def _submitted_row_problem(sheet: str, row: int, reference: str) -> CellProblem:
    return CellProblem(
        sheet,
        row,
        "A",
        "申报编号 Application ref",
        "application_ref",
        "already_submitted",
        f"申报“{reference}”的评分表已经提交,不能再通过评审表修改;请恢复这一行原来的分数和评语或删除这一行,"
        "如需更正请联系管理员退回。",
        f"The score sheet for “{reference}” is already submitted and cannot be changed by upload; restore this "
        "row's points and comments or delete the row, and ask an administrator to reopen the sheet to correct it.",
    )
