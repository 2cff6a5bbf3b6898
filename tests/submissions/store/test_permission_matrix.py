"""Who may do what, and when: every role × round state × action, through the real service calls.

The policy is data. `EXPECTED` gives, per action and role, one letter per round state in the order
draft, open, under_review, closed, published, final:

    Y  allowed: the call succeeds (for a listing: the target is listed)
    H  allowed, but the target is hidden from the listing
    D  denied: `AccessDenied`, word for word what the same call says about a record that does not
       exist, and an audit entry with outcome "denied"
    S  the role may do this, but not in this state: `RoundStateError`; a refused change is logged as a
       denial (a probe), a refused read is not (it only says "not yet")
    -  not applicable: an application, assignment or score sheet cannot exist yet in that state

The roles are the admin, the applicant of the organisation that owns the target application, and
a reviewer assigned to it without a conflict. `test_variant_*` covers the other applicants and
reviewers: another organisation, unassigned, conflicted, same organisation, withdrawn application.
Actions on no round (users, organisations, new rounds) are checked per role; forged and disabled
actors, and the application deadline, have tests of their own. Cells where the services disagree
with the policy are listed in `KNOWN_BUGS` and run as strict xfails.

A fresh database per cell would cost ~0.3 s each on PostgreSQL for ~950 cells, so each backend
gets one database per module with one round per state, built on first use. Cells stay independent
of each other and of their order: every action that changes something it is allowed to change
works on its own record (its own draft, its own sheet, a separate round for `advance`), and no
action changes what another action's outcome depends on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import pytest
from sqlalchemy import select

from rubrics.schema import Rubric
from submissions import accounts, applications, assignments, audit, ranking, reviews, rounds
from submissions.access import Actor
from submissions.errors import AccessDenied, DeadlinePassed, OperationError, RoundStateError
from submissions.models import ROUND_STATES, Application, ReviewRound, ScoreSheet, SelfAssessment
from submissions.rounds import NEXT_STATE
from submissions.store import Store
from tests.submissions.store.scenario import full_entries, open_round, submit_application, valid_fields
from tests.submissions.store.world import PASSWORD, Clock, World
from tests.support.store_fixtures import drop_database, fresh_config

MISSING = 2_000_000_000  # an id no table will reach in a test, inside PostgreSQL's integer range
APPLICANT, OTHER_APPLICANT = 0, 1  # world.applicants: the target's organisation, another one
# world.reviewers: 0 works at the applicant's organisation; 1 is the matrix reviewer; 2 scores `seen` too;
# 3 is assigned to `seen` but never scores; 4 is never assigned to `seen`; 5 declares a conflict on `seen`.
SAME_ORG, REVIEWER, SECOND, IDLE, UNASSIGNED, CONFLICTED = range(6)


# -- the rounds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """The records the actions work on; `None` where the round's state does not allow one yet."""

    round_id: int
    advance_round_id: int  # a round of its own in the same state, so an allowed advance disturbs nothing
    seen: int | None = None  # submitted; reviewers 1 and 2 submit sheets once under review, 3 is idle, 5 conflicted
    scored: int | None = None  # submitted, reviewer 1 assigned without a sheet: reviewer 1 saves a draft
    conflict: int | None = None  # submitted, reviewer 1 assigned: reviewer 1 declares a conflict
    withdraw: int | None = None  # submitted: the applicant withdraws it
    withdrawn: int | None = None  # assigned to reviewer 1, then withdrawn while the round was open
    draft: int | None = None  # a draft: saved, given an attachment
    complete_draft: int | None = None  # a draft with every field valid: submitted
    other: int | None = None  # submitted by the other organisation, reviewer 1 assigned

    def missing(self) -> Targets:
        """The same targets with every id replaced by one that does not exist."""
        return replace(self, **{f.name: MISSING for f in fields(self)})


@dataclass(frozen=True)
class Stage:
    state: str
    targets: Targets
    rubric: Rubric
    world: World

    def reviewer(self, index: int) -> Actor:
        return self.world.reviewers[index]


def _step(store: Store, world: World, round_id: int, to_state: str) -> None:
    version = store.db.read(lambda s: s.get(ReviewRound, round_id).version)
    rounds.advance(store, world.admin, round_id, to_state=to_state, seen_version=version)


def _walk(store: Store, world: World, round_id: int, frm: str, to: str) -> None:
    while frm != to:
        frm = NEXT_STATE[frm]
        _step(store, world, round_id, frm)


def _create(store: Store, world: World, name: str) -> rounds.RoundView:
    settings = {"reviewers_per_application": 1}  # every application is assigned: automatic assignment adds nothing
    return rounds.create_round(store, world.admin, name=name, rubric_id="project_life", settings=settings)


def _advance_round(store: Store, world: World, state: str) -> int:
    created = _create(store, world, f"推进用-{state}")
    if state == "draft":
        return created.id
    _step(store, world, created.id, "open")
    app = submit_application(store, world, created.id, 2, title="推进用申报")  # open → under_review needs one
    assignments.assign(store, world.admin, app.id, world.reviewers[REVIEWER].user_id)
    _walk(store, world, created.id, "open", state)
    return created.id


def build_stage(store: Store, world: World, state: str) -> Stage:
    """A round in `state` holding the records `Targets` describes."""
    created = _create(store, world, f"权限矩阵-{state}")
    rubric = rounds.round_rubric(store, world.admin, created.id)
    advance_round_id = _advance_round(store, world, state)
    if state == "draft":
        return Stage(state, Targets(created.id, advance_round_id), rubric, world)
    round_id = created.id
    _step(store, world, round_id, "open")
    applicant = world.applicants[APPLICANT]

    def submitted(title: str, index: int = APPLICANT) -> int:
        return submit_application(store, world, round_id, index, title=title).id

    ids = {name: submitted(f"矩阵-{name}") for name in ("seen", "scored", "conflict", "withdraw", "withdrawn")}
    ids["other"] = submitted("矩阵-other", OTHER_APPLICANT)
    category = rubric.categories[0].id
    ids["draft"] = applications.create_application(store, applicant, round_id, category=category, title="草稿").id
    complete = applications.create_application(store, applicant, round_id, category=category, title="待提交")
    fields_ = valid_fields(rubric, region=applicant.region, title="待提交")
    applications.save_application(store, applicant, complete.id, seen_version=complete.version, changes=fields_)
    ids["complete_draft"] = complete.id

    def assign(app: str, *reviewers: int) -> None:
        for index in reviewers:
            assignments.assign(store, world.admin, ids[app], world.reviewers[index].user_id)

    assign("seen", REVIEWER, SECOND, IDLE, CONFLICTED)
    for app in ("scored", "conflict", "withdraw", "withdrawn", "other"):
        assign(app, REVIEWER)
    reviews.declare_conflict(store, world.reviewers[CONFLICTED], ids["seen"], reason="曾为该单位提供咨询服务。")
    withdrawn_version = store.db.read(lambda s: s.get(Application, ids["withdrawn"]).version)
    applications.withdraw_application(store, applicant, ids["withdrawn"], seen_version=withdrawn_version)
    if state != "open":
        _step(store, world, round_id, "under_review")
        for index in (REVIEWER, SECOND):
            reviewer = world.reviewers[index]
            reviews.save_sheet(store, reviewer, ids["seen"], entries=full_entries(rubric), seen_version=0, submit=True)
        _walk(store, world, round_id, "under_review", state)
    return Stage(state, Targets(round_id, advance_round_id, **ids), rubric, world)


@dataclass
class Matrix:
    store: Store
    world: World
    stages: dict[str, Stage] = field(default_factory=dict)

    def stage(self, state: str) -> Stage:
        if state not in self.stages:
            self.stages[state] = build_stage(self.store, self.world, state)
        return self.stages[state]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix(request, tmp_path_factory) -> Matrix:
    backend = request.param
    config, database = fresh_config(request, backend, tmp_path_factory.mktemp(f"matrix-{backend}"))
    template = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_template")
    store = Store(config, clock=Clock())
    yield Matrix(store, template[1])
    store.close()
    if database:
        drop_database(database)


# -- the actions ---------------------------------------------------------------------------------


def _version(store: Store, model: type, ident: int, *, absent: int = 1) -> int:
    """The version a user would have on screen; read directly so that no check or audit entry intervenes."""
    return store.db.read(lambda s: getattr(s.get(model, ident), "version", absent))


def _sheet_version(store: Store, application_id: int, reviewer_id: int) -> int:
    query = select(ScoreSheet.version).where(
        ScoreSheet.application_id == application_id, ScoreSheet.reviewer_id == reviewer_id
    )
    return store.db.read(lambda s: s.scalar(query) or 0)


def _advance(store: Store, actor: Actor, st: Stage, t: Targets):
    row = store.db.read(lambda s: s.get(ReviewRound, t.advance_round_id))
    state, version = (row.state, row.version) if row else ("draft", 1)
    return rounds.advance(
        store, actor, t.advance_round_id, to_state=NEXT_STATE.get(state, "final"), seen_version=version
    )


def _save_sheet(store: Store, actor: Actor, st: Stage, t: Targets):
    first = next(iter(full_entries(st.rubric).items()))
    version = _sheet_version(store, t.scored, actor.user_id)
    return reviews.save_sheet(store, actor, t.scored, entries=dict([first]), seen_version=version)


def _save_self_assessment(store: Store, actor: Actor, st: Stage, t: Targets):
    points = {cid: entry["points"] for cid, entry in full_entries(st.rubric).items()}
    version = _version(store, SelfAssessment, t.seen, absent=0)
    return applications.save_self_assessment(store, actor, t.seen, points=points, seen_version=version)


Call = Callable[[Store, Actor, Stage, Targets], object]


@dataclass(frozen=True)
class Action:
    audit: str  # the action the store logs a denial under
    call: Call
    listed: Callable[[Targets], int | None] | None = None  # for listings: the id that should (not) be in it


ACTIONS: dict[str, Action] = {
    # admin: the round
    "update_settings": Action(
        "round.settings",
        lambda store, a, st, t: rounds.update_settings(
            store,
            a,
            t.round_id,
            seen_version=_version(store, ReviewRound, t.round_id),
            changes={"reviewer_identity": "anonymised"},
        ),
    ),
    "advance": Action("round.advance", _advance),
    "apply_assignment": Action(
        "assignment.auto", lambda store, a, st, t: assignments.apply_assignment(store, a, t.round_id)
    ),
    "preview_assignment": Action(
        "assignment.preview", lambda store, a, st, t: assignments.preview_assignment(store, a, t.round_id)
    ),
    "assign": Action(
        "assignment.add",
        lambda store, a, st, t: assignments.assign(store, a, t.scored, st.reviewer(UNASSIGNED).user_id),
    ),
    "unassign": Action(
        "assignment.remove", lambda store, a, st, t: assignments.unassign(store, a, t.seen, st.reviewer(IDLE).user_id)
    ),
    "reopen_sheet": Action(
        "sheet.reopen",
        lambda store, a, st, t: reviews.reopen_sheet(
            store, a, t.seen, st.reviewer(SECOND).user_id, reason="分数录入有误。"
        ),
    ),
    "rank_round": Action("ranking.view", lambda store, a, st, t: ranking.rank_round(store, a, t.round_id)),
    "progress": Action("progress.view", lambda store, a, st, t: reviews.progress(store, a, t.round_id)),
    "assignment_table": Action(
        "assignment.list", lambda store, a, st, t: assignments.assignment_table(store, a, t.round_id)
    ),
    "conflicts": Action("conflict.list", lambda store, a, st, t: assignments.conflicts(store, a, t.round_id)),
    # everyone: the round and its results
    "get_round": Action("round.view", lambda store, a, st, t: rounds.get_round(store, a, t.round_id)),
    "round_rubric": Action("round.view", lambda store, a, st, t: rounds.round_rubric(store, a, t.round_id)),
    "list_rounds": Action(
        "round.list", lambda store, a, st, t: {r.id for r in rounds.list_rounds(store, a)}, lambda t: t.round_id
    ),
    "applicant_results": Action(
        "results.view", lambda store, a, st, t: ranking.applicant_results(store, a, t.round_id)
    ),
    # applicants: their organisation's applications
    "create_application": Action(
        "application.create",
        lambda store, a, st, t: applications.create_application(
            store, a, t.round_id, category=st.rubric.categories[0].id, title="新申报"
        ),
    ),
    "save_application": Action(
        "application.save",
        lambda store, a, st, t: applications.save_application(
            store, a, t.draft, seen_version=_version(store, Application, t.draft), changes={"title": "修改后的标题"}
        ),
    ),
    "submit_application": Action(
        "application.submit",
        lambda store, a, st, t: applications.submit_application(
            store, a, t.complete_draft, seen_version=_version(store, Application, t.complete_draft)
        ),
    ),
    "withdraw_application": Action(
        "application.withdraw",
        lambda store, a, st, t: applications.withdraw_application(
            store, a, t.withdraw, seen_version=_version(store, Application, t.withdraw)
        ),
    ),
    "add_attachment": Action(
        "attachment.add",
        lambda store, a, st, t: applications.add_attachment(store, a, t.draft, filename="说明.pdf", data=b"%PDF-1.7 x"),
    ),
    "save_self_assessment": Action("self_assessment.save", _save_self_assessment),
    "get_self_assessment": Action(
        "self_assessment.view", lambda store, a, st, t: applications.get_self_assessment(store, a, t.seen)
    ),
    "get_application": Action(
        "application.view", lambda store, a, st, t: applications.get_application(store, a, t.seen)
    ),
    "list_applications": Action(
        "application.list",
        lambda store, a, st, t: {v.id for v in applications.list_applications(store, a, t.round_id)},
        lambda t: t.seen,
    ),
    # reviewers: their assignments and sheets
    "my_assignments": Action(
        "assignment.mine",
        lambda store, a, st, t: {v.application_id for v in reviews.my_assignments(store, a, t.round_id)},
        lambda t: t.seen,
    ),
    "get_sheet": Action("sheet.view", lambda store, a, st, t: reviews.get_sheet(store, a, t.seen)),
    "save_sheet": Action("sheet.save", _save_sheet),
    "panel_view": Action("sheet.panel", lambda store, a, st, t: reviews.panel_view(store, a, t.seen)),
    "declare_conflict": Action(
        "conflict.declare",
        lambda store, a, st, t: reviews.declare_conflict(store, a, t.conflict, reason="与该单位负责人系亲属关系。"),
    ),
}

NOBODY = "DDDDDD"
EXPECTED: dict[str, dict[str, str]] = {
    #                       states: draft, open, under_review, closed, published, final
    "update_settings": {"admin": "YYSSSS", "reviewer": NOBODY, "applicant": NOBODY},
    "advance": {"admin": "YYYYYS", "reviewer": NOBODY, "applicant": NOBODY},
    "apply_assignment": {"admin": "SYYSSS", "reviewer": NOBODY, "applicant": NOBODY},
    "preview_assignment": {"admin": "SYYSSS", "reviewer": NOBODY, "applicant": NOBODY},
    "assign": {"admin": "-YYSSS", "reviewer": "-DDDDD", "applicant": "-DDDDD"},
    "unassign": {"admin": "-YYSSS", "reviewer": "-DDDDD", "applicant": "-DDDDD"},
    "reopen_sheet": {"admin": "--YYSS", "reviewer": "--DDDD", "applicant": "--DDDD"},
    "rank_round": {"admin": "SSYYYY", "reviewer": NOBODY, "applicant": NOBODY},
    "progress": {"admin": "YYYYYY", "reviewer": NOBODY, "applicant": NOBODY},
    "assignment_table": {"admin": "YYYYYY", "reviewer": NOBODY, "applicant": NOBODY},
    "conflicts": {"admin": "YYYYYY", "reviewer": NOBODY, "applicant": NOBODY},
    # a draft round does not exist for anyone but admins
    "get_round": {"admin": "YYYYYY", "reviewer": "DYYYYY", "applicant": "DYYYYY"},
    "round_rubric": {"admin": "YYYYYY", "reviewer": "DYYYYY", "applicant": "DYYYYY"},
    "list_rounds": {"admin": "YYYYYY", "reviewer": "HYYYYY", "applicant": "HYYYYY"},
    # an applicant's results, once published; before that the round they can see explains why not
    "applicant_results": {"admin": NOBODY, "reviewer": NOBODY, "applicant": "DSSSYY"},
    "create_application": {"admin": NOBODY, "reviewer": NOBODY, "applicant": "DYSSSS"},
    "save_application": {"admin": "-DDDDD", "reviewer": "-DDDDD", "applicant": "-YSSSS"},
    "submit_application": {"admin": "-DDDDD", "reviewer": "-DDDDD", "applicant": "-YSSSS"},
    "withdraw_application": {"admin": "-DDDDD", "reviewer": "-DDDDD", "applicant": "-YSSSS"},
    "add_attachment": {"admin": "-DDDDD", "reviewer": "-DDDDD", "applicant": "-YSSSS"},
    # self-assessment belongs to the application phase: it is compared with the panel afterwards
    "save_self_assessment": {"admin": "-DDDDD", "reviewer": "-DDDDD", "applicant": "-YSSSS"},
    "get_self_assessment": {"admin": "-YYYYY", "reviewer": "-DDDDD", "applicant": "-YYYYY"},
    # reviewers see an assigned application once the review has started
    "get_application": {"admin": "-YYYYY", "reviewer": "-DYYYY", "applicant": "-YYYYY"},
    "list_applications": {"admin": "YYYYYY", "reviewer": "DHYYYY", "applicant": "DYYYYY"},
    # ... but their list of assignments from the start, so that they can declare conflicts in time
    "my_assignments": {"admin": NOBODY, "reviewer": "DYYYYY", "applicant": NOBODY},
    "get_sheet": {"admin": "-DDDDD", "reviewer": "-DYYYY", "applicant": "-DDDDD"},
    "save_sheet": {"admin": "-DDDDD", "reviewer": "-DYSSS", "applicant": "-DDDDD"},
    "panel_view": {"admin": "-DDDDD", "reviewer": "-DYYYY", "applicant": "-DDDDD"},
    "declare_conflict": {"admin": "-DDDDD", "reviewer": "-YYSSS", "applicant": "-DDDDD"},
}

KNOWN_BUGS: dict[tuple[str, str, str], str] = {}
STATE_REFUSED_READS = {"assignment.preview", "ranking.view", "results.view"}  # the S cells that change nothing


def actor_for(role: str, world: World) -> Actor:
    return {"admin": world.admin, "reviewer": world.reviewers[REVIEWER], "applicant": world.applicants[APPLICANT]}[role]


# -- checking one cell ---------------------------------------------------------------------------


def _last_denial(store: Store) -> int:
    found = store.db.read(lambda s: audit.entries(s, outcome="denied", limit=1))
    return found[0].id if found else 0


def _denials_since(store: Store, last: int) -> list[tuple[int | None, str, str]]:
    found = store.db.read(lambda s: audit.entries(s, outcome="denied", limit=20))
    return [(e.actor_id, e.action, e.outcome) for e in reversed(found) if e.id > last]


def check_outcome(store: Store, stage: Stage, action: Action, actor: Actor, expected: str, targets: Targets) -> None:
    last = _last_denial(store)
    if expected in "YH":
        result = action.call(store, actor, stage, targets)
        target = action.listed(targets) if action.listed else None
        if target is not None:
            assert (target in result) == (expected == "Y")
        assert _denials_since(store, last) == []
        return
    with pytest.raises(OperationError) as refused:
        action.call(store, actor, stage, targets)
    assert type(refused.value) is {"D": AccessDenied, "S": RoundStateError}[expected]
    if expected == "S":
        logged = [] if action.audit in STATE_REFUSED_READS else [(actor.user_id, action.audit, "denied")]
        assert _denials_since(store, last) == logged
        return
    assert _denials_since(store, last) == [(actor.user_id, action.audit, "denied")]
    with pytest.raises(OperationError) as absent:
        action.call(store, actor, stage, targets.missing())
    assert type(absent.value) is AccessDenied
    assert (absent.value.code, str(absent.value), absent.value.message("zh")) == (
        refused.value.code,
        str(refused.value),
        refused.value.message("zh"),
    )


def _cells():
    for i, state in enumerate(ROUND_STATES):
        for role in ("admin", "reviewer", "applicant"):
            for name, per_role in EXPECTED.items():
                expected = per_role[role][i]
                if expected == "-":
                    continue
                bug = KNOWN_BUGS.get((name, role, state))
                marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
                yield pytest.param(state, role, name, expected, id=f"{state}-{role}-{name}-{expected}", marks=marks)


def test_policy_table_covers_every_action_and_role():
    assert set(EXPECTED) == set(ACTIONS)
    assert all(set(per_role) == {"admin", "reviewer", "applicant"} for per_role in EXPECTED.values())
    assert all(len(letters) == len(ROUND_STATES) for per_role in EXPECTED.values() for letters in per_role.values())


@pytest.mark.parametrize(("state", "role", "action", "expected"), list(_cells()))
def test_action_outcome_matches_policy(matrix, state, role, action, expected):
    stage = matrix.stage(state)

    check_outcome(matrix.store, stage, ACTIONS[action], actor_for(role, matrix.world), expected, stage.targets)


# Actions on no round: same rule in every state, so checked once per role.
ROUND_FREE: dict[str, Action] = {
    "list_users": Action("user.list", lambda store, a, st, t: accounts.list_users(store, a)),
    "list_organisations": Action("organisation.list", lambda store, a, st, t: accounts.list_organisations(store, a)),
    "create_round": Action(
        "round.create", lambda store, a, st, t: rounds.create_round(store, a, name="新一轮", rubric_id="project_life")
    ),
    "create_user": Action(
        "user.create",
        lambda store, a, st, t: accounts.create_user(
            store,
            a,
            username=f"new-by-{a.username}",
            display_name="新联系人",
            role="applicant",
            password=PASSWORD,
            organisation_id=st.world.organisation_ids[2],
        ),
    ),
}
ROUND_FREE_EXPECTED = {"admin": "Y", "reviewer": "D", "applicant": "D"}


@pytest.mark.parametrize("action", list(ROUND_FREE))
@pytest.mark.parametrize("role", list(ROUND_FREE_EXPECTED))
def test_round_free_action_outcome_matches_policy(matrix, role, action):
    stage = matrix.stage("draft")

    check_outcome(
        matrix.store, stage, ROUND_FREE[action], actor_for(role, matrix.world), ROUND_FREE_EXPECTED[role], stage.targets
    )


# -- the other applicants and reviewers ----------------------------------------------------------


def _aim(name: str) -> Callable[[Targets], dict]:
    return lambda t: dict.fromkeys(("seen", "scored", "conflict"), getattr(t, name))


REVIEW_STATES = ("under_review", "closed")
# Each variant: who, in which states, aimed at which application (as `seen`, `scored` and `conflict`).
VARIANTS: dict[str, tuple[Callable[[World], Actor], tuple[str, ...], Callable[[Targets], dict]]] = {
    "other_organisation": (lambda w: w.applicants[OTHER_APPLICANT], ("open", "under_review"), lambda t: {}),
    # `seen`, never `scored`: the matrix's allowed `assign` adds the unassigned reviewer to `scored`
    "reviewer_unassigned": (lambda w: w.reviewers[UNASSIGNED], REVIEW_STATES, _aim("seen")),
    "reviewer_conflicted": (lambda w: w.reviewers[CONFLICTED], REVIEW_STATES, _aim("seen")),
    "reviewer_same_organisation": (lambda w: w.reviewers[SAME_ORG], REVIEW_STATES, _aim("seen")),
    "reviewer_withdrawn_application": (lambda w: w.reviewers[REVIEWER], REVIEW_STATES, _aim("withdrawn")),
}
VARIANT_ACTIONS = {
    "other_organisation": {
        "save_application": "D",
        "submit_application": "D",
        "withdraw_application": "D",
        "add_attachment": "D",
        "save_self_assessment": "D",
        "get_self_assessment": "D",
        "get_application": "D",
        "list_applications": "H",
    },
    **{
        variant: {
            "get_application": "D",
            "get_sheet": "D",
            "save_sheet": "D",
            "panel_view": "D",
            "declare_conflict": "D",
            "list_applications": "H",
            "my_assignments": "H",
        }
        for variant in ("reviewer_unassigned", "reviewer_conflicted", "reviewer_same_organisation")
    },
    "reviewer_withdrawn_application": {
        "get_application": "D",
        "get_sheet": "D",
        "save_sheet": "D",
        "panel_view": "D",
        "list_applications": "H",
        "my_assignments": "H",
    },
}


def _variant_cells():
    for variant, (_, states, _) in VARIANTS.items():
        for state in states:
            for action, expected in VARIANT_ACTIONS[variant].items():
                yield pytest.param(variant, state, action, expected, id=f"{variant}-{state}-{action}-{expected}")


@pytest.mark.parametrize(("variant", "state", "action", "expected"), list(_variant_cells()))
def test_variant_outcome_matches_policy(matrix, variant, state, action, expected):
    who, _, aim = VARIANTS[variant]
    stage = matrix.stage(state)
    targets = replace(stage.targets, **aim(stage.targets))

    check_outcome(matrix.store, stage, ACTIONS[action], who(matrix.world), expected, targets)


def test_applicant_lists_only_own_organisation_applications(matrix):
    stage = matrix.stage("published")
    applicant = matrix.world.applicants[APPLICANT]

    listed = applications.list_applications(matrix.store, applicant, stage.targets.round_id)

    assert {a.organisation_id for a in listed} == {applicant.organisation_id}
    assert stage.targets.other not in {a.id for a in listed}


# -- forged and stale actors ---------------------------------------------------------------------


def _forgeries(world: World) -> dict[str, Actor]:
    applicant, reviewer, admin = world.applicants[APPLICANT], world.reviewers[REVIEWER], world.admin
    return {
        "applicant_claiming_admin": replace(applicant, role="admin"),
        "reviewer_claiming_admin": replace(reviewer, role="admin"),
        "admin_id_with_reviewer_name": replace(admin, username=reviewer.username),
        "unknown_user_id": replace(admin, user_id=MISSING),
    }


# A forged call never changes anything even if the identity check failed: `advance` names a version that
# does not exist, so the shared round would refuse it anyway.
ADMIN_CALLS: dict[str, tuple[str, Callable[[Store, Actor, int], object]]] = {
    "list_users": ("user.list", lambda store, a, round_id: accounts.list_users(store, a)),
    "list_organisations": ("organisation.list", lambda store, a, round_id: accounts.list_organisations(store, a)),
    "create_round": (
        "round.create",
        lambda store, a, round_id: rounds.create_round(store, a, name="伪造", rubric_id="project_life"),
    ),
    "advance": (
        "round.advance",
        lambda store, a, round_id: rounds.advance(store, a, round_id, to_state="under_review", seen_version=MISSING),
    ),
    "progress": ("progress.view", lambda store, a, round_id: reviews.progress(store, a, round_id)),
}


@pytest.mark.parametrize(
    "forgery", ["applicant_claiming_admin", "reviewer_claiming_admin", "admin_id_with_reviewer_name", "unknown_user_id"]
)
@pytest.mark.parametrize("call", list(ADMIN_CALLS))
def test_forged_actor_is_denied_and_logged(matrix, forgery, call):
    round_id = matrix.stage("open").targets.round_id
    actor = _forgeries(matrix.world)[forgery]
    audit_action, service = ADMIN_CALLS[call]
    last = _last_denial(matrix.store)

    with pytest.raises(OperationError) as refused:
        service(matrix.store, actor, round_id)

    assert type(refused.value) is AccessDenied
    assert _denials_since(matrix.store, last) == [(actor.user_id, audit_action, "denied")]


def test_applicant_claiming_another_organisation_acts_only_as_their_own(matrix):
    stage = matrix.stage("open")
    own = matrix.world.applicants[APPLICANT]
    forged = replace(own, organisation_id=matrix.world.organisation_ids[OTHER_APPLICANT])

    listed = applications.list_applications(matrix.store, forged, stage.targets.round_id)
    with pytest.raises(OperationError) as refused:
        applications.get_application(matrix.store, forged, stage.targets.other)

    assert {a.organisation_id for a in listed} == {own.organisation_id}
    assert type(refused.value) is AccessDenied


# Each: a service an actor may not call at all, with input its own validation would reject.
INVALID_INPUT_CALLS: dict[str, tuple[str, Callable[[Store, Stage], object]]] = {
    "reviewer_creates_round_without_name": (
        "reviewer",
        lambda store, st: rounds.create_round(store, st.reviewer(REVIEWER), name=" ", rubric_id="project_life"),
    ),
    "applicant_reopens_sheet_without_reason": (
        "applicant",
        lambda store, st: reviews.reopen_sheet(
            store, st.world.applicants[APPLICANT], st.targets.seen, st.reviewer(SECOND).user_id, reason=""
        ),
    ),
    "admin_declares_conflict_without_reason": (
        "admin",
        lambda store, st: reviews.declare_conflict(store, st.world.admin, st.targets.conflict, reason=""),
    ),
    "reviewer_saves_application_with_unknown_field": (
        "reviewer",
        lambda store, st: applications.save_application(
            store, st.reviewer(REVIEWER), st.targets.draft, seen_version=1, changes={"budget": 1}
        ),
    ),
}


@pytest.mark.parametrize("call", list(INVALID_INPUT_CALLS))
def test_caller_without_permission_is_denied_before_input_is_checked(matrix, call):
    stage = matrix.stage("under_review")
    role, service = INVALID_INPUT_CALLS[call]
    last = _last_denial(matrix.store)

    with pytest.raises(OperationError) as refused:
        service(matrix.store, stage)

    assert type(refused.value) is AccessDenied
    assert [(e[0], e[2]) for e in _denials_since(matrix.store, last)] == [
        (actor_for(role, matrix.world).user_id, "denied")
    ]


def test_disabled_reviewer_is_denied_their_assignments(store, world):
    opened = open_round(store, world, reviewers_per_application=1)
    app = submit_application(store, world, opened.id)
    reviewer = world.reviewers[REVIEWER]
    assignments.assign(store, world.admin, app.id, reviewer.user_id)
    _step(store, world, opened.id, "under_review")
    accounts.set_active(store, world.admin, reviewer.user_id, active=False)
    last = _last_denial(store)

    with pytest.raises(OperationError) as listing:
        reviews.my_assignments(store, reviewer, opened.id)
    with pytest.raises(OperationError) as viewing:
        applications.get_application(store, reviewer, app.id)

    assert (type(listing.value), type(viewing.value)) == (AccessDenied, AccessDenied)
    assert _denials_since(store, last) == [
        (reviewer.user_id, "assignment.mine", "denied"),
        (reviewer.user_id, "application.view", "denied"),
    ]


def test_disabled_applicant_cannot_edit_own_draft(store, world):
    opened = open_round(store, world)
    applicant = world.applicants[APPLICANT]
    draft = applications.create_application(store, applicant, opened.id, category="life", title="草稿")
    accounts.set_active(store, world.admin, applicant.user_id, active=False)

    with pytest.raises(OperationError) as refused:
        applications.save_application(store, applicant, draft.id, seen_version=draft.version, changes={"title": "新"})

    assert type(refused.value) is AccessDenied
    assert applications.get_application(store, world.admin, draft.id).title == "草稿"


# -- deadlines -----------------------------------------------------------------------------------


def test_applicant_edits_after_application_deadline_are_refused(store, world, clock):
    opened = open_round(store, world, application_deadline=clock.now + dt.timedelta(days=1))
    applicant = world.applicants[APPLICANT]
    draft = applications.create_application(store, applicant, opened.id, category="life", title="草稿")
    submitted = submit_application(store, world, opened.id)
    clock.advance(days=2)
    calls = {
        "create": lambda: applications.create_application(store, applicant, opened.id, category="life"),
        "save": lambda: applications.save_application(
            store, applicant, draft.id, seen_version=draft.version, changes={"title": "迟到"}
        ),
        "submit": lambda: applications.submit_application(store, applicant, draft.id, seen_version=draft.version),
        "withdraw": lambda: applications.withdraw_application(
            store, applicant, submitted.id, seen_version=submitted.version
        ),
    }

    refusals = {}
    for name, call in calls.items():
        with pytest.raises(OperationError) as refused:
            call()
        refusals[name] = type(refused.value)

    assert refusals == dict.fromkeys(calls, DeadlinePassed)
    assert [a.status for a in applications.list_applications(store, applicant, opened.id)] == ["draft", "submitted"]
