"""App tests run against a private copy of the demo database, never the developer's ./data.

The demo is built once per test session in a template folder (`python -m submissions.demo`, the
same command `make run` uses); every test gets its own copy, so a test that saves changes nothing
for the next one. `pages` opens the app (or one page file directly) as a given demo user.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from submissions import accounts
from submissions.access import Actor
from submissions.models import User
from submissions.store import Store
from ui.navigation import PAGES
from ui.session import SignedIn, now
from ui.store import get_store

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
DEMO_PASSWORD = "demo-password-app-tests"
_URLS = {spec.path: spec.url for spec in PAGES}


@pytest.fixture(autouse=True, scope="session")
def app_data_dir(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setenv("APP_DATA_DIR", str(tmp_path_factory.mktemp("app-data")))
    patch.setenv("APP_DEBUG", "1")  # a page failure must fail the test, not become a polite message
    patch.delenv("APP_DATABASE_URL", raising=False)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("demo-template")
    env = {**os.environ, "APP_DATA_DIR": str(target), "APP_DEMO_PASSWORD": DEMO_PASSWORD}
    env.pop("APP_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "submissions.demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    return target


_ESCAPE = re.compile(r"\\(.)")


def unescaped(markdown: str) -> str:
    """What `ui.text.escaped` markdown source reads as on screen (escapes removed, RATIO back to a colon)."""
    return _ESCAPE.sub(r"\1", markdown).replace("\u2236", ":")


class Pages:
    """Opens pages of the app as a demo user, on this test's own copy of the demo store."""

    def __init__(self, store: Store):
        self.store = store

    def actor(self, username: str) -> Actor:
        def work(session):
            user = session.scalar(select(User).where(User.username == username))
            assert user is not None, f"no demo user {username!r}"
            return accounts.actor_of(user)

        return self.store.db.read(work)

    def _prepare(self, app: AppTest, user: str | None, lang: str, query: dict | None) -> AppTest:
        app.session_state["lang"] = lang
        if user is not None:
            moment = now()
            app.session_state["auth"] = SignedIn(self.actor(user), moment, moment)
        for key, value in (query or {}).items():
            app.query_params[key] = str(value)
        return app

    def open(self, path: str | None = None, *, user: str | None = None, lang: str = "zh", query=None) -> AppTest:
        """The whole app (router included) showing `path`, run once."""
        app = self._prepare(AppTest.from_file(APP, default_timeout=60), user, lang, query)
        if path is not None:
            if Path(path).stem != _URLS.get(path):
                app.run()  # before a first run AppTest finds pages by file name, not by their url
            app.switch_page(path)
        return app.run()

    def direct(self, path: str, *, user: str | None = None, lang: str = "zh", query=None) -> AppTest:
        """One page file run on its own, as a URL typed past the menu would reach it."""
        app = self._prepare(AppTest.from_file(str(ROOT / path), default_timeout=60), user, lang, query)
        return app.run()


@pytest.fixture
def app_store(demo_template, tmp_path, monkeypatch) -> Store:
    data = tmp_path / "data"
    shutil.copytree(demo_template, data)
    monkeypatch.setenv("APP_DATA_DIR", str(data))
    get_store.clear()
    store = Store.open()
    yield store
    store.close()
    get_store.clear()


@pytest.fixture
def pages(app_store) -> Pages:
    return Pages(app_store)
