"""The server configuration the app ships with (.streamlit/config.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from submissions.config import MAX_ATTACHMENT_BYTES, MAX_WORKBOOK_BYTES

CONFIG = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())


def test_server_runs_headless_with_xsrf_protection():
    assert CONFIG["server"]["headless"] is True
    assert CONFIG["server"]["enableXsrfProtection"] is True


def test_upload_limit_matches_what_the_store_accepts():
    assert CONFIG["server"]["maxUploadSize"] * 1024 * 1024 == max(MAX_ATTACHMENT_BYTES, MAX_WORKBOOK_BYTES)


def test_usage_statistics_are_off():
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_no_cookie_secret_is_committed():
    # Each deployment sets STREAMLIT_SERVER_COOKIE_SECRET, the same on every server behind one balancer.
    assert "cookieSecret" not in CONFIG["server"]


def test_error_details_are_never_shown_to_users():
    # An unexpected exception becomes an incident number in the page (app.py); Streamlit itself must
    # not print the exception or its traceback either.
    assert CONFIG["client"]["showErrorDetails"] == "none"
