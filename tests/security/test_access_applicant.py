"""An applicant reaching another organisation's application or attachment: by id, by address, by odd
ids and by tampered session state. Each is refused with the words a missing record gets (no existence
oracle), shows nothing of the other application, changes nothing and is logged as a denial.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from submissions import accounts, applications, assignments, audit, exports, privacy, rounds
from submissions.access import Actor
from submissions.store import Store
from tests.security.access_probes import (
    DENIED_ZH,
    MISSING,
    ODD_ATTACHMENT_IDS,
    ODD_INT_IDS,
    PAGE_DENIED_ZH,
    URLS,
    Shared,
    entry_text,
    errors_of,
    last_entry,
    one_denial,
    page_text,
    reads_as_not_found,
    refusal_of,
    run_direct,
    run_routed,
    shared,  # noqa: F401 - a fixture
)
from tests.submissions.store.scenario import full_entries, open_round, score_everything, submit_application
from tests.submissions.store.world import PASSWORD
from ui.session import SignedIn, now

SECRET_DRAFT = "星河智慧家庭内部方案(未公开)"
SECRET_SUBMITTED = "星河社区养老平台投标书(未公开)"
SECRET_FILE = "星河内部预算明细.pdf"


@dataclass(frozen=True)
class Victim:
    """Organisation A's records in an open round, and the people probing them."""

    round_id: int
    draft: int  # A's draft, with an attachment and a partial self-assessment
    submitted: int  # A's submitted application
    attachment: str
    owner: Actor  # A's applicant
    intruder: Actor  # B's applicant, with a draft of their own in the same round
    colleague: Actor  # a second account of A, disabled
    draft_round: int  # a round still in draft: it exists, but not for applicants
    published_round: int  # published; A has an application in it, B has none
    secrets: tuple[str, ...]  # what of A must never reach B: titles, references, name, credit code, file name


def _step(store: Store, admin: Actor, round_id: int, to_state: str) -> None:
    current = rounds.get_round(store, admin, round_id)
    rounds.advance(store, admin, round_id, to_state=to_state, seen_version=current.version)


def _build(sh: Shared) -> Victim:
    store, world = sh.store, sh.world
    admin, owner, intruder = world.admin, world.applicants[0], world.applicants[1]
    opened = open_round(store, world)
    rubric = rounds.round_rubric(store, admin, opened.id)
    category = rubric.categories[0].id
    draft = applications.create_application(store, owner, opened.id, category=category, title=SECRET_DRAFT)
    attachment = applications.add_attachment(store, owner, draft.id, filename=SECRET_FILE, data=b"%PDF-1.7 budget")
    cid, entry = next(iter(full_entries(rubric).items()))
    applications.save_self_assessment(store, owner, draft.id, points={cid: entry["points"]}, seen_version=0)
    submitted = submit_application(store, world, opened.id, 0, title=SECRET_SUBMITTED)
    applications.create_application(store, intruder, opened.id, category=category, title="江城自己的草稿")
    colleague = accounts.create_user(
        store,
        admin,
        username="applicant1-colleague",
        display_name="星河同事",
        role="applicant",
        password=PASSWORD,
        organisation_id=owner.organisation_id,
        region=owner.region,
    )
    accounts.set_active(store, admin, colleague.id, active=False)
    draft_round = rounds.create_round(store, admin, name="尚未开放的轮次", rubric_id="project_life")

    published = open_round(store, world, reviewers_per_application=2)
    for index in (0, 2):
        submit_application(store, world, published.id, index, title=f"已公示轮次申报{index}")
    assignments.apply_assignment(store, admin, published.id, seed=3)
    _step(store, admin, published.id, "under_review")
    score_everything(store, world, published.id)
    for state in ("closed", "published"):
        _step(store, admin, published.id, state)

    shown = [applications.get_application(store, admin, i) for i in (draft.id, submitted.id)]
    secrets = (
        SECRET_DRAFT,
        SECRET_SUBMITTED,
        SECRET_FILE,
        *(a.reference for a in shown),
        shown[0].organisation,
        shown[0].credit_code,
    )
    return Victim(
        opened.id,
        draft.id,
        submitted.id,
        attachment.id,
        owner,
        intruder,
        accounts.actor_of_view(colleague),
        draft_round.id,
        published.id,
        secrets,
    )


@pytest.fixture
def victim(shared) -> Victim:  # noqa: F811 - the fixture imported above
    return shared.once("victim", _build)


def _version(store: Store, admin: Actor, application_id: int) -> int:
    return applications.get_application(store, admin, application_id).version


def fingerprint(sh: Shared, v: Victim) -> tuple:
    """What A has, read back as the admin and as A: applications, self-assessment, the attachment's bytes."""
    store, admin = sh.store, sh.world.admin
    apps = [applications.get_application(store, admin, i) for i in (v.draft, v.submitted)]
    return (
        [(a.version, a.status, a.editable_fields(), [x.sha256 for x in a.attachments]) for a in apps],
        applications.get_self_assessment(store, admin, v.draft),
        applications.read_attachment(store, v.owner, v.attachment)[1],
    )


# Every service taking an application, attachment or user id, aimed at A's records.
# Each: (audit action, target kind, call(store, actor, id, victim)). Versions are the true ones: a
# probe that guessed them right must still be refused.
Probe = Callable[[Shared, Actor, object, Victim], object]
ID_PROBES: dict[str, tuple[str, str, Probe]] = {
    "get_application": (
        "application.view",
        "application",
        lambda sh, a, i, v: applications.get_application(sh.store, a, i),
    ),
    "applicant_workspace": (
        "application.view",
        "application",
        lambda sh, a, i, v: applications.applicant_workspace(sh.store, a, i),
    ),
    "submission_problems": (
        "application.view",
        "application",
        lambda sh, a, i, v: applications.submission_problems(sh.store, a, i),
    ),
    "save_application": (
        "application.save",
        "application",
        lambda sh, a, i, v: applications.save_application(
            sh.store, a, i, seen_version=_version(sh.store, sh.world.admin, v.draft), changes={"title": "篡改的标题"}
        ),
    ),
    "submit_application": (
        "application.submit",
        "application",
        lambda sh, a, i, v: applications.submit_application(
            sh.store, a, i, seen_version=_version(sh.store, sh.world.admin, v.draft)
        ),
    ),
    "withdraw_application": (
        "application.withdraw",
        "application",
        lambda sh, a, i, v: applications.withdraw_application(
            sh.store, a, i, seen_version=_version(sh.store, sh.world.admin, v.submitted)
        ),
    ),
    "get_self_assessment": (
        "self_assessment.view",
        "application",
        lambda sh, a, i, v: applications.get_self_assessment(sh.store, a, i),
    ),
    "save_self_assessment": (
        "self_assessment.save",
        "application",
        lambda sh, a, i, v: applications.save_self_assessment(sh.store, a, i, points={}, seen_version=1),
    ),
    "add_attachment": (
        "attachment.add",
        "application",
        lambda sh, a, i, v: applications.add_attachment(sh.store, a, i, filename="植入.pdf", data=b"%PDF-1.7 x"),
    ),
    "read_attachment": (
        "attachment.view",
        "attachment",
        lambda sh, a, i, v: applications.read_attachment(sh.store, a, i),
    ),
    "delete_attachment": (
        "attachment.delete",
        "attachment",
        lambda sh, a, i, v: applications.delete_attachment(sh.store, a, i),
    ),
    "subject_access_export": (
        "export.subject_access",
        "user",
        lambda sh, a, i, v: privacy.subject_access_export(sh.store, a, user_id=i),
    ),
}


def _existing(kind: str, v: Victim, name: str) -> object:
    if kind == "attachment":
        return v.attachment
    if kind == "user":
        return v.owner.user_id
    return v.submitted if name == "withdraw_application" else v.draft


def _missing(kind: str) -> object:
    return uuid.uuid4().hex if kind == "attachment" else MISSING


@pytest.mark.parametrize("name", list(ID_PROBES))
def test_another_organisations_record_is_refused_like_a_missing_one_and_logged(shared, victim, name):  # noqa: F811
    action, kind, probe = ID_PROBES[name]
    before = fingerprint(shared, victim)
    target = _existing(kind, victim, name)

    last = last_entry(shared.store)
    theirs = refusal_of(lambda: probe(shared, victim.intruder, target, victim))
    logged = one_denial(shared.store, last)
    last = last_entry(shared.store)
    absent = refusal_of(lambda: probe(shared, victim.intruder, _missing(kind), victim))
    one_denial(shared.store, last)

    reads_as_not_found(theirs)
    reads_as_not_found(absent)
    assert (logged.actor_id, logged.action, logged.target_type, logged.target_id) == (
        victim.intruder.user_id,
        action,
        kind,
        str(target),
    )
    assert not any(secret in entry_text(logged) for secret in victim.secrets)
    assert fingerprint(shared, victim) == before


ODD_CASES = [
    pytest.param(name, odd, id=f"{name}-{odd!r}"[:60])
    for name, (_, kind, _) in ID_PROBES.items()
    for odd in (ODD_ATTACHMENT_IDS if kind == "attachment" else ODD_INT_IDS)
]


@pytest.mark.parametrize(("name", "odd"), ODD_CASES)
def test_odd_ids_are_refused_like_missing_ones_and_logged(shared, victim, name, odd):  # noqa: F811
    action, _, probe = ID_PROBES[name]
    last = last_entry(shared.store)

    refusal = refusal_of(lambda: probe(shared, victim.intruder, odd, victim))

    reads_as_not_found(refusal)
    logged = one_denial(shared.store, last)
    assert (logged.actor_id, logged.action) == (victim.intruder.user_id, action)


# Services taking a round id. A round in draft exists, but not for applicants: it must read like a
# missing one, and so must every odd id.
ROUND_PROBES: dict[str, tuple[str, Callable[[Shared, Actor, object], object]]] = {
    "get_round": ("round.view", lambda sh, a, r: rounds.get_round(sh.store, a, r)),
    "round_rubric": ("round.view", lambda sh, a, r: rounds.round_rubric(sh.store, a, r)),
    "list_applications": ("application.list", lambda sh, a, r: applications.list_applications(sh.store, a, r)),
    "create_application": (
        "application.create",
        lambda sh, a, r: applications.create_application(sh.store, a, r, category="life", title="越权申报"),
    ),
    "published_results": ("results.view", lambda sh, a, r: applications.published_results(sh.store, a, r)),
    "applicant_template": ("export.application_template", lambda sh, a, r: exports.applicant_template(sh.store, a, r)),
}


@pytest.mark.parametrize("odd", ["draft", MISSING, *ODD_INT_IDS], ids=repr)
@pytest.mark.parametrize("name", list(ROUND_PROBES))
def test_a_draft_round_and_odd_round_ids_read_like_missing_rounds(shared, victim, name, odd):  # noqa: F811
    action, probe = ROUND_PROBES[name]
    round_id = victim.draft_round if odd == "draft" else odd
    last = last_entry(shared.store)

    refusal = refusal_of(lambda: probe(shared, victim.intruder, round_id))

    reads_as_not_found(refusal)
    logged = one_denial(shared.store, last)
    assert (logged.actor_id, logged.action) == (victim.intruder.user_id, action)


def test_published_round_without_an_own_application_shows_only_the_public_notice(shared, victim):  # noqa: F811
    results = applications.published_results(shared.store, victim.intruder, victim.published_round)
    admin_view = applications.list_applications(shared.store, shared.world.admin, victim.published_round)
    recommended = set(results.public["title"])

    assert results.own == ()
    assert list(results.public.columns) == [
        "rank",
        "organisation",
        "title",
        "category_zh",
        "category_en",
        "region",
        "total",
        "band_zh",
        "band_en",
    ]
    assert recommended <= {a.title for a in admin_view}
    shown = results.public.to_string()
    assert not any(a.credit_code in shown or a.reference in shown for a in admin_view)


# -- tampered actors at the services ---------------------------------------------------------------


def _tampered(v: Victim, how: str) -> Actor:
    return {
        "claims_the_owners_organisation": replace(v.intruder, organisation_id=v.owner.organisation_id),
        "claims_the_owners_user_id": replace(v.intruder, user_id=v.owner.user_id),
        "claims_the_admin_role": replace(v.intruder, role="admin"),
        "disabled_colleague_of_the_owner": v.colleague,
        "names_a_session_that_is_not_theirs": replace(v.intruder, session=1),
    }[how]


TAMPERS = [
    "claims_the_owners_organisation",
    "claims_the_owners_user_id",
    "claims_the_admin_role",
    "disabled_colleague_of_the_owner",
    "names_a_session_that_is_not_theirs",
]


@pytest.mark.parametrize("name", list(ID_PROBES))
@pytest.mark.parametrize("how", TAMPERS)
def test_tampered_actor_reaches_nothing_of_another_organisation(shared, victim, how, name):  # noqa: F811
    action, kind, probe = ID_PROBES[name]
    actor = _tampered(victim, how)
    before = fingerprint(shared, victim)
    last = last_entry(shared.store)

    refusal = refusal_of(lambda: probe(shared, actor, _existing(kind, victim, name), victim))

    reads_as_not_found(refusal)
    logged = one_denial(shared.store, last)
    # The entry records the claim as it was made: the id and the name the actor carried.
    assert (logged.actor_id, logged.actor, logged.action) == (actor.user_id, actor.label, action)
    assert fingerprint(shared, victim) == before


# -- through the pages (demo database, SQLite) ------------------------------------------------------

APPLICATION = "app_pages/applicant/application.py"
SELF_ASSESSMENT = "app_pages/applicant/self_assessment.py"
RESULTS = "app_pages/applicant/results.py"
BAD_ID = "地址中的申报编号无效(应为数字);请从“我的申报”重新打开。"


@dataclass(frozen=True)
class DemoTarget:
    application: applications.ApplicationView  # minjiang's draft: in no public list
    secrets: tuple[str, ...]


@pytest.fixture
def theirs(pages) -> DemoTarget:
    (own,) = applications.list_own_applications(pages.store, pages.actor("minjiang"))
    app = own.application
    return DemoTarget(app, (app.title, app.reference, app.organisation, app.credit_code))


def _denials(pages, action: str) -> list:
    return pages.store.db.read(lambda s: audit.entries(s, action=action, outcome="denied"))


@pytest.mark.parametrize("page", [APPLICATION, SELF_ASSESSMENT, RESULTS])
def test_address_naming_another_organisations_application_reads_like_a_missing_one(pages, theirs, page):
    intruder = pages.actor("yunqi")

    existing = run_routed(pages, page, intruder, query={"id": theirs.application.id})
    missing = run_routed(pages, page, intruder, query={"id": MISSING})

    assert not existing.exception and not missing.exception
    assert errors_of(existing) == errors_of(missing) == [DENIED_ZH]
    shown = page_text(existing)
    assert not any(secret in shown for secret in theirs.secrets)
    assert not existing.text_area and not existing.number_input
    logged = _denials(pages, "application.view")
    assert [(e.actor_id, e.target_id) for e in reversed(logged)] == [
        (intruder.user_id, str(theirs.application.id)),
        (intruder.user_id, str(MISSING)),
    ]


ODD_ADDRESSES = ["-1", "0", "1 OR 1=1", "../", "..%2F..%2Fadmin", "9" * 30, "99999999999", "%00", "1e3", "0x1F"]


@pytest.mark.parametrize("raw", ODD_ADDRESSES)
@pytest.mark.parametrize("page", [APPLICATION, SELF_ASSESSMENT])
def test_odd_address_ids_give_one_clear_message_and_show_nothing(pages, theirs, page, raw):
    app = run_routed(pages, page, pages.actor("yunqi"), query={"id": raw})

    assert not app.exception
    assert errors_of(app) in ([BAD_ID], [DENIED_ZH])
    assert not app.text_area and not app.number_input
    assert not any(secret in page_text(app) for secret in theirs.secrets)


@pytest.mark.parametrize("page", [APPLICATION, SELF_ASSESSMENT, RESULTS])
def test_parameters_the_applicant_pages_do_not_use_open_nothing_of_another_organisation(pages, theirs, page):
    foreign = theirs.application
    query = {"application": foreign.id, "round": foreign.round_id, "attachment": "../review.db", "user": 1}

    app = run_routed(pages, page, pages.actor("yunqi"), query=query)

    assert not app.exception
    assert not any(secret in page_text(app) for secret in theirs.secrets)


# -- tampered session state, through the router and on a page run directly -------------------------


def _forged_states(pages, theirs: DemoTarget) -> dict[str, object]:
    intruder, owner = pages.actor("yunqi"), pages.actor("minjiang")
    moment = now()
    return {
        "role_written_as_admin": replace(intruder, role="admin"),
        "user_id_of_the_owner": replace(intruder, user_id=owner.user_id),
        "owners_identity_with_a_made_up_session": replace(owner, session=1),
        "signed_in_state_that_is_a_dict": {"actor": owner, "started": moment, "last_seen": moment},
        "signed_in_state_holding_a_string": SignedIn("minjiang", moment, moment),
    }


FORGERIES = [
    "role_written_as_admin",
    "user_id_of_the_owner",
    "owners_identity_with_a_made_up_session",
    "signed_in_state_that_is_a_dict",
    "signed_in_state_holding_a_string",
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_session_state_is_signed_out_with_a_notice_and_shows_nothing(pages, theirs, forgery):
    state = _forged_states(pages, theirs)[forgery]

    app = run_routed(pages, APPLICATION, state, query={"id": theirs.application.id})

    assert not app.exception
    assert "auth" not in app.session_state
    assert [w.value for w in app.warning] == ["您的登录已失效(账号已停用、权限已变更或已在别处退出),请重新登录。"]
    assert [w.label for w in app.text_input] == ["用户名", "密码"]
    assert not any(secret in page_text(app) for secret in theirs.secrets)
    assert len(_denials(pages, "session.check")) == 1


def test_organisation_written_into_the_session_state_opens_nothing_of_that_organisation(pages, theirs):
    intruder = replace(pages.actor("yunqi"), organisation_id=theirs.application.organisation_id)

    app = run_routed(pages, APPLICATION, intruder, query={"id": theirs.application.id})

    assert not app.exception
    assert errors_of(app) == [DENIED_ZH]
    assert not any(secret in page_text(app) for secret in theirs.secrets)


def test_disabled_account_is_signed_out_at_its_next_step(pages, theirs):
    intruder = pages.actor("yunqi")
    accounts.set_active(pages.store, pages.actor("admin"), intruder.user_id, active=False)

    app = run_routed(pages, APPLICATION, intruder, query={"id": theirs.application.id})

    assert "auth" not in app.session_state
    assert [w.label for w in app.text_input] == ["用户名", "密码"]
    assert not any(secret in page_text(app) for secret in theirs.secrets)


@pytest.mark.parametrize("forgery", ["role_written_as_admin", "user_id_of_the_owner", "disabled"])
@pytest.mark.parametrize("page", [APPLICATION, SELF_ASSESSMENT, RESULTS])
def test_page_run_past_the_router_refuses_a_forged_or_disabled_actor(pages, theirs, page, forgery):
    intruder = pages.actor("yunqi")
    if forgery == "disabled":
        accounts.set_active(pages.store, pages.actor("admin"), intruder.user_id, active=False)
        actor = intruder
    else:
        actor = _forged_states(pages, theirs)[forgery]

    app = run_direct(page, actor, query={"id": theirs.application.id})

    assert not app.exception
    assert errors_of(app) == [PAGE_DENIED_ZH]
    assert not app.title
    assert not any(secret in page_text(app) for secret in theirs.secrets)
    assert [(e.actor_id, e.target_id) for e in _denials(pages, "page.open")] == [(actor.user_id, URLS[page])]
