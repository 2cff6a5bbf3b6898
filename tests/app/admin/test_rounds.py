"""The rounds page: the list, creating a round, its settings, and moving it on with a confirmation."""

from __future__ import annotations

import datetime as dt

import pytest

from submissions import rounds
from tests.app.admin.conftest import UNTRUSTED
from tests.support.app_fixtures import unescaped
from ui.text import escaped

ROUNDS = "app_pages/admin/rounds.py"
BEIJING = dt.timezone(dt.timedelta(hours=8))
NAME = "2027年新型信息消费示范项目(生活类)"


def by_rubric(pages) -> dict[str, rounds.RoundView]:
    return {r.rubric_id: r for r in rounds.list_rounds(pages.store, pages.actor("admin"))}


def choose(app, round_id: int):
    # Through the widget's state: the picker's labels follow the session language, which a test's
    # `set_value` (run outside the page) cannot see.
    app.session_state["ad_rounds_picker"] = round_id
    return app.run()


@pytest.mark.parametrize(
    ("lang", "title", "headings"),
    [
        ("zh", "评审批次", ["全部评审批次", "阶段转换", "评审设置", "个人信息保留期限"]),
        ("en", "Review rounds", ["All review rounds", "State", "Round settings", "Retention of personal information"]),
    ],
)
def test_rounds_page_renders_every_round(pages, lang, title, headings):
    app = pages.open(ROUNDS, user="admin", lang=lang)

    assert not app.exception
    assert app.title[0].value == title
    assert [s.value for s in app.subheader] == headings
    listed = app.dataframe[0].value
    assert listed["name"].tolist() == [r.name for r in rounds.list_rounds(pages.store, pages.actor("admin"))]
    assert listed.loc[listed["rubric_id"] == "project_new_product", "applications"].tolist() == [0]


def test_rounds_page_creates_a_round_from_the_library(pages):
    before = len(by_rubric(pages))
    app = pages.open(ROUNDS, user="admin")

    app.text_input(key="ad_create_name").input(NAME)
    app.selectbox(key="ad_create_rubric").set_value("project_life")
    app.datetime_input(key="ad_create_application_deadline").set_value(dt.datetime(2027, 3, 31, 17, 0))
    app.datetime_input(key="ad_create_review_deadline").set_value(dt.datetime(2027, 4, 30, 17, 0))
    app.number_input(key="ad_create_reviewers_per_application").set_value(7)
    app = app.button(key="ad_create_submit").click().run()

    assert not app.exception
    assert [s.value for s in app.success] == [f"已创建评审批次“{escaped(NAME)}”(草稿)。"]
    created = rounds.list_rounds(pages.store, pages.actor("admin"))[0]
    assert len(rounds.list_rounds(pages.store, pages.actor("admin"))) == before + 1
    assert (created.name, created.rubric_id, created.state) == (NAME, "project_life", "draft")
    assert created.settings.application_deadline == dt.datetime(2027, 3, 31, 17, 0, tzinfo=BEIJING)
    assert created.settings.review_deadline == dt.datetime(2027, 4, 30, 17, 0, tzinfo=BEIJING)
    assert created.settings.reviewers_per_application == 7
    assert app.selectbox(key="ad_rounds_picker").value == created.id


def test_rounds_page_opens_on_creating_from_the_rubric_the_library_links(pages):
    app = pages.open(ROUNDS, user="admin", query={"rubric": "project_industry"})

    assert app.tabs[0].label == "新建评审批次"
    assert app.selectbox(key="ad_create_rubric").value == "project_industry"


def test_rounds_page_refuses_deadlines_out_of_order_and_creates_nothing(pages):
    before = rounds.list_rounds(pages.store, pages.actor("admin"))
    app = pages.open(ROUNDS, user="admin")

    app.text_input(key="ad_create_name").input("截止时间颠倒的批次")
    app.datetime_input(key="ad_create_application_deadline").set_value(dt.datetime(2027, 5, 1, 17, 0))
    app.datetime_input(key="ad_create_review_deadline").set_value(dt.datetime(2027, 4, 1, 17, 0))
    app = app.button(key="ad_create_submit").click().run()

    assert not app.exception
    assert [unescaped(e.value) for e in app.error] == ["请修改以下 1 处问题,本次未保存任何内容:"]
    assert "- 评审截止时间必须晚于申报截止时间;请调整其中一个。" in [t.value for t in app.text]
    assert rounds.list_rounds(pages.store, pages.actor("admin")) == before


def test_rounds_page_lists_every_problem_of_a_broken_uploaded_rubric_in_chinese(pages):
    before = rounds.list_rounds(pages.store, pages.actor("admin"))
    broken = "schema_version: 2\nid: Bad-Id\nversion: '1'\ncolour: red\n"
    app = pages.open(ROUNDS, user="admin")
    app = app.radio(key="ad_create_source").set_value("upload").run()

    app.text_input(key="ad_create_name").input("自定义细则批次")
    app.file_uploader(key="ad_create_upload").upload("broken.yaml", broken.encode(), "application/x-yaml")
    app = app.button(key="ad_create_submit").click().run()

    assert not app.exception
    problems = app.dataframe[-1].value
    assert unescaped(app.error[0].value).startswith("评分细则有 ")
    assert dict(zip(problems["path"], problems["problem"], strict=True)) == {
        "schema_version": "不支持 schema_version 2;当前版本只能读取 schema_version 1。",
        "id": "编号只能使用拉丁字母、数字和下划线,并以字母开头。",
        "colour": "未知的键“colour”;请删除该键或更正拼写。",
        "title": "缺少必填字段;请补上该字段。",
        "programme": "缺少必填字段;请补上该字段。",
        "categories": "缺少必填字段;请补上该字段。",
        "total_points": "缺少必填字段;请补上该字段。",
        "dimensions": "缺少必填字段;请补上该字段。",
        "bands": "缺少必填字段;请补上该字段。",
        "sources": "缺少必填字段;请补上该字段。",
    }
    assert rounds.list_rounds(pages.store, pages.actor("admin")) == before


def test_rounds_page_moves_a_round_on_only_after_confirmation(pages):
    draft = by_rubric(pages)["project_new_product"]
    app = choose(pages.open(ROUNDS, user="admin"), draft.id)

    app = app.button(key="ad_advance").click().run()
    assert app.warning[0].value == f"确认将评审批次“{escaped(draft.name)}”从“草稿”转到“开放申报”吗?此操作不能撤回。"
    app = app.button(key="ad_advance_cancel").click().run()
    assert not app.warning
    assert rounds.get_round(pages.store, pages.actor("admin"), draft.id).state == "draft"

    app = app.button(key="ad_advance").click().run()
    app = app.button(key="ad_advance_confirm").click().run()

    assert not app.exception
    assert [s.value for s in app.success] == ["评审批次已转到“开放申报”阶段。"]
    assert rounds.get_round(pages.store, pages.actor("admin"), draft.id).state == "open"
    app.number_input(key=f"ad_set_{draft.id}_min_comment_length").set_value(15)
    app = app.button(key=f"ad_set_{draft.id}_save").click().run()
    assert [s.value for s in app.success] == ["评审设置已保存。"]  # moving on is no conflict with the form


def test_rounds_page_publishes_a_closed_round(pages):
    closed = by_rubric(pages)["project_public_service"]
    app = choose(pages.open(ROUNDS, user="admin"), closed.id)

    app = app.button(key="ad_advance").click().run()
    assert app.button(key="ad_advance").label == "转到下一阶段:公示中"
    app = app.button(key="ad_advance_confirm").click().run()

    assert [s.value for s in app.success] == ["评审批次已转到“公示中”阶段。"]
    assert rounds.get_round(pages.store, pages.actor("admin"), closed.id).state == "published"


def test_rounds_page_shows_the_refusal_to_start_a_review_without_assignments(pages):
    open_round = by_rubric(pages)["project_industry"]
    app = choose(pages.open(ROUNDS, user="admin"), open_round.id)

    app = app.button(key="ad_advance").click().run()
    app = app.button(key="ad_advance_confirm").click().run()

    assert not app.exception
    assert [unescaped(e.value) for e in app.error] == ["尚未分配评审专家,不能开始评审;请先完成专家分配。"]
    assert rounds.get_round(pages.store, pages.actor("admin"), open_round.id).state == "open"


def test_rounds_page_saves_settings_of_an_open_round(pages):
    open_round = by_rubric(pages)["project_industry"]
    app = choose(pages.open(ROUNDS, user="admin"), open_round.id)
    key = f"ad_set_{open_round.id}"

    app.number_input(key=f"{key}_min_comment_length").set_value(30)
    app.selectbox(key=f"{key}_aggregation").set_value("median")
    app.text_area(key=f"{key}_regions").input("广东\n湖北\n")
    app = app.button(key=f"{key}_save").click().run()

    assert not app.exception
    assert [s.value for s in app.success] == ["评审设置已保存。"]
    saved = rounds.get_round(pages.store, pages.actor("admin"), open_round.id).settings
    assert (saved.min_comment_length, saved.aggregation, saved.regions) == (30, "median", ("广东", "湖北"))


def test_rounds_page_reports_an_edit_conflict_and_keeps_the_input(pages):
    open_round = by_rubric(pages)["project_industry"]
    app = choose(pages.open(ROUNDS, user="admin"), open_round.id)
    key = f"ad_set_{open_round.id}"
    rounds.update_settings(
        pages.store, pages.actor("admin"), open_round.id, seen_version=open_round.version, changes={"precision": 3}
    )

    app.number_input(key=f"{key}_min_comment_length").set_value(30)
    app = app.button(key=f"{key}_save").click().run()

    assert unescaped(app.error[0].value).startswith("保存未成功:您打开后该内容已被修改")
    assert app.number_input(key=f"{key}_min_comment_length").value == 30
    assert rounds.get_round(pages.store, pages.actor("admin"), open_round.id).settings.min_comment_length == 0
    app = app.button(key="ad_reload_settings").click().run()
    assert app.number_input(key=f"{key}_min_comment_length").value == 0


def test_rounds_page_shows_settings_read_only_once_the_review_started(pages):
    reviewing = by_rubric(pages)["city_comprehensive"]
    app = choose(pages.open(ROUNDS, user="admin"), reviewing.id)

    shown = app.dataframe[-1].value

    assert f"ad_set_{reviewing.id}_min_comment_length" not in [w.key for w in app.number_input]
    assert dict(zip(shown["setting"], shown["value"], strict=True))["同地区专家回避"] == "是"


def test_rounds_page_shows_untrusted_round_names_inert(pages):
    rounds.create_round(pages.store, pages.actor("admin"), name=UNTRUSTED, rubric_id="project_life")

    app = pages.open(ROUNDS, user="admin")

    assert not app.exception
    assert UNTRUSTED in [t.value for t in app.text]
    assert app.dataframe[0].value["name"].tolist()[0] == UNTRUSTED
    rendered = [m.value for m in app.markdown] + [c.value for c in app.caption]
    assert not any("<script>" in value or "](http://x)" in value for value in rendered)
