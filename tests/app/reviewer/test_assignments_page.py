"""My reviews: assignments with status and deadline, conflict declaration, offline download and upload."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from submissions import audit, reviews, rounds
from submissions.excel.errors import WorkbookRejected
from submissions.excel.panel import read_panel
from tests.app.reviewer.conftest import (
    HOSTILE,
    MY_REVIEWS,
    assignments_of,
    block,
    city_round,
    filled_sheet,
    full_cells,
)
from tests.support.app_fixtures import unescaped
from ui.text import escaped


def open_my_reviews(pages, user: str, lang: str = "zh"):
    return pages.open(MY_REVIEWS, user=user, lang=lang)


def test_my_reviews_lists_each_assignment_with_status_and_link_in_chinese(pages):
    app = open_my_reviews(pages, "liuzhenhua")
    mine = assignments_of(pages, "liuzhenhua", city_round(pages))

    assert not app.exception
    assert app.title[0].value == "我的评审任务"
    shown = {}
    for item in mine.values():
        row = block(app, f"rv_row_{item.application_id}")
        link = row.get("page_link")[0]
        shown[item.reference] = (row.text[0].value, row.text[1].value, row.markdown[-1].value, link.proto.query_string)
    labels = {"new": "未开始", "draft": "草稿", "submitted": "已提交"}
    colours = {"new": "gray", "draft": "orange", "submitted": "green"}
    assert shown == {
        ref: (
            ref,
            item.title,
            f":{colours[item.sheet_status]}-badge[{labels[item.sheet_status]}]",
            f"application={item.application_id}",
        )
        for ref, item in mine.items()
    }
    assert [m.value for m in app.metric] == ["5", "3", "0"]
    assert any("(北京时间),还剩" in m.value for m in app.markdown)


def test_my_reviews_renders_in_english(pages):
    app = open_my_reviews(pages, "liuzhenhua", "en")

    assert not app.exception
    assert app.title[0].value == "My reviews"
    assert [m.label for m in app.metric] == ["Submitted", "To do", "Conflicts declared"]
    assert [link.value for link in app.get("page_link")].count("Start scoring") == 2
    assert any("(Beijing time)" in m.value and "left" in m.value for m in app.markdown)


def test_declared_conflict_is_its_own_row_with_the_reason(pages):
    conflicts = reviews.my_conflicts(pages.store, pages.actor("sunyating"), city_round(pages))

    app = open_my_reviews(pages, "sunyating")

    assert len(conflicts) == 1
    row = block(app, f"rv_row_conflict_{conflicts[0].application_id}")
    assert row.text[0].value == conflicts[0].reference
    assert ":red-badge[已申报回避]" in [m.value for m in row.markdown]
    assert escaped(f"回避理由:{conflicts[0].reason}") in [c.value for c in row.caption]
    assert app.metric[2].value == "1"


def declare(app, application_id: int | None, reason: str, *, sure: bool):
    if application_id is not None:
        app.selectbox(key="rv_conflict_application").set_value(application_id)
    app.text_area(key="rv_conflict_reason").input(reason)
    app.checkbox(key="rv_conflict_sure").set_value(sure)
    return app.button(key="rv_conflict_go").click().run()


def test_conflict_without_a_reason_is_refused_and_nothing_changes(pages):
    round_id = city_round(pages)
    target = assignments_of(pages, "liuzhenhua", round_id)["R3-00010"].application_id
    app = open_my_reviews(pages, "liuzhenhua")

    app = declare(app, target, "   ", sure=True)

    assert [e.value for e in app.error] == ["请修改以下 1 处问题,本次未保存任何内容:"]
    assert "请说明回避理由(1至1000个字)。" in app.text[-1].value
    assert reviews.my_conflicts(pages.store, pages.actor("liuzhenhua"), round_id) == []


def test_conflict_without_the_confirmation_is_refused(pages):
    round_id = city_round(pages)
    target = assignments_of(pages, "liuzhenhua", round_id)["R3-00010"].application_id
    app = open_my_reviews(pages, "liuzhenhua")

    app = declare(app, target, "本人担任该局顾问。", sure=False)

    assert [w.value for w in app.warning] == ["请勾选确认后再申报回避,本次未做任何修改。"]
    assert reviews.my_conflicts(pages.store, pages.actor("liuzhenhua"), round_id) == []


def test_declared_conflict_takes_the_application_off_the_list(pages):
    round_id = city_round(pages)
    target = assignments_of(pages, "liuzhenhua", round_id)["R3-00010"]
    app = open_my_reviews(pages, "liuzhenhua")

    app = declare(app, target.application_id, "本人担任该市信息消费专家咨询委员会委员。", sure=True)

    assert not app.exception
    assert [s.value for s in app.success] == [
        f"已对“{escaped(f'R3-00010 · {target.title}')}”申报回避,该申报已从您的任务中移除。"
    ]
    declared = reviews.my_conflicts(pages.store, pages.actor("liuzhenhua"), round_id)
    assert [(c.reference, c.reason) for c in declared] == [("R3-00010", "本人担任该市信息消费专家咨询委员会委员。")]
    assert "R3-00010" not in assignments_of(pages, "liuzhenhua", round_id)
    assert block(app, f"rv_row_conflict_{target.application_id}").text[0].value == "R3-00010"
    assert app.text_area(key="rv_conflict_reason").value == ""


def test_conflict_reason_shows_literally(pages):
    round_id = city_round(pages)
    target = assignments_of(pages, "liuzhenhua", round_id)["R3-00011"].application_id
    reviews.declare_conflict(pages.store, pages.actor("liuzhenhua"), target, reason=HOSTILE)

    app = open_my_reviews(pages, "liuzhenhua")

    caption = block(app, f"rv_row_conflict_{target}").caption[0].value
    assert caption == escaped(f"回避理由:{HOSTILE}")
    assert "<script>" not in caption
    assert "](http" not in caption


def test_template_download_reads_back_with_the_reviewers_drafts(pages, downloads):
    round_id = city_round(pages)
    reviewer = pages.actor("liuzhenhua")
    rubric = rounds.round_rubric(pages.store, reviewer, round_id)
    mine = assignments_of(pages, "liuzhenhua", round_id)

    app = open_my_reviews(pages, "liuzhenhua")
    logged_before = pages.store.db.read(lambda s: audit.entries(s, action="export.reviewer_template"))
    template = next(d for d in downloads if d.file_name == f"review-sheet-R{round_id}-liuzhenhua.xlsx").data

    assert not app.exception
    assert logged_before == []  # generated when clicked, not on every page run
    parsed = read_panel(template, rubric, expected_refs=set(mine))
    assert parsed.problems == []
    assert sorted(s.application_ref for s in parsed.sheets) == sorted(mine)
    draft = next(s for s in parsed.sheets if s.application_ref == "R3-00009")
    assert {cid: (e.points, e.comment) for cid, e in draft.entries.items()} == {
        cid: (e.points, e.comment) for cid, e in mine["R3-00009"].entries.items()
    }
    assert len(pages.store.db.read(lambda s: audit.entries(s, action="export.reviewer_template"))) == 1


def upload(app, data: bytes, *, submit: bool = False, name: str = "review.xlsx"):
    app.file_uploader(key="rv_upload_file").set_value((name, data, "application/octet-stream"))
    app.checkbox(key="rv_upload_submit").set_value(submit)
    return app.button(key="rv_upload_go").click().run()


@pytest.mark.parametrize("submit", [False, True])
def test_upload_of_a_filled_template_saves_the_sheets(pages, downloads, submit):
    round_id = city_round(pages)
    reviewer = pages.actor("liuzhenhua")
    rubric = rounds.round_rubric(pages.store, reviewer, round_id)
    app = open_my_reviews(pages, "liuzhenhua")
    template = downloads[0].data
    rows = {"R3-00010": full_cells(rubric), "R3-00011": full_cells(rubric, fraction=0.5)}
    if submit:  # submitting takes every filled row, so the half-done draft must be finished too
        rows["R3-00009"] = full_cells(rubric, fraction=0.6)
    data = filled_sheet(template, rubric, rows)

    app = upload(app, data, submit=submit)

    assert not app.exception
    assert [e.value for e in app.error] == []
    verb = "提交" if submit else "保存"
    assert app.success[0].value.startswith(f"已从评审表{verb} {len(rows)} 份评分")
    mine = assignments_of(pages, "liuzhenhua", round_id)
    status = "submitted" if submit else "draft"
    assert (mine["R3-00010"].sheet_status, mine["R3-00011"].sheet_status) == (status, status)
    assert mine["R3-00010"].entries["livelihood_applications"] == reviews.Entry(
        Decimal("5"), "材料翔实,论证充分,成效明显。"
    )
    assert mine["R3-00009"].sheet_status == status


def test_upload_with_problems_lists_each_and_offers_the_marked_workbook(pages, downloads):
    round_id = city_round(pages)
    reviewer = pages.actor("liuzhenhua")
    rubric = rounds.round_rubric(pages.store, reviewer, round_id)
    app = open_my_reviews(pages, "liuzhenhua")
    data = filled_sheet(downloads[0].data, rubric, {"R3-00010": {"entries.livelihood_applications.points": 9}})

    app = upload(app, data)

    assert [e.value for e in app.error] == [
        "评审表中有 1 处问题,未保存任何评分。请按下表修改后重新上传,也可以下载标出问题单元格的评审表。"
    ]
    problems = app.dataframe[0].value
    row = list(assignments_of(pages, "liuzhenhua", round_id)).index("R3-00010") + 2  # the template's row order
    assert problems["cell"].tolist() == [f"E{row}"]
    assert problems["problem"].tolist() == [
        f"单元格E{row}:“信息惠民应用普及”的分数应在0至7分之间(含两端),而填写的是9;请调整分数。"
    ]
    marked = next(d for d in downloads if d.file_name and d.file_name.endswith("-errors.xlsx")).data
    assert "错误 Errors" in load_workbook(io.BytesIO(marked)).sheetnames
    assert assignments_of(pages, "liuzhenhua", round_id)["R3-00010"].sheet_status == "new"


def test_upload_of_a_file_that_is_no_workbook_is_refused(pages):
    round_id = city_round(pages)
    rubric = rounds.round_rubric(pages.store, pages.actor("liuzhenhua"), round_id)
    junk = b"these are not the scores you are looking for"
    with pytest.raises(WorkbookRejected) as refused:
        read_panel(junk, rubric, expected_refs=set())
    app = open_my_reviews(pages, "liuzhenhua")

    app = upload(app, junk)

    assert not app.exception
    assert [unescaped(e.value) for e in app.error] == [refused.value.message("zh")]
    assert [a.sheet_status for a in assignments_of(pages, "liuzhenhua", round_id).values()].count("new") == 2


def test_a_closed_round_is_read_only(pages):
    closed = next(r for r in rounds.list_rounds(pages.store, pages.actor("admin")) if r.state == "closed")
    app = open_my_reviews(pages, "chensiyuan")
    app = app.selectbox(key="rv_round_picker").set_value(closed.id).run()

    assert not app.exception
    assert [i.value for i in app.info] == ["本轮评审当前处于“评审结束”阶段,评分表只能查看,不能修改。"]
    assert {link.value for link in app.get("page_link")} == {"查看"}
    assert not app.file_uploader
    assert "申报回避" not in [s.value for s in app.subheader]
