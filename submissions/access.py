"""Who may do what: the caller's identity, checked against the database on every operation.

An `Actor` is what a login hands to the user interface. It is only a claim: every service call
reloads the user row and refuses the call when the account is gone, disabled, or no longer has the
role the actor claims, so a stale or tampered actor gains nothing. An actor from a login also names
its session (the id of the login's audit entry): once that session has been signed out, timed out
or has reached `SESSION_LIFETIME`, the actor is refused too, so page state kept past a sign-out
cannot act. Refusals raise `AccessDenied`, which reads exactly like "not found".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from submissions.errors import AccessDenied, RoundStateError
from submissions.models import AuditEntry, ReviewRound, User

IDLE_LIMIT = dt.timedelta(minutes=30)  # enforced by the interface, which sees the activity
SESSION_LIFETIME = dt.timedelta(hours=8)  # enforced by the interface and again by every service call
NOW_KEY = "now"  # the store puts its clock's reading in `Session.info` under this key

STATE_LABELS: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "draft"),
    "open": ("开放申报", "open for applications"),
    "under_review": ("评审中", "under review"),
    "closed": ("评审结束", "review closed"),
    "published": ("公示中", "published for public notice"),
    "final": ("已定稿", "final"),
}

# Round states in which each action may run; the role rules live in the service functions.
ACTION_STATES: dict[str, frozenset[str]] = {
    "round.configure": frozenset({"draft", "open"}),
    "application.edit": frozenset({"open"}),
    "application.import": frozenset({"open"}),
    "self_assessment.edit": frozenset({"open"}),
    "assignment.change": frozenset({"open", "under_review"}),
    "conflict.declare": frozenset({"open", "under_review"}),
    "sheet.edit": frozenset({"under_review"}),
    "sheet.reopen": frozenset({"under_review", "closed"}),
    "ranking.view": frozenset({"under_review", "closed", "published", "final"}),
    "results.view": frozenset({"published", "final"}),
}

ACTION_LABELS: dict[str, tuple[str, str]] = {
    "round.configure": ("修改评审设置", "change the round's settings"),
    "application.edit": ("填写或提交申报", "edit or submit applications"),
    "application.import": ("导入申报", "import applications"),
    "self_assessment.edit": ("填写自评", "edit the self-assessment"),
    "assignment.change": ("分配评审专家", "assign reviewers"),
    "conflict.declare": ("申报回避", "declare a conflict of interest"),
    "sheet.edit": ("评分", "score applications"),
    "sheet.reopen": ("退回评分表", "reopen score sheets"),
    "ranking.view": ("查看排名", "see the ranking"),
    "results.view": ("查看评审结果", "see the results"),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the interface knows them."""

    user_id: int
    username: str
    display_name: str
    role: str
    organisation_id: int | None = None
    region: str | None = None
    # The login's audit entry id; None for actors made by the system, the command line or tests.
    # Not part of equality: the same person in two sessions is the same actor.
    session: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.username})"


def valid_id(value: object) -> bool:
    """Whether `value` could be a row id: an int an INTEGER column holds on every backend (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def verified_user(session: Session, actor: Actor, *roles: str) -> User:
    """The actor's user row, provided it is active, unchanged in role, and one of `roles` (any when empty).

    An actor naming a session must name a live one of this user's: signed in, not signed out, and
    younger than `SESSION_LIFETIME` by the store's clock.
    """
    if not isinstance(actor, Actor) or not valid_id(actor.user_id):
        raise AccessDenied()
    user = session.get(User, actor.user_id)
    if user is None or not user.active or user.role != actor.role or user.username != actor.username:
        raise AccessDenied()
    if roles and user.role not in roles:
        raise AccessDenied()
    if actor.session is not None and not session_live(session, actor):
        raise AccessDenied()
    return user


def session_live(session: Session, actor: Actor) -> bool:
    """Whether the session the actor names was opened by this user's login and has not ended."""
    ident = actor.session
    if not valid_id(ident):
        return False
    login = session.get(AuditEntry, ident)
    if login is None or (login.action, login.outcome, login.actor_id) != ("login", "ok", actor.user_id):
        return False
    now = session.info.get(NOW_KEY)
    if now is not None and now - login.at >= SESSION_LIFETIME:
        return False
    ended = session.scalar(
        select(AuditEntry.id)
        .where(AuditEntry.action == "logout", AuditEntry.id > ident)
        .where(AuditEntry.target_type == "session", AuditEntry.target_id == str(ident))
        .limit(1)
    )
    return ended is None


def require_state(round_: ReviewRound, action: str) -> None:
    """Refuse `action` unless the round is in one of the states that allow it, saying which."""
    allowed = ACTION_STATES[action]
    if round_.state in allowed:
        return
    now_zh, now_en = STATE_LABELS[round_.state]
    ok_zh = "、".join(STATE_LABELS[s][0] for s in STATE_LABELS if s in allowed)
    ok_en = ", ".join(STATE_LABELS[s][1] for s in STATE_LABELS if s in allowed)
    what_zh, what_en = ACTION_LABELS[action]
    raise RoundStateError(
        f"本轮评审当前处于“{now_zh}”阶段,不能{what_zh};只有在“{ok_zh}”阶段才可以。",
        f"This round is {now_en}, so you cannot {what_en} now; that is possible only while it is {ok_en}.",
    )
