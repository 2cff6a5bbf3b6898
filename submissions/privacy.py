"""Personal information under the PIPL: what is personal, how exports redact it, how long it is kept.

- `FIELD_CLASSES` classifies every stored column (a test keeps it complete): `identifier` names a
  natural person, `free_text` is typed by people and may name others, `credential` is a secret,
  `pseudonymous` links to a person only through an internal id, `organisation` is business
  registration data, `none` holds nothing about a person.
- Exports take a profile (`EXPORT_PROFILES`): `redacted`, the default, shows reviewers as 专家01, 专家02,
  … whatever the round says; `full` follows the round's `reviewer_identity` and needs a stated purpose.
  Every export is written to the audit log with its profile (`export.*`).
- Each round has `retention_until` (by default three years after it was created). Once that day has
  passed, `purge_round` anonymises the round (free text, attachments and personal audit content
  removed; numbers, scores and ranks kept for statistics) or deletes its applications outright.
  `anonymise_user` does the same for a disabled account. The command line runs both as
  `OPERATOR` (`python -m submissions purge ...`).
- `subject_access_export` gives a person a workbook of what the store holds about them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from submissions import audit
from submissions.access import Actor, verified_user
from submissions.errors import AccessDenied, FieldProblem, OperationError, SubmissionError
from submissions.excel.formulas import put_text
from submissions.models import (
    Application,
    Assignment,
    Attachment,
    AuditEntry,
    Base,
    Conflict,
    LoginThrottle,
    Organisation,
    ReviewRound,
    ScoreSheet,
    SelfAssessment,
    User,
)
from submissions.store import Store

Sensitivity = Literal["identifier", "free_text", "credential", "pseudonymous", "organisation", "none"]
PERSONAL: frozenset[str] = frozenset({"identifier", "free_text", "credential"})

_IDS: dict[str, Sensitivity] = {"id": "none", "created_at": "none"}
_EDITED: dict[str, Sensitivity] = {"updated_at": "none", "version": "none"}
FIELD_CLASSES: dict[str, dict[str, Sensitivity]] = {
    "organisations": {**_IDS, "name": "organisation", "credit_code": "organisation", "region": "organisation"},
    "users": {
        **_IDS,
        "username": "identifier",
        "display_name": "identifier",
        "role": "none",
        "organisation_id": "pseudonymous",
        "region": "pseudonymous",
        "password_hash": "credential",
        "active": "none",
    },
    "login_throttle": {"username": "identifier", "failures": "none", "blocked_until": "none"},
    "rounds": {
        **_IDS,
        "version": "none",
        "name": "none",
        "rubric_id": "none",
        "rubric_hash": "none",
        "rubric_text": "none",
        "state": "none",
        "settings": "none",
        "next_reference": "none",
        "retention_until": "none",
        "purged_at": "none",
        "purge_mode": "none",
    },
    "applications": {
        **_IDS,
        **_EDITED,
        "round_id": "none",
        "organisation_id": "organisation",
        "reference": "none",
        "category": "none",
        "region": "organisation",
        "title": "organisation",
        "indicators": "organisation",
        "declarations": "organisation",
        "narratives": "free_text",
        "evidence": "free_text",
        "status": "none",
        "created_by": "pseudonymous",
        "submitted_at": "none",
    },
    "attachments": {
        "id": "none",
        "application_id": "none",
        "criterion_id": "none",
        "filename": "free_text",
        "media_type": "none",
        "size": "none",
        "sha256": "none",
        "uploaded_by": "pseudonymous",
        "uploaded_at": "none",
    },
    "self_assessments": {**_EDITED, "application_id": "none", "points": "none", "updated_by": "pseudonymous"},
    "assignments": {
        **_IDS,
        "round_id": "none",
        "application_id": "none",
        "reviewer_id": "pseudonymous",
        "method": "none",
        "created_by": "pseudonymous",
    },
    "conflicts": {
        **_IDS,
        "round_id": "none",
        "application_id": "none",
        "reviewer_id": "pseudonymous",
        "source": "none",
        "reason": "free_text",
    },
    "score_sheets": {
        **_IDS,
        **_EDITED,
        "round_id": "none",
        "application_id": "none",
        "reviewer_id": "pseudonymous",
        "status": "none",
        "points": "pseudonymous",
        "comments": "free_text",
        "submitted_at": "none",
    },
    "audit_log": {
        "id": "none",
        "at": "none",
        "actor_id": "pseudonymous",
        "actor_label": "identifier",
        "action": "none",
        "outcome": "none",
        "target_type": "none",
        "target_id": "pseudonymous",
        "round_id": "none",
        "before": "free_text",
        "after": "free_text",
    },
}
SENSITIVITY_LABELS: dict[str, tuple[str, str]] = {
    "identifier": ("个人身份信息", "identifies a person"),
    "free_text": ("自由文本(可能含个人信息)", "free text (may contain personal information)"),
    "credential": ("登录凭据", "credential"),
    "pseudonymous": ("关联编号(假名化)", "linked by internal id (pseudonymous)"),
    "organisation": ("单位登记信息", "organisation registration data"),
    "none": ("不含个人信息", "no personal information"),
}


def unclassified_columns() -> list[str]:
    """`table.column` of every stored column missing from `FIELD_CLASSES`, and every stale entry."""
    stored = {(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns}
    listed = {(t, c) for t, columns in FIELD_CLASSES.items() for c in columns}
    return sorted(f"{t}.{c}" for t, c in stored ^ listed)


def personal_fields() -> list[tuple[str, str, str]]:
    """(table, column, class) of every column holding personal information, in table order."""
    return [(t, c, k) for t, columns in FIELD_CLASSES.items() for c, k in columns.items() if k in PERSONAL]


# -- export profiles ----------------------------------------------------------------------------------

ExportProfile = Literal["redacted", "full"]
EXPORT_PROFILES: tuple[str, ...] = ("redacted", "full")
DEFAULT_PROFILE: ExportProfile = "redacted"
PURPOSE_MAX = 200
PROFILE_LABELS: dict[str, tuple[str, str]] = {
    "redacted": ("脱敏(专家以编号显示)", "Redacted (reviewers shown by number)"),
    "full": ("完整(按本轮设置显示专家姓名,须注明用途)", "Full (reviewer names as the round says; purpose required)"),
}


def checked_profile(profile: str, purpose: str) -> tuple[ExportProfile, str]:
    """The profile and the purpose as they will be logged; a full export without a purpose is refused."""
    purpose = (purpose or "").strip()
    if profile not in EXPORT_PROFILES:
        raise SubmissionError(
            [
                FieldProblem(
                    "profile",
                    "unknown_profile",
                    f"导出方式“{profile}”不存在;请选择“脱敏”或“完整”。",
                    f"There is no export profile “{profile}”; choose redacted or full.",
                )
            ]
        )
    if profile == "full" and not purpose:
        raise SubmissionError(
            [
                FieldProblem(
                    "purpose",
                    "purpose_required",
                    "完整导出包含个人信息,请填写用途(例如“报送省厅备案”)后再导出。",
                    "A full export contains personal information; state its purpose (e.g. “filing with "
                    "the provincial department”) before exporting.",
                )
            ]
        )
    if len(purpose) > PURPOSE_MAX or "\x00" in purpose:
        raise SubmissionError(
            [
                FieldProblem(
                    "purpose",
                    "purpose_too_long",
                    f"用途最多{PURPOSE_MAX}个字,且不能含空字符;请缩短。",
                    f"The purpose takes at most {PURPOSE_MAX} characters and no NUL character; shorten it.",
                )
            ]
        )
    return profile, purpose  # type: ignore[return-value]


# -- retention ---------------------------------------------------------------------------------------

PurgeMode = Literal["anonymise", "delete"]
PURGE_MODES: tuple[str, ...] = ("anonymise", "delete")
REDACTED_TEXT = "[已删除 removed]"


class RetentionNotReached(OperationError):
    """A purge before the round's retention date."""

    def __init__(self, until: dt.date | None):
        if until is None:
            super().__init__(
                "该评审轮次未设置保留期限,不能清除;请先设置保留期限。",
                "This round has no retention date, so it cannot be purged; set one first.",
            )
        else:
            super().__init__(
                f"该评审轮次的个人信息保留至{until.isoformat()},期满(次日起)方可清除。",
                f"This round keeps personal information until {until.isoformat()}; it can be purged from "
                "the day after.",
            )


class AccountStillActive(OperationError):
    def __init__(self) -> None:
        super().__init__(
            "该账户仍为启用状态;请先停用账户,再进行匿名化。",
            "The account is still active; disable it before anonymising it.",
        )


class Operator:
    """The person at the server's command line, who holds the database already. Passed explicitly, so
    that a missing actor is an error, never a silent superuser."""

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = Operator()
Caller = Actor | Operator


def _acting(actor: Caller) -> Actor | None:
    """The actor as the audit log and the denial log take it (the operator is recorded as the system)."""
    if isinstance(actor, Operator):
        return None
    if not isinstance(actor, Actor):
        raise TypeError(f"an Actor or privacy.OPERATOR is required, not {actor!r}")
    return actor


def _admin_or_operator(session: Session, actor: Caller) -> None:
    """The operator may; anyone else must be an administrator."""
    acting = _acting(actor)
    if acting is not None:
        verified_user(session, acting, "admin")


def _round(session: Session, round_id: int) -> ReviewRound:
    from submissions.rounds import load_round

    return load_round(session, round_id)


def set_retention(store: Store, actor: Caller, round_id: int, *, until: dt.date) -> dt.date:
    """Set the day until which the round keeps personal information (any state; purged rounds excepted)."""

    def work(session: Session) -> dt.date:
        _admin_or_operator(session, actor)
        round_ = _round(session, round_id)
        if round_.purged_at is not None:
            raise OperationError("该评审轮次已清除,不能再修改保留期限。", "This round has been purged already.")
        if until < round_.created_at.date():
            raise SubmissionError(
                [
                    FieldProblem(
                        "retention_until",
                        "before_creation",
                        f"保留期限不能早于轮次创建日期{round_.created_at.date().isoformat()}。",
                        f"The retention date cannot be before the round was created "
                        f"({round_.created_at.date().isoformat()}).",
                    )
                ]
            )
        before = round_.retention_until
        round_.retention_until = until
        audit.record(
            session,
            _acting(actor),
            "privacy.retention",
            "round",
            round_id,
            at=store.now(),
            round_id=round_id,
            before={"retention_until": before.isoformat() if before else None},
            after={"retention_until": until.isoformat()},
        )
        return until

    return store.write(_acting(actor), "privacy.retention", work, target=f"round:{round_id}")


@dataclass(frozen=True)
class RetentionStatus:
    round_id: int
    name: str
    state: str
    retention_until: dt.date | None
    purged_at: dt.datetime | None
    purge_mode: str | None

    def due(self, today: dt.date) -> bool:
        return self.purged_at is None and self.retention_until is not None and self.retention_until < today


def retention_overview(store: Store, actor: Caller) -> list[RetentionStatus]:
    """Every round with its retention date and whether it has been purged."""

    def work(session: Session) -> list[RetentionStatus]:
        _admin_or_operator(session, actor)
        rounds = session.scalars(select(ReviewRound).order_by(ReviewRound.id)).all()
        return [RetentionStatus(r.id, r.name, r.state, r.retention_until, r.purged_at, r.purge_mode) for r in rounds]

    return store.read(_acting(actor), "privacy.overview", work, target="round:all")


@dataclass(frozen=True)
class PurgeReport:
    round_id: int
    mode: str
    applications: int
    sheets: int
    attachments: int
    audit_entries: int
    dry_run: bool


def purge_round(
    store: Store,
    actor: Caller,
    round_id: int,
    *,
    mode: PurgeMode = "anonymise",
    today: dt.date | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Remove the round's personal information once its retention date has passed; one transaction.

    `anonymise` keeps applications, indicators, points and ranks (statistics) and removes
    narratives, evidence, comments, conflict reasons and attachments; `delete` removes the
    applications with everything hanging off them. Either way the round's audit entries keep who
    did what and when, with their recorded content redacted. Attachment files go after the commit.
    """
    if mode not in PURGE_MODES:
        raise ValueError(f"mode must be one of {PURGE_MODES}, not {mode!r}")
    day = today or store.now().date()
    files: list[str] = []

    def work(session: Session) -> PurgeReport:
        files.clear()  # the work may run again when the database asks for a retry
        _admin_or_operator(session, actor)
        round_ = _round(session, round_id)
        if round_.purged_at is not None:
            raise OperationError(
                f"该评审轮次已于{round_.purged_at.date().isoformat()}清除。",
                f"This round was purged on {round_.purged_at.date().isoformat()}.",
            )
        if round_.retention_until is None or round_.retention_until >= day:
            raise RetentionNotReached(round_.retention_until)
        app_ids = select(Application.id).where(Application.round_id == round_id)
        attachment_rows = session.execute(select(Attachment.id).where(Attachment.application_id.in_(app_ids))).scalars()
        files.extend(attachment_rows)
        counts = {
            "applications": len(session.scalars(app_ids).all()),
            "sheets": len(session.scalars(select(ScoreSheet.id).where(ScoreSheet.round_id == round_id)).all()),
            "attachments": len(files),
        }
        redacted = session.scalars(
            select(AuditEntry.id).where(
                AuditEntry.round_id == round_id,
                or_(AuditEntry.before.is_not(None), AuditEntry.after.is_not(None)),
            )
        ).all()
        report = PurgeReport(round_id, mode, audit_entries=len(redacted), dry_run=dry_run, **counts)
        if dry_run:
            return report
        session.execute(delete(Attachment).where(Attachment.application_id.in_(app_ids)))
        if mode == "anonymise":
            session.execute(
                update(Application).where(Application.round_id == round_id).values(narratives="{}", evidence="{}")
            )
            session.execute(update(ScoreSheet).where(ScoreSheet.round_id == round_id).values(comments="{}"))
            session.execute(update(Conflict).where(Conflict.round_id == round_id).values(reason=""))
        else:
            session.execute(delete(SelfAssessment).where(SelfAssessment.application_id.in_(app_ids)))
            session.execute(delete(ScoreSheet).where(ScoreSheet.round_id == round_id))
            session.execute(delete(Conflict).where(Conflict.round_id == round_id))
            session.execute(delete(Assignment).where(Assignment.round_id == round_id))
            session.execute(delete(Application).where(Application.round_id == round_id))
        if redacted:
            session.execute(
                update(AuditEntry).where(AuditEntry.id.in_(redacted)).values(before=None, after=None),
                execution_options={"synchronize_session": False},
            )
        round_.purged_at = store.now()
        round_.purge_mode = mode
        audit.record(
            session,
            _acting(actor),
            "privacy.purge",
            "round",
            round_id,
            at=store.now(),
            round_id=round_id,
            after={"mode": mode, **counts, "audit_entries_redacted": len(redacted)},
        )
        return report

    report = store.write(_acting(actor), "privacy.purge", work, target=f"round:{round_id}")
    if not dry_run:
        for name in files:
            (store.config.attachment_dir / name).unlink(missing_ok=True)
    return report


def purge_due(
    store: Store, actor: Caller, *, mode: PurgeMode = "anonymise", today: dt.date | None = None, dry_run=False
) -> list[PurgeReport]:
    """Purge every round whose retention date has passed and that is not purged yet."""
    day = today or store.now().date()
    due = [r.round_id for r in retention_overview(store, actor) if r.due(day)]
    return [purge_round(store, actor, rid, mode=mode, today=day, dry_run=dry_run) for rid in due]


def anonymise_user(store: Store, actor: Caller, user_id: int) -> str:
    """Replace a disabled account's name and login with `user#<id>`, also in the audit log; returns it."""
    pseudonym = f"user#{user_id}"

    def work(session: Session) -> str:
        _admin_or_operator(session, actor)
        user = session.get(User, user_id)
        if user is None:
            raise AccessDenied()
        if user.active:
            raise AccountStillActive()
        old_name = user.username
        user.username = pseudonym
        user.display_name = pseudonym
        user.password_hash = "!" + secrets.token_hex(16)  # matches no password: argon2 hashes start with $
        session.execute(delete(LoginThrottle).where(LoginThrottle.username == old_name))
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.actor_id == user_id, AuditEntry.actor_label != pseudonym)
            .values(actor_label=pseudonym),
            execution_options={"synchronize_session": False},
        )
        audit.record(session, _acting(actor), "privacy.anonymise_user", "user", user_id, at=store.now())
        return pseudonym

    return store.write(_acting(actor), "privacy.anonymise_user", work, target=f"user:{user_id}")


# -- subject access ------------------------------------------------------------------------------------

_SHEETS = {
    "about": ("说明", "About"),
    "account": ("账户", "Account"),
    "organisation": ("单位", "Organisation"),
    "applications": ("申报", "Applications"),
    "self": ("自评", "Self-assessments"),
    "attachments": ("附件", "Attachments"),
    "sheets": ("评分", "Score sheets"),
    "activity": ("操作记录", "Activity"),
}
_ABOUT = {
    "zh": [
        "本文件是评审系统保存的与您本人有关的信息副本(个人信息保护法第四十五条)。",
        "包括:账户信息、所在单位及其申报、自评、附件清单、您本人的评分表(评审专家)和您本人的操作记录。",
        "不包括:其他人员的个人信息(例如其他评审专家的身份和评分)与登录密码。",
    ],
    "en": [
        "This file is a copy of what the review system holds about you (PIPL article 45).",
        "It includes: your account, your organisation and its applications, self-assessments, the list of "
        "attachments, your own score sheets (reviewers) and your own actions.",
        "It leaves out other people's personal information (such as other reviewers' identities and scores) "
        "and your password.",
    ],
}


def _cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append([put_text(_blank(sheet), h) for h in headers])
    for row in rows:
        cells = []
        for value in row:
            value = _cell(value)
            cells.append(put_text(_blank(sheet), value) if isinstance(value, str) else value)
        sheet.append(cells)


def _blank(sheet) -> WriteOnlyCell:
    return WriteOnlyCell(sheet)


def subject_access_export(store: Store, actor: Caller, *, user_id: int | None = None, lang: str = "zh") -> bytes:
    """A workbook of what the store holds about `user_id` (default: the caller). Only an admin (or the
    operator at the command line, `OPERATOR`) may ask for someone else, when handling that person's
    request. Logged as `export.subject_access`."""
    acting = _acting(actor)
    if acting is None and user_id is None:
        raise ValueError("the command line must name the user")
    target = acting.user_id if user_id is None else user_id
    en = lang == "en"

    def work(session: Session) -> bytes:
        if acting is not None:
            caller = verified_user(session, acting)
            if target != caller.id and caller.role != "admin":
                raise AccessDenied()
        user = session.get(User, target)
        if user is None:
            raise AccessDenied()
        workbook = Workbook(write_only=True)
        name = lambda key: _SHEETS[key][1 if en else 0]  # noqa: E731 - a local shorthand
        _sheet(workbook, name("about"), ["" if en else "说明"], [[line] for line in _ABOUT[lang if en else "zh"]])
        _sheet(
            workbook,
            name("account"),
            ["user name", "display name", "role", "region", "active", "created"],
            [[user.username, user.display_name, user.role, user.region or "", user.active, user.created_at]],
        )
        if user.organisation_id is not None:
            org = session.get(Organisation, user.organisation_id)
            _sheet(
                workbook,
                name("organisation"),
                ["name", "credit code", "region"],
                [[org.name, org.credit_code or "", org.region]] if org else [],
            )
            apps = session.scalars(
                select(Application).where(Application.organisation_id == user.organisation_id).order_by(Application.id)
            ).all()
            rounds = {r.id: r.name for r in session.scalars(select(ReviewRound)).all()}
            _sheet(
                workbook,
                name("applications"),
                [
                    "round",
                    "reference",
                    "title",
                    "category",
                    "region",
                    "status",
                    "indicators",
                    "declarations",
                    "narratives",
                    "evidence",
                    "created",
                    "updated",
                    "submitted",
                ],
                [
                    [
                        rounds.get(a.round_id, ""),
                        a.reference,
                        a.title,
                        a.category,
                        a.region,
                        a.status,
                        a.indicators,
                        a.declarations,
                        a.narratives,
                        a.evidence,
                        a.created_at,
                        a.updated_at,
                        a.submitted_at,
                    ]
                    for a in apps
                ],
            )
            by_id = {a.id: a.reference for a in apps}
            selfs = session.scalars(select(SelfAssessment).where(SelfAssessment.application_id.in_(by_id))).all()
            _sheet(
                workbook,
                name("self"),
                ["reference", "points", "updated"],
                [[by_id[s.application_id], s.points, s.updated_at] for s in selfs],
            )
            files = session.scalars(select(Attachment).where(Attachment.application_id.in_(by_id))).all()
            _sheet(
                workbook,
                name("attachments"),
                ["reference", "file name", "type", "bytes", "sha256", "uploaded"],
                [[by_id[f.application_id], f.filename, f.media_type, f.size, f.sha256, f.uploaded_at] for f in files],
            )
        if user.role == "reviewer":
            sheets = session.execute(
                select(ScoreSheet, Application.reference)
                .join(Application, Application.id == ScoreSheet.application_id)
                .where(ScoreSheet.reviewer_id == user.id)
                .order_by(ScoreSheet.id)
            ).all()
            _sheet(
                workbook,
                name("sheets"),
                ["reference", "status", "points", "comments", "updated", "submitted"],
                [[ref, s.status, s.points, s.comments, s.updated_at, s.submitted_at] for s, ref in sheets],
            )
        actions = session.scalars(
            select(AuditEntry).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.id)
        ).all()
        _sheet(
            workbook,
            name("activity"),
            ["time", "action", "outcome", "target", "before", "after"],
            [
                [e.at, e.action, e.outcome, f"{e.target_type}:{e.target_id or ''}", e.before or "", e.after or ""]
                for e in actions
            ],
        )
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    data = store.read(acting, "export.subject_access", work, target=f"user:{target}")
    store.db.write(
        lambda session: audit.record(
            session, acting, "export.subject_access", "user", target, at=store.now(), after={"bytes": len(data)}
        )
    )
    return data
