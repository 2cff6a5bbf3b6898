"""Shared by the administrator review-operation page tests: the demo rounds by rubric, and what a
download button would hand the browser."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from submissions import rounds
from tests.support.app_fixtures import APP
from ui.session import SignedIn, now
from ui.widgets import CURRENT_ROUND_KEY


def round_ids(pages) -> dict[str, int]:
    """Demo round ids by rubric id (life published, public service closed, city under review, ...)."""
    return {r.rubric_id: r.id for r in rounds.list_rounds(pages.store, pages.actor("admin"))}


def open_on_round(pages, path: str, rubric_id: str, *, lang: str = "zh", user: str = "admin") -> AppTest:
    """The app showing `path` as `user`, with the demo round of `rubric_id` already chosen (the round
    picker starts from the round remembered in the session, as after a visit to another page)."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["lang"] = lang
    moment = now()
    app.session_state["auth"] = SignedIn(pages.actor(user), moment, moment)
    app.session_state[CURRENT_ROUND_KEY] = round_ids(pages)[rubric_id]
    app.switch_page(path)
    return app.run()


class Downloads:
    """Bytes registered with Streamlit's media store during the test, by file id."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def of(self, button) -> bytes:
        """The bytes a rendered download button serves (its URL ends with the file id)."""
        return self.files[PurePosixPath(button.proto.url).stem]


@pytest.fixture
def downloads(monkeypatch) -> Downloads:
    """Records every file the page registers for download (AppTest discards its media store after a run)."""
    seen = Downloads()
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        if isinstance(path_or_data, bytes):
            seen.files[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return seen
