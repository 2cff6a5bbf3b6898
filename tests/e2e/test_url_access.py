"""An applicant cannot open another organisation's application by typing its address."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.browser import screenshot, settle
from tests.submissions.store.scenario import open_round, submit_application
from tests.submissions.store.world import PASSWORD

DENIED = "找不到该记录,或您没有权限进行此操作。"


def test_applicant_cannot_open_another_organisations_application_by_url(sqlite_world, serve, context_factory):
    store, world, env = sqlite_world
    opened = open_round(store, world)
    theirs = submit_application(store, world, opened.id, 0, title="星河智慧家庭秘密方案")
    mine = submit_application(store, world, opened.id, 1, title="江城健康养老服务平台")
    server = serve(env)
    page = context_factory()

    # A deep link survives the sign-in form: the address is kept and the page runs after sign-in.
    page.goto(f"{server.url}/application?id={theirs.id}")
    settle(page)
    page.get_by_label("用户名").fill(world.applicants[1].username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_text(DENIED)).to_be_visible()
    settle(page)
    assert "星河智慧家庭秘密方案" not in page.content()
    assert theirs.reference not in page.content()
    screenshot(page, "applicant-denied-by-url")

    page.goto(f"{server.url}/application?id={mine.id}")
    settle(page)
    page.get_by_label("用户名").fill(world.applicants[1].username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(mine.reference).first).to_be_visible()
