"""Every denial is written to the audit log: one entry, outcome "denied", naming the actor (as claimed),
the action and the target, and holding nothing of the record that was refused.

The catalogue below has refusals from every service module that checks its caller (checked by reading
the code), of every kind: a foreign record, a missing role, a stale identity, the round's state, a
deadline, a conflict of interest, the login form.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from submissions import (
    accounts,
    applications,
    assignments,
    audit,
    exports,
    imports,
    privacy,
    ranking,
    results,
    reviews,
    rounds,
    user_imports,
)
from submissions.access import Actor
from submissions.errors import LoginFailed, OperationError
from submissions.store import Store
from tests.security.access_probes import (
    Shared,
    entry_text,
    last_entry,
    one_denial,
    refusal_of,
    shared,  # noqa: F401 - a fixture
    snapshot,
)
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    round_under_review,
)
from tests.submissions.store.world import PASSWORD
from tests.support.app_fixtures import ROOT

SECRET_TITLE = "星河未公开的投标方案"
SECRET_FILE = "星河内部报价.pdf"


@dataclass(frozen=True)
class Scene:
    open_round: int
    draft: int  # organisation A's draft in the open round, with an attachment
    attachment: str
    review_round: int  # under review
    application: int  # submitted, under review
    assigned: Actor  # a reviewer assigned to `application`
    outsider: Actor  # a reviewer assigned to nothing of it
    same_org: Actor  # a reviewer of A's organisation
    own_org_app: int  # A's submitted application in the round under review
    closed_round: int
    closed_app: int
    closed_reviewer: Actor  # a draft sheet in the closed round
    due_round: int
    due_app: int
    due_reviewer: Actor
    due: dt.datetime
    ended: Actor  # a real sign-in of applicant B, signed out since
    secrets: tuple[str, ...]


def _build(sh: Shared) -> Scene:
    store, world = sh.store, sh.world
    admin, owner = world.admin, world.applicants[0]
    opened = open_round(store, world)
    draft = applications.create_application(store, owner, opened.id, category="life", title=SECRET_TITLE)
    attachment = applications.add_attachment(store, owner, draft.id, filename=SECRET_FILE, data=b"%PDF-1.7 x")

    under_review, _ = round_under_review(store, world, per_applicant=1, per_application=2)
    pairs = assigned_pairs(store, world, under_review.id)
    app_id, reviewer_id = next((a, r) for a, r in pairs if r != world.reviewers[0].user_id)
    on_app = {r for a, r in pairs if a == app_id}
    outsider = next(r for r in world.reviewers if r.user_id not in on_app and r.organisation_id is None)

    def late_round(**settings) -> tuple[int, int, Actor]:
        round_, _ = round_under_review(store, world, per_applicant=1, per_application=1, **settings)
        rubric = rounds.round_rubric(store, admin, round_.id)
        a, r = assigned_pairs(store, world, round_.id)[0]
        reviewer = reviewer_actor(world, r)
        reviews.save_sheet(store, reviewer, a, entries=dict([next(iter(full_entries(rubric).items()))]), seen_version=0)
        return round_.id, a, reviewer

    closed_round, closed_app, closed_reviewer = late_round()
    version = rounds.get_round(store, admin, closed_round).version
    rounds.advance(store, admin, closed_round, to_state="closed", seen_version=version)
    due = sh.clock.now + dt.timedelta(days=3)
    due_round, due_app, due_reviewer = late_round(review_deadline=due)

    own_org_app = next(
        a.id
        for a in applications.list_applications(store, admin, under_review.id, status="submitted")
        if a.organisation_id == owner.organisation_id
    )
    ended = accounts.login(store, world.applicants[1].username, PASSWORD)
    accounts.logout(store, ended)
    shown = applications.get_application(store, admin, draft.id)
    return Scene(
        opened.id,
        draft.id,
        attachment.id,
        under_review.id,
        app_id,
        reviewer_actor(world, reviewer_id),
        outsider,
        world.reviewers[0],
        own_org_app,
        closed_round,
        closed_app,
        closed_reviewer,
        due_round,
        due_app,
        due_reviewer,
        due,
        ended,
        (SECRET_TITLE, SECRET_FILE, shown.reference, shown.organisation, shown.credit_code),
    )


@pytest.fixture
def scene(shared) -> Scene:  # noqa: F811 - the fixture imported above
    return shared.once("scene", _build)


@dataclass(frozen=True)
class Refusal:
    module: str  # the service module the refusal comes from
    actor: Callable[[Shared, Scene], Actor | None]
    action: str
    target: Callable[[Scene], tuple[str, str | None]]
    call: Callable[[Store, Actor, Scene], object]
    refused: str | None = None  # the code of a refusal other than AccessDenied, recorded with it
    clock: Callable[[Scene], dt.datetime] | None = None  # the time to run it at


def _applicant_b(sh: Shared, sc: Scene) -> Actor:
    return sh.world.applicants[1]


def _reviewer(sh: Shared, sc: Scene) -> Actor:
    return sc.outsider


def _app(kind: str = "application"):
    return lambda sc: (kind, str(sc.application))


CATALOGUE: dict[str, Refusal] = {
    "applicant reads another organisation's application": Refusal(
        "applications",
        _applicant_b,
        "application.view",
        lambda sc: ("application", str(sc.draft)),
        lambda s, a, sc: applications.get_application(s, a, sc.draft),
    ),
    "applicant saves another organisation's draft": Refusal(
        "applications",
        _applicant_b,
        "application.save",
        lambda sc: ("application", str(sc.draft)),
        lambda s, a, sc: applications.save_application(s, a, sc.draft, seen_version=1, changes={"title": "改"}),
    ),
    "applicant downloads another organisation's attachment": Refusal(
        "applications",
        _applicant_b,
        "attachment.view",
        lambda sc: ("attachment", sc.attachment),
        lambda s, a, sc: applications.read_attachment(s, a, sc.attachment),
    ),
    "applicant deletes another organisation's attachment": Refusal(
        "applications",
        _applicant_b,
        "attachment.delete",
        lambda sc: ("attachment", sc.attachment),
        lambda s, a, sc: applications.delete_attachment(s, a, sc.attachment),
    ),
    "applicant files into a round under review": Refusal(
        "applications",
        _applicant_b,
        "application.create",
        lambda sc: ("round", str(sc.review_round)),
        lambda s, a, sc: applications.create_application(s, a, sc.review_round, category="life"),
        refused="wrong_round_state",
    ),
    "signed-out session lists its applications": Refusal(
        "applications",
        lambda sh, sc: sc.ended,
        "application.list",
        lambda sc: ("-", None),
        lambda s, a, sc: applications.list_own_applications(s, a),
    ),
    "applicant asks for another user's personal data": Refusal(
        "privacy",
        _applicant_b,
        "export.subject_access",
        lambda sc: ("user", "1"),
        lambda s, a, sc: privacy.subject_access_export(s, a, user_id=1),
    ),
    "applicant sets a retention date": Refusal(
        "privacy",
        _applicant_b,
        "privacy.retention",
        lambda sc: ("round", str(sc.open_round)),
        lambda s, a, sc: privacy.set_retention(s, a, sc.open_round, until=dt.date(2030, 1, 1)),
    ),
    "applicant disables a user": Refusal(
        "accounts",
        _applicant_b,
        "user.active",
        lambda sc: ("user", "1"),
        lambda s, a, sc: accounts.set_active(s, a, 1, active=False),
    ),
    "signed-out session changes its password": Refusal(
        "accounts",
        lambda sh, sc: sc.ended,
        "user.password",
        lambda sc: ("user", str(sc.ended.user_id)),
        lambda s, a, sc: accounts.change_password(s, a, current=PASSWORD, new="another long passphrase"),
    ),
    "reviewer opens an admin page": Refusal(
        "accounts",
        _reviewer,
        "page.open",
        lambda sc: ("page", "users"),
        lambda s, a, sc: accounts.open_page(s, a, "users", ("admin",)),
    ),
    "forged role in a session": Refusal(
        "accounts",
        lambda sh, sc: replace(sh.world.applicants[1], role="admin"),
        "session.check",
        lambda sc: ("user", None),
        lambda s, a, sc: accounts.confirm_session(s, a),
    ),
    "reviewer assigns reviewers": Refusal(
        "assignments",
        _reviewer,
        "assignment.add",
        _app(),
        lambda s, a, sc: assignments.assign(s, a, sc.application, a.user_id),
    ),
    "admin assigns a reviewer of the applicant's organisation": Refusal(
        "assignments",
        lambda sh, sc: sh.world.admin,
        "assignment.add",
        lambda sc: ("application", str(sc.own_org_app)),
        lambda s, a, sc: assignments.assign(s, a, sc.own_org_app, sc.same_org.user_id),
        refused="conflict_of_interest",
    ),
    "reviewer searches the audit log": Refusal(
        "audit", _reviewer, "audit.view", lambda sc: ("-", None), lambda s, a, sc: audit.search(s, a)
    ),
    "applicant downloads the ranking": Refusal(
        "exports",
        _applicant_b,
        "export.ranking",
        lambda sc: ("round", str(sc.review_round)),
        lambda s, a, sc: exports.ranking_export(s, a, sc.review_round),
    ),
    "applicant downloads a reviewer's workbook": Refusal(
        "exports",
        _applicant_b,
        "assignment.mine",
        lambda sc: ("round", str(sc.review_round)),
        lambda s, a, sc: exports.reviewer_template(s, a, sc.review_round),
    ),
    "reviewer imports applications": Refusal(
        "imports",
        _reviewer,
        "application.import",
        lambda sc: ("round", str(sc.open_round)),
        lambda s, a, sc: imports.import_applications(s, a, sc.open_round, b"PK\x03\x04"),
    ),
    "applicant imports users": Refusal(
        "user_imports",
        _applicant_b,
        "users.import",
        lambda sc: ("user", "import"),
        lambda s, a, sc: user_imports.import_users(s, a, b"PK\x03\x04"),
    ),
    "reviewer ranks the round": Refusal(
        "ranking",
        _reviewer,
        "ranking.view",
        lambda sc: ("round", str(sc.review_round)),
        lambda s, a, sc: ranking.rank_round(s, a, sc.review_round),
    ),
    "reviewer reads the applicants' results": Refusal(
        "ranking",
        _reviewer,
        "results.view",
        lambda sc: ("round", str(sc.review_round)),
        lambda s, a, sc: ranking.applicant_results(s, a, sc.review_round),
    ),
    "applicant compares aggregation methods": Refusal(
        "results",
        _applicant_b,
        "ranking.compare",
        lambda sc: ("round", str(sc.review_round)),
        lambda s, a, sc: results.method_comparison(s, a, sc.review_round),
    ),
    "unassigned reviewer reads a sheet": Refusal(
        "reviews",
        _reviewer,
        "sheet.view",
        _app(),
        lambda s, a, sc: reviews.get_sheet(s, a, sc.application),
    ),
    "unassigned reviewer reads the panel": Refusal(
        "reviews",
        _reviewer,
        "sheet.panel",
        _app(),
        lambda s, a, sc: reviews.panel_view(s, a, sc.application),
    ),
    "reviewer edits after the lock": Refusal(
        "reviews",
        lambda sh, sc: sc.closed_reviewer,
        "sheet.save",
        lambda sc: ("application", str(sc.closed_app)),
        lambda s, a, sc: reviews.save_sheet(s, a, sc.closed_app, entries={}, seen_version=1),
        refused="wrong_round_state",
    ),
    "reviewer edits after the deadline": Refusal(
        "reviews",
        lambda sh, sc: sc.due_reviewer,
        "sheet.save",
        lambda sc: ("application", str(sc.due_app)),
        lambda s, a, sc: reviews.save_sheet(s, a, sc.due_app, entries={}, seen_version=1),
        refused="deadline_passed",
        clock=lambda sc: sc.due + dt.timedelta(seconds=1),
    ),
    "applicant reopens a sheet": Refusal(
        "reviews",
        _applicant_b,
        "sheet.reopen",
        _app(),
        lambda s, a, sc: reviews.reopen_sheet(s, a, sc.application, sc.assigned.user_id, reason="越权"),
    ),
    "reviewer advances a round": Refusal(
        "rounds",
        _reviewer,
        "round.advance",
        lambda sc: ("round", str(sc.review_round)),
        lambda s, a, sc: rounds.advance(s, a, sc.review_round, to_state="closed", seen_version=1),
    ),
    "admin reopens scoring of a closed round": Refusal(
        "rounds",
        lambda sh, sc: sh.world.admin,
        "round.advance",
        lambda sc: ("round", str(sc.closed_round)),
        lambda s, a, sc: rounds.advance(
            s, a, sc.closed_round, to_state="under_review", seen_version=rounds.get_round(s, a, sc.closed_round).version
        ),
        refused="wrong_round_state",
    ),
    "applicant reads a round that does not exist": Refusal(
        "rounds",
        _applicant_b,
        "round.view",
        lambda sc: ("round", "2000000000"),
        lambda s, a, sc: rounds.get_round(s, a, 2_000_000_000),
    ),
}


def test_the_catalogue_covers_every_module_whose_services_check_their_caller():
    checking = set()
    for path in (ROOT / "submissions").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            getattr(n.func, "id", None) or getattr(n.func, "attr", None)
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
        }
        if "verified_user" in names and path.stem not in ("access", "store"):
            checking.add(path.stem)

    assert checking == {r.module for r in CATALOGUE.values()}


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_refusal_is_logged_once_as_denied_with_actor_action_and_target(shared, scene, name):  # noqa: F811
    refusal = CATALOGUE[name]
    actor = refusal.actor(shared, scene)
    saved = shared.clock.now
    if refusal.clock is not None:
        shared.clock.now = refusal.clock(scene)
    before = snapshot(shared.store)
    last = last_entry(shared.store)
    try:
        refused = refusal_of(lambda: refusal.call(shared.store, actor, scene))
    finally:
        shared.clock.now = saved

    logged = one_denial(shared.store, last)
    kind, ident = refusal.target(scene)
    assert refused.code == (refusal.refused or "not_found_or_denied")
    assert (logged.actor_id, logged.actor, logged.action) == (actor.user_id, actor.label, refusal.action)
    if ident is not None:
        assert (logged.target_type, logged.target_id) == (kind, ident)
    assert logged.before is None
    assert logged.after == (None if refusal.refused is None else {"refused": refusal.refused})
    assert not any(secret in entry_text(logged) for secret in scene.secrets)
    assert snapshot(shared.store) == before


@pytest.mark.parametrize("cause", ["unknown user", "wrong password", "throttled"])
def test_failed_sign_in_is_logged_as_denied_under_the_name_tried_without_the_password(shared, cause):  # noqa: F811
    tried = {"unknown user": "no-such-user", "wrong password": "applicant3", "throttled": "ghost-throttled"}[cause]
    if cause == "throttled":
        for _ in range(accounts.FREE_FAILURES):
            refusal_of(lambda: accounts.login(shared.store, tried, "guess guess guess"))
    last = last_entry(shared.store)

    failed = refusal_of(lambda: accounts.login(shared.store, tried, "the secret password typed"))

    assert isinstance(failed, LoginFailed)
    logged = one_denial(shared.store, last)
    assert (logged.action, logged.actor_id, logged.target_type, logged.target_id) == ("login", None, "user", tried)
    assert "the secret password typed" not in entry_text(logged)


FORGED = {
    "a huge user id": lambda w: replace(w.applicants[1], user_id=2**70),
    "a negative user id": lambda w: replace(w.applicants[1], user_id=-5),
    "a 5000-character name": lambda w: replace(w.applicants[1], display_name="名" * 5000),
    "NUL and a lone surrogate in the name": lambda w: replace(w.applicants[1], username="a\x00b\ud800c"),
    "not an actor at all": lambda w: {"user_id": 1, "role": "admin"},
}


@pytest.mark.parametrize("forgery", list(FORGED))
def test_denial_of_a_malformed_actor_is_logged_too(shared, scene, forgery):  # noqa: F811
    actor = FORGED[forgery](shared.world)
    last = last_entry(shared.store)

    refused = refusal_of(lambda: applications.get_application(shared.store, actor, scene.draft))

    assert isinstance(refused, OperationError) and refused.code == "not_found_or_denied"
    logged = one_denial(shared.store, last)
    assert (logged.action, logged.target_id) == ("application.view", str(scene.draft))
    assert logged.actor_id is None or 0 < logged.actor_id < 2**31
    assert len(logged.actor) <= 300 and "\x00" not in logged.actor


@pytest.mark.parametrize("target", ["../" * 40, "a\x00b", "\ud800", "x" * 500])
def test_denial_of_an_unstorable_target_is_logged_cut_to_fit(shared, target):  # noqa: F811
    applicant = shared.world.applicants[1]
    last = last_entry(shared.store)

    refused = refusal_of(lambda: applications.read_attachment(shared.store, applicant, target))

    assert refused.code == "not_found_or_denied"
    logged = one_denial(shared.store, last)
    assert logged.action == "attachment.view"
    assert len(logged.target_id or "") <= 64 and "\x00" not in (logged.target_id or "")
