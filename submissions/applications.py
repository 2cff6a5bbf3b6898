"""Applications, self-assessments and attachments, as applicants file them.

An applicant works for one organisation and sees only that organisation's applications. A draft
may be incomplete; `submit` checks the whole application against the round's rubric and locks it.
Every edit names the version the applicant saw, and every save checks the round's state and the
application deadline on the server. Reviewers see an application only when it is assigned to them
and not conflicted, and only once the review has started; admins see everything.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import time
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rubrics.schema import Rubric
from scoring.selfassess import criterion_comparison
from submissions import audit
from submissions.access import Actor, require_state, verified_user
from submissions.assignments import rule_conflict
from submissions.config import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_APPLICATION
from submissions.contracts import Application as ApplicationContract
from submissions.contracts import SelfAssessment as SelfAssessmentContract
from submissions.contracts import contract_problems
from submissions.errors import (
    AccessDenied,
    FieldProblem,
    OperationError,
    RoundStateError,
    StorageFull,
    SubmissionError,
    raise_if_problems,
)
from submissions.models import (
    Application,
    Assignment,
    Attachment,
    AuditEntry,
    Conflict,
    Organisation,
    ReviewRound,
    SelfAssessment,
)
from submissions.ranking import applicant_results
from submissions.rounds import check_deadline, get_round, load_round, next_reference, rubric_of, settings_of
from submissions.store import Store
from submissions.validation import _credit_code_problems, check_application, check_self_assessment
from submissions.versioning import check_version

EDITABLE_FIELDS = ("category", "region", "title", "indicators", "declarations", "narratives", "evidence")
_DRAFT_TOLERATED = {"missing_indicator", "missing_declaration"}
REVIEWER_STATES = frozenset({"under_review", "closed", "published", "final"})


@dataclass(frozen=True)
class AttachmentView:
    id: str
    criterion_id: str | None
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


@dataclass(frozen=True)
class ApplicationView:
    id: int
    round_id: int
    reference: str
    organisation_id: int
    organisation: str
    credit_code: str
    category: str
    region: str
    title: str
    indicators: dict
    declarations: dict
    narratives: dict
    evidence: dict
    status: str
    version: int
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    attachments: tuple[AttachmentView, ...] = field(default=())

    def editable_fields(self) -> dict:
        return {name: getattr(self, name) for name in EDITABLE_FIELDS}


def _view(app: Application, org: Organisation, attachments: list[Attachment] = ()) -> ApplicationView:
    return ApplicationView(
        app.id,
        app.round_id,
        app.reference,
        org.id,
        org.name,
        org.credit_code or "",
        app.category,
        app.region,
        app.title,
        json.loads(app.indicators),
        json.loads(app.declarations),
        json.loads(app.narratives),
        json.loads(app.evidence),
        app.status,
        app.version,
        app.updated_at,
        app.submitted_at,
        tuple(
            AttachmentView(a.id, a.criterion_id, a.filename, a.media_type, a.size, a.sha256, a.uploaded_at)
            for a in attachments
        ),
    )


# -- access ---------------------------------------------------------------------------------------


def reviewer_may_see(session: Session, application: Application, reviewer_id: int) -> bool:
    assigned = session.scalar(
        select(Assignment.id).where(Assignment.application_id == application.id, Assignment.reviewer_id == reviewer_id)
    )
    conflicted = session.scalar(
        select(Conflict.id).where(Conflict.application_id == application.id, Conflict.reviewer_id == reviewer_id)
    )
    return assigned is not None and conflicted is None


def visible_application(session: Session, actor: Actor, application_id: int) -> tuple[Application, ReviewRound]:
    """The application and its round if the actor may read it; otherwise `AccessDenied`."""
    user = verified_user(session, actor)
    app = session.get(Application, application_id)
    if app is None:
        raise AccessDenied()
    round_ = session.get(ReviewRound, app.round_id)
    assert round_ is not None
    if user.role == "admin":
        return app, round_
    if user.role == "applicant" and user.organisation_id == app.organisation_id and round_.state != "draft":
        return app, round_
    if (
        user.role == "reviewer"
        and round_.state in REVIEWER_STATES
        and app.status == "submitted"
        and reviewer_may_see(session, app, user.id)
        and rule_conflict(app, user, round_) is None
    ):
        return app, round_
    raise AccessDenied()


def _own_application(session: Session, actor: Actor, application_id: int) -> tuple[Application, ReviewRound]:
    """For writes: the applicant's own organisation's application, nobody else's."""
    user = verified_user(session, actor, "applicant")
    app = session.get(Application, application_id)
    if app is None or app.organisation_id != user.organisation_id:
        raise AccessDenied()
    round_ = session.get(ReviewRound, app.round_id)
    assert round_ is not None
    return app, round_


# -- validation -----------------------------------------------------------------------------------


def _contract_problems(exc: ValidationError) -> list[FieldProblem]:
    """A contract's refusal worded in each language (pydantic's own sentence is English only)."""
    return contract_problems(exc)


def _contract(
    app_fields: Mapping[str, object], *, reference: str, rubric: Rubric, org: Organisation
) -> ApplicationContract:
    try:
        return ApplicationContract(
            application_id=reference,
            rubric_id=rubric.id,
            organisation=org.name,
            credit_code=org.credit_code or "",
            **app_fields,
        )
    except ValidationError as exc:
        raise SubmissionError(_contract_problems(exc)) from None
    except TypeError as exc:  # an unknown keyword
        raise SubmissionError(
            [FieldProblem("application", "unknown_field", f"未知的申报字段:{exc}", f"Unknown application field: {exc}")]
        ) from None


def _check(contract: ApplicationContract, rubric: Rubric, regions: tuple[str, ...], *, complete: bool) -> None:
    problems = check_application(contract, rubric)
    if not complete:
        problems = [p for p in problems if p.code not in _DRAFT_TOLERATED]
    if contract.region not in regions:
        problems.append(
            FieldProblem(
                "region",
                "unknown_region",
                f"地区“{contract.region}”不在本轮评审的地区列表中;请从列表中选择。",
                f"Region “{contract.region}” is not one of this round's regions; choose one from the list.",
            )
        )
    raise_if_problems(problems)


def _store_fields(app: Application, contract: ApplicationContract) -> None:
    app.category = contract.category
    app.region = contract.region
    app.title = contract.title
    app.indicators = json.dumps(contract.indicators, ensure_ascii=False)
    app.declarations = json.dumps(contract.declarations, ensure_ascii=False)
    app.narratives = json.dumps(contract.narratives, ensure_ascii=False)
    app.evidence = json.dumps(contract.evidence, ensure_ascii=False)


def _fields_of(app: Application) -> dict:
    return {
        "category": app.category,
        "region": app.region,
        "title": app.title,
        "indicators": json.loads(app.indicators),
        "declarations": json.loads(app.declarations),
        "narratives": json.loads(app.narratives),
        "evidence": json.loads(app.evidence),
    }


def _applicant_may_edit(store: Store, round_: ReviewRound) -> None:
    require_state(round_, "application.edit")
    check_deadline(store, settings_of(round_).application_deadline, "申报", "applications")


def _require_draft(app: Application) -> None:
    if app.status != "draft":
        shown = {"submitted": ("已提交", "submitted"), "withdrawn": ("已撤回", "withdrawn")}[app.status]
        raise RoundStateError(
            f"该申报{shown[0]},不能再修改。",
            f"This application is {shown[1]} and can no longer be changed.",
        )


# -- applicant operations -------------------------------------------------------------------------


def create_application(
    store: Store, actor: Actor, round_id: int, *, category: str, title: str = "", region: str | None = None
) -> ApplicationView:
    """A new draft for the applicant's organisation in an open round."""

    def work(session: Session) -> ApplicationView:
        user = verified_user(session, actor, "applicant")
        round_ = load_round(session, round_id)
        if round_.state == "draft":
            raise AccessDenied()
        org = session.get(Organisation, user.organisation_id)
        assert org is not None
        _applicant_may_edit(store, round_)
        rubric = rubric_of(store, round_)
        fields = {
            "category": category,
            "title": title,
            "region": region or org.region,
            "indicators": {},
            "declarations": {},
        }
        reference = next_reference(session, round_id)
        contract = _contract(fields, reference=reference, rubric=rubric, org=org)
        _check(contract, rubric, settings_of(round_).regions, complete=False)
        now = store.now()
        app = Application(
            round_id=round_id,
            organisation_id=org.id,
            reference=reference,
            status="draft",
            created_by=user.id,
            created_at=now,
            updated_at=now,
        )
        _store_fields(app, contract)
        session.add(app)
        session.flush()
        audit.record(
            session,
            actor,
            "application.create",
            "application",
            app.id,
            at=now,
            round_id=round_id,
            after=_fields_of(app),
        )
        return _view(app, org)

    return store.write(actor, "application.create", work, target=f"round:{round_id}")


def save_application(
    store: Store, actor: Actor, application_id: int, *, seen_version: int, changes: Mapping
) -> ApplicationView:
    """Save a draft: only the given fields change; values are checked, completeness is not."""
    unknown = set(changes) - set(EDITABLE_FIELDS)

    def work(session: Session) -> ApplicationView:
        app, round_ = _own_application(session, actor, application_id)
        if unknown:
            raise SubmissionError(
                [
                    FieldProblem(
                        name, "unknown_field", f"未知的申报字段“{name}”。", f"Unknown application field “{name}”."
                    )
                    for name in sorted(unknown)
                ]
            )
        check_version(app.version, seen_version, dict(changes))
        _applicant_may_edit(store, round_)
        _require_draft(app)
        org = session.get(Organisation, app.organisation_id)
        rubric = rubric_of(store, round_)
        before = _fields_of(app)
        contract = _contract({**before, **changes}, reference=app.reference, rubric=rubric, org=org)
        _check(contract, rubric, settings_of(round_).regions, complete=False)
        _store_fields(app, contract)
        app.updated_at = store.now()
        session.flush()
        audit.record(
            session,
            actor,
            "application.save",
            "application",
            app.id,
            at=app.updated_at,
            round_id=app.round_id,
            before={k: v for k, v in before.items() if k in changes},
            after={k: v for k, v in _fields_of(app).items() if k in changes},
        )
        return _view(app, org, _attachments(session, app.id))

    return store.write(actor, "application.save", work, target=f"application:{application_id}")


def submit_application(store: Store, actor: Actor, application_id: int, *, seen_version: int) -> ApplicationView:
    """Check the whole application against the rubric and lock it for review."""

    def work(session: Session) -> ApplicationView:
        app, round_ = _own_application(session, actor, application_id)
        check_version(app.version, seen_version, {"status": "submitted"})
        _applicant_may_edit(store, round_)
        _require_draft(app)
        org = session.get(Organisation, app.organisation_id)
        rubric = rubric_of(store, round_)
        contract = _contract(_fields_of(app), reference=app.reference, rubric=rubric, org=org)
        _check(contract, rubric, settings_of(round_).regions, complete=True)
        app.status = "submitted"
        app.submitted_at = app.updated_at = store.now()
        session.flush()
        audit.record(
            session,
            actor,
            "application.submit",
            "application",
            app.id,
            at=app.submitted_at,
            round_id=app.round_id,
            before={"status": "draft"},
            after={"status": "submitted"},
        )
        return _view(app, org, _attachments(session, app.id))

    return store.write(actor, "application.submit", work, target=f"application:{application_id}")


def withdraw_application(store: Store, actor: Actor, application_id: int, *, seen_version: int) -> ApplicationView:
    """Withdraw a draft or submitted application while applications are open."""

    def work(session: Session) -> ApplicationView:
        app, round_ = _own_application(session, actor, application_id)
        check_version(app.version, seen_version, {"status": "withdrawn"})
        _applicant_may_edit(store, round_)
        if app.status == "withdrawn":
            _require_draft(app)
        before = app.status
        app.status = "withdrawn"
        app.updated_at = store.now()
        session.flush()
        audit.record(
            session,
            actor,
            "application.withdraw",
            "application",
            app.id,
            at=app.updated_at,
            round_id=app.round_id,
            before={"status": before},
            after={"status": "withdrawn"},
        )
        return _view(app, session.get(Organisation, app.organisation_id))

    return store.write(actor, "application.withdraw", work, target=f"application:{application_id}")


def _attachments(session: Session, application_id: int) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.application_id == application_id)
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )


def get_application(store: Store, actor: Actor, application_id: int) -> ApplicationView:
    def work(session: Session) -> ApplicationView:
        app, _ = visible_application(session, actor, application_id)
        return _view(app, session.get(Organisation, app.organisation_id), _attachments(session, app.id))

    return store.read(actor, "application.view", work, target=f"application:{application_id}")


def list_applications(store: Store, actor: Actor, round_id: int, *, status: str | None = None) -> list[ApplicationView]:
    """Applications of a round the actor may see, in reference order."""

    def work(session: Session) -> list[ApplicationView]:
        user = verified_user(session, actor)
        round_ = load_round(session, round_id)
        query = (
            select(Application, Organisation)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .where(Application.round_id == round_id)
            .order_by(Application.id)
        )
        if user.role == "applicant":
            if round_.state == "draft":
                raise AccessDenied()
            query = query.where(Application.organisation_id == user.organisation_id)
        elif user.role == "reviewer":
            if round_.state == "draft":
                raise AccessDenied()
            if round_.state not in REVIEWER_STATES:
                return []
            conflicted = select(Conflict.application_id).where(Conflict.reviewer_id == user.id)
            query = (
                query.join(Assignment, Assignment.application_id == Application.id)
                .where(Assignment.reviewer_id == user.id, Application.status == "submitted")
                .where(Application.id.not_in(conflicted))
            )
        if status is not None:
            query = query.where(Application.status == status)
        rows = session.execute(query).all()
        if user.role == "reviewer":  # the round's rules (same region) hide what they would have refused
            rows = [(app, org) for app, org in rows if rule_conflict(app, user, round_) is None]
        return [_view(app, org) for app, org in rows]

    return store.read(actor, "application.list", work, target=f"round:{round_id}")


# -- self-assessment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelfAssessmentView:
    application_id: int
    points: dict[str, Decimal]
    version: int  # 0 before the first save


def get_self_assessment(store: Store, actor: Actor, application_id: int) -> SelfAssessmentView:
    def work(session: Session) -> SelfAssessmentView:
        app, _ = visible_application(session, actor, application_id)
        if actor.role == "reviewer":
            raise AccessDenied()
        row = session.get(SelfAssessment, app.id)
        if row is None:
            return SelfAssessmentView(app.id, {}, 0)
        return SelfAssessmentView(app.id, {k: Decimal(v) for k, v in json.loads(row.points).items()}, row.version)

    return store.read(actor, "self_assessment.view", work, target=f"application:{application_id}")


def save_self_assessment(
    store: Store, actor: Actor, application_id: int, *, points: Mapping[str, object], seen_version: int
) -> SelfAssessmentView:
    """The applicant's own points per judged criterion; a partial self-assessment may be saved."""

    def work(session: Session) -> SelfAssessmentView:
        app, round_ = _own_application(session, actor, application_id)
        row = session.get(SelfAssessment, app.id)
        check_version(row.version if row else 0, seen_version, dict(points))
        require_state(round_, "self_assessment.edit")
        check_deadline(store, settings_of(round_).application_deadline, "自评", "self-assessment")
        if app.status == "withdrawn":
            _require_draft(app)
        try:
            contract = SelfAssessmentContract(application_id=app.reference, points=dict(points))
        except ValidationError as exc:
            raise SubmissionError(_contract_problems(exc)) from None
        problems = [
            p for p in check_self_assessment(contract, rubric_of(store, round_)) if p.code != "missing_criterion"
        ]
        raise_if_problems(problems)
        stored = {k: format(v.normalize(), "f") for k, v in contract.points.items()}
        before = json.loads(row.points) if row else None
        now = store.now()
        if row is None:
            row = SelfAssessment(application_id=app.id, points="{}", updated_at=now, updated_by=actor.user_id)
            session.add(row)
        row.points = json.dumps(stored, sort_keys=True)
        row.updated_at, row.updated_by = now, actor.user_id
        session.flush()
        audit.record(
            session,
            actor,
            "self_assessment.save",
            "application",
            app.id,
            at=now,
            round_id=app.round_id,
            before=before,
            after=stored,
        )
        return SelfAssessmentView(app.id, {k: Decimal(v) for k, v in stored.items()}, row.version)

    return store.write(actor, "self_assessment.save", work, target=f"application:{application_id}")


# -- attachments ----------------------------------------------------------------------------------

# Recognised by their first bytes, never by the name or type the browser sends.
_OOXML = b"PK\x03\x04"
ATTACHMENT_TYPES: dict[str, tuple[bytes, str]] = {
    ".pdf": (b"%PDF-", "application/pdf"),
    ".png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    ".jpg": (b"\xff\xd8\xff", "image/jpeg"),
    ".jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    ".docx": (_OOXML, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": (_OOXML, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pptx": (_OOXML, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ".ofd": (_OOXML, "application/ofd"),
}


def safe_filename(name: str) -> str:
    """The last path component, NFC, without control or path characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name).strip().lstrip(".")
    stem, ext = os.path.splitext(name)
    return (stem[: 120 - len(ext)] + ext) if name else "attachment"


def _attachment_problem(zh: str, en: str) -> SubmissionError:
    return SubmissionError([FieldProblem("attachment", "bad_attachment", zh, en)])


def _media_type(filename: str, data: bytes) -> str:
    ext = os.path.splitext(filename)[1].lower()
    if ext not in ATTACHMENT_TYPES:
        raise _attachment_problem(
            f"不接受“{ext or '无扩展名'}”类型的文件;请上传 PDF、PNG/JPG 图片、DOCX/XLSX/PPTX 或 OFD 文件。",
            f"Files of type “{ext or 'no extension'}” are not accepted; "
            "upload PDF, PNG/JPG images, DOCX/XLSX/PPTX or OFD.",
        )
    magic, media_type = ATTACHMENT_TYPES[ext]
    if not data.startswith(magic):
        raise _attachment_problem(
            f"文件“{filename}”的内容与其扩展名不符;请上传真实的{ext[1:].upper()}文件。",
            f"The content of “{filename}” does not match its extension; upload a genuine {ext[1:].upper()} file.",
        )
    return media_type


def add_attachment(
    store: Store, actor: Actor, application_id: int, *, filename: str, data: bytes, criterion_id: str | None = None
) -> AttachmentView:
    """Store a file for a draft application under a generated id; limits are checked before any write."""
    store.read(
        actor,
        "attachment.add",
        lambda session: _own_application(session, actor, application_id),
        target=f"application:{application_id}",
    )
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise _attachment_problem(
            f"文件大小为{len(data) / 1048576:.1f} MB,超过{MAX_ATTACHMENT_BYTES // 1048576} MB 的上限;"
            "请压缩或拆分后上传。",
            f"The file has {len(data) / 1048576:.1f} MB, over the {MAX_ATTACHMENT_BYTES // 1048576} MB limit; "
            "compress or split it.",
        )
    if not data:
        raise _attachment_problem("文件为空;请选择要上传的文件。", "The file is empty; choose the file to upload.")
    name = safe_filename(filename)
    media_type = _media_type(name, data)
    ident = uuid.uuid4().hex
    directory = store.config.attachment_dir
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{ident}{PART_SUFFIX}"
    final = directory / ident
    _sweep_now_and_then(store)
    _write_durably(temporary, data)

    def work(session: Session) -> AttachmentView:
        app, round_ = _own_application(session, actor, application_id)
        _applicant_may_edit(store, round_)
        _require_draft(app)
        if criterion_id is not None and criterion_id not in {c.id for c in rubric_of(store, round_).criteria}:
            raise _attachment_problem("所选评分项不存在。", "The chosen criterion does not exist.")
        count = session.scalar(select(func.count()).select_from(Attachment).where(Attachment.application_id == app.id))
        if count >= MAX_ATTACHMENTS_PER_APPLICATION:
            raise _attachment_problem(
                f"每份申报最多{MAX_ATTACHMENTS_PER_APPLICATION}个附件;请先删除不需要的附件。",
                f"An application takes at most {MAX_ATTACHMENTS_PER_APPLICATION} attachments; delete one first.",
            )
        row = Attachment(
            id=ident,
            application_id=app.id,
            criterion_id=criterion_id,
            filename=name,
            media_type=media_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=actor.user_id,
            uploaded_at=store.now(),
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "attachment.add",
            "attachment",
            ident,
            at=row.uploaded_at,
            round_id=app.round_id,
            after={"application_id": app.id, "filename": name, "size": len(data), "sha256": row.sha256},
        )
        # Renamed before the commit, so a committed row always has its file; a process killed in
        # between leaves a file without a row, which `remove_unreferenced_files` takes away.
        # A retried attempt finds the file renamed already.
        if not final.exists():
            os.replace(temporary, final)
            _sync_directory(directory)
        return AttachmentView(ident, criterion_id, name, media_type, len(data), row.sha256, row.uploaded_at)

    try:
        return store.write(actor, "attachment.add", work, target=f"application:{application_id}")
    except BaseException:
        temporary.unlink(missing_ok=True)
        if not _attachment_row_exists(store, ident):  # a commit whose answer was lost still needs its file
            final.unlink(missing_ok=True)
        raise


PART_SUFFIX = ".part"
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
_SWEEP_INTERVAL = 3600.0
_ATTACHMENT_FILE = re.compile(r"[0-9a-f]{32}")
_last_sweep: dict[Path, float] = {}


def _write_durably(path: Path, data: bytes) -> None:
    """Write and fsync the file; a full disk (or a file size limit) is `StorageFull` and leaves nothing behind."""
    try:
        with open(path, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        if exc.errno in _FULL_ERRNOS:
            raise StorageFull() from exc
        raise


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _attachment_row_exists(store: Store, ident: str) -> bool:
    """Whether the row committed; when the database cannot say, assume it did and keep the file."""
    try:
        return store.db.read(lambda session: session.get(Attachment, ident) is not None)
    except Exception:
        return True


def remove_unreferenced_files(store: Store, *, older_than: dt.timedelta = dt.timedelta(hours=1)) -> list[str]:
    """Remove attachment files of uploads that never committed; returns the names removed.

    Those are temporary files (`.<id>.part`) and files whose id has neither a row nor an audit
    entry: an upload interrupted (a killed process) between writing its file and committing its row.
    Files of deleted attachments stay (the audit log names them). Only files older than
    `older_than` are touched, so uploads in flight in other processes are left alone.
    """
    directory = Path(store.config.attachment_dir)
    if not directory.is_dir():
        return []
    cutoff = time.time() - older_than.total_seconds()
    candidates = {}
    for path in directory.iterdir():
        name = path.name
        if not (_ATTACHMENT_FILE.fullmatch(name) or (name.startswith(".") and name.endswith(PART_SUFFIX))):
            continue
        try:
            if path.stat().st_mtime <= cutoff:
                candidates[name] = path
        except FileNotFoundError:
            continue
    ids = [name for name in candidates if not name.startswith(".")]

    def known(session: Session) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found.update(session.scalars(select(Attachment.id).where(Attachment.id.in_(chunk))))
            found.update(
                session.scalars(
                    select(AuditEntry.target_id).where(
                        AuditEntry.target_type == "attachment", AuditEntry.target_id.in_(chunk)
                    )
                )
            )
        return found

    referenced = store.db.read(known) if ids else set()
    removed = []
    for name, path in sorted(candidates.items()):
        if name in referenced:
            continue
        path.unlink(missing_ok=True)
        removed.append(name)
    return removed


def _sweep_now_and_then(store: Store) -> None:
    """Housekeeping on the upload path, at most once an hour per attachment folder and process."""
    directory = Path(store.config.attachment_dir)
    now = time.monotonic()
    last = _last_sweep.get(directory)
    if last is not None and now - last < _SWEEP_INTERVAL:
        return
    _last_sweep[directory] = now
    try:
        remove_unreferenced_files(store)
    except Exception:  # never let housekeeping fail an upload
        return


def read_attachment(store: Store, actor: Actor, attachment_id: str) -> tuple[AttachmentView, bytes]:
    """An attachment's metadata and bytes, for whoever may read its application."""

    def work(session: Session) -> AttachmentView:
        row = session.get(Attachment, attachment_id) if re.fullmatch(r"[0-9a-f]{32}", attachment_id) else None
        if row is None:
            verified_user(session, actor)
            raise AccessDenied()
        visible_application(session, actor, row.application_id)
        return AttachmentView(
            row.id, row.criterion_id, row.filename, row.media_type, row.size, row.sha256, row.uploaded_at
        )

    meta = store.read(actor, "attachment.view", work, target=f"attachment:{attachment_id}")
    data = (Path(store.config.attachment_dir) / meta.id).read_bytes()
    return meta, data


def delete_attachment(store: Store, actor: Actor, attachment_id: str) -> None:
    def work(session: Session) -> None:
        row = session.get(Attachment, attachment_id)
        if row is None:
            verified_user(session, actor)
            raise AccessDenied()
        app, round_ = _own_application(session, actor, row.application_id)
        _applicant_may_edit(store, round_)
        _require_draft(app)
        session.delete(row)
        audit.record(
            session,
            actor,
            "attachment.delete",
            "attachment",
            attachment_id,
            at=store.now(),
            round_id=app.round_id,
            before={"application_id": app.id, "filename": row.filename, "sha256": row.sha256},
        )

    store.write(actor, "attachment.delete", work, target=f"attachment:{attachment_id}")
    # The file stays until a purge: the audit log may need to show what was removed.


# -- what the applicant pages show ------------------------------------------------------------------
# Read-only helpers: each answers one page's question in one transaction, applying exactly the
# rules the writing operations above apply, so a page never offers what the service would refuse.


@dataclass(frozen=True)
class OwnApplication:
    """One of the organisation's applications, with what the overview of all rounds shows beside it."""

    application: ApplicationView
    round_name: str
    round_state: str
    category_zh: str
    category_en: str
    self_assessed: bool

    def category_label(self, lang: str) -> str:
        return self.category_en if lang == "en" else self.category_zh


def list_own_applications(store: Store, actor: Actor) -> list[OwnApplication]:
    """The applicant's organisation's applications in every round it may see, newest round first."""

    def work(session: Session) -> list[OwnApplication]:
        user = verified_user(session, actor, "applicant")
        rows = session.execute(
            select(Application, ReviewRound, Organisation, SelfAssessment.version)
            .join(ReviewRound, ReviewRound.id == Application.round_id)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .outerjoin(SelfAssessment, SelfAssessment.application_id == Application.id)
            .where(Application.organisation_id == user.organisation_id, ReviewRound.state != "draft")
            .order_by(ReviewRound.id.desc(), Application.id)
        ).all()
        result = []
        for app, round_, org, self_version in rows:
            labels = {c.id: c.label for c in rubric_of(store, round_).categories}
            label = labels.get(app.category)
            result.append(
                OwnApplication(
                    _view(app, org),
                    round_.name,
                    round_.state,
                    label.zh if label else app.category,
                    label.en if label else app.category,
                    self_version is not None,
                )
            )
        return result

    return store.read(actor, "application.list", work)


@dataclass(frozen=True)
class ApplicantWorkspace:
    """Everything the application and self-assessment pages need about one of the applicant's own applications.

    `lock`: why the application cannot be edited now (round state, deadline, status), or None when
    it can; `withdraw_lock` the same for withdrawing it, `self_lock` for the self-assessment. Each is
    the very refusal the operation would raise, so a page can say why instead of offering a form
    that cannot save.
    """

    application: ApplicationView
    round_id: int
    round_name: str
    round_state: str
    deadline: dt.datetime | None
    regions: tuple[str, ...]
    rubric: Rubric
    precision: int
    lock: OperationError | None
    withdraw_lock: OperationError | None
    self_lock: OperationError | None
    credit_code_problem: FieldProblem | None
    self_assessment: SelfAssessmentView
    self_assessed_at: dt.datetime | None


def _refusal(check: object) -> OperationError | None:
    try:
        check()
    except OperationError as exc:
        return exc
    return None


def applicant_workspace(store: Store, actor: Actor, application_id: int) -> ApplicantWorkspace:
    """The applicant's own application with its round, rubric and edit locks; anyone else gets `AccessDenied`."""

    def work(session: Session) -> ApplicantWorkspace:
        verified_user(session, actor, "applicant")
        app, round_ = visible_application(session, actor, application_id)
        org = session.get(Organisation, app.organisation_id)
        settings = settings_of(round_)
        row = session.get(SelfAssessment, app.id)

        def may_edit() -> None:
            _applicant_may_edit(store, round_)
            _require_draft(app)

        def may_withdraw() -> None:
            _applicant_may_edit(store, round_)
            if app.status == "withdrawn":
                _require_draft(app)

        def may_self_assess() -> None:
            require_state(round_, "self_assessment.edit")
            check_deadline(store, settings.application_deadline, "自评", "self-assessment")
            if app.status == "withdrawn":
                _require_draft(app)

        code_problems = _credit_code_problems(org.credit_code or "")
        return ApplicantWorkspace(
            application=_view(app, org, _attachments(session, app.id)),
            round_id=round_.id,
            round_name=round_.name,
            round_state=round_.state,
            deadline=settings.application_deadline,
            regions=settings.regions,
            rubric=rubric_of(store, round_),
            precision=settings.precision,
            lock=_refusal(may_edit),
            withdraw_lock=_refusal(may_withdraw),
            self_lock=_refusal(may_self_assess),
            credit_code_problem=code_problems[0] if code_problems else None,
            self_assessment=(
                SelfAssessmentView(app.id, {k: Decimal(v) for k, v in json.loads(row.points).items()}, row.version)
                if row
                else SelfAssessmentView(app.id, {}, 0)
            ),
            self_assessed_at=row.updated_at if row else None,
        )

    return store.read(actor, "application.view", work, target=f"application:{application_id}")


def submission_problems(store: Store, actor: Actor, application_id: int) -> list[FieldProblem]:
    """What `submit_application` would refuse in the saved application now: the whole-rubric check, no write."""

    def work(session: Session) -> list[FieldProblem]:
        app, round_ = _own_application(session, actor, application_id)
        org = session.get(Organisation, app.organisation_id)
        rubric = rubric_of(store, round_)
        try:
            contract = _contract(_fields_of(app), reference=app.reference, rubric=rubric, org=org)
            _check(contract, rubric, settings_of(round_).regions, complete=True)
        except SubmissionError as exc:
            return exc.problems
        return []

    return store.read(actor, "application.view", work, target=f"application:{application_id}")


@dataclass(frozen=True, eq=False)
class OwnResult:
    """One of the organisation's applications in a published round, and how the panel scored it.

    `criteria`: `scoring.selfassess.criterion_comparison` — self against panel per criterion.
    """

    reference: str
    title: str
    category: str
    scored: bool
    eligible: bool
    reasons_zh: str
    reasons_en: str
    total: float | None
    band_zh: str
    band_en: str
    recommended: bool
    rank: int | None
    rank_category: int | None
    criteria: pd.DataFrame

    def band_label(self, lang: str) -> str:
        return self.band_en if lang == "en" else self.band_zh

    @property
    def self_assessed(self) -> bool:
        return bool(self.criteria["self"].notna().any())

    def reasons(self, lang: str) -> str:
        return self.reasons_en if lang == "en" else self.reasons_zh


@dataclass(frozen=True, eq=False)
class PublishedResults:
    """An applicant's view of a published round: their own results and the public list (公示名单).

    `public`: rank, organisation, title, category_zh, category_en, region, total, band_zh, band_en.
    `overclaim_flag`: the round's share of a criterion's maximum beyond which self exceeds panel.
    """

    round_id: int
    round_name: str
    rubric: Rubric
    own: tuple[OwnResult, ...]
    public: pd.DataFrame
    overclaim_flag: float


_BAND_OUTSIDE = {"ineligible": ("不符合申报条件", "Ineligible"), "unscored": ("未评分", "Not scored")}


def band_labels(rubric: Rubric) -> dict[str, tuple[str, str]]:
    """Band id -> (zh, en) label, including the engine's `ineligible` and `unscored`."""
    return {b.id: (b.label.zh, b.label.en) for b in rubric.bands} | _BAND_OUTSIDE


def published_results(store: Store, actor: Actor, round_id: int) -> PublishedResults:
    """`ranking.applicant_results` shaped for the applicant's results page.

    Raises what `applicant_results` raises: `RoundStateError` before publication, `AccessDenied`
    for anyone but an applicant or for a round in draft.
    """
    results = applicant_results(store, actor, round_id)
    overclaim_flag = get_round(store, actor, round_id).settings.overclaim_flag
    rubric = results.rubric
    bands = band_labels(rubric)
    categories = {c.id: (c.label.zh, c.label.en) for c in rubric.categories}
    own = []
    for row in results.own.to_dict("records"):
        gaps = results.gaps[results.gaps["application_id"] == row["application_id"]]
        band = bands.get(row["band"], (row["band"], row["band"]))
        own.append(
            OwnResult(
                reference=row["application_id"],
                title=row["app:title"],
                category=row["category"],
                scored=bool(row["scored"]),
                eligible=bool(row["eligible"]),
                reasons_zh=row["reasons_zh"],
                reasons_en=row["reasons_en"],
                total=None if pd.isna(row["total"]) else float(row["total"]),
                band_zh=band[0],
                band_en=band[1],
                recommended=bool(row["recommended"]),
                rank=None if pd.isna(row["rank"]) else int(row["rank"]),
                rank_category=None if pd.isna(row["rank_category"]) else int(row["rank_category"]),
                criteria=criterion_comparison(rubric, row, gaps),
            )
        )
    public = results.public
    table = pd.DataFrame(
        {
            "rank": public["rank"],
            "organisation": public["app:organisation"],
            "title": public["app:title"],
            "category_zh": [categories.get(c, (c, c))[0] for c in public["category"]],
            "category_en": [categories.get(c, (c, c))[1] for c in public["category"]],
            "region": public["region"],
            "total": public["total"],
            "band_zh": [bands.get(b, (b, b))[0] for b in public["band"]],
            "band_en": [bands.get(b, (b, b))[1] for b in public["band"]],
        }
    )
    return PublishedResults(results.round_id, results.round_name, rubric, tuple(own), table, overclaim_flag)
