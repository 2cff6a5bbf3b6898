"""Workbook imports through the store: applications, by administrators.

The workbook is read safely and every row checked before anything is written; then all rows are
written in one transaction or none. A rejected import returns every problem, per cell, plus the
uploaded sheet with the bad cells highlighted, so the user fixes everything in one pass.
Reviewers' offline score sheets come back through `reviews.upload_offline`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from rubrics.schema import Rubric
from submissions.access import Actor, require_state, verified_user
from submissions.accounts import add_organisation
from submissions.excel.applications import read_applications
from submissions.excel.errors import CellProblem
from submissions.excel.report import error_report_workbook
from submissions.models import Application, AuditEntry, Organisation, ReviewRound
from submissions.rounds import load_round, rubric_of, settings_of
from submissions.store import Store


@dataclass(frozen=True)
class ImportOutcome:
    """`imported` rows were written, or none and `problems` says why (with `error_workbook` to download)."""

    imported: int
    problems: list[CellProblem] = field(default_factory=list)
    error_workbook: bytes | None = None
    references: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _round_and_rubric(store: Store, actor: Actor, round_id: int, action: str) -> tuple[ReviewRound, Rubric]:
    def work(session: Session) -> tuple[ReviewRound, Rubric]:
        verified_user(session, actor, "admin")
        round_ = load_round(session, round_id)
        require_state(round_, action)
        return round_, rubric_of(store, round_)

    return store.read(actor, action, work, target=f"round:{round_id}")


def _rejected(data: bytes, problems: list[CellProblem]) -> ImportOutcome:
    return ImportOutcome(0, problems, error_report_workbook(data, problems))


def import_applications(store: Store, actor: Actor, round_id: int, data: bytes) -> ImportOutcome:
    """Applications collected offline, filed as submitted, all or nothing (admins, while the round is open).

    Organisations are matched by credit code and created when new; an existing organisation keeps
    its registered name and region.
    """
    round_, rubric = _round_and_rubric(store, actor, round_id, "application.import")
    parsed = read_applications(data, rubric, regions=settings_of(round_).regions)
    if parsed.problems:
        return _rejected(data, parsed.problems)
    rows = [item.application for item in parsed.rows]

    def work(session: Session) -> ImportOutcome:
        verified_user(session, actor, "admin")
        current = load_round(session, round_id)
        require_state(current, "application.import")
        now = store.now()
        codes = {app.credit_code for app in rows}
        known = dict(
            session.execute(
                select(Organisation.credit_code, Organisation.id).where(Organisation.credit_code.in_(codes))
            )
            .tuples()
            .all()
        )
        for app in rows:
            if app.credit_code not in known:
                org = add_organisation(
                    session, store, actor, name=app.organisation, credit_code=app.credit_code, region=app.region
                )
                known[app.credit_code] = org.id
        first = session.execute(
            update(ReviewRound)
            .where(ReviewRound.id == round_id)
            .values(next_reference=ReviewRound.next_reference + len(rows))
            .returning(ReviewRound.next_reference)
        ).scalar_one() - len(rows)
        references = [f"R{round_id}-{first + i:05d}" for i in range(len(rows))]
        session.execute(
            insert(Application),
            [
                {
                    "round_id": round_id,
                    "organisation_id": known[app.credit_code],
                    "reference": reference,
                    "category": app.category,
                    "region": app.region,
                    "title": app.title,
                    "indicators": json.dumps(app.indicators, ensure_ascii=False),
                    "declarations": json.dumps(app.declarations, ensure_ascii=False),
                    "narratives": json.dumps(app.narratives, ensure_ascii=False),
                    "evidence": json.dumps(app.evidence, ensure_ascii=False),
                    "status": "submitted",
                    "created_by": actor.user_id,
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                    "version": 1,
                }
                for app, reference in zip(rows, references, strict=True)
            ],
        )
        session.execute(
            insert(AuditEntry),
            [
                {
                    "at": now,
                    "actor_id": actor.user_id,
                    "actor_label": actor.label,
                    "action": "application.import",
                    "outcome": "ok",
                    "target_type": "application",
                    "target_id": reference,
                    "round_id": round_id,
                    "before": None,
                    "after": json.dumps(
                        {"title": app.title, "credit_code": app.credit_code, "category": app.category},
                        ensure_ascii=False,
                    ),
                }
                for app, reference in zip(rows, references, strict=True)
            ],
        )
        return ImportOutcome(len(rows), references=references)

    return store.write(actor, "application.import", work, target=f"round:{round_id}")
