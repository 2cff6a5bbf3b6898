"""The audit log: append-only in the database itself, written with its change, and told of every denial."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from submissions import accounts, applications, audit, reviews, rounds
from submissions.errors import AccessDenied, EditConflict, SubmissionError
from submissions.models import AuditEntry, ScoreSheet
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    round_under_review,
)
from tests.submissions.store.world import PASSWORD


def all_entries(store) -> list[tuple]:
    """Every audit row, every column, in id order."""
    columns = list(AuditEntry.__table__.columns)
    return store.db.read(lambda s: [tuple(r) for r in s.execute(select(*columns).order_by(AuditEntry.id))])


def newest_id(store) -> int:
    return store.db.read(lambda s: s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0)


def entries_after(store, last: int) -> list[audit.AuditView]:
    return [e for e in reversed(store.db.read(lambda s: audit.entries(s, limit=100))) if e.id > last]


@pytest.fixture
def review(store, world):
    """A round under review, its rubric, and one assigned (application id, reviewer actor)."""
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=2)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    return round_, rubric, app_id, reviewer_actor(world, reviewer_id)


# -- append-only ---------------------------------------------------------------------------------


TAMPERING = {
    "update_every_entry": "UPDATE audit_log SET action = 'tampered'",
    "update_one_outcome": "UPDATE audit_log SET outcome = 'ok' WHERE id = (SELECT max(id) FROM audit_log)",
    "delete_one_entry": "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    "delete_every_entry": "DELETE FROM audit_log",
}
TRUNCATE = {
    "postgresql": "TRUNCATE audit_log",
    "sqlite": "DELETE FROM audit_log",  # SQLite has no TRUNCATE: an unqualified DELETE is its truncate optimisation
}


@pytest.mark.parametrize("statement", [*TAMPERING, "truncate"])
def test_raw_sql_cannot_change_or_remove_audit_entries(store, backend, statement):
    sql = TRUNCATE[backend] if statement == "truncate" else TAMPERING[statement]
    before = all_entries(store)

    with pytest.raises(DBAPIError) as refused, store.db.engine.begin() as connection:
        connection.execute(text(sql))

    assert "audit_log is append-only" in str(refused.value)
    assert all_entries(store) == before
    assert len(before) > 0


def test_audit_entries_can_still_be_added_after_a_refused_tampering(store, world, backend):
    with pytest.raises(DBAPIError), store.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))
    last = newest_id(store)

    opened = open_round(store, world)

    assert [(e.action, e.round_id) for e in entries_after(store, last)] == [
        ("round.create", opened.id),
        ("round.advance", opened.id),
    ]


# -- written with its change ---------------------------------------------------------------------


def test_sheet_save_refused_by_validation_leaves_neither_sheet_nor_entry(store, world, review):
    _, rubric, app_id, reviewer = review
    entries = full_entries(rubric)
    criterion = next(iter(entries))
    entries[criterion]["points"] = next(c.max_points for c in rubric.criteria if c.id == criterion) + 1
    before = all_entries(store)

    with pytest.raises(SubmissionError) as refused:
        reviews.save_sheet(store, reviewer, app_id, entries=entries, seen_version=0)

    assert [p.field for p in refused.value.problems] == [f"entries.{criterion}.points"]
    assert all_entries(store) == before
    assert reviews.get_sheet(store, reviewer, app_id).status == "new"


def test_creation_refused_after_taking_a_reference_rolls_back_the_reference_and_the_entry(store, world):
    opened = open_round(store, world)
    applicant = world.applicants[0]
    before = all_entries(store)

    with pytest.raises(SubmissionError) as refused:
        applications.create_application(store, applicant, opened.id, category="life", region="火星")
    after_refusal = all_entries(store)
    created = applications.create_application(store, applicant, opened.id, category="life")

    assert [p.code for p in refused.value.problems] == ["unknown_region"]
    assert after_refusal == before
    assert created.reference == f"R{opened.id}-00001"


def test_stale_save_leaves_neither_change_nor_entry(store, world, review):
    _, rubric, app_id, reviewer = review
    reviews.save_sheet(store, reviewer, app_id, entries=full_entries(rubric, 0.5), seen_version=0)
    before = all_entries(store)

    with pytest.raises(EditConflict):
        reviews.save_sheet(store, reviewer, app_id, entries=full_entries(rubric, 0.9), seen_version=0)

    assert all_entries(store) == before
    assert reviews.get_sheet(store, reviewer, app_id).version == 1


def _points_list(rubric, entries: dict) -> list:
    return [float(entries[c.id]["points"]) if c.id in entries else None for c in rubric.criteria]


def test_successful_sheet_save_leaves_exactly_one_entry_with_before_and_after(store, world, clock, review):
    round_, rubric, app_id, reviewer = review
    first = {"market_prospect": {"points": 3, "comment": "初评"}}
    second = {"market_prospect": {"points": 4, "comment": "复核后上调"}, "industry_pull": {"points": 2, "comment": ""}}
    reviews.save_sheet(store, reviewer, app_id, entries=first, seen_version=0)
    sheet_id = store.db.read(
        lambda s: s.scalar(
            select(ScoreSheet.id).where(ScoreSheet.application_id == app_id, ScoreSheet.reviewer_id == reviewer.user_id)
        )
    )
    clock.advance(minutes=5)
    last = newest_id(store)

    reviews.save_sheet(store, reviewer, app_id, entries=second, seen_version=1)

    logged = entries_after(store, last)
    assert [
        (e.at, e.actor_id, e.actor, e.action, e.outcome, e.target_type, e.target_id, e.round_id) for e in logged
    ] == [(clock.now, reviewer.user_id, reviewer.label, "sheet.save", "ok", "score_sheet", str(sheet_id), round_.id)]
    assert logged[0].before == {
        "status": "draft",
        "points": _points_list(rubric, first),
        "comments": {"market_prospect": "初评"},
    }
    assert logged[0].after == {
        "status": "draft",
        "points": _points_list(rubric, second),
        "comments": {"market_prospect": "复核后上调"},
    }


def test_application_save_logs_only_the_changed_fields(store, world, clock):
    opened = open_round(store, world)
    applicant = world.applicants[0]
    draft = applications.create_application(store, applicant, opened.id, category="life", title="旧标题")
    last = newest_id(store)

    applications.save_application(store, applicant, draft.id, seen_version=draft.version, changes={"title": "新标题"})

    assert [(e.action, e.target_id, e.round_id, e.before, e.after) for e in entries_after(store, last)] == [
        ("application.save", str(draft.id), opened.id, {"title": "旧标题"}, {"title": "新标题"})
    ]


# -- denials -------------------------------------------------------------------------------------


def test_denied_read_is_logged_as_denied(store, world, clock, review):
    _, _, app_id, _ = review
    applicant = world.applicants[0]
    last = newest_id(store)

    with pytest.raises(AccessDenied):
        reviews.get_sheet(store, applicant, app_id)

    assert [
        (e.at, e.actor_id, e.actor, e.action, e.outcome, e.target_type, e.target_id, e.before, e.after)
        for e in entries_after(store, last)
    ] == [
        (clock.now, applicant.user_id, applicant.label, "sheet.view", "denied", "application", str(app_id), None, None)
    ]


def test_denied_write_is_logged_as_denied_and_changes_nothing(store, world, review):
    _, rubric, app_id, reviewer = review
    reviews.save_sheet(store, reviewer, app_id, entries=full_entries(rubric), seen_version=0, submit=True)
    intruder = world.applicants[0]
    last = newest_id(store)

    with pytest.raises(AccessDenied):
        reviews.reopen_sheet(store, intruder, app_id, reviewer.user_id, reason="想改分")

    assert [(e.actor_id, e.action, e.outcome, e.target_id) for e in entries_after(store, last)] == [
        (intruder.user_id, "sheet.reopen", "denied", str(app_id))
    ]
    assert reviews.get_sheet(store, reviewer, app_id).status == "submitted"


def test_denials_are_found_by_outcome(store, world, review):
    _, _, app_id, _ = review
    outsider = world.applicants[1]
    for _ in range(3):
        with pytest.raises(AccessDenied):
            applications.get_application(store, outsider, app_id)

    denied = store.db.read(lambda s: audit.entries(s, outcome="denied", actor_id=outsider.user_id))

    assert [(e.action, e.target_id) for e in denied] == [("application.view", str(app_id))] * 3


# -- who is named --------------------------------------------------------------------------------


def test_user_with_the_longest_allowed_names_can_work_and_is_logged(store, world, backend):
    opened = open_round(store, world)
    user = accounts.create_user(
        store,
        world.admin,
        username="a" * 64,
        display_name="张" * 200,
        role="applicant",
        password=PASSWORD,
        organisation_id=world.organisation_ids[0],
    )
    last = newest_id(store)

    actor = accounts.login(store, user.username, PASSWORD)
    applications.create_application(store, actor, opened.id, category="life")
    with pytest.raises(AccessDenied):
        applications.get_application(store, actor, 2_000_000_000)

    assert [(e.actor_id, e.action, e.outcome) for e in entries_after(store, last)] == [
        (user.id, "login", "ok"),
        (user.id, "application.create", "ok"),
        (user.id, "application.view", "denied"),
    ]
