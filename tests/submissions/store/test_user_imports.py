"""Importing organisations and accounts from the workbook: all or nothing, every problem in one pass."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from submissions import accounts, audit, user_imports
from submissions.errors import AccessDenied
from submissions.excel.report import ERRORS_SHEET
from submissions.excel.users import ORGANISATIONS_SHEET, USERS_SHEET
from tests.submissions.excel.test_users_workbook import code, fill
from tests.submissions.store.world import PASSWORD


def counts(store, world) -> tuple[int, int]:
    return len(accounts.list_organisations(store, world.admin)), len(accounts.list_users(store, world.admin))


def test_import_creates_every_organisation_and_user(store, world):
    known = accounts.list_organisations(store, world.admin)[0].credit_code
    data = fill(
        [{"name": "宁波示例科技有限公司", "credit_code": code(1), "region": "浙江"}],
        [
            {
                "username": "nb",
                "display_name": "宁波联系人",
                "role": "申报单位",
                "organisation": code(1),
                "password": PASSWORD,
            },
            {
                "username": "gz",
                "display_name": "广州专家",
                "role": "评审专家",
                "organisation": known,
                "password": PASSWORD,
            },
        ],
    )
    steps = []

    outcome = user_imports.import_users(
        store, world.admin, data, progress=lambda done, total: steps.append((done, total))
    )

    assert (outcome.ok, outcome.organisations, outcome.users) == (True, 1, 2)
    assert steps == [(1, 2), (2, 2)]
    organisations = {o.credit_code: o.id for o in accounts.list_organisations(store, world.admin)}
    users = {u.username: u for u in accounts.list_users(store, world.admin)}
    assert (users["nb"].role, users["nb"].organisation_id) == ("applicant", organisations[code(1)])
    assert (users["gz"].role, users["gz"].organisation_id) == ("reviewer", organisations[known])
    assert accounts.login(store, "nb", PASSWORD).user_id == users["nb"].id
    logged = store.db.read(lambda s: audit.entries(s, action="users.import"))
    assert logged[0].after == {"organisations": [code(1)], "users": ["nb", "gz"]}
    assert len(store.db.read(lambda s: audit.entries(s, action="user.create", actor_id=world.admin.user_id))) == 11


def test_import_reports_cell_and_store_problems_together_and_saves_nothing(store, world):
    before = counts(store, world)
    taken = accounts.list_organisations(store, world.admin)[1].credit_code
    data = fill(
        [
            {"name": "新单位", "credit_code": code(1), "region": "浙江"},
            {"name": "已登记的单位", "credit_code": taken, "region": "湖北"},
        ],
        [
            {"username": "reviewer1", "display_name": "重名", "role": "评审专家", "password": PASSWORD},
            {"username": "nb", "display_name": "联系人", "role": "申报单位", "password": PASSWORD},
            {
                "username": "far",
                "display_name": "外地",
                "role": "申报单位",
                "organisation": code(2),
                "password": PASSWORD,
            },
            {"username": "ok", "display_name": "短密码", "role": "评审专家", "password": "short"},
        ],
    )

    outcome = user_imports.import_users(store, world.admin, data)

    assert not outcome.ok
    assert [(p.sheet, p.cell, p.code) for p in outcome.problems] == [
        (ORGANISATIONS_SHEET, "B3", "duplicate_credit_code"),
        (USERS_SHEET, "A2", "duplicate_username"),
        (USERS_SHEET, "D3", "missing_organisation"),
        (USERS_SHEET, "D4", "unknown_organisation"),
        (USERS_SHEET, "F5", "weak_password"),
    ]
    assert counts(store, world) == before
    assert store.db.read(lambda s: audit.entries(s, action="users.import")) == []
    marked = load_workbook(io.BytesIO(outcome.error_workbook))
    listed = [(row[0], row[3]) for row in marked[ERRORS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert listed == [(p.sheet, p.cell) for p in outcome.problems]


def test_a_user_of_a_broken_organisation_row_is_not_reported_twice(store, world):
    data = fill(
        [{"name": "", "credit_code": code(1), "region": "浙江"}],
        [
            {
                "username": "nb",
                "display_name": "联系人",
                "role": "申报单位",
                "organisation": code(1),
                "password": PASSWORD,
            }
        ],
    )

    outcome = user_imports.import_users(store, world.admin, data)

    assert [(p.sheet, p.cell, p.code) for p in outcome.problems] == [(ORGANISATIONS_SHEET, "A2", "blank")]


def test_import_is_for_administrators_only(store, world):
    data = fill([{"name": "新单位", "credit_code": code(1), "region": "浙江"}], [])

    with pytest.raises(AccessDenied):
        user_imports.import_users(store, world.reviewers[0], data)

    assert counts(store, world)[0] == 3
