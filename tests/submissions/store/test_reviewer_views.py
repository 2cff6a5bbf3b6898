"""What the reviewer pages read: declared conflicts, offline uploads, and pure views of sheets and deadlines."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from rubrics.loader import load_rubric
from submissions import audit, exports, reviews, rounds
from submissions.errors import AccessDenied
from submissions.excel.panel import panel_columns
from submissions.reviews import AssignmentView, Entry, PanelEntry
from tests.submissions.store.scenario import assigned_pairs, full_entries, reviewer_actor, round_under_review

CITY = load_rubric("city_comprehensive")
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def assignment(app_id: int, status: str) -> AssignmentView:
    return AssignmentView(1, app_id, f"R1-{app_id:05d}", "t", "o", "c", "r", status, 0, None, {})


# -- pure views ----------------------------------------------------------------------------------


def test_time_left_rounds_down_to_the_minute():
    deadline = NOW + dt.timedelta(days=2, hours=3, minutes=4, seconds=59)

    assert reviews.time_left(deadline, NOW) == reviews.TimeLeft(2, 3, 4, False)


@pytest.mark.parametrize("after", [dt.timedelta(0), dt.timedelta(seconds=1), dt.timedelta(days=3)])
def test_time_left_at_or_after_the_deadline_is_passed(after):
    assert reviews.time_left(NOW, NOW + after) == reviews.TimeLeft(0, 0, 0, True)


def test_time_left_without_a_deadline_is_none():
    assert reviews.time_left(None, NOW) is None


def test_level_ranges_are_in_points_best_first():
    ranges = reviews.level_ranges(CITY.criterion("livelihood_applications"))  # max 7

    assert [(r.grade, r.low, r.high) for r in ranges] == [
        ("优", Decimal("5.95"), Decimal("7")),
        ("良", Decimal("4.9"), Decimal("5.95")),
        ("中", Decimal("3.5"), Decimal("4.9")),
        ("差", Decimal("0"), Decimal("3.5")),
    ]
    assert ranges[1].descriptor("en") == "Well argued with good evidence"
    assert ranges[1].descriptor("zh") == "论证较充分、证据较好"


@pytest.mark.parametrize(
    ("points", "grade"), [("7", "优"), ("5.95", "优"), ("5.5", "良"), ("4.9", "良"), ("0", "差"), (None, None)]
)
def test_level_of_gives_a_shared_bound_to_the_higher_level(points, grade):
    level = reviews.level_of(CITY.criterion("livelihood_applications"), None if points is None else Decimal(points))

    assert (level.grade if level else None) == grade


def test_computed_points_follow_each_formula_and_skip_missing_values():
    indicators = {"info_consumption_growth": 9.2, "village_fibre_4g_rate": 96.8, "urban_access_mbps": True}

    points = reviews.computed_points(CITY, indicators)

    # 9.2 % of an 11 % target on 10 points; 96.8 % between 80 % and 98 % on 5 points; 9.2 % of 15 % → 0 bonus.
    assert points == {
        "consumption_growth_score": Decimal("8.36"),
        "village_coverage_score": Decimal("4.67"),
        "urban_access_score": None,
        "growth_lead_bonus": Decimal("0"),
    }


def test_sheet_progress_counts_required_judged_criteria_only():
    entries = {
        "livelihood_applications": Entry(Decimal("5"), ""),
        "consumer_skills": Entry(None, "评语"),
        "five_g_bonus": Entry(Decimal("1"), ""),  # bonus: optional, not counted
    }

    assert reviews.sheet_progress(CITY, entries) == reviews.SheetProgress(1, 14)


def test_entry_problems_names_a_comment_left_without_points():
    entries = {
        "livelihood_applications": {"points": None, "comment": "写了评语"},
        "consumer_skills": {"points": None, "comment": "   "},
        "industry_chain": {"points": Decimal("5"), "comment": "好"},
    }

    problems = reviews.entry_problems(CITY, entries)

    assert [(p.field, p.code) for p in problems] == [
        ("entries.livelihood_applications.points", "comment_without_points")
    ]
    assert problems[0].message("en") == (
        "“Reach of information services for residents” has a comment but no points; "
        "enter the points or delete the comment."
    )


def test_changed_entries_lists_criteria_that_differ_in_rubric_order():
    saved = {"consumer_skills": Entry(Decimal("5"), "甲"), "livelihood_applications": Entry(Decimal("4"), "乙")}
    yours = {
        "livelihood_applications": {"points": Decimal("4.0"), "comment": "乙 "},  # the same once trimmed
        "consumer_skills": {"points": Decimal("5.5"), "comment": "甲"},
        "industry_chain": {"points": None, "comment": "新评语"},
    }

    changes = reviews.changed_entries(CITY, saved, yours)

    assert changes == [
        reviews.EntryChange("consumer_skills", Entry(Decimal("5"), "甲"), Entry(Decimal("5.5"), "甲")),
        reviews.EntryChange("industry_chain", Entry(None, ""), Entry(None, "新评语")),
    ]


def test_panel_table_relabels_anonymous_reviewers_in_the_pages_language():
    panel = [
        PanelEntry("专家A", "submitted", {"livelihood_applications": Decimal("6")}, {}),
        PanelEntry("专家B", "submitted", {"livelihood_applications": Decimal("4.5")}, {}),
    ]

    table = reviews.panel_table(CITY, panel, blind_policy="anonymous_after_submit", lang="en")

    assert list(table.columns) == ["Reviewer A", "Reviewer B"]
    assert table.loc["Reach of information services for residents"].tolist() == [6.0, 4.5]
    assert len(table) == len([c for c in CITY.criteria if c.method == "judged"])


def test_panel_names_keep_named_reviewers_apart():
    panel = [PanelEntry("王芳", "submitted", {}, {}), PanelEntry("王芳", "submitted", {}, {})]

    assert reviews.panel_names(panel, blind_policy="named_after_submit", lang="zh") == ["王芳 (1)", "王芳 (2)"]


def test_next_assignment_skips_submitted_sheets_and_wraps_round():
    listed = [assignment(1, "draft"), assignment(2, "submitted"), assignment(3, "new"), assignment(4, "submitted")]

    assert reviews.next_assignment(listed, 1).application_id == 3
    assert reviews.next_assignment(listed, 3).application_id == 1
    assert reviews.next_assignment(listed, None).application_id == 1
    assert reviews.next_assignment([assignment(1, "draft")], 1) is None


def test_work_counts_split_what_is_left():
    listed = [assignment(1, "draft"), assignment(2, "submitted"), assignment(3, "new"), assignment(4, "new")]

    counts = reviews.work_counts(listed, [])

    assert (counts.submitted, counts.draft, counts.not_started, counts.to_do, counts.conflicts) == (1, 1, 2, 3, 0)


# -- declared conflicts --------------------------------------------------------------------------


@pytest.fixture
def review(store, world):
    round_, _ = round_under_review(store, world, per_applicant=2, per_application=3, min_comment_length=5)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    pairs = assigned_pairs(store, world, round_.id)
    reviewer_id = max({r for _, r in pairs}, key=lambda r: sum(1 for _, x in pairs if x == r))
    mine = sorted(int(a) for a, r in pairs if r == reviewer_id)
    return round_, rubric, reviewer_actor(world, reviewer_id), mine


def test_my_conflicts_lists_the_reviewers_declarations_with_their_reason(store, world, review):
    round_, _, reviewer, mine = review

    reviews.declare_conflict(store, reviewer, mine[0], reason="  本人担任该单位顾问。 ")
    declared = reviews.my_conflicts(store, reviewer, round_.id)

    assert [(c.application_id, c.reason) for c in declared] == [(mine[0], "本人担任该单位顾问。")]
    assert mine[0] not in [a.application_id for a in reviews.my_assignments(store, reviewer, round_.id)]


def test_my_conflicts_is_for_reviewers_only(store, world, review):
    round_, *_ = review

    with pytest.raises(AccessDenied):
        reviews.my_conflicts(store, world.applicants[0], round_.id)


# -- offline upload ------------------------------------------------------------------------------


def filled(template: bytes, rubric, rows: dict[str, dict[str, object]]) -> bytes:
    """The downloaded workbook with cells changed per application ref (field -> value; None clears)."""
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    position = {c.field: i for i, c in enumerate(panel_columns(rubric), start=1)}
    for r in range(2, sheet.max_row + 1):
        for field, value in rows.get(sheet.cell(row=r, column=1).value, {}).items():
            sheet.cell(row=r, column=position[field]).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cells(rubric, entries: dict) -> dict[str, object]:
    out: dict[str, object] = {}
    for cid, entry in entries.items():
        out[f"entries.{cid}.points"] = float(entry["points"])
        out[f"entries.{cid}.comment"] = entry["comment"]
    return out


def reference_of(store, reviewer, round_id, app_id) -> str:
    return next(a.reference for a in reviews.my_assignments(store, reviewer, round_id) if a.application_id == app_id)


def test_upload_of_the_unchanged_workbook_saves_nothing_and_skips_every_row(store, world, review):
    round_, rubric, reviewer, mine = review
    reviews.save_sheet(store, reviewer, mine[0], entries=full_entries(rubric), seen_version=0, submit=True)
    draft = reviews.save_sheet(store, reviewer, mine[1], entries={"market_prospect": {"points": "5"}}, seen_version=0)
    template = exports.reviewer_template(store, reviewer, round_.id)

    outcome = reviews.upload_offline(store, reviewer, round_.id, template)

    assert outcome.ok
    assert outcome.saved == []
    assert sorted(outcome.skipped) == sorted(reference_of(store, reviewer, round_.id, a) for a in mine)
    assert reviews.get_sheet(store, reviewer, mine[1]).version == draft.version
    assert [a.sheet_status for a in reviews.my_assignments(store, reviewer, round_.id)][2:] == ["new"] * (len(mine) - 2)


def test_upload_saves_filled_rows_beside_a_submitted_sheet(store, world, review):
    round_, rubric, reviewer, mine = review
    reviews.save_sheet(store, reviewer, mine[0], entries=full_entries(rubric), seen_version=0, submit=True)
    template = exports.reviewer_template(store, reviewer, round_.id)
    reference = reference_of(store, reviewer, round_.id, mine[1])
    data = filled(template, rubric, {reference: cells(rubric, full_entries(rubric, 0.5))})

    outcome = reviews.upload_offline(store, reviewer, round_.id, data, submit=True)

    assert (outcome.ok, outcome.saved) == (True, [reference])
    sheet = reviews.get_sheet(store, reviewer, mine[1])
    assert sheet.status == "submitted"
    assert sheet.entries["market_prospect"].points == Decimal(
        str(full_entries(rubric, 0.5)["market_prospect"]["points"])
    )
    logged = store.db.read(lambda s: audit.entries(s, action="sheet.upload"))
    assert logged[-1].after["sheets"] == [reference]


def test_upload_changing_a_submitted_sheet_is_a_problem_at_its_row(store, world, review):
    round_, rubric, reviewer, mine = review
    reviews.save_sheet(store, reviewer, mine[0], entries=full_entries(rubric), seen_version=0, submit=True)
    submitted_ref = reference_of(store, reviewer, round_.id, mine[0])
    other_ref = reference_of(store, reviewer, round_.id, mine[1])
    data = filled(
        exports.reviewer_template(store, reviewer, round_.id),
        rubric,
        {submitted_ref: {"entries.market_prospect.points": 1}, other_ref: {"entries.market_prospect.points": 6}},
    )

    outcome = reviews.upload_offline(store, reviewer, round_.id, data)

    assert [(p.code, p.column) for p in outcome.problems] == [("already_submitted", "A")]
    assert submitted_ref in outcome.problems[0].message("en")
    assert outcome.error_workbook is not None
    assert reviews.get_sheet(store, reviewer, mine[1]).status == "new"


def test_upload_to_submit_reports_what_each_row_lacks_at_its_cell(store, world, review):
    round_, rubric, reviewer, mine = review
    reference = reference_of(store, reviewer, round_.id, mine[0])
    data = filled(
        exports.reviewer_template(store, reviewer, round_.id),
        rubric,
        {reference: {"entries.market_prospect.points": 6, "entries.market_prospect.comment": "好"}},
    )

    outcome = reviews.upload_offline(store, reviewer, round_.id, data, submit=True)

    row = {p.row for p in outcome.problems}
    assert len(row) == 1
    comment = next(p for p in outcome.problems if p.code == "comment_too_short")
    assert comment.field == "entries.market_prospect.comment"
    assert comment.header == next(c.header for c in panel_columns(rubric) if c.field == comment.field)
    assert {p.code for p in outcome.problems} == {"comment_too_short", "missing_criterion"}
    assert reviews.get_sheet(store, reviewer, mine[0]).status == "new"
