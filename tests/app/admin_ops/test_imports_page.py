"""The bulk import page: the applicant template, an all-or-nothing import, problems listed per cell."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from submissions import applications, exports, rounds
from submissions.excel.errors import WorkbookRejected
from submissions.imports import import_applications
from tests.app.admin_ops.conftest import open_on_round, round_ids
from tests.support.app_fixtures import unescaped
from tests.support.workbooks import fill, valid_row
from ui.messages import translator

IMPORTS = "app_pages/admin/imports.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
t = translator("zh")


def headers(data: bytes) -> list:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return list(next(sheet.iter_rows(values_only=True)))


def industry(pages):
    admin = pages.actor("admin")
    round_id = round_ids(pages)["project_industry"]
    return admin, round_id, rounds.round_rubric(pages.store, admin, round_id)


def upload(app, data: bytes, name: str = "applications.xlsx"):
    app.file_uploader(key="rs_import_file").upload(name, data, XLSX)
    app.run()
    return app.button(key="rs_import").click().run()


def test_the_template_download_is_the_rounds_applicant_template(pages, downloads):
    admin, round_id, _ = industry(pages)
    app = open_on_round(pages, IMPORTS, "project_industry")

    app.button(key="rs_prepare_template").click().run()

    data = downloads.of(app.get("download_button")[0])
    assert headers(data) == headers(exports.applicant_template(pages.store, admin, round_id))


def test_a_filled_template_creates_every_application(pages):
    admin, round_id, rubric = industry(pages)
    before = applications.list_applications(pages.store, admin, round_id)
    template = exports.applicant_template(pages.store, admin, round_id)
    workbook = fill(
        template, rubric, [valid_row(rubric, 0, title="导入项目甲"), valid_row(rubric, 1, title="导入项目乙")]
    )
    app = open_on_round(pages, IMPORTS, "project_industry")

    upload(app, workbook)

    after = applications.list_applications(pages.store, admin, round_id)
    new = [a for a in after if a.id not in {b.id for b in before}]
    assert app.success[0].value == t("rs_imported", count=2)
    assert sorted(a.title for a in new) == ["导入项目乙", "导入项目甲"]
    assert {a.status for a in new} == {"submitted"}
    assert next(d.value for d in app.dataframe)["reference"].tolist() == [a.reference for a in new]


def test_a_bad_workbook_creates_nothing_and_offers_the_marked_workbook(pages, downloads):
    admin, round_id, rubric = industry(pages)
    before = applications.list_applications(pages.store, admin, round_id)
    template = exports.applicant_template(pages.store, admin, round_id)
    rows = [valid_row(rubric, 0, title="好的项目"), valid_row(rubric, 1, region="火星", credit_code="12345")]
    workbook = fill(template, rubric, rows)
    expected = import_applications(pages.store, admin, round_id, workbook).problems
    app = open_on_round(pages, IMPORTS, "project_industry")

    upload(app, workbook)

    assert len(expected) >= 2
    assert app.error[0].value == t("rs_import_rejected", count=len(expected))
    problems = next(d.value for d in app.dataframe)
    assert problems["cell"].tolist() == [p.cell for p in expected]
    assert problems["problem"].tolist() == [p.message("zh") for p in expected]
    marked = downloads.of(app.get("download_button")[0])
    assert headers(marked)[: len(headers(workbook))] == headers(workbook)
    assert len(applications.list_applications(pages.store, admin, round_id)) == len(before)


def test_a_file_that_is_not_a_workbook_is_refused_as_a_whole(pages):
    admin, round_id, _ = industry(pages)
    before = applications.list_applications(pages.store, admin, round_id)
    app = open_on_round(pages, IMPORTS, "project_industry")

    upload(app, b"this is not a spreadsheet")

    with pytest.raises(WorkbookRejected) as refused:
        import_applications(pages.store, admin, round_id, b"this is not a spreadsheet")
    expected = refused.value.message("zh")
    assert unescaped(app.error[0].value) == expected
    assert not app.get("download_button")
    assert len(applications.list_applications(pages.store, admin, round_id)) == len(before)


def test_only_rounds_open_for_applications_are_offered(pages):
    app = open_on_round(pages, IMPORTS, "project_industry")

    assert len(app.selectbox(key="rs_imports_picker").options) == 1  # the industry round, the only open one
    assert app.session_state["rs_imports_picker"] == round_ids(pages)["project_industry"]
