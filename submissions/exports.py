"""Downloads: the ranking workbook and CSV (admins), applicant and offline review templates.

Every download is recorded in the audit log. Reviewer identities in exports are anonymised labels
(专家01, 专家02, … by user id) unless the export profile is `full` and the round's `reviewer_identity`
says named (see `submissions.privacy`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from submissions import audit
from submissions.access import Actor, require_state, verified_user
from submissions.applications import REVIEWER_STATES
from submissions.errors import AccessDenied
from submissions.excel.applications import application_template
from submissions.excel.panel import PanelRow, panel_template
from submissions.excel.ranking import ranking_csv, ranking_workbook
from submissions.models import User
from submissions.privacy import DEFAULT_PROFILE, checked_profile
from submissions.ranking import RoundRanking, compute, reviewer_label
from submissions.reviews import my_assignments
from submissions.rounds import load_round, rubric_of, settings_of, visible_states
from submissions.store import Store


def reviewer_names(session: Session, ranked: RoundRanking, profile: str = DEFAULT_PROFILE) -> dict[int, str]:
    """User id -> the name shown in exports: numbered unless the profile is full and the round says named."""
    ids = sorted({int(i) for i in ranked.submitted_sheets.reviewer_ids})
    if profile == "full" and ranked.settings.reviewer_identity == "named":
        names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).tuples().all())
        return {i: names.get(i, str(i)) for i in ids}
    return {i: f"专家{n + 1:02d}" for n, i in enumerate(ids)}


def reviewer_detail(ranked: RoundRanking, names: dict[int, str]) -> pd.DataFrame:
    """One row per submitted sheet: application, reviewer as shown, points per criterion."""
    sheets = ranked.submitted_sheets
    references = ranked.applications.set_index("id")["reference"]
    detail = pd.DataFrame(sheets.points, columns=[c.id for c in ranked.rubric.criteria])
    detail.insert(0, "reviewer", [names[int(r)] for r in sheets.reviewer_ids])
    detail.insert(0, "application_ref", references.reindex(sheets.application_ids).to_numpy())
    return detail


def _with_titles(ranked: RoundRanking):
    """The evaluation with the title and organisation columns the workbook shows."""
    shown = ranked.table.drop(columns=["app:id", "app:organisation_id"])
    return dataclasses.replace(ranked.evaluation, table=shown)


def _log_export(store: Store, actor: Actor, action: str, round_id: int, details: dict) -> None:
    store.db.write(
        lambda session: audit.record(
            session, actor, action, "round", round_id, at=store.now(), round_id=round_id, after=details
        )
    )


def ranking_export(
    store: Store,
    actor: Actor,
    round_id: int,
    *,
    lang: str = "zh",
    method: str | None = None,
    kind: str = "xlsx",
    profile: str = DEFAULT_PROFILE,
    purpose: str = "",
) -> bytes:
    """The ranking workbook (`kind="xlsx"`) or the ranking sheet as CSV (`kind="csv"`).

    `profile` is `redacted` (default: reviewers numbered) or `full` (reviewer names when the round's
    `reviewer_identity` is named), which needs a `purpose`; both are logged with the export.
    """
    checked: list[str] = []

    def work(session: Session) -> bytes:
        verified_user(session, actor, "admin")
        checked[:] = checked_profile(profile, purpose)
        round_ = load_round(session, round_id)
        require_state(round_, "ranking.view")
        ranked = compute(store, session, round_, method)
        evaluation = _with_titles(ranked)
        if kind == "csv":
            return ranking_csv(evaluation.table, ranked.rubric, lang)
        names = reviewer_names(session, ranked, profile)
        settings = ranked.settings
        round_info = {
            "round": round_.name,
            "rubric_id": round_.rubric_id,
            "rubric_content_hash": round_.rubric_hash,
            "aggregation": evaluation.settings.method,
            "normalise": settings.normalise,
            "trim_min_reviewers": settings.trim_min_reviewers,
            "precision": settings.precision,
            "tie_break": ", ".join(settings.tie_break),
            "quota_per_category": settings.quota_per_category or "",
            "quota_per_region": settings.quota_per_region or "",
            "blind_policy": settings.blind_policy,
            "reviewer_identity": settings.reviewer_identity,
            "export_profile": profile,
            "revision": ranked.revision,
            "submitted_sheets": ranked.sheets,
            "generated_at": store.now().astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds"),
        }
        statistics = {k: v for k, v in ranked.reliability().items() if np.isscalar(v) or v is None}
        return ranking_workbook(
            rubric=ranked.rubric,
            evaluation=evaluation,
            round_info=round_info,
            reviewer_scores=reviewer_detail(ranked, names),
            statistics=statistics,
            audit_summary=audit.summary(session, round_id),
            lang=lang,
            reviewer_labels={reviewer_label(i): name for i, name in names.items()},
        )

    data = store.read(actor, "export.ranking", work, target=f"round:{round_id}")
    _log_export(
        store,
        actor,
        "export.ranking",
        round_id,
        {"kind": kind, "lang": lang, "method": method, "bytes": len(data)}
        | {"profile": checked[0], "purpose": checked[1]},
    )
    return data


def applicant_template(store: Store, actor: Actor, round_id: int) -> bytes:
    """The round's applicant workbook: a row per application, validated lists and bounds."""

    def work(session: Session) -> bytes:
        user = verified_user(session, actor)
        round_ = load_round(session, round_id)
        if round_.state not in visible_states(user.role):
            raise AccessDenied()
        return application_template(rubric_of(store, round_), regions=settings_of(round_).regions)

    data = store.read(actor, "export.application_template", work, target=f"round:{round_id}")
    _log_export(store, actor, "export.application_template", round_id, {"bytes": len(data)})
    return data


def reviewer_template(store: Store, actor: Actor, round_id: int) -> bytes:
    """The reviewer's offline workbook: their assigned applications × criteria, with their drafts."""
    assigned = my_assignments(store, actor, round_id)

    def work(session: Session) -> tuple:
        verified_user(session, actor, "reviewer")
        round_ = load_round(session, round_id)
        if round_.state not in REVIEWER_STATES:
            raise AccessDenied()
        return round_.name, rubric_of(store, round_)

    name, rubric = store.read(actor, "export.reviewer_template", work, target=f"round:{round_id}")
    labels = {c.id: c.label.zh for c in rubric.categories}
    rows = [
        PanelRow(
            item.reference,
            item.title,
            item.organisation,
            labels.get(item.category, item.category),
            {cid: e.points for cid, e in item.entries.items()},
            {cid: e.comment for cid, e in item.entries.items() if e.comment},
        )
        for item in assigned
    ]
    data = panel_template(rubric, reviewer=actor.display_name, round_name=name, applications=rows)
    _log_export(store, actor, "export.reviewer_template", round_id, {"applications": len(rows)})
    return data
