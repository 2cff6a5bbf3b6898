"""Edit conflicts on the score sheet: someone (the same reviewer in another tab) saved first."""

from __future__ import annotations

from decimal import Decimal

from submissions import reviews
from tests.app.reviewer.conftest import SCORE, assignments_of, block, city_round

POINTS = "rv_points_{app}_livelihood_applications"
COMMENT = "rv_comment_{app}_livelihood_applications"


def two_tabs(pages, lang: str = "zh"):
    """liuzhenhua's untouched sheet R3-00010 open in this tab; the other tab saves version 1 after it opened."""
    reviewer = pages.actor("liuzhenhua")
    app_id = assignments_of(pages, "liuzhenhua", city_round(pages))["R3-00010"].application_id
    app = pages.open(SCORE, user="liuzhenhua", lang=lang, query={"application": app_id})
    other = {"livelihood_applications": {"points": Decimal("3"), "comment": "另一个窗口的评语。"}}
    reviews.save_sheet(pages.store, reviewer, app_id, entries=other, seen_version=0)
    return app, app_id, reviewer


def type_and_save(app, app_id: int):
    app.number_input(key=POINTS.format(app=app_id)).set_value(6.5)
    app.text_area(key=COMMENT.format(app=app_id)).input("本窗口输入的评语。")
    return app.button(key="rv_save_draft").click().run()


def test_a_stale_save_says_what_happened_and_keeps_the_input(pages):
    app, app_id, reviewer = two_tabs(pages)

    app = type_and_save(app, app_id)

    assert not app.exception
    assert [e.value for e in app.error] == [
        "保存未成功:您打开后该内容已被修改(您看到的是第0版,当前是第1版)。"
        "您填写的内容仍保留在页面上;请刷新查看最新内容后再合并保存。"
    ]
    assert app.number_input(key=POINTS.format(app=app_id)).value == 6.5
    assert app.text_area(key=COMMENT.format(app=app_id)).value == "本窗口输入的评语。"
    saved = reviews.get_sheet(pages.store, reviewer, app_id)
    assert (saved.version, saved.entries["livelihood_applications"].points) == (1, Decimal("3"))
    compared = app.dataframe[-1].value
    assert compared.to_dict("records") == [
        {
            "criterion": "信息惠民应用普及",
            "saved_points": "3",
            "saved_comment": "另一个窗口的评语。",
            "your_points": "6.5",
            "your_comment": "本窗口输入的评语。",
        }
    ]
    panel = block(app, "rv_conflict_panel")
    assert [b.label for b in panel.get("button")] == ["载入最新版本(放弃我的输入)", "用我的输入覆盖并保存为草稿"]


def test_the_conflict_panel_stays_until_the_reviewer_chooses(pages):
    app, app_id, _ = two_tabs(pages, lang="en")
    app = type_and_save(app, app_id)

    app = app.run()

    assert block(app, "rv_conflict_panel").error[0].value.startswith("Not saved: this was changed after")
    assert app.number_input(key=POINTS.format(app=app_id)).value == 6.5


def test_saving_over_the_latest_version_after_review_keeps_the_reviewers_input(pages):
    app, app_id, reviewer = two_tabs(pages)
    app = type_and_save(app, app_id)

    app = app.button(key="rv_conflict_overwrite").click().run()

    saved = reviews.get_sheet(pages.store, reviewer, app_id)
    assert (saved.status, saved.version) == ("draft", 2)
    assert saved.entries == {"livelihood_applications": reviews.Entry(Decimal("6.5"), "本窗口输入的评语。")}
    assert app.success[0].value.startswith("草稿已保存(第 2 版,")
    assert not app.error


def test_reloading_replaces_the_input_by_the_latest_version(pages):
    app, app_id, reviewer = two_tabs(pages)
    app = type_and_save(app, app_id)

    app = app.button(key="rv_conflict_reload").click().run()

    assert app.info[0].value == "已载入最新保存的版本(第 1 版);您此前未保存的输入已被替换。"
    assert app.number_input(key=POINTS.format(app=app_id)).value == 3.0
    assert app.text_area(key=COMMENT.format(app=app_id)).value == "另一个窗口的评语。"
    app.number_input(key=POINTS.format(app=app_id)).set_value(4.0)
    app = app.button(key="rv_save_draft").click().run()
    assert reviews.get_sheet(pages.store, reviewer, app_id).entries["livelihood_applications"].points == Decimal("4")


def test_a_sheet_submitted_in_another_tab_still_keeps_this_tabs_input(pages):
    app, app_id, reviewer = two_tabs(pages)
    full = {
        c: {"points": Decimal("3"), "comment": "另一个窗口提交的评语。"}
        for c in (
            "livelihood_applications",
            "consumer_skills",
            "experience_carriers",
            "industry_foundation",
            "industry_chain",
            "cluster_effect",
            "regional_character",
            "demonstration_projects",
            "payment_logistics",
            "credit_system",
            "security_privacy",
            "organisation",
            "policy_funding",
            "statistics_monitoring",
        )
    }
    reviews.save_sheet(pages.store, reviewer, app_id, entries=full, seen_version=1, submit=True)

    app = type_and_save(app, app_id)

    assert app.error[0].value.startswith("保存未成功")
    assert app.number_input(key=POINTS.format(app=app_id)).value == 6.5
    panel = block(app, "rv_conflict_panel")
    assert [b.key for b in panel.get("button")] == ["rv_conflict_reload"]
    assert "最新版本已经提交,不能再覆盖;请载入最新版本查看。" in [i.value for i in panel.info]
    app = app.button(key="rv_conflict_reload").click().run()
    assert not app.number_input
    assert reviews.get_sheet(pages.store, reviewer, app_id).status == "submitted"
