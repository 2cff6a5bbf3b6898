"""What the users page and the accounts import need from the accounts service."""

from __future__ import annotations

import pytest

from rubrics.credit_code import check_character
from submissions import accounts
from submissions.errors import AccessDenied, SubmissionError
from tests.submissions.store.world import ORGANISATIONS, PASSWORD

GOOD_CODE = "91330100MA0000001" + check_character("91330100MA0000001")


def test_organisation_problems_reports_every_field_at_once():
    problems = accounts.organisation_problems(name=" ", credit_code="91330100MA000000X", region="")

    assert [(p.field, p.code) for p in problems] == [
        ("name", "bad_text"),
        ("region", "bad_text"),
        ("credit_code", "bad_credit_code"),
    ]
    assert problems[2].message_zh == "统一社会信用代码“91330100MA000000X”无效,请核对后重新填写。"


def test_organisation_problems_accepts_what_add_organisation_accepts(store, world):
    assert accounts.organisation_problems(name="示例单位", credit_code=GOOD_CODE.lower(), region="浙江") == []

    created = accounts.create_organisation(
        store, world.admin, name="示例单位", credit_code=GOOD_CODE.lower(), region="浙江"
    )

    assert created.credit_code == GOOD_CODE


def test_user_problems_reports_every_field_at_once():
    problems = accounts.user_problems(username="two words", display_name="", role="boss", password="short")

    assert [(p.field, p.code) for p in problems] == [
        ("role", "bad_role"),
        ("username", "bad_username"),
        ("display_name", "bad_text"),
        ("password", "weak_password"),
    ]
    assert accounts.user_problems(username="Li.Na", display_name="李娜", role="reviewer", password=PASSWORD) == []


def test_password_problems_follow_the_policy():
    assert [p.code for p in accounts.password_problems("aaaaaaaaaaaa")] == ["weak_password"]
    assert accounts.password_problems(PASSWORD) == []


def test_add_user_checks_like_create_user(store, world):
    def work(session):
        return accounts.add_user(
            session,
            store,
            world.admin,
            username="Reviewer1",
            display_name="重名",
            role="reviewer",
            password_hash=accounts.hashed(PASSWORD),
            organisation_id=None,
            region=None,
        )

    with pytest.raises(SubmissionError) as refused:
        store.db.write(work)

    assert [p.code for p in refused.value.problems] == ["duplicate_username"]


def test_organisation_ids_by_code_finds_registered_codes_only(store, world):
    codes = [o.credit_code for o in accounts.list_organisations(store, world.admin)]

    found = store.db.read(lambda s: accounts.organisation_ids_by_code(s, {codes[0], GOOD_CODE}))

    assert found == {codes[0]: world.organisation_ids[0]}
    assert store.db.read(lambda s: accounts.organisation_ids_by_code(s, set())) == {}


def test_user_directory_names_each_users_organisation(store, world):
    directory = accounts.user_directory(store, world.admin)

    assert directory["username"].tolist()[:4] == ["admin", "applicant1", "applicant2", "applicant3"]
    by_name = directory.set_index("username")
    assert by_name.loc["applicant2", "organisation"] == ORGANISATIONS[1][0]
    assert by_name.loc["reviewer1", "organisation"] == ORGANISATIONS[0][0]
    assert by_name.loc["reviewer2", "organisation"] is None
    assert by_name["active"].all()


def test_user_directory_is_for_administrators_only(store, world):
    with pytest.raises(AccessDenied):
        accounts.user_directory(store, world.applicants[0])
