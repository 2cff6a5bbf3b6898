"""Personal information on the pages: the export profile, the retention date, a person's own copy,
and an unexpected failure shown as an incident number instead of a traceback."""

from __future__ import annotations

import datetime as dt
import io
import json

from openpyxl import load_workbook
from sqlalchemy import select

from submissions import privacy, rounds
from submissions.models import AuditEntry
from tests.app.admin_ops.conftest import downloads, open_on_round, round_ids  # noqa: F401 - fixture

RESULTS = "app_pages/admin/results.py"
ROUNDS = "app_pages/admin/rounds.py"
ACCOUNT = "app_pages/account.py"


def logged_exports(store, action: str) -> list[dict]:
    rows = store.db.read(
        lambda s: s.scalars(select(AuditEntry.after).where(AuditEntry.action == action, AuditEntry.outcome == "ok"))
    )
    return [json.loads(r) for r in rows]


def test_results_page_exports_redacted_unless_a_full_export_is_chosen_with_a_purpose(pages, downloads):  # noqa: F811
    app = open_on_round(pages, RESULTS, "project_life")
    assert app.radio(key="pv_export_profile").value == "redacted"

    app.radio(key="pv_export_profile").set_value("full").run()
    app.button(key="rs_prepare_xlsx").click().run()
    assert any("请填写用途" in e.value for e in app.text)
    assert not app.get("download_button")
    assert logged_exports(pages.store, "export.ranking") == []

    app.text_input(key="pv_export_purpose").input("报送省工信厅备案").run()
    app.button(key="rs_prepare_xlsx").click().run()
    assert app.get("download_button")
    assert [(e["profile"], e["purpose"]) for e in logged_exports(pages.store, "export.ranking")] == [
        ("full", "报送省工信厅备案")
    ]


def test_admin_sets_a_rounds_retention_date_on_the_rounds_page(pages):
    round_id = round_ids(pages)["project_life"]
    app = open_on_round(pages, ROUNDS, "project_life")
    key = f"pv_retention_{round_id}"
    created = rounds.get_round(pages.store, pages.actor("admin"), round_id)
    assert app.date_input(key=key).value == created.retention_until

    app.date_input(key=key).set_value(dt.date(2032, 12, 31)).run()
    app.button(key=f"pv_retention_save_{round_id}").click().run()

    assert not app.exception
    assert rounds.get_round(pages.store, pages.actor("admin"), round_id).retention_until == dt.date(2032, 12, 31)
    assert any("2032-12-31" in s.value for s in app.success)


def test_every_user_downloads_a_copy_of_their_own_information_from_the_account_page(pages, downloads):  # noqa: F811
    for user in ("yunqi", "chensiyuan", "admin"):
        app = pages.open(ACCOUNT, user=user, lang="en")
        app.button(key="pv_prepare_my_data").click().run()

        data = downloads.of(app.get("download_button")[0])
        book = load_workbook(io.BytesIO(data), read_only=True)
        account = list(book["Account"].iter_rows(values_only=True))
        assert account[1][0] == user
        book.close()
    assert len(logged_exports(pages.store, "export.subject_access")) == 3


def test_an_unexpected_failure_shows_an_incident_number_and_no_details(pages, monkeypatch):
    monkeypatch.delenv("APP_DEBUG")

    def broken(*args, **kwargs):
        raise RuntimeError("connection to 10.0.0.5 failed: password=hunter2")

    monkeypatch.setattr(privacy, "subject_access_export", broken)
    app = pages.open(ACCOUNT, user="yunqi")
    app.button(key="pv_prepare_my_data").click().run()

    assert not app.exception
    assert not app.get("download_button")
    shown = " ".join(e.value for e in app.error)
    assert "事件编号" in shown
    page = " ".join(str(e.value) for e in app.get("markdown") + app.get("alert") + app.get("text") if e.value)
    assert "hunter2" not in page and "10.0.0.5" not in page
