"""The progress page: per reviewer and per application, the deadline, and reopening a sheet."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from submissions import audit, reviews, rounds
from tests.app.admin_ops.conftest import open_on_round, round_ids
from ui.messages import translator

PROGRESS = "app_pages/admin/progress.py"
t = translator("zh")


def counted(frame, key: str) -> dict:
    """Sheets per key and status, conflicted assignments left out, counted one row at a time."""
    counts: dict = {}
    for row in frame.itertuples(index=False):
        if not row.conflicted:
            counts.setdefault(getattr(row, key), Counter())[row.status] += 1
    return counts


def test_progress_per_reviewer_and_per_application_counts_every_sheet(pages):
    round_id = round_ids(pages)["city_comprehensive"]
    frame = reviews.progress(pages.store, pages.actor("admin"), round_id)

    app = open_on_round(pages, PROGRESS, "city_comprehensive")

    by_reviewer = next(d.value for d in app.dataframe if "reviewer" in d.value.columns)
    by_application = next(d.value for d in app.dataframe if "complete" in d.value.columns)
    for expected, shown, key in (
        (counted(frame, "reviewer"), by_reviewer, "reviewer"),
        (counted(frame, "reference"), by_application, "reference"),
    ):
        for row in shown.itertuples(index=False):
            counts = expected.get(getattr(row, key), Counter())
            assert (row.submitted, row.draft, row.not_started) == (counts["submitted"], counts["draft"], counts["new"])
            assert row.assigned == sum(counts.values())
    unfinished = by_reviewer.set_index("reviewer").loc[["刘振华", "孙雅婷"]]
    assert unfinished["draft"].tolist() == [1, 2]
    assert unfinished["not_started"].tolist() == [2, 0]
    submitted = sum(c["submitted"] for c in counted(frame, "reviewer").values())
    total = sum(sum(c.values()) for c in counted(frame, "reviewer").values())
    assert app.metric[0].value == f"{submitted} / {total}"
    assert len(app.get("vega_lite_chart")) == 1


def test_deadline_and_time_left_are_shown_in_beijing_time(pages):
    view = rounds.get_round(pages.store, pages.actor("admin"), round_ids(pages)["city_comprehensive"])
    shown = view.settings.review_deadline.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")

    app = open_on_round(pages, PROGRESS, "city_comprehensive")

    text = app.markdown[0].value
    assert t("rs_deadline", at=shown) in text
    assert "还剩" in text  # the demo's city round is still before its deadline


def test_reopening_needs_a_reason_then_returns_the_sheet_to_draft(pages):
    admin = pages.actor("admin")
    round_id = round_ids(pages)["city_comprehensive"]
    app = open_on_round(pages, PROGRESS, "city_comprehensive")
    app_id, reviewer_id = app.selectbox(key="rs_reopen_sheet").value

    def status() -> str:
        frame = reviews.progress(pages.store, admin, round_id)
        match = frame[(frame["application_id"] == app_id) & (frame["reviewer_id"] == reviewer_id)]
        return match["status"].iloc[0]

    app.button(key="rs_reopen_button").click().run()

    assert app.error[0].value == t("problems_heading", count=1)
    assert "退回理由" in app.text[0].value
    assert status() == "submitted"

    app.text_area(key="rs_reopen_reason").input("评语与分数不一致,请核对。")
    app.button(key="rs_reopen_button").click().run()

    assert status() == "draft"
    assert app.success[0].value.startswith("已退回评分表")
    logged = pages.store.db.read(lambda session: audit.entries(session, action="sheet.reopen"))
    assert logged[0].after == {"status": "draft", "reason": "评语与分数不一致,请核对。"}


def test_an_open_round_without_assignments_says_so(pages):
    app = open_on_round(pages, PROGRESS, "project_industry")

    assert not app.exception
    assert app.info[0].value == t("rs_no_assignments")
    assert not app.dataframe


def test_a_published_round_cannot_reopen_sheets(pages):
    app = open_on_round(pages, PROGRESS, "project_life")

    assert not app.exception
    assert not [b for b in app.button if b.key == "rs_reopen_button"]
    assert len(app.dataframe) == 2
