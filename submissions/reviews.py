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
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rubrics.schema import Rubric
from submissions import audit
from submissions.access import Actor, require_state, verified_user
from submissions.applications import REVIEWER_STATES, _contract_problems, reviewer_may_see
from submissions.contracts import ScoreSheet as ScoreSheetContract
from submissions.errors import AccessDenied, FieldProblem, RoundStateError, SubmissionError, raise_if_problems
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


def _reviewer_application(session: Session, actor: Actor, application_id: int) -> tuple[Application, ReviewRound]:
    user = verified_user(session, actor, "reviewer")
    app = session.get(Application, application_id)
    if app is None or app.status != "submitted" or not reviewer_may_see(session, app, user.id):
        raise AccessDenied()
    round_ = session.get(ReviewRound, app.round_id)
    assert round_ is not None
    if round_.state not in REVIEWER_STATES:
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
    if not reason or len(reason) > 1000:
        raise SubmissionError([FieldProblem("reason", "missing_reason", zh, en)])


def declare_conflict(store: Store, actor: Actor, application_id: int, *, reason: str) -> None:
    """The reviewer declares a conflict of interest; the application leaves their list at once."""
    reason = reason.strip()

    def work(session: Session) -> None:
        user = verified_user(session, actor, "reviewer")
        app = session.get(Application, application_id)
        if app is None or not reviewer_may_see(session, app, user.id):
            raise AccessDenied()
        _require_reason(
            reason, "请说明回避理由(1至1000个字)。", "Give the reason for the conflict (1 to 1000 characters)."
        )
        round_ = load_round(session, app.round_id)
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
        sheet = _find_sheet(session, application_id, reviewer_id)
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
