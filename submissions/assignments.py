"""Assigning reviewers to a round's submitted applications: automatic (seeded, balanced) or by hand.

Conflicts of interest are never assigned: those a reviewer declared, a reviewer of the applicant's
own organisation, and, when the round says so, a reviewer from the application's region. An
assignment whose reviewer later declares a conflict stays on record but counts for nothing: the
application drops out of that reviewer's list and the planner finds a replacement.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from submissions import audit
from submissions.access import Actor, require_state, valid_id, verified_user
from submissions.assignment_plan import AssignmentPlan, Party, conflict_reason, plan_assignments
from submissions.errors import AccessDenied, ConflictOfInterest, RoundStateError
from submissions.models import Application, Assignment, Conflict, ReviewRound, ScoreSheet, User
from submissions.rounds import load_round, settings_of
from submissions.store import Store

CONFLICT_LABELS = {
    "declared": ("专家本人申报回避", "declared by the reviewer"),
    "same_organisation": ("与申报单位为同一单位", "same organisation as the applicant"),
    "same_region": ("与申报单位同一地区", "same region as the applicant"),
}


@dataclass(frozen=True)
class PlanPreview:
    plan: AssignmentPlan
    per_application: int
    applications: int
    reviewers: int


def rule_conflict(application: Application, reviewer: User, round_: ReviewRound) -> str | None:
    """The conflict the round's rules see between an application and a reviewer, declared ones aside.

    An assignment made before the round turned on `conflict_same_region` stays on record; the
    reviewer must still not see, score or count for that application.
    """
    return conflict_reason(
        Party(application.id, application.organisation_id, application.region),
        Party(reviewer.id, reviewer.organisation_id, reviewer.region),
        same_region=settings_of(round_).conflict_same_region,
        declared=(),
    )


def _parties(session: Session, round_: ReviewRound) -> tuple[list[Party], list[Party]]:
    apps = session.execute(
        select(Application.id, Application.organisation_id, Application.region).where(
            Application.round_id == round_.id, Application.status == "submitted"
        )
    ).all()
    reviewers = session.execute(
        select(User.id, User.organisation_id, User.region).where(User.role == "reviewer", User.active.is_(True))
    ).all()
    return [Party(*a) for a in apps], [Party(*r) for r in reviewers]


def _declared(session: Session, round_id: int) -> set[tuple[int, int]]:
    return set(
        session.execute(
            select(Conflict.application_id, Conflict.reviewer_id).where(Conflict.round_id == round_id)
        ).tuples()
    )


def _plan(session: Session, round_: ReviewRound, *, seed: int, per_application: int | None) -> PlanPreview:
    settings = settings_of(round_)
    k = per_application or settings.reviewers_per_application
    apps, reviewers = _parties(session, round_)
    declared = _declared(session, round_.id)
    app_ids = {a.id for a in apps}
    reviewer_ids = {r.id for r in reviewers}
    existing = {
        pair
        for pair in session.execute(
            select(Assignment.application_id, Assignment.reviewer_id).where(Assignment.round_id == round_.id)
        ).tuples()
        if pair[0] in app_ids and pair[1] in reviewer_ids and pair not in declared
    }
    app_by_id = {a.id: a for a in apps}
    rev_by_id = {r.id: r for r in reviewers}
    existing = {
        (a, r)
        for a, r in existing
        if conflict_reason(app_by_id[a], rev_by_id[r], same_region=settings.conflict_same_region, declared=declared)
        is None
    }
    plan = plan_assignments(
        apps,
        reviewers,
        per_application=k,
        seed=seed,
        declared_conflicts=declared,
        same_region=settings.conflict_same_region,
        existing=existing,
    )
    return PlanPreview(plan, k, len(apps), len(reviewers))


def _admin_round(session: Session, actor: Actor, round_id: int) -> ReviewRound:
    verified_user(session, actor, "admin")
    round_ = load_round(session, round_id)
    require_state(round_, "assignment.change")
    return round_


def preview_assignment(
    store: Store, actor: Actor, round_id: int, *, seed: int = 0, per_application: int | None = None
) -> PlanPreview:
    """What `apply_assignment` would add, without adding it."""

    def work(session: Session) -> PlanPreview:
        return _plan(session, _admin_round(session, actor, round_id), seed=seed, per_application=per_application)

    return store.read(actor, "assignment.preview", work, target=f"round:{round_id}")


def apply_assignment(
    store: Store, actor: Actor, round_id: int, *, seed: int = 0, per_application: int | None = None
) -> PlanPreview:
    """Fill every submitted application up to k reviewers; the same seed gives the same plan as the preview."""

    def work(session: Session) -> PlanPreview:
        round_ = _admin_round(session, actor, round_id)
        preview = _plan(session, round_, seed=seed, per_application=per_application)
        now = store.now()
        session.add_all(
            Assignment(
                round_id=round_id,
                application_id=a,
                reviewer_id=r,
                method="auto",
                created_by=actor.user_id,
                created_at=now,
            )
            for a, r in preview.plan.pairs
        )
        audit.record(
            session,
            actor,
            "assignment.auto",
            "round",
            round_id,
            at=now,
            round_id=round_id,
            after={
                "seed": seed,
                "per_application": preview.per_application,
                "added": len(preview.plan.pairs),
                "shortfalls": {str(k): v for k, v in preview.plan.shortfalls.items()},
            },
        )
        return preview

    return store.write(actor, "assignment.auto", work, target=f"round:{round_id}")


def assign(store: Store, actor: Actor, application_id: int, reviewer_id: int) -> None:
    """Add one reviewer to one application by hand; conflicted pairs are refused with the reason."""

    def work(session: Session) -> None:
        verified_user(session, actor, "admin")
        if not valid_id(reviewer_id):
            raise AccessDenied()
        app = session.get(Application, application_id)
        reviewer = session.get(User, reviewer_id)
        if app is None or reviewer is None or reviewer.role != "reviewer" or not reviewer.active:
            raise AccessDenied()
        round_ = _admin_round(session, actor, app.round_id)
        if app.status != "submitted":
            raise RoundStateError(
                "只能为已提交的申报分配专家。", "Reviewers can be assigned only to submitted applications."
            )
        reason = conflict_reason(
            Party(app.id, app.organisation_id, app.region),
            Party(reviewer.id, reviewer.organisation_id, reviewer.region),
            same_region=settings_of(round_).conflict_same_region,
            declared=_declared(session, round_.id),
        )
        if reason is not None:
            zh, en = CONFLICT_LABELS[reason]
            raise ConflictOfInterest(
                f"不能将{reviewer.display_name}分配给申报“{app.reference}”:{zh},须回避。",
                f"{reviewer.display_name} cannot review {app.reference}: {en}, so they must stand aside.",
            )
        exists = session.scalar(
            select(Assignment.id).where(Assignment.application_id == app.id, Assignment.reviewer_id == reviewer.id)
        )
        if exists is not None:
            return
        session.add(
            Assignment(
                round_id=round_.id,
                application_id=app.id,
                reviewer_id=reviewer.id,
                method="manual",
                created_by=actor.user_id,
                created_at=store.now(),
            )
        )
        audit.record(
            session,
            actor,
            "assignment.add",
            "application",
            app.id,
            at=store.now(),
            round_id=round_.id,
            after={"reviewer_id": reviewer.id},
        )

    store.write(actor, "assignment.add", work, target=f"application:{application_id}")


def unassign(store: Store, actor: Actor, application_id: int, reviewer_id: int) -> None:
    """Remove a reviewer from an application, unless they have already started scoring it."""

    def work(session: Session) -> None:
        verified_user(session, actor, "admin")
        if not valid_id(reviewer_id):
            raise AccessDenied()
        row = session.scalar(
            select(Assignment).where(Assignment.application_id == application_id, Assignment.reviewer_id == reviewer_id)
        )
        if row is None:
            raise AccessDenied()
        _admin_round(session, actor, row.round_id)
        started = session.scalar(
            select(ScoreSheet.id).where(
                ScoreSheet.application_id == application_id, ScoreSheet.reviewer_id == reviewer_id
            )
        )
        if started is not None:
            raise RoundStateError(
                "该专家已开始评分,不能取消分配;如有回避情形,请由专家申报回避。",
                "This reviewer has started scoring, so the assignment cannot be removed; "
                "if there is a conflict, the reviewer should declare it.",
            )
        session.delete(row)
        audit.record(
            session,
            actor,
            "assignment.remove",
            "application",
            application_id,
            at=store.now(),
            round_id=row.round_id,
            before={"reviewer_id": reviewer_id},
        )

    store.write(actor, "assignment.remove", work, target=f"application:{application_id}")


def assignment_table(store: Store, actor: Actor, round_id: int) -> pd.DataFrame:
    """Every assignment of a round with its method and whether a conflict now excludes it."""

    def work(session: Session) -> pd.DataFrame:
        verified_user(session, actor, "admin")
        load_round(session, round_id)
        declared = _declared(session, round_id)
        rows = session.execute(
            select(
                Assignment.application_id,
                Application.reference,
                Assignment.reviewer_id,
                User.display_name,
                Assignment.method,
            )
            .join(Application, Application.id == Assignment.application_id)
            .join(User, User.id == Assignment.reviewer_id)
            .where(Assignment.round_id == round_id)
            .order_by(Assignment.application_id, Assignment.reviewer_id)
        ).all()
        frame = pd.DataFrame(rows, columns=["application_id", "reference", "reviewer_id", "reviewer", "method"])
        frame["conflicted"] = [
            (a, r) in declared for a, r in zip(frame["application_id"], frame["reviewer_id"], strict=True)
        ]
        return frame

    return store.read(actor, "assignment.list", work, target=f"round:{round_id}")


def conflicts(store: Store, actor: Actor, round_id: int) -> pd.DataFrame:
    """Declared conflicts, and detected ones between the round's applications and active reviewers."""

    def work(session: Session) -> pd.DataFrame:
        verified_user(session, actor, "admin")
        round_ = load_round(session, round_id)
        same_region = settings_of(round_).conflict_same_region
        rows = [
            (a, r, "declared", reason)
            for a, r, reason in session.execute(
                select(Conflict.application_id, Conflict.reviewer_id, Conflict.reason).where(
                    Conflict.round_id == round_id
                )
            )
        ]
        match = Application.organisation_id == User.organisation_id
        if same_region:
            match = match | (Application.region == User.region)
        detected = session.execute(
            select(Application.id, User.id, Application.organisation_id == User.organisation_id)
            .join(User, match)
            .where(Application.round_id == round_id, User.role == "reviewer", User.active.is_(True))
        ).all()
        rows += [(a, r, "same_organisation" if same_org else "same_region", "") for a, r, same_org in detected]
        return pd.DataFrame(rows, columns=["application_id", "reviewer_id", "kind", "reason"])

    return store.read(actor, "conflict.list", work, target=f"round:{round_id}")
