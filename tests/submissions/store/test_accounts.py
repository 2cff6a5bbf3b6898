"""Accounts: argon2id hashes, identical login failures, per-name backoff, validated organisations."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from submissions import accounts
from submissions.errors import AccessDenied, LoginFailed, SubmissionError
from submissions.models import User
from tests.submissions.store.world import PASSWORD


def test_login_returns_the_users_actor(store, world):
    actor = accounts.login(store, "Reviewer2", PASSWORD)

    assert actor == world.reviewers[1]


def test_password_hash_is_argon2id_at_owasp_cost_or_above(store, world):
    stored = store.db.read(lambda s: s.get(User, world.admin.user_id).password_hash)
    parameters = extract_parameters(stored)

    assert stored.startswith("$argon2id$")
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2
    assert PASSWORD not in stored


def test_successful_login_clears_the_failure_count(store, world):
    with pytest.raises(LoginFailed):
        accounts.login(store, "admin", "guess guess guess")
    accounts.login(store, "admin", PASSWORD)

    from submissions.models import LoginThrottle

    assert store.db.read(lambda s: s.get(LoginThrottle, "admin")) is None


def test_organisation_with_wrong_check_character_is_refused(store, world):
    with pytest.raises(SubmissionError) as error:
        accounts.create_organisation(
            store, world.admin, name="测试单位", credit_code="91440300MA5FXXXX0X", region="广东"
        )

    assert error.value.problems[0].field == "credit_code"
    assert len(accounts.list_organisations(store, world.admin)) == len(world.organisation_ids)


def test_duplicate_user_name_is_refused_whatever_its_case(store, world):
    with pytest.raises(SubmissionError) as error:
        accounts.create_user(
            store, world.admin, username="ADMIN", display_name="另一个管理员", role="admin", password=PASSWORD
        )

    assert error.value.problems[0].code == "duplicate_username"


def test_short_password_is_refused_with_the_rule(store, world):
    with pytest.raises(SubmissionError) as error:
        accounts.create_user(
            store, world.admin, username="newreviewer", display_name="新专家", role="reviewer", password="short"
        )

    assert error.value.problems[0].code == "weak_password"
    assert "10" in error.value.problems[0].message_zh


def test_only_admins_create_users(store, world):
    with pytest.raises(AccessDenied):
        accounts.create_user(
            store,
            world.reviewers[0],
            username="sneaky",
            display_name="越权用户",
            role="admin",
            password=PASSWORD,
        )


def test_bootstrap_is_refused_once_users_exist(store, world):
    with pytest.raises(SubmissionError):
        accounts.bootstrap_admin(store, username="second", display_name="第二管理员", password=PASSWORD)
