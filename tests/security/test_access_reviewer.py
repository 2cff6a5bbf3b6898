"""A reviewer scoring what they may not, or seeing what they may not yet: unassigned and conflicted
applications (declared and by the round's rules), other reviewers' scores, names, averages, ranks or
counts before their own sheet is submitted (through the services, the offline workbook and error
messages), and edits after the round's lock or the review deadline. Refused, logged, nothing changed.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from submissions import applications, assignments, audit, exports, reviews, rounds
from submissions.access import Actor
from submissions.errors import EditConflict, SubmissionError
from submissions.excel.panel import panel_columns
from submissions.store import Store
from tests.security.access_probes import (
    DENIED_EN,
    DENIED_ZH,
    MISSING,
    Shared,
    entry_text,
    errors_of,
    last_entry,
    one_denial,
    page_text,
    reads_as_not_found,
    refusal_of,
    run_routed,
    shared,  # noqa: F401 - a fixture
)
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    round_under_review,
    submit_application,
)

POLICIES = ("sealed", "anonymous_after_submit", "named_after_submit")


def secret_comment(actor: Actor) -> str:
    """A comment that names no one but is unique to its reviewer."""
    return f"第{actor.user_id:04d}号保密评语,内容不得外泄"


@dataclass(frozen=True)
class Panel:
    """A round under review with one blind policy.

    `pending`: an application whose first reviewer has only a draft while the other two submitted.
    `done`: an application all three reviewers submitted. `outsider`: a reviewer assigned to neither.
    """

    round_id: int
    policy: str
    pending: int
    waiting: Actor  # pending's first reviewer: a draft, not submitted
    others: tuple[Actor, ...]  # pending's other two reviewers, submitted
    done: int
    done_panel: tuple[Actor, ...]  # done's reviewers, all submitted, in user id order
    outsider: Actor


def _panel_round(sh: Shared, policy: str) -> Panel:
    store, world = sh.store, sh.world
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=3, blind_policy=policy)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    pairs = assigned_pairs(store, world, round_.id)
    by_app: dict[int, list[Actor]] = {}
    for app_id, reviewer_id in pairs:
        by_app.setdefault(app_id, []).append(reviewer_actor(world, reviewer_id))
    pending, done = sorted(by_app)[:2]
    waiting, *others = by_app[pending]
    first = next(iter(full_entries(rubric)))
    draft = {first: {"points": full_entries(rubric, 0.5)[first]["points"], "comment": "我自己的草稿"}}
    reviews.save_sheet(store, waiting, pending, entries=draft, seen_version=0)
    for other in others:
        entries = {cid: {**e, "comment": secret_comment(other)} for cid, e in full_entries(rubric, 0.3).items()}
        reviews.save_sheet(store, other, pending, entries=entries, seen_version=0, submit=True)
    for reviewer in by_app[done]:
        entries = {cid: {**e, "comment": secret_comment(reviewer)} for cid, e in full_entries(rubric, 0.9).items()}
        reviews.save_sheet(store, reviewer, done, entries=entries, seen_version=0, submit=True)
    assigned = {r.user_id for r in by_app[pending] + by_app[done]}
    outsider = next(r for r in world.reviewers if r.user_id not in assigned and r.organisation_id is None)
    return Panel(
        round_.id,
        policy,
        pending,
        waiting,
        tuple(others),
        done,
        tuple(sorted(by_app[done], key=lambda r: r.user_id)),
        outsider,
    )


@pytest.fixture
def panels(shared) -> dict[str, Panel]:  # noqa: F811 - the fixture imported above
    return shared.once("panels", lambda sh: {policy: _panel_round(sh, policy) for policy in POLICIES})


def _names(panel: Panel) -> list[str]:
    return [r.display_name for r in (*panel.others, *panel.done_panel) if r != panel.waiting]


def _secrets(panel: Panel) -> list[str]:
    return [*_names(panel), *(secret_comment(r) for r in (*panel.others, *panel.done_panel) if r != panel.waiting)]


# -- unassigned and conflicted ----------------------------------------------------------------------

# Every service a reviewer could aim at one application: (audit action, call).
APPLICATION_PROBES = {
    "get_application": ("application.view", lambda store, a, i, rubric: applications.get_application(store, a, i)),
    "get_sheet": ("sheet.view", lambda store, a, i, rubric: reviews.get_sheet(store, a, i)),
    "save_sheet": (
        "sheet.save",
        lambda store, a, i, rubric: reviews.save_sheet(store, a, i, entries=full_entries(rubric), seen_version=0),
    ),
    "submit_sheet": (
        "sheet.save",
        lambda store, a, i, rubric: reviews.save_sheet(
            store, a, i, entries=full_entries(rubric), seen_version=0, submit=True
        ),
    ),
    "panel_view": ("sheet.panel", lambda store, a, i, rubric: reviews.panel_view(store, a, i)),
    "declare_conflict": (
        "conflict.declare",
        lambda store, a, i, rubric: reviews.declare_conflict(store, a, i, reason="借故查看申报内容"),
    ),
    "get_self_assessment": (
        "self_assessment.view",
        lambda store, a, i, rubric: applications.get_self_assessment(store, a, i),
    ),
}


def _sheets_of(store: Store, admin: Actor, round_id: int) -> list[tuple]:
    table = reviews.progress(store, admin, round_id)
    return sorted(map(tuple, table[["application_id", "reviewer_id", "status"]].values.tolist()))


@pytest.mark.parametrize("name", list(APPLICATION_PROBES))
def test_unassigned_application_is_refused_like_a_missing_one_logged_and_unchanged(shared, panels, name):  # noqa: F811
    panel = panels["anonymous_after_submit"]
    action, probe = APPLICATION_PROBES[name]
    rubric = rounds.round_rubric(shared.store, shared.world.admin, panel.round_id)
    before = _sheets_of(shared.store, shared.world.admin, panel.round_id)

    last = last_entry(shared.store)
    theirs = refusal_of(lambda: probe(shared.store, panel.outsider, panel.pending, rubric))
    logged = one_denial(shared.store, last)
    absent = refusal_of(lambda: probe(shared.store, panel.outsider, MISSING, rubric))

    reads_as_not_found(theirs)
    reads_as_not_found(absent)
    assert (logged.actor_id, logged.action, logged.target_id) == (panel.outsider.user_id, action, str(panel.pending))
    assert not any(secret in entry_text(logged) for secret in _secrets(panel))
    assert _sheets_of(shared.store, shared.world.admin, panel.round_id) == before


@dataclass(frozen=True)
class Conflicted:
    declared_round: int
    declared_app: int
    declarer: Actor  # assigned, then declared a conflict
    rule_round: int
    rule_app: int
    neighbour: Actor  # assigned while the round ignored regions, then the round turned region conflicts on


def _conflicts(sh: Shared) -> Conflicted:
    store, world = sh.store, sh.world
    admin = world.admin
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=2)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    declarer = reviewer_actor(world, reviewer_id)
    reviews.declare_conflict(store, declarer, app_id, reason="曾为该单位提供咨询服务。")

    opened = open_round(store, world, reviewers_per_application=2)
    application = submit_application(store, world, opened.id, 0)  # the first organisation is in 广东
    neighbour = next(r for r in world.reviewers if r.region == world.applicants[0].region)
    second = next(r for r in world.reviewers if r.region not in (neighbour.region, "北京"))
    for reviewer in (neighbour, second):
        assignments.assign(store, admin, application.id, reviewer.user_id)
    current = rounds.get_round(store, admin, opened.id)
    rounds.update_settings(
        store, admin, opened.id, seen_version=current.version, changes={"conflict_same_region": True}
    )
    current = rounds.get_round(store, admin, opened.id)
    rounds.advance(store, admin, opened.id, to_state="under_review", seen_version=current.version)
    return Conflicted(round_.id, app_id, declarer, opened.id, application.id, neighbour)


@pytest.fixture
def conflicted(shared) -> Conflicted:  # noqa: F811
    return shared.once("conflicted", _conflicts)


def _conflict_cases():
    for kind in ("declared", "rule_based"):
        for name in APPLICATION_PROBES:
            yield pytest.param(kind, name, id=f"{kind}-{name}")


@pytest.mark.parametrize(("kind", "name"), list(_conflict_cases()))
def test_conflicted_application_is_refused_like_a_missing_one_and_logged(shared, conflicted, kind, name):  # noqa: F811
    action, probe = APPLICATION_PROBES[name]
    if kind == "declared":
        reviewer, app_id, round_id = conflicted.declarer, conflicted.declared_app, conflicted.declared_round
    else:
        reviewer, app_id, round_id = conflicted.neighbour, conflicted.rule_app, conflicted.rule_round
    rubric = rounds.round_rubric(shared.store, shared.world.admin, round_id)
    before = _sheets_of(shared.store, shared.world.admin, round_id)
    last = last_entry(shared.store)

    refusal = refusal_of(lambda: probe(shared.store, reviewer, app_id, rubric))

    reads_as_not_found(refusal)
    logged = one_denial(shared.store, last)
    assert (logged.actor_id, logged.action, logged.target_id) == (reviewer.user_id, action, str(app_id))
    assert _sheets_of(shared.store, shared.world.admin, round_id) == before


@pytest.mark.parametrize("kind", ["declared", "rule_based"])
def test_conflicted_application_leaves_the_reviewers_list_and_offline_workbook(shared, conflicted, kind):  # noqa: F811
    if kind == "declared":
        reviewer, app_id, round_id = conflicted.declarer, conflicted.declared_app, conflicted.declared_round
    else:
        reviewer, app_id, round_id = conflicted.neighbour, conflicted.rule_app, conflicted.rule_round
    reference = applications.get_application(shared.store, shared.world.admin, app_id).reference

    listed = reviews.my_assignments(shared.store, reviewer, round_id)
    workbook = load_workbook(io.BytesIO(exports.reviewer_template(shared.store, reviewer, round_id)))

    assert app_id not in {a.application_id for a in listed}
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
    assert reference not in cells


@pytest.mark.parametrize(
    "kind",
    [
        "declared",
        "rule_based",
    ],
)
def test_conflicted_application_is_not_listed_to_the_reviewer(shared, conflicted, kind):  # noqa: F811
    if kind == "declared":
        reviewer, app_id, round_id = conflicted.declarer, conflicted.declared_app, conflicted.declared_round
    else:
        reviewer, app_id, round_id = conflicted.neighbour, conflicted.rule_app, conflicted.rule_round

    listed = applications.list_applications(shared.store, reviewer, round_id)

    assert app_id not in {a.id for a in listed}


def test_offline_upload_naming_an_unassigned_application_saves_nothing_and_is_logged(shared, panels):  # noqa: F811
    panel = panels["anonymous_after_submit"]
    store, admin = shared.store, shared.world.admin
    rubric = rounds.round_rubric(store, admin, panel.round_id)
    reference = applications.get_application(store, admin, panel.pending).reference
    workbook = load_workbook(io.BytesIO(exports.reviewer_template(store, panel.outsider, panel.round_id)))
    sheet = workbook.worksheets[0]
    columns = panel_columns(rubric)
    row = sheet.max_row + 1
    sheet.cell(row=row, column=1).value = reference
    for position, column in enumerate(columns, start=1):
        if column.field.endswith(".points"):
            sheet.cell(row=row, column=position).value = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = _sheets_of(store, admin, panel.round_id)
    last = last_entry(store)

    outcome = reviews.upload_offline(store, panel.outsider, panel.round_id, buffer.getvalue(), submit=False)

    assert not outcome.ok and outcome.saved == []
    assert {p.code for p in outcome.problems} >= {"unknown_ref"}
    # Same words for an application that exists but is not theirs as for one that does not exist.
    assert all(secret not in p.message_zh for p in outcome.problems for secret in _secrets(panel))
    logged = one_denial(store, last)
    assert (logged.actor_id, logged.action, logged.target_id, logged.after) == (
        panel.outsider.user_id,
        "sheet.upload",
        str(panel.round_id),
        {"refused": "unknown_ref"},
    )
    assert _sheets_of(store, admin, panel.round_id) == before


# -- other reviewers' work before the reviewer's own sheet is submitted ---------------------------------


@pytest.mark.parametrize("policy", POLICIES)
def test_nothing_of_the_other_reviewers_shows_before_the_own_sheet_is_submitted(shared, panels, policy):  # noqa: F811
    panel = panels[policy]
    store = shared.store

    panel_view = reviews.panel_view(store, panel.waiting, panel.pending)
    sheet = reviews.get_sheet(store, panel.waiting, panel.pending)
    mine = {a.application_id: a for a in reviews.my_assignments(store, panel.waiting, panel.round_id)}

    assert panel_view == []
    assert (sheet.reviewer_id, sheet.status) == (panel.waiting.user_id, "draft")
    assert [e.comment for e in sheet.entries.values()] == ["我自己的草稿"]
    assert mine[panel.pending].entries == sheet.entries
    shown = repr(panel_view) + repr(sheet) + repr(list(mine.values()))
    assert not any(secret in shown for secret in _secrets(panel))


@pytest.mark.parametrize("policy", POLICIES)
def test_offline_workbook_holds_only_the_reviewers_own_points_and_no_panel_figures(shared, panels, policy):  # noqa: F811
    panel = panels[policy]
    store = shared.store
    rubric = rounds.round_rubric(store, shared.world.admin, panel.round_id)
    own = {a.reference: a.entries for a in reviews.my_assignments(store, panel.waiting, panel.round_id)}

    workbook = load_workbook(io.BytesIO(exports.reviewer_template(store, panel.waiting, panel.round_id)))

    scores = workbook.worksheets[0]
    columns = panel_columns(rubric)
    rows = list(scores.iter_rows(values_only=True))
    assert list(rows[0][: len(columns)]) == [c.header for c in columns]
    assert all(v is None for v in rows[0][len(columns) :])  # no mean, rank or count column beside them
    for values in rows[1:]:
        entries = own[values[0]]
        for column, value in zip(columns, values, strict=False):
            if column.field.startswith("entries."):
                cid, kind = column.field.split(".")[1:]
                expected = entries.get(cid)
                if kind == "points":
                    assert value == (None if expected is None or expected.points is None else float(expected.points))
                else:
                    assert (value or "") == (expected.comment if expected else "")
    text = "\n".join(
        str(c) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c
    )
    text += f"\n{workbook.properties.title}\n{workbook.properties.creator}"
    assert not any(secret in text for secret in _secrets(panel))
    for word in ("平均", "排名", "名次", "均值", "average", "mean", "rank"):
        assert word not in text.lower()


@pytest.mark.parametrize("policy", POLICIES)
def test_refusals_and_error_messages_carry_nothing_of_other_reviewers(shared, panels, policy):  # noqa: F811
    panel = panels[policy]
    store = shared.store
    rubric = rounds.round_rubric(store, shared.world.admin, panel.round_id)
    current = reviews.get_sheet(store, panel.waiting, panel.pending)
    first = next(iter(full_entries(rubric)))
    done_reviewer = panel.done_panel[0]

    stale = refusal_of(
        lambda: reviews.save_sheet(
            store, panel.waiting, panel.pending, entries=full_entries(rubric), seen_version=current.version - 1
        )
    )
    with pytest.raises(SubmissionError) as incomplete:
        reviews.save_sheet(
            store, panel.waiting, panel.pending, entries={first: {"points": 1}}, seen_version=current.version, submit=1
        )
    submitted = refusal_of(
        lambda: reviews.save_sheet(store, done_reviewer, panel.done, entries=full_entries(rubric), seen_version=1)
    )
    with pytest.raises(SubmissionError) as invalid:
        reviews.save_sheet(
            store,
            panel.waiting,
            panel.pending,
            entries={first: {"points": Decimal("999")}},
            seen_version=current.version,
        )

    assert isinstance(stale, EditConflict)
    assert (stale.seen_version, stale.current_version) == (current.version - 1, current.version)
    assert submitted.code == "wrong_round_state"
    messages = [m for e in (stale, submitted) for m in (e.message("zh"), e.message("en"))]
    problems = incomplete.value.problems + invalid.value.problems
    messages += [p.message(lang) for p in problems for lang in ("zh", "en")]
    messages += [repr(stale.yours)]
    assert not any(secret in m for m in messages for secret in _secrets(panel))
    assert reviews.get_sheet(store, panel.waiting, panel.pending) == current


@pytest.mark.parametrize(
    ("policy", "shown"), [("sealed", None), ("anonymous_after_submit", "anonymous"), ("named_after_submit", "names")]
)
def test_after_submitting_the_panel_shows_as_the_blind_policy_says(shared, panels, policy, shown):  # noqa: F811
    panel = panels[policy]
    viewer, *others = panel.done_panel

    seen = reviews.panel_view(shared.store, viewer, panel.done)

    if shown is None:
        assert seen == []
        return
    expected = [r.display_name for r in others] if shown == "names" else ["专家A", "专家B"]
    assert [p.reviewer for p in seen] == expected
    assert [p.comments[next(iter(p.comments))] for p in seen] == [secret_comment(r) for r in others]
    if shown == "anonymous":
        assert not any(r.display_name in repr(seen) for r in others)


# -- the lock and the deadline ----------------------------------------------------------------------


@dataclass(frozen=True)
class Late:
    round_id: int
    application: int
    reviewer: Actor  # has a draft
    deadline: dt.datetime | None


def _closed(sh: Shared) -> Late:
    store, world = sh.store, sh.world
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=2)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    reviewer = reviewer_actor(world, reviewer_id)
    first = next(iter(full_entries(rubric).items()))
    reviews.save_sheet(store, reviewer, app_id, entries=dict([first]), seen_version=0)
    current = rounds.get_round(store, world.admin, round_.id)
    rounds.advance(store, world.admin, round_.id, to_state="closed", seen_version=current.version)
    return Late(round_.id, app_id, reviewer, None)


def _due(sh: Shared) -> Late:
    store, world = sh.store, sh.world
    deadline = sh.clock.now + dt.timedelta(days=1)
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=2, review_deadline=deadline)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    reviewer = reviewer_actor(world, reviewer_id)
    first = next(iter(full_entries(rubric).items()))
    reviews.save_sheet(store, reviewer, app_id, entries=dict([first]), seen_version=0)
    return Late(round_.id, app_id, reviewer, deadline)


@pytest.fixture(params=["after_the_lock", "after_the_deadline"])
def late(request, shared):  # noqa: F811
    if request.param == "after_the_lock":
        yield shared.once("closed", _closed), "wrong_round_state"
        return
    due = shared.once("due", _due)
    saved = shared.clock.now
    shared.clock.now = due.deadline + dt.timedelta(minutes=1)
    yield due, "deadline_passed"
    shared.clock.now = saved


LATE_EDITS = {
    "save_draft": (
        "sheet.save",
        lambda store, late, rubric, version: reviews.save_sheet(
            store, late.reviewer, late.application, entries=full_entries(rubric), seen_version=version
        ),
    ),
    "submit": (
        "sheet.save",
        lambda store, late, rubric, version: reviews.save_sheet(
            store, late.reviewer, late.application, entries=full_entries(rubric), seen_version=version, submit=True
        ),
    ),
}


@pytest.mark.parametrize("name", list(LATE_EDITS))
def test_late_score_edits_are_refused_logged_and_change_nothing(shared, late, name):  # noqa: F811
    target, code = late
    action, edit = LATE_EDITS[name]
    store = shared.store
    rubric = rounds.round_rubric(store, shared.world.admin, target.round_id)
    before = reviews.get_sheet(store, target.reviewer, target.application)
    last = last_entry(store)

    refusal = refusal_of(lambda: edit(store, target, rubric, before.version))

    assert refusal.code == code
    logged = one_denial(store, last)
    assert (logged.actor_id, logged.action, logged.target_id, logged.after) == (
        target.reviewer.user_id,
        action,
        str(target.application),
        {"refused": code},
    )
    assert reviews.get_sheet(store, target.reviewer, target.application) == before


def test_late_offline_upload_saves_nothing_and_is_logged(shared, late):  # noqa: F811
    target, code = late
    store = shared.store
    rubric = rounds.round_rubric(store, shared.world.admin, target.round_id)
    template = exports.reviewer_template(store, target.reviewer, target.round_id)
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    position = {c.field: i for i, c in enumerate(panel_columns(rubric), start=1)}
    for cid, entry in full_entries(rubric).items():
        sheet.cell(row=2, column=position[f"entries.{cid}.points"]).value = float(entry["points"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = reviews.get_sheet(store, target.reviewer, target.application)
    last = last_entry(store)

    refusal = refusal_of(lambda: reviews.upload_offline(store, target.reviewer, target.round_id, buffer.getvalue()))

    assert refusal.code == code
    logged = one_denial(store, last)
    assert (logged.action, logged.target_id, logged.after) == ("sheet.upload", str(target.round_id), {"refused": code})
    assert reviews.get_sheet(store, target.reviewer, target.application) == before


def test_conflict_declared_after_the_lock_is_refused_and_logged(shared):  # noqa: F811
    target = shared.once("closed", _closed)
    last = last_entry(shared.store)

    refusal = refusal_of(
        lambda: reviews.declare_conflict(shared.store, target.reviewer, target.application, reason="评审结束后才想起")
    )

    assert refusal.code == "wrong_round_state"
    logged = one_denial(shared.store, last)
    assert (logged.action, logged.after) == ("conflict.declare", {"refused": "wrong_round_state"})
    assert reviews.my_conflicts(shared.store, target.reviewer, target.round_id) == []


# -- through the score page (demo database) ---------------------------------------------------------

SCORE = "app_pages/reviewer/score.py"


def _city(pages) -> int:
    return next(
        r.id for r in rounds.list_rounds(pages.store, pages.actor("admin")) if r.rubric_id == "city_comprehensive"
    )


def _score_page(pages, user: str, application_id: object, lang: str = "zh"):
    return run_routed(pages, SCORE, pages.actor(user), query={"application": application_id}, lang=lang)


def test_score_page_for_an_unassigned_application_reads_like_a_missing_one(pages):
    admin, city = pages.actor("admin"), _city(pages)
    mine = {a.application_id for a in reviews.my_assignments(pages.store, pages.actor("liuzhenhua"), city)}
    other = next(
        a for a in applications.list_applications(pages.store, admin, city, status="submitted") if a.id not in mine
    )

    existing = _score_page(pages, "liuzhenhua", other.id)
    missing = _score_page(pages, "liuzhenhua", MISSING, lang="zh")

    assert not existing.exception and not missing.exception
    assert errors_of(existing) == errors_of(missing) == [DENIED_ZH]
    shown = page_text(existing)
    assert other.title not in shown and other.reference not in shown and other.organisation not in shown
    assert not existing.number_input and not existing.text_area
    denied = pages.store.db.read(lambda s: audit.entries(s, action="application.view", outcome="denied"))
    assert [e.target_id for e in reversed(denied)] == [str(other.id), str(MISSING)]


def test_score_page_for_a_declared_conflict_is_refused_like_any_other(pages):
    conflict = reviews.my_conflicts(pages.store, pages.actor("sunyating"), _city(pages))[0]

    app = _score_page(pages, "sunyating", conflict.application_id, lang="en")

    assert errors_of(app) == [DENIED_EN]
    assert conflict.title not in page_text(app)
    assert not app.number_input


def test_score_page_shows_no_other_reviewer_score_name_or_count_before_submitting(pages):
    city = _city(pages)
    reviewer = pages.actor("liuzhenhua")
    item = next(a for a in reviews.my_assignments(pages.store, reviewer, city) if a.sheet_status == "draft")
    sheets = reviews.progress(pages.store, pages.actor("admin"), city)
    on_it = sheets[(sheets["application_id"] == item.application_id) & (sheets["reviewer_id"] != reviewer.user_id)]
    submitted = on_it[on_it["status"] == "submitted"]

    app = _score_page(pages, "liuzhenhua", item.application_id)

    assert len(submitted) > 0
    assert not app.exception
    assert "提交您自己的评分表后,才能看到其他专家已提交的评分。" in [i.value for i in app.info]
    assert len(app.dataframe) == 1  # the reported indicators only
    shown = page_text(app)
    assert not any(name in shown for name in on_it["reviewer"])
    assert "专家A" not in shown and "Reviewer A" not in shown


@pytest.mark.parametrize("raw", ["-1", "0", "1 OR 1=1", "../", "99999999999", "9" * 30, "%00"])
def test_score_page_with_an_odd_id_shows_nothing_of_any_application(pages, raw):
    city = _city(pages)
    others = applications.list_applications(pages.store, pages.actor("admin"), city, status="submitted")

    app = _score_page(pages, "liuzhenhua", raw)

    assert not app.exception
    assert len(errors_of(app)) == 1
    assert not app.number_input
    shown = page_text(app)
    mine = {a.application_id for a in reviews.my_assignments(pages.store, pages.actor("liuzhenhua"), city)}
    assert not any(a.title in shown for a in others if a.id not in mine)
