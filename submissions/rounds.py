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
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rubrics.errors import Problem, RubricError
from rubrics.loader import MAX_YAML_BYTES, content_hash, load_rubric, load_rubric_text
from rubrics.schema import Band, PanelSettings, Rubric
from scoring.settings import Settings
from submissions import audit
from submissions.access import STATE_LABELS, Actor, require_state, verified_user
from submissions.contracts import text_problem
from submissions.errors import AccessDenied, DeadlinePassed, FieldProblem, RoundStateError, SubmissionError
from submissions.models import ROUND_STATES, Application, Assignment, ReviewRound, ScoreSheet
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
        for region in cleaned:
            problem = text_problem(region, 64, field="settings.regions", label_zh="地区名称", label_en="region name")
            if problem is not None and problem.code != "too_long":
                raise PydanticCustomError(problem.code, problem.message_en, {"zh": problem.message_zh})
        # Two spellings of one name (NFC and NFD, or different case) are the same region.
        distinct = {unicodedata.normalize("NFC", r).casefold() for r in cleaned}
        if not cleaned or any(not r or len(r) > 64 for r in cleaned) or len(distinct) != len(cleaned):
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
    retention_until: dt.date | None = None
    purged_at: dt.datetime | None = None

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
        round_.retention_until,
        round_.purged_at,
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
    """The service's refusal, worded for people in each language as the round form words it."""
    return SubmissionError([_explained(error) for error in exc.errors()])


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


RETENTION_YEARS = 3


def default_retention(created: dt.datetime) -> dt.date:
    """A new round keeps personal information for three years (29 February becomes 28 February)."""
    day = created.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    try:
        return day.replace(year=day.year + RETENTION_YEARS)
    except ValueError:
        return day.replace(year=day.year + RETENTION_YEARS, day=28)


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
    fault = text_problem(name, 200, field="name", label_zh="评审轮次名称", label_en="round's name")
    if fault is not None and fault.code != "too_long":
        raise SubmissionError([fault])
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
            retention_until=default_retention(store.now()),
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


# -- for the administrators' round pages -----------------------------------------------------------

BEIJING = dt.timezone(dt.timedelta(hours=8))

# The settings the round form edits, named as the form names them; problems quote these labels.
SETTING_LABELS: dict[str, tuple[str, str]] = {
    "aggregation": ("汇总方法", "Aggregation method"),
    "trim_min_reviewers": ("去掉最高最低分所需最少专家数", "Reviewers needed to drop highest and lowest"),
    "normalise": ("按专家标准化分数", "Normalise each reviewer's scores"),
    "blind_policy": ("评分可见规则", "Blind policy"),
    "reviewer_identity": ("导出时专家身份", "Reviewer identity in exports"),
    "min_comment_length": ("评语最少字数", "Minimum comment length"),
    "application_deadline": ("申报截止时间", "Application deadline"),
    "review_deadline": ("评审截止时间", "Review deadline"),
    "reviewers_per_application": ("每份申报的评审专家数", "Reviewers per application"),
    "conflict_same_region": ("同地区专家回避", "Reviewers from the applicant's region are conflicted"),
    "regions": ("地区范围", "Regions"),
    "quota_per_category": ("每类推荐名额", "Quota per category"),
    "quota_per_region": ("每地区推荐名额", "Quota per region"),
    "precision": ("保留小数位数", "Decimal places"),
    "tie_break": ("同分排序规则", "Tie-break chain"),
    "disagreement_flag": ("分歧提示阈值", "Disagreement flag"),
    "overclaim_flag": ("自评偏高提示阈值", "Over-claim flag"),
    "bands": ("推荐档次", "Recommendation bands"),
}
# The choices of the settings that take one of a few values, as the form and the summary show them.
OPTION_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "aggregation": {
        "trimmed": ("去掉最高分和最低分后取平均", "Mean without the highest and lowest"),
        "mean": ("平均分", "Mean"),
        "median": ("中位数", "Median"),
        "zscore": ("按专家标准分(z 分数)", "Reviewer z-scores"),
    },
    "blind_policy": {
        "sealed": ("互不可见", "Sealed: never see other reviewers' scores"),
        "anonymous_after_submit": ("提交后可见他人匿名评分", "After submitting, see others' scores without names"),
        "named_after_submit": ("提交后可见他人具名评分", "After submitting, see others' scores with names"),
    },
    "reviewer_identity": {
        "anonymised": ("匿名(专家1、专家2……)", "Anonymised (reviewer 1, reviewer 2 …)"),
        "named": ("实名", "Named"),
    },
}
_BOUND_WORDS = {
    "greater_than": ("大于", "more than"),
    "greater_than_equal": ("不小于", "at least"),
    "less_than": ("小于", "less than"),
    "less_than_equal": ("不大于", "at most"),
}


def beijing_time(moment: dt.datetime | None) -> dt.datetime | None:
    """A deadline typed without a zone (a date and time picker gives one) read as Beijing time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=BEIJING)


def beijing_wall_clock(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored deadline as the date and time a clock in Beijing shows (what a picker displays)."""
    if moment is None:
        return None
    return moment.astimezone(BEIJING).replace(tzinfo=None)


def setting_text(field: str, value: object, lang: str = "zh") -> str:
    """One setting's value as a reader sees it: labelled options, yes/no, Beijing times, lists."""
    en = lang == "en"
    if value is None:
        return "—"
    if field in OPTION_LABELS and value in OPTION_LABELS[field]:
        return OPTION_LABELS[field][str(value)][1 if en else 0]
    if isinstance(value, bool):
        return ("yes" if value else "no") if en else ("是" if value else "否")
    if isinstance(value, dt.datetime):
        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") + (" (Beijing)" if en else "(北京时间)")
    if field == "bands":
        return "; ".join(f"{b.label.get(lang)} {b.min}–{b.max}" for b in value)  # type: ignore[attr-defined]
    if isinstance(value, list | tuple):
        return (", " if en else "、").join(str(v) for v in value)
    return str(value)


def settings_summary(settings: RoundSettings, lang: str = "zh") -> pd.DataFrame:
    """The round's settings as (setting, value) rows in the form's order, for a read-only view."""
    return pd.DataFrame(
        [
            {"setting": labels[1 if lang == "en" else 0], "value": setting_text(field, getattr(settings, field), lang)}
            for field, labels in SETTING_LABELS.items()
        ],
        columns=["setting", "value"],
    )


def _setting_problem(field: str, code: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(f"settings.{field}" if field else "settings", code, zh, en)


def _explained(error: dict) -> FieldProblem:
    field = str(error["loc"][0]) if error["loc"] else ""
    zh_label, en_label = SETTING_LABELS.get(field, (field, field))
    kind, ctx, message = error["type"], error.get("ctx") or {}, str(error["msg"])
    if not field and "review deadline must come after" in message:
        return _setting_problem(
            "review_deadline",
            "deadline_order",
            "评审截止时间必须晚于申报截止时间;请调整其中一个。",
            "The review deadline must come after the application deadline; change one of them.",
        )
    if kind in ("nul_character", "lone_surrogate"):
        return _setting_problem(field, kind, ctx.get("zh", message), message)
    if kind == "string_unicode":  # pydantic refuses a lone surrogate in a string before any validator sees it
        return _setting_problem(
            field,
            "lone_surrogate",
            f"“{zh_label}”中有不是有效文字的字符(孤立的代理码位);请重新输入。",
            f"“{en_label}” contains a lone surrogate, which is not valid text; re-type it.",
        )
    if field == "regions" and kind == "value_error":
        return _setting_problem(
            field,
            "bad_regions",
            "“地区范围”须至少列出一个地区,每个地区名称1至64个字且不能重复;请修改。",
            "“Regions” must list at least one region, each named in 1 to 64 characters and listed once; fix the list.",
        )
    if field.endswith("_deadline") and kind == "value_error":
        return _setting_problem(
            field,
            "deadline_zone",
            f"“{zh_label}”须注明时区(例如北京时间);请重新填写。",
            f"“{en_label}” needs its time zone (e.g. Beijing time); enter it again.",
        )
    if kind in _BOUND_WORDS:
        bound = next(iter(ctx.values()), "")
        zh_word, en_word = _BOUND_WORDS[kind]
        return _setting_problem(
            field,
            "out_of_range",
            f"“{zh_label}”应{zh_word}{bound};请修改。",
            f"“{en_label}” must be {en_word} {bound}; change it.",
        )
    if kind == "literal_error":
        options = "、".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return _setting_problem(
            field,
            "not_an_option",
            f"“{zh_label}”只能取以下之一:{options};请重新选择。",
            f"“{en_label}” must be one of {ctx.get('expected', '')}; choose again.",
        )
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _setting_problem(
            field, "not_a_number", f"“{zh_label}”应为整数;请修改。", f"“{en_label}” must be a whole number; change it."
        )
    return _setting_problem(
        field,
        "invalid_setting",
        f"“{zh_label}”的取值无效({message});请修改。",
        f"“{en_label}” is invalid ({message}); change it.",
    )


def settings_problems(rubric: Rubric, values: dict) -> list[FieldProblem]:
    """Every problem with `values` as settings of a round on `rubric`, each naming its setting.

    The same model checks them as `create_round` and `update_settings` do; this only words the
    refusals for a person filling in the round form (the service stays the authority).
    """
    try:
        RoundSettings.for_rubric(rubric, **values)
    except ValidationError as exc:
        return [_explained(error) for error in exc.errors()]
    try:  # the model accepts them but the rubric does not (its bands or tie-break): the service's wording
        _validated_settings(rubric, values)
    except SubmissionError as exc:
        return exc.problems
    return []


def rubric_upload(data: bytes, source: str) -> tuple[str, Rubric]:
    """An uploaded rubric file: its text and the validated rubric, or `RubricError` with every problem."""
    if len(data) > MAX_YAML_BYTES:
        raise RubricError(
            source,
            [Problem("", "too_large", f"the file is larger than {MAX_YAML_BYTES // 1024} KiB; split it or shorten it")],
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RubricError(source, [Problem("", "encoding", "the file is not UTF-8 text; save it as UTF-8")]) from None
    return text, load_rubric_text(text, source)


def round_overview(store: Store, actor: Actor, lang: str = "zh") -> pd.DataFrame:
    """One row per round, newest first: name, rubric, state, created, and how far its work has got.

    `applications` counts submitted applications, `drafts` those still being written,
    `assignments` reviewer assignments and `sheets` submitted score sheets. Admins only.
    """

    def counted(session: Session, column: object, *where: object) -> dict[int, int]:
        query = select(column, func.count()).where(*where).group_by(column)
        return dict(session.execute(query).tuples().all())

    def work(session: Session) -> pd.DataFrame:
        verified_user(session, actor, "admin")
        listed = session.scalars(select(ReviewRound).order_by(ReviewRound.id.desc())).all()
        submitted = counted(session, Application.round_id, Application.status == "submitted")
        drafts = counted(session, Application.round_id, Application.status == "draft")
        assigned = counted(session, Assignment.round_id)
        sheets = counted(session, ScoreSheet.round_id, ScoreSheet.status == "submitted")
        return pd.DataFrame(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "rubric_id": r.rubric_id,
                    "state": STATE_LABELS[r.state][1 if lang == "en" else 0],
                    "created_at": r.created_at,
                    "applications": submitted.get(r.id, 0),
                    "drafts": drafts.get(r.id, 0),
                    "assignments": assigned.get(r.id, 0),
                    "sheets": sheets.get(r.id, 0),
                }
                for r in listed
            ],
            columns=[
                "id",
                "name",
                "rubric_id",
                "state",
                "created_at",
                "applications",
                "drafts",
                "assignments",
                "sheets",
            ],
        )

    return store.read(actor, "round.list", work)
