"""Browser tests: real app servers (`streamlit run`) and Debian's chromium driven by Playwright.

Each test builds its world through the services in a fresh store, starts the servers it needs on
free ports and signs users in through the real sign-in form. Without /usr/bin/chromium the tests
skip with the reason printed, except under CI=true, where that is a failure (.ci/run installs it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from submissions.config import StoreConfig
from submissions.store import Store
from tests.e2e.browser import AppServer, screenshot
from tests.submissions.store.world import build_world
from tools.chromium import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture
def context_factory(browser, request):
    """New isolated browser contexts (separate cookies and sessions, like separate people).

    When the test fails, every open page is saved under test-artifacts/ as it was at the failure.
    """
    opened = []

    def new(viewport=(1400, 1000)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
        context.set_default_timeout(30_000)
        opened.append(context)
        return context.new_page()

    yield new
    if getattr(request.node, "call_failed", False):
        for number, context in enumerate(opened):
            for page in context.pages:
                screenshot(page, f"failed-{request.node.name}-{number}")
    for context in opened:
        context.close()


@pytest.fixture
def sqlite_world(tmp_path):
    """A fresh embedded store with the store tests' people (admin, applicant1-3, reviewer1-6)."""
    data = tmp_path / "data"
    store = Store(StoreConfig.for_directory(data))
    world = build_world(store)
    yield store, world, {"APP_DATA_DIR": str(data), "APP_DATABASE_URL": ""}
    store.close()


@pytest.fixture
def serve(tmp_path):
    """Start app servers with the given environment; every one is stopped after the test."""
    servers: list[AppServer] = []

    def start(env: dict[str, str]) -> AppServer:
        server = AppServer({k: v for k, v in env.items()}, tmp_path / f"server-{len(servers)}.log")
        servers.append(server)
        server.wait_healthy()
        return server

    yield start
    for server in servers:
        server.stop()
