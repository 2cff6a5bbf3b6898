"""Sessions: the idle (30 min) and absolute (8 h) timeouts, sign-out that ends the session for every
later call, login backoff, and one message for every failed sign-in (unknown user, wrong password,
disabled account, throttled name) in both languages, from the service and on the sign-in form.
Timing is deliberately not asserted.
"""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from submissions import accounts, applications, audit, rounds
from submissions.access import SESSION_LIFETIME, Actor
from submissions.errors import LoginFailed
from submissions.models import LoginThrottle
from submissions.store import Store
from tests.security.access_probes import (
    PAGE_DENIED_ZH,
    errors_of,
    last_entry,
    one_denial,
    reads_as_not_found,
    refusal_of,
    run_direct,
)
from tests.submissions.store.world import PASSWORD
from tests.support.app_fixtures import DEMO_PASSWORD
from ui.session import ABSOLUTE_LIMIT_SECONDS, IDLE_LIMIT_SECONDS, SignedIn, now

FAILED = {
    "zh": "用户名或密码不正确,或尝试次数过多;请稍后再试。",
    "en": "Wrong user name or password, or too many attempts; try again later.",
}


def _acts(store: Store, actor: Actor) -> object:
    """One ordinary call any signed-in applicant makes."""
    return applications.list_own_applications(store, actor)


# -- a session that has ended cannot act ----------------------------------------------------------------


@pytest.mark.parametrize("reason", ["user", "idle", "absolute"])
def test_ended_session_cannot_act_again_and_each_attempt_is_logged(store, world, reason):
    actor = accounts.login(store, "applicant1", PASSWORD)
    _acts(store, actor)
    accounts.logout(store, actor, reason=reason)
    calls = {
        "application.list": lambda: _acts(store, actor),
        "round.list": lambda: rounds.list_rounds(store, actor),
        "user.password": lambda: accounts.change_password(store, actor, current=PASSWORD, new="a brand new passphrase"),
    }

    for action, call in calls.items():
        last = last_entry(store)
        reads_as_not_found(refusal_of(call))
        logged = one_denial(store, last)
        assert (logged.actor_id, logged.action) == (actor.user_id, action)
    again = accounts.login(store, "applicant1", PASSWORD)
    assert again.session != actor.session
    _acts(store, again)


def test_session_reaching_eight_hours_is_refused_by_the_services_themselves(store, world, clock):
    actor = accounts.login(store, "applicant1", PASSWORD)
    clock.advance(seconds=SESSION_LIFETIME.total_seconds() - 1)
    _acts(store, actor)
    clock.advance(seconds=1)
    last = last_entry(store)

    reads_as_not_found(refusal_of(lambda: _acts(store, actor)))

    assert one_denial(store, last).action == "application.list"


def test_session_id_of_another_users_sign_in_is_refused(store, world):
    theirs = accounts.login(store, "applicant1", PASSWORD)
    mine = accounts.login(store, "applicant2", PASSWORD)
    borrowed = Actor(
        mine.user_id, mine.username, mine.display_name, mine.role, mine.organisation_id, mine.region, theirs.session
    )

    reads_as_not_found(refusal_of(lambda: _acts(store, borrowed)))
    _acts(store, mine)


# -- login: one message for every failure, and backoff ----------------------------------------------------


def _failure(store: Store, username: str, password: str) -> LoginFailed:
    with pytest.raises(LoginFailed) as failed:
        accounts.login(store, username, password)
    return failed.value


def test_every_failed_sign_in_reads_the_same_in_both_languages_and_is_logged(store, world):
    accounts.set_active(store, world.admin, world.applicants[2].user_id, active=False)
    for _ in range(accounts.FREE_FAILURES):
        _failure(store, "applicant2", "guess guess guess")
    causes = {
        "unknown user": ("nobody-at-all", PASSWORD),
        "wrong password": ("applicant1", "not the password"),
        "disabled account": ("applicant3", PASSWORD),
        "throttled name, right password": ("applicant2", PASSWORD),
        "empty password": ("applicant1", ""),
        "unknown user, blank name": ("   ", PASSWORD),
    }

    for cause, (username, password) in causes.items():
        last = last_entry(store)
        failure = _failure(store, username, password)
        logged = one_denial(store, last)
        assert (failure.code, failure.message("zh"), failure.message("en"), str(failure)) == (
            "login_failed",
            FAILED["zh"],
            FAILED["en"],
            FAILED["en"],
        ), cause
        assert (logged.action, logged.actor_id, logged.actor) == ("login", None, "system"), cause


def test_disabled_account_cannot_sign_in_and_its_open_session_cannot_act(store, world):
    actor = accounts.login(store, "applicant3", PASSWORD)
    accounts.set_active(store, world.admin, actor.user_id, active=False)

    _failure(store, "applicant3", PASSWORD)
    reads_as_not_found(
        refusal_of(lambda: accounts.change_password(store, actor, current=PASSWORD, new="a brand new passphrase"))
    )


def test_repeated_failures_block_even_the_right_password_until_the_backoff_ends(store, world, clock):
    for _ in range(accounts.FREE_FAILURES):
        _failure(store, "applicant1", "guess guess guess")

    blocked = _failure(store, "applicant1", PASSWORD)
    clock.advance(seconds=accounts.FIRST_BLOCK.total_seconds() - 1)
    still_blocked = _failure(store, "applicant1", PASSWORD)
    clock.advance(seconds=1)
    actor = accounts.login(store, "applicant1", PASSWORD)

    assert blocked.message("zh") == still_blocked.message("zh") == FAILED["zh"]
    assert actor == world.applicants[0]


def test_each_failure_past_the_free_ones_doubles_the_block_up_to_fifteen_minutes(store, world, clock):
    blocks = []
    for _ in range(accounts.FREE_FAILURES + 8):
        _failure(store, "applicant1", "guess guess guess")
        throttle = store.db.read(lambda s: s.get(LoginThrottle, "applicant1"))
        blocks.append(None if throttle.blocked_until is None else throttle.blocked_until - clock.now)
        if throttle.blocked_until is not None:
            clock.now = throttle.blocked_until  # wait it out, so the next failure counts

    seconds = [None if b is None else int(b.total_seconds()) for b in blocks]
    assert seconds == [None] * (accounts.FREE_FAILURES - 1) + [30, 60, 120, 240, 480, 900, 900, 900, 900]


def test_unknown_names_are_throttled_like_real_ones(store, world):
    for _ in range(accounts.FREE_FAILURES + 1):
        _failure(store, "ghost", "guess guess guess")

    throttle = store.db.read(lambda s: s.get(LoginThrottle, "ghost"))
    assert throttle.failures == accounts.FREE_FAILURES  # the attempt made while blocked does not count
    assert throttle.blocked_until is not None


def test_names_are_throttled_whatever_their_case_or_width(store, world):
    for name in ["Applicant1", "APPLICANT1", "ａｐｐｌｉｃａｎｔ１", " applicant1 ", "applicant1"]:
        _failure(store, name, "guess guess guess")

    _failure(store, "applicant1", PASSWORD)
    assert store.db.read(lambda s: s.get(LoginThrottle, "applicant1")).failures == accounts.FREE_FAILURES


# -- on the sign-in form (demo database) -------------------------------------------------------------------


def sign_in(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    return app.button[0].click().run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sign_in_form_says_the_same_for_every_failure(pages, lang):
    accounts.set_active(pages.store, pages.actor("admin"), pages.actor("minjiang").user_id, active=False)
    for _ in range(accounts.FREE_FAILURES):
        _fail_login(pages.store, "qianfan")
    causes = {
        "unknown user": ("nobody-here", DEMO_PASSWORD),
        "wrong password": ("yunqi", "not the password"),
        "disabled account": ("minjiang", DEMO_PASSWORD),
        "throttled name": ("qianfan", DEMO_PASSWORD),
    }

    shown = {}
    for cause, (username, password) in causes.items():
        app = sign_in(pages.open(lang=lang), username, password)
        assert "auth" not in app.session_state, cause
        shown[cause] = errors_of(app)

    assert shown == {cause: [FAILED[lang]] for cause in causes}


def _fail_login(store: Store, username: str) -> None:
    with pytest.raises(LoginFailed):
        accounts.login(store, username, "guess guess guess")


def test_sign_in_form_keeps_refusing_the_right_password_while_the_name_is_blocked(pages):
    app = pages.open(lang="en")
    for _ in range(accounts.FREE_FAILURES):
        app = sign_in(app, "yunqi", "guess guess guess")

    app = sign_in(app, "yunqi", DEMO_PASSWORD)

    assert errors_of(app) == [FAILED["en"]]
    assert "auth" not in app.session_state


# -- timeouts and sign-out in the app ----------------------------------------------------------------------


def _signed_in_through_the_form(pages, username: str, lang: str = "zh") -> AppTest:
    app = sign_in(pages.open(lang=lang), username, DEMO_PASSWORD)
    assert app.session_state["auth"].actor.session is not None
    return app


@pytest.mark.parametrize(
    ("started_ago", "idle_for", "reason", "notice"),
    [
        (60, IDLE_LIMIT_SECONDS, "idle", "您已超过 30 分钟未操作,为保护数据已自动退出,请重新登录。"),
        (ABSOLUTE_LIMIT_SECONDS, 10, "absolute", "登录已超过 8 小时,为保护数据已自动退出,请重新登录。"),
    ],
)
def test_timed_out_session_ends_with_a_notice_an_audit_entry_and_no_more_service_calls(
    pages, started_ago, idle_for, reason, notice
):
    app = _signed_in_through_the_form(pages, "yunqi")
    actor = app.session_state["auth"].actor
    moment = now()
    app.session_state["auth"] = SignedIn(actor, moment - started_ago, moment - idle_for)

    app.run()

    assert "auth" not in app.session_state
    assert [w.value for w in app.warning] == [notice]
    logged = pages.store.db.read(lambda s: audit.entries(s, action="logout"))
    assert (logged[0].actor_id, logged[0].target_type, logged[0].target_id, logged[0].after) == (
        actor.user_id,
        "session",
        str(actor.session),
        {"reason": reason},
    )
    reads_as_not_found(refusal_of(lambda: _acts(pages.store, actor)))


def test_activity_inside_the_limits_keeps_the_session(pages):
    app = _signed_in_through_the_form(pages, "yunqi")
    signed = app.session_state["auth"]
    moment = now()
    app.session_state["auth"] = SignedIn(
        signed.actor, moment - ABSOLUTE_LIMIT_SECONDS + 60, moment - IDLE_LIMIT_SECONDS + 60
    )

    app.run()

    assert app.session_state["auth"].last_seen >= moment
    assert not app.warning


def test_signed_out_page_state_brought_back_acts_no_more(pages):
    app = _signed_in_through_the_form(pages, "yunqi", lang="en")
    kept = app.session_state["auth"]

    app.sidebar.button[0].click().run()

    assert "auth" not in app.session_state
    assert app.session_state["lang"] == "en"
    assert app.success[0].value == "You have signed out."
    last = last_entry(pages.store)
    reads_as_not_found(refusal_of(lambda: _acts(pages.store, kept.actor)))
    assert one_denial(pages.store, last).actor_id == kept.actor.user_id
    app.session_state["auth"] = SignedIn(kept.actor, now(), now())  # the old state, made to look fresh
    app.run()
    assert "auth" not in app.session_state
    assert [w.label for w in app.text_input] == ["User name", "Password"]
    direct = run_direct("app_pages/applicant/home.py", kept.actor)
    assert errors_of(direct) == [PAGE_DENIED_ZH]
    assert not direct.dataframe


def test_sign_out_writes_one_entry_naming_the_session(pages):
    app = _signed_in_through_the_form(pages, "chensiyuan")
    actor = app.session_state["auth"].actor
    last = last_entry(pages.store)

    app.sidebar.button[0].click().run()

    written = pages.store.db.read(lambda s: audit.entries(s, action="logout"))
    assert [(e.id > last, e.actor_id, e.target_id, e.after) for e in written] == [
        (True, actor.user_id, str(actor.session), {"reason": "user"})
    ]


def test_the_session_limits_are_thirty_minutes_idle_and_eight_hours_in_all():
    assert (IDLE_LIMIT_SECONDS, ABSOLUTE_LIMIT_SECONDS) == (30 * 60, 8 * 60 * 60)
    assert dt.timedelta(seconds=ABSOLUTE_LIMIT_SECONDS) == SESSION_LIFETIME
