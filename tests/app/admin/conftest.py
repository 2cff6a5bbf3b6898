"""What the admin page tests share: the bytes behind a download button, and the pages as the admin."""

from __future__ import annotations

import posixpath

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import app_test


class _KeptMedia(MemoryMediaFileStorage):
    """The app test's media storage, remembering every file it was given (AppTest drops its storage)."""

    kept: dict[str, bytes]

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None) -> str:
        file_id = super().load_and_get_id(path_or_data, mimetype, kind, filename)
        self.kept[file_id] = self.get_file(file_id).content
        return file_id


class Downloads:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def bytes_of(self, button) -> bytes:
        """The file a download button offers, as the browser would receive it."""
        file_id = posixpath.splitext(posixpath.basename(button.proto.url))[0]
        return self.files[file_id]


@pytest.fixture
def downloads(monkeypatch) -> Downloads:
    found = Downloads()

    class Storage(_KeptMedia):
        kept = found.files

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Storage)
    return found


UNTRUSTED = "<script>alert(1)</script> [link](http://x) ![img](http://x)"
