"""My applications: the organisation's applications across rounds, links to each, a new application."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from scoring.synthetic import credit_codes
from submissions import accounts, applications, rounds
from tests.app.applicant.conftest import HOME, HOSTILE, markdown_sources, texts
from tests.support.app_fixtures import DEMO_PASSWORD, unescaped
from ui.application_form import beijing


@pytest.mark.parametrize(("lang", "statuses"), [("zh", ["已提交", "已提交"]), ("en", ["Submitted", "Submitted"])])
def test_home_lists_the_organisation_applications_across_rounds(open_page, own, lang, statuses):
    mine = list(own("yunqi").values())

    app = open_page(HOME, "yunqi", lang=lang)

    assert not app.exception
    table = app.dataframe[0].value
    assert table["reference"].tolist() == [o.application.reference for o in mine] == ["R4-00001", "R1-00001"]
    assert table["round"].tolist() == [o.round_name for o in mine]
    assert table["title"].tolist() == [o.application.title for o in mine]
    assert table["category"].tolist() == [o.category_label(lang) for o in mine]
    assert table["status"].tolist() == statuses
    assert table["updated"].tolist() == [beijing(o.application.updated_at) for o in mine]
    assert [o.application.title for o in mine] == [t for t in texts(app) if t in table["title"].tolist()]


def test_home_links_each_application_to_its_pages(open_page, own):
    mine = list(own("yunqi").values())

    app = open_page(HOME, "yunqi")

    links = [
        (link.proto.label, link.proto.page, link.proto.query_string, link.proto.disabled) for link in app.page_link
    ]
    industry, life = (o.application.id for o in mine)
    assert links == [
        ("申报书", "application", f"id={industry}", False),
        ("自评", "self-assessment", f"id={industry}", False),
        ("评审结果", "my-results", f"id={industry}", True),  # the industry round is still open
        ("申报书", "application", f"id={life}", False),
        ("自评", "self-assessment", f"id={life}", False),
        ("评审结果", "my-results", f"id={life}", False),
    ]


def test_home_offers_the_open_round_and_its_categories(open_page):
    app = open_page(HOME, "minjiang", lang="en")

    assert app.selectbox(key="ap_new_round_picker").options == ["2026年新型信息消费示范项目(行业类)"]
    assert "State: open for applications" in [caption.value for caption in app.caption]
    assert app.selectbox(key="ap_new_category").options == ["Industry"]


def test_home_creates_an_application_and_opens_it(open_page, pages):
    app = open_page(HOME, "chutian")  # applied only in the published life round

    app.text_input(key="ap_new_title").input("楚天工业康养设备云平台")
    app = app.button(key="ap_create").click().run()

    assert not app.exception
    (created,) = [
        o.application
        for o in applications.list_own_applications(pages.store, pages.actor("chutian"))
        if o.round_state == "open"
    ]
    assert (created.title, created.category, created.region, created.status) == (
        "楚天工业康养设备云平台",
        "industry",
        "湖北",
        "draft",
    )
    assert app.title[0].value == "申报书"
    assert app.success[0].value == f"已新建申报书 {created.reference},请逐项填写;每次修改都会自动保存为草稿。"
    assert app.text_input(key="ap_f_title").value == "楚天工业康养设备云平台"


def test_home_create_after_the_deadline_is_refused_and_nothing_created(open_page, pages, own):
    before = own("chutian")
    app = open_page(HOME, "chutian")
    admin = pages.actor("admin")
    (industry,) = [r for r in rounds.list_rounds(pages.store, admin) if r.state == "open"]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    rounds.update_settings(
        pages.store, admin, industry.id, seen_version=industry.version, changes={"application_deadline": past}
    )

    app = app.button(key="ap_create").click().run()

    shown = past.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert unescaped(app.error[0].value) == f"申报截止时间({shown},北京时间)已过,本次修改未保存。"
    assert own("chutian").keys() == before.keys()
    assert app.title[0].value == "我的申报"


def test_home_untrusted_title_is_inert(open_page, own, pages):
    (draft,) = (o.application for o in own("minjiang").values())
    applications.save_application(
        pages.store, pages.actor("minjiang"), draft.id, seen_version=draft.version, changes={"title": HOSTILE}
    )

    app = open_page(HOME, "minjiang")

    assert HOSTILE in texts(app)
    assert app.dataframe[0].value["title"].tolist() == [HOSTILE]
    assert not [m for m in markdown_sources(app) if "<script>" in m or "](http" in m]


def test_home_without_applications_says_so(open_page, pages):
    admin = pages.actor("admin")
    (code,) = credit_codes(1, np.random.default_rng(3))
    org = accounts.create_organisation(
        pages.store, admin, name="广州新申报科技有限公司", credit_code=str(code), region="广东"
    )
    accounts.create_user(
        pages.store,
        admin,
        username="xinshenbao",
        display_name="新申报联系人",
        role="applicant",
        password=DEMO_PASSWORD,
        organisation_id=org.id,
        region="广东",
    )

    app = open_page(HOME, "xinshenbao", lang="en")

    assert not app.exception
    assert app.info[0].value == (
        "Your organisation has no application yet. Start one below in a round open for applications."
    )
    assert not app.dataframe
    assert app.button(key="ap_create").label == "Create application"
