"""The shell: sign-in, role-based menus, timeouts, sign-out and the per-session language."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from submissions import audit
from tests.support.app_fixtures import DEMO_PASSWORD
from ui.navigation import PAGES, pages_for


def sign_in(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    return app.button[0].click().run()


def test_signed_out_visitors_see_only_the_sign_in_form(pages):
    app = pages.open()

    assert not app.exception
    assert app.title[0].value == "信息消费示范评审系统"
    assert [w.label for w in app.text_input] == ["用户名", "密码"]


def test_sign_in_opens_the_role_default_page(pages):
    app = sign_in(pages.open(), "admin", DEMO_PASSWORD)

    assert not app.exception
    assert app.session_state["auth"].actor.role == "admin"
    assert app.title[0].value == "评审批次"


def test_empty_sign_in_says_what_is_missing(pages):
    app = sign_in(pages.open(lang="en"), "", "")

    assert app.error[0].value == "Enter your user name and password."


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", ["rounds", "assignment", "progress", "results", "imports", "users", "audit", "library", "account"]),
        ("reviewer", ["my-reviews", "score", "library", "account"]),
        ("applicant", ["my-applications", "application", "self-assessment", "my-results", "library", "account"]),
    ],
)
def test_each_role_gets_its_own_menu(role, expected):
    assert [spec.url for spec in pages_for(role)] == expected


@pytest.mark.parametrize(
    ("user", "title"), [("admin", "评审批次"), ("chensiyuan", "我的评审任务"), ("yunqi", "我的申报")]
)
def test_each_role_lands_on_its_first_page(pages, user, title):
    app = pages.open(user=user)

    assert not app.exception
    assert app.title[0].value == title


def test_a_page_outside_the_menu_does_not_run_through_the_router(pages):
    app = pages.open("app_pages/admin/users.py", user="yunqi")

    assert "用户与单位" not in [title.value for title in app.title]


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url)
def test_every_page_refuses_roles_it_is_not_for_and_logs_it(pages, spec):
    others = {"admin": "admin", "reviewer": "chensiyuan", "applicant": "yunqi"}
    for role, user in others.items():
        if role in spec.roles:
            continue
        app = pages.direct(spec.path, user=user)

        assert not app.exception
        assert [e.value for e in app.error] == ["您没有权限访问此页面。"]
        assert not app.title
    anonymous = pages.direct(spec.path)
    assert [e.value for e in anonymous.error] == ["您没有权限访问此页面。"]
    denied = pages.store.db.read(lambda s: audit.entries(s, action="page.open", outcome="denied"))
    assert {entry.target_id for entry in denied} == {spec.url}
    assert len(denied) == 1 + sum(role not in spec.roles for role in others)


def test_languages_are_per_session(pages):
    chinese = pages.open(user="admin", lang="zh")
    english = pages.open(user="admin", lang="en")

    assert chinese.title[0].value == "评审批次"
    assert english.title[0].value == "Review rounds"


def test_the_language_chosen_in_the_sidebar_survives_a_page_switch(pages):
    app = pages.open(user="admin")
    app.sidebar.radio[0].set_value("en").run()
    assert app.title[0].value == "Review rounds"

    app.switch_page("app_pages/admin/audit.py").run()

    assert app.title[0].value == "Audit log"
    assert app.sidebar.radio[0].value == "en"
