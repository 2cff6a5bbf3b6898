"""The files a page's download buttons hand to the browser, static and deferred alike.

`downloads` records what every `st.download_button` registers with Streamlit's media manager
(bytes, or a callable run when the button is clicked) under the id the button carries, so a test
reads back exactly what a user would receive: `downloads.served(button) -> (file name, bytes)`.
Import `downloads_fixture` into a test module to use the fixture `downloads`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager


@dataclass
class Downloads:
    files: dict[str, tuple[str | None, Callable[[], object]]] = field(default_factory=dict)

    def served(self, button) -> tuple[str | None, bytes]:
        proto = button.proto
        key = proto.deferred_file_id or proto.url
        name, produce = self.files[key]
        data = produce()
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif isinstance(data, io.IOBase):
            data = data.read()
        return name, bytes(data)


@pytest.fixture(name="downloads")
def downloads_fixture(monkeypatch) -> Downloads:
    found = Downloads()
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def spy_add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        url = add(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)
        found.files[url] = (file_name, lambda: path_or_data)
        return url

    def spy_deferred(self, data_callable, mimetype, coordinates, file_name=None, *, element_id=""):
        file_id = add_deferred(self, data_callable, mimetype, coordinates, file_name, element_id=element_id)
        found.files[file_id] = (file_name, data_callable)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add", spy_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", spy_deferred)
    return found
