"""The audit log page: newest first, filters that narrow the rows, a limit with a note, inert values."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from submissions import audit, rounds
from tests.app.admin.conftest import UNTRUSTED

AUDIT = "app_pages/admin/audit.py"
BEIJING = dt.timezone(dt.timedelta(hours=8))


def rows(app):
    return app.dataframe[0].value


def everything(pages, **filters):
    return audit.search(pages.store, pages.actor("admin"), limit=audit.MAX_SEARCH_LIMIT, **filters).rows


@pytest.mark.parametrize(("lang", "title"), [("zh", "操作日志"), ("en", "Audit log")])
def test_audit_page_renders_the_newest_entries_first(pages, lang, title):
    app = pages.open(AUDIT, user="admin", lang=lang)

    assert not app.exception
    assert app.title[0].value == title
    shown = rows(app)
    assert shown["id"].tolist() == everything(pages)["id"].tolist()[:200]
    assert shown["id"].is_monotonic_decreasing


def test_audit_page_notes_when_the_limit_cuts_the_list(pages):
    app = pages.open(AUDIT, user="admin")

    app = app.number_input(key="ad_audit_limit").set_value(5).run()

    assert len(rows(app)) == 5
    assert [i.value for i in app.info] == ["符合条件的记录超过 5 条,只显示最新的 5 条;请缩小筛选范围或调高显示条数。"]


def test_audit_page_filters_by_action_outcome_and_person(pages):
    admin = pages.actor("admin")
    app = pages.open(AUDIT, user="admin")

    app = app.selectbox(key="ad_audit_action").set_value("round.advance").run()
    by_action = rows(app)
    app = app.selectbox(key="ad_audit_actor").set_value(admin.user_id).run()
    by_person = rows(app)

    assert set(by_action["action"]) == {"round.advance"}
    assert by_action["id"].tolist() == everything(pages, action="round.advance")["id"].tolist()
    assert len(by_action) < len(everything(pages))
    assert by_person["id"].tolist() == by_action["id"].tolist()  # only admins move rounds on
    assert not app.info


def test_audit_page_filters_refusals_of_a_round(pages):
    city = next(r for r in rounds.list_rounds(pages.store, pages.actor("admin")) if r.rubric_id == "city_comprehensive")
    app = pages.open(AUDIT, user="admin")

    app = app.selectbox(key="ad_audit_round").set_value(city.id).run()
    in_round = rows(app)
    app = app.selectbox(key="ad_audit_outcome").set_value("ok").run()

    assert set(in_round["round_id"]) == {city.id}
    assert in_round["id"].tolist() == everything(pages, round_id=city.id)["id"].tolist()[:200]
    assert set(rows(app)["outcome"]) == {"ok"}


def test_audit_page_filters_by_days_in_beijing_time(pages):
    oldest_day = everything(pages)["at"].iloc[-1].astimezone(BEIJING).date()
    app = pages.open(AUDIT, user="admin")

    app = app.date_input(key="ad_audit_dates").set_value((oldest_day, oldest_day)).run()

    shown = rows(app)
    assert len(shown) > 0
    assert {moment.astimezone(BEIJING).date() for moment in shown["at"]} == {oldest_day}
    assert len(shown) == len(
        everything(pages, **dict(zip(("since", "until"), audit.day_bounds(oldest_day, oldest_day), strict=True)))
    )


def test_audit_page_shows_untrusted_values_as_text(pages):
    rounds.create_round(pages.store, pages.actor("admin"), name=UNTRUSTED, rubric_id="project_life")

    app = pages.open(AUDIT, user="admin")
    app = app.selectbox(key="ad_audit_action").set_value("round.create").run()

    assert json.loads(rows(app)["after"].iloc[0])["name"] == UNTRUSTED
    rendered = [m.value for m in app.markdown] + [c.value for c in app.caption]
    assert not any("<script>" in value or "](http://x)" in value for value in rendered)
