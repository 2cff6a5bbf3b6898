"""My results: nothing before publication; afterwards own totals, bands, ranks, self against panel, public list."""

from __future__ import annotations

import json

import pytest

from submissions import applications
from tests.app.applicant.conftest import HOSTILE, RESULTS, markdown_sources, texts
from tests.support.app_fixtures import unescaped
from ui.application_form import number


def test_results_before_publication_say_so(open_page, own):
    industry = own("yunqi")["R4-00001"].application  # its round is still open

    app = open_page(RESULTS, "yunqi", query={"id": industry.id})

    assert not app.exception
    assert app.info[0].value == "本批次评审结果尚未公示,公示后可在此查看。"
    assert "本轮评审当前处于“开放申报”阶段,不能查看评审结果;只有在“公示中、已定稿”阶段才可以。" in [
        unescaped(caption.value) for caption in app.main.caption
    ]
    assert not app.metric and not app.dataframe


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_results_after_publication_show_own_rows_gaps_and_public_list(open_page, own, pages, lang):
    life = own("yunqi")["R1-00001"].application
    expected = applications.published_results(pages.store, pages.actor("yunqi"), life.round_id)
    (mine,) = expected.own

    app = open_page(RESULTS, "yunqi", lang=lang, query={"id": life.id})

    assert not app.exception
    assert [m.value for m in app.metric] == [
        number(mine.total),
        mine.band_label(lang),
        str(mine.rank),
        str(mine.rank_category),
    ]
    assert [m.value for m in app.metric] == ["81.49", "Recommended" if lang == "en" else "推荐", "6", "6"]
    compare, public = app.dataframe
    shown = compare.value
    assert shown[f"label_{lang}"].tolist() == mine.criteria[f"label_{lang}"].tolist()
    assert shown["panel"].tolist() == mine.criteria["panel"].tolist()
    assert shown["gap"].fillna(99).tolist() == mine.criteria["gap"].fillna(99).tolist()
    underclaimed = shown.loc[shown["verdict"] == "underclaim", "criterion_id"].tolist()
    assert underclaimed == ["digital_home"]  # self 6.5 against the panel's 7.00
    (chart,) = app.get("vega_lite_chart")
    layers = json.loads(chart.proto.spec)["layer"]
    assert [layer["encoding"]["x"]["field"] for layer in layers] == ["max_points", "panel", "self"]
    assert layers[2]["encoding"]["color"]["field"] == "verdict"
    assert public.value["title"].tolist() == expected.public["title"].tolist()
    assert public.value["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert public.value[f"band_{lang}"].unique().tolist() == ["Recommended" if lang == "en" else "推荐"]


def test_results_gap_rows_are_coloured_by_verdict(open_page, own):
    life = own("yunqi")["R1-00001"].application

    app = open_page(RESULTS, "yunqi", query={"id": life.id})

    styled = app.dataframe[0].proto.arrow_data.styler
    assert "#deebf7" in styled.styles  # the under-claimed row is blue


def test_results_ineligible_application_shows_the_reasons(open_page, own, pages):
    life = own("yongcheng")["R1-00016"].application  # declared a security incident (veto)

    app = open_page(RESULTS, "yongcheng", lang="en", query={"id": life.id})

    assert unescaped(app.warning[0].value) == (
        "Ineligible: Serious network-security or personal-information incident (veto)"
    )
    assert [m.value for m in app.metric] == ["75.18", "Ineligible", "—", "—"]
    assert app.info[0].value == "This application has no self-assessment; the table lists the panel's points only."


def test_results_untrusted_title_is_inert(open_page, own, pages):
    # Titles are frozen once submitted, so this one is changed in the store directly, as an import could.
    life = own("yunqi")["R1-00001"].application
    pages.store.db.write(
        lambda session: session.execute(
            applications.Application.__table__.update()
            .where(applications.Application.id == life.id)
            .values(title=HOSTILE)
        )
    )

    app = open_page(RESULTS, "yunqi", query={"id": life.id})

    assert HOSTILE in texts(app)
    assert HOSTILE in app.dataframe[1].value["title"].tolist()
    assert not [m for m in markdown_sources(app) if "<script>" in m or "](http" in m]
