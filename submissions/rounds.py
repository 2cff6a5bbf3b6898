"""Review rounds: created from a rubric, configured, and moved through their states by admins.

The rubric is frozen into the round when the round is created: the fully resolved document (its
`extends:` fragments merged) is stored with its content hash, so later edits to the rubric files
never change a round's scores. States only move forward, one step at a time:
draft → open → under_review → closed → published (公示) → final.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rubrics.loader import content_hash, load_rubric, load_rubric_text
from rubrics.schema import Band, PanelSettings, Rubric
from scoring.settings import Settings
from submissions import audit
from submissions.access import STATE_LABELS, Actor, require_state, verified_user
from submissions.errors import AccessDenied, DeadlinePassed, FieldProblem, RoundStateError, SubmissionError
from submissions.models import ROUND_STATES, Assignment, ReviewRound
from submissions.regions import PROVINCIAL_DIVISIONS
from submissions.store import Store
from submissions.versioning import check_version

BlindPolicy = Literal["sealed", "anonymous_after_submit", "named_after_submit"]
IdentityPolicy = Literal["anonymised", "named"]

NEXT_STATE = dict(itertools.pairwise(ROUND_STATES))


class RoundSettings(PanelSettings):
    """A round's settings: the rubric's panel defaults plus what the programme office decides.

    `blind_policy`: `sealed` — a reviewer never sees other reviewers' scores;
    `anonymous_after_submit` — after submitting their own sheet, others' scores without names;
    `named_after_submit` — the same with names. `reviewer_identity`: how reviewers appear in exports.
    """

    normalise: bool = False
    blind_policy: BlindPolicy = "anonymous_after_submit"
    reviewer_identity: IdentityPolicy = "anonymised"
    min_comment_length: int = Field(default=0, ge=0, le=2000)
    application_deadline: dt.datetime | None = None
    review_deadline: dt.datetime | None = None
    reviewers_per_application: int = Field(default=5, ge=1, le=50)
    conflict_same_region: bool = False
    regions: tuple[str, ...] = PROVINCIAL_DIVISIONS
    bands: tuple[Band, ...] | None = None

    @field_validator("application_deadline", "review_deadline")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the deadline with its time zone, e.g. 2026-12-31T17:00:00+08:00")
        return value

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(r.strip() for r in value)
        if not cleaned or any(not r or len(r) > 64 for r in cleaned) or len(set(cleaned)) != len(cleaned):
            raise ValueError("regions must be a non-empty list of distinct names of 1 to 64 characters")
        return cleaned

    @model_validator(mode="after")
    def _deadlines_in_order(self) -> RoundSettings:
        first, second = self.application_deadline, self.review_deadline
        if first is not None and second is not None and second <= first:
            raise ValueError("the review deadline must come after the application deadline")
        return self

    @classmethod
    def for_rubric(cls, rubric: Rubric, **overrides: object) -> RoundSettings:
        return cls.model_validate({**rubric.settings.model_dump(), **overrides})

    def engine_settings(self, method: str | None = None) -> Settings:
        return Settings.from_rubric(
            self,
            normalise=self.normalise,
            **({"method": method} if method else {}),
        )


@dataclass(frozen=True)
class RoundView:
    id: int
    name: str
    rubric_id: str
    rubric_hash: str
    state: str
    settings: RoundSettings
    version: int
    created_at: dt.datetime

    @property
    def state_label(self) -> tuple[str, str]:
        return STATE_LABELS[self.state]


def settings_of(round_: ReviewRound) -> RoundSettings:
    return RoundSettings.model_validate_json(round_.settings)


def view(round_: ReviewRound) -> RoundView:
    return RoundView(
        round_.id,
        round_.name,
        round_.rubric_id,
        round_.rubric_hash,
        round_.state,
        settings_of(round_),
        round_.version,
        round_.created_at,
    )


def rubric_of(store: Store, round_: ReviewRound) -> Rubric:
    """The round's frozen rubric, with the round's own bands when it sets them."""
    rubric = store.rubric(round_.rubric_text, round_.rubric_hash)
    bands = settings_of(round_).bands
    if bands is None:
        return rubric
    return rubric.model_copy(update={"bands": list(bands)})


def frozen_rubric_text(rubric: Rubric) -> str:
    return json.dumps(rubric.model_dump(mode="json"), ensure_ascii=False)


def _settings_problem(exc: ValidationError) -> SubmissionError:
    return SubmissionError(
        FieldProblem(
            "settings." + ".".join(str(p) for p in e["loc"]),
            "invalid_setting",
            f"评审设置“{'.'.join(str(p) for p in e['loc'])}”无效:{e['msg']}",
            f"Round setting “{'.'.join(str(p) for p in e['loc'])}” is invalid: {e['msg']}",
        )
        for e in exc.errors()
    )


def _validated_settings(rubric: Rubric, settings: dict | None) -> RoundSettings:
    try:
        result = RoundSettings.for_rubric(rubric, **(settings or {}))
        if result.bands is not None:
            Rubric.model_validate({**rubric.model_dump(), "bands": [b.model_dump() for b in result.bands]})
        known = {c.id for c in rubric.criteria} | {d.id for d in rubric.dimensions}
        for rule in result.tie_break:
            kind, _, ident = rule.partition(":")
            if ident and ident not in known:
                raise ValueError(f"tie-break {rule!r} names no {kind} of this rubric")
        return result
    except ValidationError as exc:
        raise _settings_problem(exc) from None
    except ValueError as exc:
        raise SubmissionError(
            [FieldProblem("settings", "invalid_setting", f"评审设置无效:{exc}", f"Invalid round settings: {exc}")]
        ) from None


def create_round(
    store: Store,
    actor: Actor,
    *,
    name: str,
    rubric_id: str | None = None,
    rubric_text: str | None = None,
    settings: dict | None = None,
) -> RoundView:
    """A new round in draft, from a shipped rubric (`rubric_id`) or an uploaded one (`rubric_text`)."""
    if (rubric_id is None) == (rubric_text is None):
        raise ValueError("give exactly one of rubric_id and rubric_text")
    store.read(actor, "round.create", lambda session: verified_user(session, actor, "admin"), target="round:new")
    rubric = load_rubric(rubric_id) if rubric_id is not None else load_rubric_text(rubric_text or "")
    name = name.strip()
    if not name or len(name) > 200:
        raise SubmissionError(
            [
                FieldProblem(
                    "name",
                    "bad_name",
                    "请填写评审轮次名称(1至200个字)。",
                    "Enter the round's name (1 to 200 characters).",
                )
            ]
        )
    round_settings = _validated_settings(rubric, settings)

    def work(session: Session) -> RoundView:
        verified_user(session, actor, "admin")
        round_ = ReviewRound(
            name=name,
            rubric_id=rubric.id,
            rubric_hash=content_hash(rubric),
            rubric_text=frozen_rubric_text(rubric),
            state="draft",
            settings=round_settings.model_dump_json(),
            created_at=store.now(),
            next_reference=1,
        )
        session.add(round_)
        session.flush()
        audit.record(
            session,
            actor,
            "round.create",
            "round",
            round_.id,
            at=store.now(),
            round_id=round_.id,
            after={"name": name, "rubric_id": rubric.id, "rubric_hash": round_.rubric_hash},
        )
        return view(round_)

    return store.write(actor, "round.create", work, target="round:new")


def load_round(session: Session, round_id: int) -> ReviewRound:
    round_ = session.get(ReviewRound, round_id)
    if round_ is None:
        raise AccessDenied()
    return round_


def update_settings(store: Store, actor: Actor, round_id: int, *, seen_version: int, changes: dict) -> RoundView:
    """Change settings while the round is in draft or open; a stale version is an edit conflict."""

    def work(session: Session) -> RoundView:
        verified_user(session, actor, "admin")
        round_ = load_round(session, round_id)
        check_version(round_.version, seen_version, changes)
        require_state(round_, "round.configure")
        rubric = store.rubric(round_.rubric_text, round_.rubric_hash)
        before = json.loads(round_.settings)
        merged = {**before, **changes}
        updated = _validated_settings(rubric, merged)
        round_.settings = updated.model_dump_json()
        session.flush()
        audit.record(
            session,
            actor,
            "round.settings",
            "round",
            round_id,
            at=store.now(),
            round_id=round_id,
            before=before,
            after=json.loads(round_.settings),
        )
        return view(round_)

    return store.write(actor, "round.settings", work, target=f"round:{round_id}")


def advance(store: Store, actor: Actor, round_id: int, *, to_state: str, seen_version: int) -> RoundView:
    """Move the round one step forward (draft → open → under_review → closed → published → final)."""
    if to_state not in ROUND_STATES:
        raise ValueError(f"unknown state {to_state!r}")

    def work(session: Session) -> RoundView:
        verified_user(session, actor, "admin")
        round_ = load_round(session, round_id)
        check_version(round_.version, seen_version, {"state": to_state})
        if NEXT_STATE.get(round_.state) != to_state:
            now_zh, now_en = STATE_LABELS[round_.state]
            to_zh, to_en = STATE_LABELS[to_state]
            nxt = NEXT_STATE.get(round_.state)
            hint_zh = f"下一阶段只能是“{STATE_LABELS[nxt][0]}”" if nxt else "该轮评审已定稿,不能再变更"
            hint_en = f"the next state can only be {STATE_LABELS[nxt][1]}" if nxt else "the round is final"
            raise RoundStateError(
                f"本轮评审处于“{now_zh}”阶段,不能转到“{to_zh}”;{hint_zh}。",
                f"The round is {now_en} and cannot move to {to_en}; {hint_en}.",
            )
        if to_state == "under_review":
            assigned = session.scalar(select(Assignment.id).where(Assignment.round_id == round_id).limit(1))
            if assigned is None:
                raise RoundStateError(
                    "尚未分配评审专家,不能开始评审;请先完成专家分配。",
                    "No reviewers are assigned yet, so the review cannot start; assign reviewers first.",
                )
        before = round_.state
        round_.state = to_state
        session.flush()
        audit.record(
            session,
            actor,
            "round.advance",
            "round",
            round_id,
            at=store.now(),
            round_id=round_id,
            before={"state": before},
            after={"state": to_state},
        )
        return view(round_)

    return store.write(actor, "round.advance", work, target=f"round:{round_id}")


def visible_states(role: str) -> frozenset[str]:
    """Admins see every round; everyone else every round past draft."""
    return frozenset(ROUND_STATES) if role == "admin" else frozenset(ROUND_STATES) - {"draft"}


def list_rounds(store: Store, actor: Actor) -> list[RoundView]:
    """Rounds the actor may see: admins all, others every round past draft."""

    def work(session: Session) -> list[RoundView]:
        user = verified_user(session, actor)
        query = select(ReviewRound).order_by(ReviewRound.id.desc())
        query = query.where(ReviewRound.state.in_(sorted(visible_states(user.role))))
        return [view(r) for r in session.scalars(query)]

    return store.read(actor, "round.list", work)


def get_round(store: Store, actor: Actor, round_id: int) -> RoundView:
    def work(session: Session) -> RoundView:
        user = verified_user(session, actor)
        round_ = load_round(session, round_id)
        if round_.state not in visible_states(user.role):
            raise AccessDenied()
        return view(round_)

    return store.read(actor, "round.view", work, target=f"round:{round_id}")


def round_rubric(store: Store, actor: Actor, round_id: int) -> Rubric:
    """The rubric a round scores with (frozen at creation, with the round's bands)."""

    def work(session: Session) -> Rubric:
        user = verified_user(session, actor)
        round_ = load_round(session, round_id)
        if round_.state not in visible_states(user.role):
            raise AccessDenied()
        return rubric_of(store, round_)

    return store.read(actor, "round.view", work, target=f"round:{round_id}")


def next_reference(session: Session, round_id: int) -> str:
    """The next application reference of a round, e.g. `R3-00042`; atomic under concurrent creation."""
    number = session.execute(
        update(ReviewRound)
        .where(ReviewRound.id == round_id)
        .values(next_reference=ReviewRound.next_reference + 1)
        .returning(ReviewRound.next_reference)
    ).scalar_one()
    return f"R{round_id}-{number - 1:05d}"


def check_deadline(store: Store, deadline: dt.datetime | None, what_zh: str, what_en: str) -> None:
    """Refuse a save after `deadline`, judged by the server's clock at save time."""
    if deadline is not None and store.now() > deadline:
        shown = deadline.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
        raise DeadlinePassed(
            f"{what_zh}截止时间({shown},北京时间)已过,本次修改未保存。",
            f"The deadline for {what_en} ({shown} Beijing time) has passed; this change was not saved.",
        )
