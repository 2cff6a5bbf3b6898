"""The score sheet: rendering beside the application, drafts, submission with confirmation, validation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from submissions import applications, reviews, rounds
from submissions.errors import SubmissionError
from tests.app.reviewer.conftest import SCORE, assignments_of, block, city_round
from ui.score_form import beijing_time
from ui.text import escaped

COMMENT = "材料翔实,论证充分,成效明显。"  # 14 characters: enough for the city round's minimum of 10


def open_sheet(pages, user: str, reference: str, lang: str = "zh"):
    item = assignments_of(pages, user, city_round(pages))[reference]
    return pages.open(SCORE, user=user, lang=lang, query={"application": item.application_id}), item.application_id


def rubric_of(pages):
    return rounds.round_rubric(pages.store, pages.actor("admin"), city_round(pages))


def required(rubric):
    return [c for c in rubric.criteria if c.method == "judged" and c.id not in rubric.bonus_ids]


def fill_everything(app, app_id: int, rubric, comment: str = COMMENT) -> dict[str, Decimal]:
    """Score every required criterion at about 70 % on its step, with `comment`; returns the points."""
    given = {}
    for c in required(rubric):
        step = c.step or Decimal("0.5")
        points = (c.max_points * Decimal("0.7") / step).to_integral_value() * step
        app.number_input(key=f"rv_points_{app_id}_{c.id}").set_value(float(points))
        app.text_area(key=f"rv_comment_{app_id}_{c.id}").input(comment)
        given[c.id] = points
    return given


def test_sheet_shows_each_criterion_beside_the_applicants_material_in_chinese(pages):
    rubric = rubric_of(pages)
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00009")
    reviewer = pages.actor("liuzhenhua")
    application = applications.get_application(pages.store, reviewer, app_id)
    saved = reviews.get_sheet(pages.store, reviewer, app_id)

    assert not app.exception
    assert app.title[0].value == "评分"
    assert app.subheader[0].value == escaped(f"R3-00009 · {application.title}")
    judged = [c for c in rubric.criteria if c.method == "judged"]
    assert [n.key for n in app.number_input] == [f"rv_points_{app_id}_{c.id}" for c in judged]
    for c in judged:
        widget = app.number_input(key=f"rv_points_{app_id}_{c.id}")
        assert (widget.min, widget.max, widget.step) == (0.0, float(c.max_points), float(c.step))
        entry = saved.entries.get(c.id)
        assert widget.value == (None if entry is None else float(entry.points))
        assert app.text_area(key=f"rv_comment_{app_id}_{c.id}").value == ("" if entry is None else entry.comment)
        shown = [t.value for t in block(app, f"rv_block_{c.id}").text]
        assert shown[0] == (application.narratives.get(c.id) or "(未填写)")
    formula = block(app, "rv_block_consumption_growth_score")
    assert not formula.get("number_input")
    assert formula.text[0].value == f"{application.indicators['info_consumption_growth']:g}%"
    assert app.info[0].value == "本轮要求:提交时,每项专家评分指标的评语至少 10 个字。保存草稿不受此限制。"
    levels = [c.value for c in block(app, "rv_block_livelihood_applications").caption][1:5]
    assert levels[0] == escaped("优(5.95–7 分):论证充分、证据确凿,明显优于同类")
    assert app.metric[0].value == f"{reviews.sheet_progress(rubric, saved.entries).scored} / 14"


def test_sheet_renders_in_english(pages):
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00010", lang="en")

    assert not app.exception
    assert app.title[0].value == "Score sheet"
    assert app.button(key="rv_save_draft").label == "Save draft"
    assert app.button(key="rv_submit").label == "Submit scores…"
    assert app.number_input(key=f"rv_points_{app_id}_livelihood_applications").label == escaped(
        "Points: Reach of information services for residents (0–7)"
    )
    levels = [c.value for c in block(app, "rv_block_livelihood_applications").caption]
    assert escaped("Excellent (5.95–7 points): Fully argued, strong evidence, clearly ahead of peers") in levels
    assert [i.value for i in app.info][-1] == (
        "Other reviewers' submitted scores show once you have submitted your own sheet."
    )


def test_saving_a_draft_stores_exactly_the_input(pages):
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00010")
    app.number_input(key=f"rv_points_{app_id}_livelihood_applications").set_value(5.5)
    app.text_area(key=f"rv_comment_{app_id}_livelihood_applications").input("覆盖面广,使用人次可观。")
    app.text_area(key=f"rv_comment_{app_id}_consumer_skills").input("  ")

    app = app.button(key="rv_save_draft").click().run()

    assert not app.exception
    sheet = reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), app_id)
    assert (sheet.status, sheet.version) == ("draft", 1)
    assert sheet.entries == {"livelihood_applications": reviews.Entry(Decimal("5.5"), "覆盖面广,使用人次可观。")}
    assert app.success[0].value.startswith("草稿已保存(第 1 版,")
    assert app.number_input(key=f"rv_points_{app_id}_livelihood_applications").value == 5.5


def test_submit_asks_for_confirmation_before_saving(pages):
    rubric = rubric_of(pages)
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00010")
    fill_everything(app, app_id, rubric)

    app = app.button(key="rv_submit").click().run()

    assert [w.value for w in app.warning] == ["确认提交?您已为 14 / 14 项必评指标打分。提交后评分表不能再修改。"]
    assert reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), app_id).status == "new"
    app = app.button(key="rv_cancel_submit").click().run()
    assert not app.warning
    assert reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), app_id).status == "new"


def test_confirmed_submission_is_stored_and_the_sheet_becomes_read_only(pages):
    rubric = rubric_of(pages)
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00010")
    given = fill_everything(app, app_id, rubric)

    app = app.button(key="rv_submit").click().run()
    app = app.button(key="rv_confirm_submit").click().run()

    assert not app.exception
    sheet = reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), app_id)
    assert sheet.status == "submitted"
    assert {cid: e.points for cid, e in sheet.entries.items()} == given
    assert {e.comment for e in sheet.entries.values()} == {COMMENT}
    assert [s.value for s in app.success][:2] == [
        "评分表已提交,感谢您的评审!",
        f"您已于 {beijing_time(sheet.submitted_at)}(北京时间)提交该评分表,评分表现在只能查看。"
        "如需更正,请联系管理员退回。",
    ]
    assert not app.number_input
    assert [b.key for b in app.main.get("button")] == []
    assert block(app, "rv_block_livelihood_applications").get("metric")[0].value == "5(良)"


def test_a_comment_too_short_on_submission_is_refused_and_the_input_stays(pages):
    rubric = rubric_of(pages)
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00010")
    fill_everything(app, app_id, rubric)
    app.text_area(key=f"rv_comment_{app_id}_livelihood_applications").input("太短")

    app = app.button(key="rv_submit").click().run()
    app = app.button(key="rv_confirm_submit").click().run()

    assert [e.value for e in app.error] == ["请修改以下 1 处问题,本次未保存任何内容:"]
    assert app.text[-1].value == ("- “信息惠民应用普及”的评语至少需要10个字,目前只有2个字;请补充评语后再提交。")
    assert reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), app_id).status == "new"
    assert app.text_area(key=f"rv_comment_{app_id}_livelihood_applications").value == "太短"
    assert app.number_input(key=f"rv_points_{app_id}_livelihood_applications").value == 5.0


def test_submitting_an_incomplete_sheet_names_what_is_missing(pages):
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00010", lang="en")
    app.number_input(key=f"rv_points_{app_id}_livelihood_applications").set_value(5.0)
    app.text_area(key=f"rv_comment_{app_id}_livelihood_applications").input(COMMENT)

    app = app.button(key="rv_submit").click().run()
    app = app.button(key="rv_confirm_submit").click().run()

    assert app.error[0].value == "Please fix these 13 problem(s); nothing was saved:"
    assert "- “Consumers' digital skills” has no points yet; enter 0 to 7 points." in app.text[-1].value
    assert reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), app_id).status == "new"


def test_points_off_the_step_are_refused_with_the_specific_message(pages):
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00010")
    app.number_input(key=f"rv_points_{app_id}_livelihood_applications").set_value(3.3)

    app = app.button(key="rv_save_draft").click().run()

    assert app.text[-1].value == "- “信息惠民应用普及”的分数须为0.5分的整数倍,而填写的是3.3;请改为3或3.5。"
    assert reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), app_id).version == 0
    assert app.number_input(key=f"rv_points_{app_id}_livelihood_applications").value == 3.3


def test_points_above_the_maximum_cannot_be_entered(pages):
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00010")
    app.number_input(key=f"rv_points_{app_id}_livelihood_applications").set_value(9.0)
    app.number_input(key=f"rv_points_{app_id}_consumer_skills").set_value(6.0)

    app = app.button(key="rv_save_draft").click().run()

    sheet = reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), app_id)
    assert {cid: e.points for cid, e in sheet.entries.items()} == {"consumer_skills": Decimal("6")}
    with pytest.raises(SubmissionError) as refused:  # and the service would refuse it anyway
        reviews.save_sheet(
            pages.store,
            pages.actor("liuzhenhua"),
            app_id,
            entries={"livelihood_applications": {"points": Decimal("9")}},
            seen_version=sheet.version,
        )
    assert [p.code for p in refused.value.problems] == ["out_of_range"]


def test_a_comment_without_points_is_refused_and_nothing_saved(pages):
    app, app_id = open_sheet(pages, "liuzhenhua", "R3-00010", lang="en")
    app.text_area(key=f"rv_comment_{app_id}_industry_chain").input("Promising chain, figures to follow.")

    app = app.button(key="rv_save_draft").click().run()

    assert app.text[-1].value == (
        "- “Complete industry chain” has a comment but no points; enter the points or delete the comment."
    )
    assert reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), app_id).version == 0
