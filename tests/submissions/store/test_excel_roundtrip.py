"""Excel through the store: template → fill → import, offline review sheets, the ranking workbook."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from rubrics.loader import load_rubric
from submissions import applications, audit, exports, imports, ranking, reviews, rounds
from submissions.errors import AccessDenied
from submissions.excel.errors import WorkbookRejected
from submissions.excel.panel import panel_columns
from tests.submissions.store.scenario import (
    assigned_pairs,
    open_round,
    reviewer_actor,
    round_under_review,
    score_everything,
    submit_application,
)
from tests.support.workbooks import fill, valid_row

RUBRIC = load_rubric("project_life")


def filled_workbook(store, world, round_id, rows):
    template = exports.applicant_template(store, world.admin, round_id)
    return fill(template, RUBRIC, rows)


def test_template_filled_and_imported_gives_the_same_applications(store, world):
    round_ = open_round(store, world)
    rows = [valid_row(RUBRIC, n) for n in range(4)]

    outcome = imports.import_applications(store, world.admin, round_.id, filled_workbook(store, world, round_.id, rows))

    assert outcome.ok
    assert outcome.imported == 4
    stored = applications.list_applications(store, world.admin, round_.id)
    assert [a.title for a in stored] == [r["title"] for r in rows]
    assert {a.status for a in stored} == {"submitted"}
    assert [a.credit_code for a in stored] == [r["credit_code"] for r in rows]
    first = applications.get_application(store, world.admin, stored[0].id)
    assert first.indicators == {i.id: rows[0][f"indicators.{i.id}"] for i in RUBRIC.indicators}


def test_import_with_bad_cells_imports_nothing_and_marks_every_cell(store, world):
    round_ = open_round(store, world)
    rows = [
        valid_row(RUBRIC, 0),
        valid_row(RUBRIC, 1, **{"indicators.business_growth": "很多"}),
        valid_row(RUBRIC, 2, region="火星", credit_code="91440300MA5FXXXX0X"),
    ]

    outcome = imports.import_applications(store, world.admin, round_.id, filled_workbook(store, world, round_.id, rows))

    assert outcome.imported == 0
    assert {(p.row, p.field) for p in outcome.problems} >= {
        (3, "indicators.business_growth"),
        (4, "region"),
        (4, "credit_code"),
    }
    assert applications.list_applications(store, world.admin, round_.id) == []
    report = load_workbook(io.BytesIO(outcome.error_workbook))
    assert len(report.sheetnames) >= 2


def test_hostile_workbook_is_refused_before_anything_is_read(store, world):
    round_ = open_round(store, world)

    with pytest.raises(WorkbookRejected) as refusal:
        imports.import_applications(store, world.admin, round_.id, b"MZ\x90\x00 this is not a workbook" * 10)

    assert refusal.value.message("zh")
    assert applications.list_applications(store, world.admin, round_.id) == []


def test_only_admins_import_applications(store, world):
    round_ = open_round(store, world)
    data = filled_workbook(store, world, round_.id, [valid_row(RUBRIC, 0)])

    with pytest.raises(AccessDenied):
        imports.import_applications(store, world.applicants[0], round_.id, data)


def test_exported_ranking_read_back_equals_the_ranking(store, world):
    round_, _ = round_under_review(store, world, per_applicant=2)
    score_everything(store, world, round_.id)
    result = ranking.rank_round(store, world.admin, round_.id)

    data = exports.ranking_export(store, world.admin, round_.id)

    sheet = list(load_workbook(io.BytesIO(data), read_only=True)["排名 Ranking"].iter_rows(values_only=True))
    column = {h.split("\n")[1]: i for i, h in enumerate(sheet[0])}
    read_back = {r[column["Application ref"]]: (r[column["Rank"]], r[column["Total"]]) for r in sheet[1:]}
    expected = {
        row["application_id"]: (int(row["rank"]), float(row["total"])) for _, row in result.evaluation.table.iterrows()
    }
    assert read_back == expected
    logged = store.db.read(lambda s: audit.entries(s, action="export.ranking"))
    assert len(logged) == 1


def test_formula_looking_title_stays_text_in_every_sheet(store, world):
    round_ = open_round(store, world, reviewers_per_application=2)
    submit_application(store, world, round_.id, 0, title='=HYPERLINK("http://evil.example","点击")')
    from submissions import assignments

    assignments.apply_assignment(store, world.admin, round_.id, seed=0)
    current = rounds.get_round(store, world.admin, round_.id)
    rounds.advance(store, world.admin, round_.id, to_state="under_review", seen_version=current.version)

    data = exports.ranking_export(store, world.admin, round_.id)
    csv_text = exports.ranking_export(store, world.admin, round_.id, kind="csv").decode("utf-8-sig")

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        assert not any(re.search(rb"<f[ >]", archive.read(n)) for n in sheets)
    assert "'=HYPERLINK" in csv_text


def test_offline_review_sheet_round_trip_saves_drafts(store, world):
    round_, _ = round_under_review(store, world, per_applicant=1)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    reviewer = reviewer_actor(world, reviewer_id)
    template = exports.reviewer_template(store, reviewer, round_.id)
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    position = {c.field: i for i, c in enumerate(panel_columns(RUBRIC), start=1)}
    reference = applications.get_application(store, reviewer, app_id).reference
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == reference)
    sheet.cell(row=row, column=position["entries.market_prospect.points"]).value = 8.5
    buffer = io.BytesIO()
    workbook.save(buffer)

    outcome = reviews.upload_offline(store, reviewer, round_.id, buffer.getvalue())

    assert outcome.ok
    saved = reviews.get_sheet(store, reviewer, app_id)
    assert saved.status == "draft"
    assert saved.entries["market_prospect"].points == Decimal("8.5")


def test_offline_review_sheet_with_points_out_of_range_saves_nothing(store, world):
    round_, _ = round_under_review(store, world, per_applicant=1)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    reviewer = reviewer_actor(world, reviewer_id)
    workbook = load_workbook(io.BytesIO(exports.reviewer_template(store, reviewer, round_.id)))
    sheet = workbook.worksheets[0]
    position = {c.field: i for i, c in enumerate(panel_columns(RUBRIC), start=1)}
    sheet.cell(row=2, column=position["entries.market_prospect.points"]).value = 99
    buffer = io.BytesIO()
    workbook.save(buffer)

    outcome = reviews.upload_offline(store, reviewer, round_.id, buffer.getvalue())

    assert not outcome.ok
    assert (outcome.problems[0].field, outcome.problems[0].cell) == ("entries.market_prospect.points", "E2")
    assert reviews.get_sheet(store, reviewer, app_id).status == "new"
