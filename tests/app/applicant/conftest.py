"""Helpers for the applicant pages' tests: open a page as a demo applicant, read what it shows."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from submissions import applications
from ui.session import SignedIn, now

HOME = "app_pages/applicant/home.py"
APPLICATION = "app_pages/applicant/application.py"
SELF_ASSESSMENT = "app_pages/applicant/self_assessment.py"
RESULTS = "app_pages/applicant/results.py"
HOSTILE = "<script>alert(1)</script> [link](http://x) ![img](http://x) **bold** :red[x]"


def texts(app: AppTest) -> list[str]:
    return [element.value for element in app.text]


def markdown_sources(app: AppTest) -> list[str]:
    """Every element whose value Streamlit renders as markdown."""
    kinds = ("markdown", "caption", "title", "subheader", "header", "error", "warning", "info", "success")
    return [str(element.value) for kind in kinds for element in getattr(app, kind)]


@pytest.fixture
def open_page(pages):
    """The app (router) showing `page` for `user`, run once; `query` goes into the address.

    The router runs signed out first (the sign-in form registers every page and runs none of them),
    then signed in on `page`: `AppTest.switch_page` before a first run finds a page only when its url
    equals its file name, which is not so for self-assessment and results.
    """

    def run(page: str, user: str, *, lang: str = "zh", query: dict | None = None) -> AppTest:
        app = pages.open(None, user=None, lang=lang, query=query)
        moment = now()
        app.session_state["auth"] = SignedIn(pages.actor(user), moment, moment)
        return app.switch_page(page).run()

    return run


@pytest.fixture
def own(pages):
    """The demo applicant's applications as the service lists them, by reference."""

    def find(user: str) -> dict[str, applications.OwnApplication]:
        mine = applications.list_own_applications(pages.store, pages.actor(user))
        return {o.application.reference: o for o in mine}

    return find
