"""App tests run against a private embedded database, never the developer's ./data."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def app_data_dir(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setenv("APP_DATA_DIR", str(tmp_path_factory.mktemp("app-data")))
    patch.delenv("APP_DATABASE_URL", raising=False)
    yield
    patch.undo()
