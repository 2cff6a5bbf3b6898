"""A non-admin reaching admin actions by any route: every admin service (found by reading the code, so
a new one without a probe fails here), every admin page opened directly and through the menu, by
applicants, reviewers, a disabled admin, an admin whose session has ended, and forged actors.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from submissions import (
    accounts,
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
from submissions.models import ReviewRound
from submissions.store import Store
from tests.security.access_probes import (
    MISSING,
    PAGE_DENIED_ZH,
    URLS,
    Shared,
    errors_of,
    last_entry,
    one_denial,
    reads_as_not_found,
    refusal_of,
    run_direct,
    run_routed,
    shared,  # noqa: F401 - a fixture
    snapshot,
)
from tests.submissions.store.scenario import assigned_pairs, full_entries, reviewer_actor, round_under_review
from tests.submissions.store.world import PASSWORD
from tests.support.app_fixtures import DEMO_PASSWORD, ROOT
from ui.messages import translator
from ui.navigation import PAGES

# -- the admin services -----------------------------------------------------------------------------


def admin_services() -> set[str]:
    """`module.function` of every public function that checks for the admin role, directly or through a
    helper of its own module (`verified_user(..., "admin")` somewhere in its body)."""
    found = set()
    for path in sorted((ROOT / "submissions").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}

        def calls(node: ast.AST) -> list[ast.Call]:
            return [n for n in ast.walk(node) if isinstance(n, ast.Call)]

        def checks_admin(node: ast.AST) -> bool:
            return any(
                getattr(call.func, "id", None) == "verified_user"
                and any(isinstance(a, ast.Constant) and a.value == "admin" for a in call.args)
                for call in calls(node)
            )

        gated = {name for name, node in functions.items() if checks_admin(node)}
        while True:
            more = {
                name
                for name, node in functions.items()
                if name not in gated and {getattr(c.func, "id", None) for c in calls(node)} & gated
            }
            if not more:
                break
            gated |= more
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found |= {f"{module}.{name}" for name in gated if not name.startswith("_")}
    return found


@dataclass(frozen=True)
class Context:
    """Records the admin actions would work on, in a round under review with submitted sheets."""

    round_id: int
    application: int
    reviewer: Actor  # assigned to `application`, sheet submitted
    spare_reviewer: Actor  # not assigned to `application`
    user_id: int  # an applicant an admin could disable
    disabled_admin: Actor
    ended_admin: Actor  # a real sign-in of the admin, signed out since


def _build(sh: Shared) -> Context:
    store, world = sh.store, sh.world
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=2)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    pairs = assigned_pairs(store, world, round_.id)
    app_id, reviewer_id = pairs[0]
    reviewer = reviewer_actor(world, reviewer_id)
    reviews.save_sheet(store, reviewer, app_id, entries=full_entries(rubric), seen_version=0, submit=True)
    on_app = {r for a, r in pairs if a == app_id}
    spare = next(r for r in world.reviewers if r.user_id not in on_app and r.organisation_id is None)
    second = accounts.create_user(
        store, world.admin, username="admin2", display_name="第二管理员", role="admin", password=PASSWORD
    )
    accounts.set_active(store, world.admin, second.id, active=False)
    ended = accounts.login(store, world.admin.username, PASSWORD)
    accounts.logout(store, ended)
    return Context(
        round_.id,
        app_id,
        reviewer,
        spare,
        world.applicants[2].user_id,
        accounts.actor_of_view(second),
        ended,
    )


@pytest.fixture
def ctx(shared) -> Context:  # noqa: F811 - the fixture imported above
    return shared.once("context", _build)


def _actors(sh: Shared, c: Context) -> dict[str, Actor]:
    world = sh.world
    applicant, reviewer = world.applicants[0], world.reviewers[1]
    return {
        "applicant": applicant,
        "reviewer": reviewer,
        "disabled_admin": c.disabled_admin,
        "admin_after_sign_out": c.ended_admin,
        "applicant_claiming_admin": replace(applicant, role="admin"),
        "reviewer_with_the_admins_name": replace(reviewer, username=world.admin.username, role="admin"),
        "admin_name_on_a_reviewers_id": replace(world.admin, user_id=reviewer.user_id),
    }


ACTORS = [
    "applicant",
    "reviewer",
    "disabled_admin",
    "admin_after_sign_out",
    "applicant_claiming_admin",
    "reviewer_with_the_admins_name",
    "admin_name_on_a_reviewers_id",
]
WORKBOOK = b"PK\x03\x04 not read: the caller is refused first"

# `module.function` -> (the action the denial is logged under, the call).
Call = Callable[[Store, Actor, Context], object]
ADMIN_CALLS: dict[str, tuple[str, Call]] = {
    "submissions.accounts.create_organisation": (
        "organisation.create",
        lambda s, a, c: accounts.create_organisation(
            s, a, name="伪造单位", credit_code="91350100M000100Y43", region="福建"
        ),
    ),
    "submissions.accounts.list_organisations": ("organisation.list", lambda s, a, c: accounts.list_organisations(s, a)),
    "submissions.accounts.create_user": (
        "user.create",
        lambda s, a, c: accounts.create_user(
            s, a, username="backdoor", display_name="后门", role="admin", password=PASSWORD
        ),
    ),
    "submissions.accounts.list_users": ("user.list", lambda s, a, c: accounts.list_users(s, a)),
    "submissions.accounts.set_active": (
        "user.active",
        lambda s, a, c: accounts.set_active(s, a, c.user_id, active=False),
    ),
    "submissions.accounts.user_directory": ("user.list", lambda s, a, c: accounts.user_directory(s, a)),
    "submissions.assignments.apply_assignment": (
        "assignment.auto",
        lambda s, a, c: assignments.apply_assignment(s, a, c.round_id, seed=5),
    ),
    "submissions.assignments.preview_assignment": (
        "assignment.preview",
        lambda s, a, c: assignments.preview_assignment(s, a, c.round_id),
    ),
    "submissions.assignments.assign": (
        "assignment.add",
        lambda s, a, c: assignments.assign(s, a, c.application, c.spare_reviewer.user_id),
    ),
    "submissions.assignments.unassign": (
        "assignment.remove",
        lambda s, a, c: assignments.unassign(s, a, c.application, c.reviewer.user_id),
    ),
    "submissions.assignments.assignment_table": (
        "assignment.list",
        lambda s, a, c: assignments.assignment_table(s, a, c.round_id),
    ),
    "submissions.assignments.conflicts": ("conflict.list", lambda s, a, c: assignments.conflicts(s, a, c.round_id)),
    "submissions.audit.search": ("audit.view", lambda s, a, c: audit.search(s, a)),
    "submissions.audit.actions": ("audit.view", lambda s, a, c: audit.actions(s, a)),
    "submissions.exports.ranking_export": ("export.ranking", lambda s, a, c: exports.ranking_export(s, a, c.round_id)),
    "submissions.imports.import_applications": (
        "application.import",
        lambda s, a, c: imports.import_applications(s, a, c.round_id, WORKBOOK),
    ),
    "submissions.user_imports.import_users": (
        "users.import",
        lambda s, a, c: user_imports.import_users(s, a, WORKBOOK),
    ),
    "submissions.ranking.rank_round": ("ranking.view", lambda s, a, c: ranking.rank_round(s, a, c.round_id)),
    "submissions.results.method_comparison": (
        "ranking.compare",
        lambda s, a, c: results.method_comparison(s, a, c.round_id),
    ),
    "submissions.results.round_sensitivity": (
        "ranking.sensitivity",
        lambda s, a, c: results.round_sensitivity(s, a, c.round_id, draws=2),
    ),
    "submissions.results.self_vs_panel": (
        "ranking.self_assessment",
        lambda s, a, c: results.self_vs_panel(s, a, c.round_id),
    ),
    "submissions.reviews.progress": ("progress.view", lambda s, a, c: reviews.progress(s, a, c.round_id)),
    "submissions.reviews.reopen_sheet": (
        "sheet.reopen",
        lambda s, a, c: reviews.reopen_sheet(s, a, c.application, c.reviewer.user_id, reason="越权退回"),
    ),
    "submissions.rounds.create_round": (
        "round.create",
        lambda s, a, c: rounds.create_round(s, a, name="伪造轮次", rubric_id="project_life"),
    ),
    "submissions.rounds.update_settings": (
        "round.settings",
        lambda s, a, c: rounds.update_settings(
            s, a, c.round_id, seen_version=_round_version(s, c), changes={"reviewer_identity": "named"}
        ),
    ),
    "submissions.rounds.advance": (
        "round.advance",
        lambda s, a, c: rounds.advance(s, a, c.round_id, to_state="closed", seen_version=_round_version(s, c)),
    ),
    "submissions.rounds.round_overview": ("round.list", lambda s, a, c: rounds.round_overview(s, a)),
    "submissions.privacy.set_retention": (
        "privacy.retention",
        lambda s, a, c: privacy.set_retention(s, a, c.round_id, until=dt.date(2027, 1, 1)),
    ),
    "submissions.privacy.retention_overview": ("privacy.overview", lambda s, a, c: privacy.retention_overview(s, a)),
    "submissions.privacy.purge_round": (
        "privacy.purge",
        lambda s, a, c: privacy.purge_round(s, a, c.round_id, today=dt.date(2099, 1, 1)),
    ),
    "submissions.privacy.purge_due": (
        "privacy.overview",
        lambda s, a, c: privacy.purge_due(s, a, today=dt.date(2099, 1, 1)),
    ),
    "submissions.privacy.anonymise_user": (
        "privacy.anonymise_user",
        lambda s, a, c: privacy.anonymise_user(s, a, c.disabled_admin.user_id),
    ),
}


def _round_version(store: Store, c: Context) -> int:
    """The round's true version, read past the services: a probe that guessed it must still be refused."""
    return store.db.read(lambda session: session.get(ReviewRound, c.round_id).version)


def test_every_admin_service_in_the_code_is_probed():
    assert admin_services() == set(ADMIN_CALLS)


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("service", sorted(ADMIN_CALLS))
def test_admin_service_refuses_a_non_admin_logs_it_and_changes_nothing(shared, ctx, service, who):  # noqa: F811
    action, call = ADMIN_CALLS[service]
    actor = _actors(shared, ctx)[who]
    before = snapshot(shared.store)
    last = last_entry(shared.store)

    refusal = refusal_of(lambda: call(shared.store, actor, ctx))

    reads_as_not_found(refusal)
    logged = one_denial(shared.store, last)
    assert (logged.actor_id, logged.actor, logged.action) == (actor.user_id, actor.label, action)
    assert snapshot(shared.store) == before


REVIEWER_ID_CALLS = {
    "assign": ("assignment.add", lambda s, a, c, r: assignments.assign(s, a, c.application, r)),
    "unassign": ("assignment.remove", lambda s, a, c, r: assignments.unassign(s, a, c.application, r)),
    "reopen_sheet": ("sheet.reopen", lambda s, a, c, r: reviews.reopen_sheet(s, a, c.application, r, reason="核对")),
}


@pytest.mark.parametrize("reviewer_id", [MISSING, -1, 0, 2**31, 2**63, 10**30])
@pytest.mark.parametrize("call", list(REVIEWER_ID_CALLS))
def test_admin_naming_a_reviewer_no_table_holds_is_refused_like_a_missing_one(shared, ctx, call, reviewer_id):  # noqa: F811
    action, service = REVIEWER_ID_CALLS[call]
    before = snapshot(shared.store)
    last = last_entry(shared.store)

    refusal = refusal_of(lambda: service(shared.store, shared.world.admin, ctx, reviewer_id))

    reads_as_not_found(refusal)
    assert one_denial(shared.store, last).action == action
    assert snapshot(shared.store) == before


def test_the_real_admin_passes_the_same_checks(shared, ctx):  # noqa: F811
    """The probes above fail for the caller, not for their arguments: the admin may make each read."""
    admin = shared.world.admin
    reads = [name for name, (action, _) in ADMIN_CALLS.items() if action.endswith((".list", ".view", ".overview"))]

    for name in reads:
        ADMIN_CALLS[name][1](shared.store, admin, ctx)

    assert len(reads) >= 8


# -- the admin pages --------------------------------------------------------------------------------

ADMIN_PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app_pages" / "admin").glob("*.py"))


def test_every_admin_page_file_is_an_admin_page_of_the_menu():
    assert sorted(spec.path for spec in PAGES if spec.roles == ("admin",)) == ADMIN_PAGES


def _first_call(path: str) -> ast.Call:
    """The first statement of a page that is neither a docstring nor an import, as a call."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom) or (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ):
            continue
        value = node.value if isinstance(node, ast.Assign | ast.Expr) else None
        assert isinstance(value, ast.Call), f"{path}: the first statement is not a call"
        return value
    raise AssertionError(f"{path}: no statement")


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_every_admin_page_asks_for_the_admin_role_before_anything_else(path):
    call = _first_call(path)

    assert getattr(call.func, "id", None) == "require_role"
    assert [a.value for a in call.args] == [URLS[path], "admin"]


@dataclass(frozen=True)
class DemoActors:
    applicant: Actor
    reviewer: Actor
    disabled_admin: Actor
    ended_admin: Actor
    forged_admin: Actor  # an applicant's identity with the role written as admin


@pytest.fixture
def demo(pages) -> DemoActors:
    store, admin = pages.store, pages.actor("admin")
    second = accounts.create_user(
        store, admin, username="admin-retired", display_name="退休管理员", role="admin", password=PASSWORD
    )
    accounts.set_active(store, admin, second.id, active=False)
    ended = accounts.login(store, "admin", DEMO_PASSWORD)
    accounts.logout(store, ended)
    applicant = pages.actor("yunqi")
    return DemoActors(
        applicant,
        pages.actor("chensiyuan"),
        accounts.actor_of_view(second),
        ended,
        replace(applicant, role="admin"),
    )


def _page_denials(pages) -> list:
    return pages.store.db.read(lambda s: audit.entries(s, action="page.open", outcome="denied"))


@pytest.mark.parametrize("who", ["disabled_admin", "ended_admin", "forged_admin"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_page_typed_past_the_menu_refuses_a_stale_or_forged_admin(pages, demo, path, who):
    actor = getattr(demo, who)

    app = run_direct(path, actor)

    assert not app.exception
    assert errors_of(app) == [PAGE_DENIED_ZH]
    assert not app.title and not app.dataframe and not app.button
    assert [(e.actor_id, e.target_id) for e in _page_denials(pages)] == [(actor.user_id, URLS[path])]


@pytest.mark.parametrize("who", ["applicant", "reviewer"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_page_is_not_reachable_through_the_menu_of_another_role(pages, demo, path, who):
    zh = translator("zh")
    admin_titles = {zh(spec.title) for spec in PAGES if spec.roles == ("admin",)}

    app = run_routed(pages, path, getattr(demo, who))

    assert not app.exception
    assert app.session_state["auth"].actor == getattr(demo, who)  # still signed in, on a page of their own
    assert [t.value for t in app.title] and not {t.value for t in app.title} & admin_titles


@pytest.mark.parametrize("who", ["disabled_admin", "ended_admin", "forged_admin"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_page_through_the_menu_signs_a_stale_or_forged_admin_out(pages, demo, path, who):
    actor = getattr(demo, who)

    app = run_routed(pages, path, actor)

    assert not app.exception
    assert "auth" not in app.session_state
    assert [w.label for w in app.text_input] == ["用户名", "密码"]
    assert not app.dataframe
    checks = pages.store.db.read(lambda s: audit.entries(s, action="session.check", outcome="denied"))
    assert [e.actor_id for e in checks] == [actor.user_id]


def test_backup_restore_and_the_command_line_are_not_reachable_from_the_app():
    """Backup and restore take no actor: they run from the server's shell only, so no page may import them."""
    forbidden = {"submissions.backup", "submissions.cli", "submissions.__main__", "submissions.demo"}
    for path in [ROOT / "app.py", *(ROOT / "app_pages").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        assert not imported & forbidden, path
