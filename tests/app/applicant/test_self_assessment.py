"""Self-assessment: level descriptors, bounded inputs, autosave, the live total and band, read-only rounds."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from scoring.selfassess import self_total
from submissions import applications
from tests.app.applicant.conftest import SELF_ASSESSMENT
from tests.support.app_fixtures import unescaped
from ui.application_form import number


def workspace(pages, user: str, application_id: int) -> applications.ApplicantWorkspace:
    return applications.applicant_workspace(pages.store, pages.actor(user), application_id)


def expected_metrics(ws: applications.ApplicantWorkspace, points: dict, lang: str = "zh") -> list[str]:
    summary = self_total(ws.rubric, points, ws.application.indicators, precision=ws.precision)
    return [
        f"{number(summary.total)} / {number(summary.max_total)}",
        summary.band_label(lang),
        f"{summary.assessed} / {summary.to_assess}",
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_self_assessment_shows_the_library_total_and_band(open_page, own, pages, lang):
    app_id = own("yunqi")["R4-00001"].application.id
    ws = workspace(pages, "yunqi", app_id)

    app = open_page(SELF_ASSESSMENT, "yunqi", lang=lang, query={"id": app_id})

    assert not app.exception
    assert app.title[0].value == ("Self-assessment" if lang == "en" else "自评")
    assert [m.value for m in app.metric] == expected_metrics(ws, ws.self_assessment.points, lang)
    assert [m.value for m in app.metric] == ["85 / 105", "Recommended" if lang == "en" else "推荐", "11 / 11"]
    (chart,) = app.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert [layer["encoding"]["x"]["field"] for layer in spec["layer"]] == ["max_points", "points"]
    assert spec["layer"][0]["encoding"]["y"]["sort"] == [c.label.get(lang) for c in ws.rubric.criteria]
    judged = [c for c in ws.rubric.criteria if c.method == "judged"]
    assert [n.key for n in app.number_input] == [f"ap_s_{c.id}" for c in judged]
    assert [n.max for n in app.number_input] == [float(c.max_points) for c in judged]
    assert app.number_input(key="ap_s_market_prospect").value == float(ws.self_assessment.points["market_prospect"])


def test_self_assessment_shows_each_level_descriptor(open_page, own, pages):
    app_id = own("yunqi")["R4-00001"].application.id
    rubric = workspace(pages, "yunqi", app_id).rubric

    app = open_page(SELF_ASSESSMENT, "yunqi", lang="en", query={"id": app_id})

    levels = sorted(rubric.criterion("market_prospect").levels, key=lambda lv: -lv.max_fraction)
    expected = "  \n".join(
        f"{grade} ({span} points): {level.descriptor.en}"
        for grade, span, level in zip(
            ["Excellent", "Good", "Fair", "Poor"], ["8.5–10", "7–8.5", "5–7", "0–5"], levels, strict=True
        )
    )
    assert expected in [unescaped(m.value) for m in app.markdown]


def test_self_assessment_change_saves_and_moves_the_total(open_page, own, pages):
    app_id = own("yunqi")["R4-00001"].application.id
    before = workspace(pages, "yunqi", app_id).self_assessment
    app = open_page(SELF_ASSESSMENT, "yunqi", query={"id": app_id})

    app = app.number_input(key="ap_s_market_prospect").set_value(9.5).run()
    app = app.number_input(key="ap_s_inclusion_bonus").set_value(3.0).run()

    after = workspace(pages, "yunqi", app_id)
    assert after.self_assessment.points == {
        **before.points,
        "market_prospect": Decimal("9.5"),
        "inclusion_bonus": Decimal("3"),
    }
    assert after.self_assessment.version == before.version + 2
    assert [m.value for m in app.metric] == expected_metrics(after, after.self_assessment.points)
    assert app.metric[0].value != "85 / 105"
    assert any(c.value.startswith("自评已自动保存于") for c in app.caption)


def test_self_assessment_off_step_points_are_explained_and_not_saved(open_page, own, pages):
    app_id = own("yunqi")["R4-00001"].application.id
    before = workspace(pages, "yunqi", app_id).self_assessment
    app = open_page(SELF_ASSESSMENT, "yunqi", lang="en", query={"id": app_id})

    app = app.number_input(key="ap_s_market_prospect").set_value(7.3).run()

    assert [unescaped(e.value) for e in app.error] == [
        "“Market demand and business model” is scored in steps of 0.5 points, so 7.3 is not allowed; use 7 or 7.5."
    ]
    assert workspace(pages, "yunqi", app_id).self_assessment == before
    assert app.number_input(key="ap_s_market_prospect").value == 7.3


def test_self_assessment_is_read_only_once_the_round_is_past_applications(open_page, own, pages):
    app_id = own("yunqi")["R1-00001"].application.id
    ws = workspace(pages, "yunqi", app_id)

    app = open_page(SELF_ASSESSMENT, "yunqi", lang="en", query={"id": app_id})

    assert app.info[0].value == (
        "The self-assessment is read-only: This round is published for public notice, so you cannot edit the "
        "self-assessment now; that is possible only while it is open for applications."
    )
    assert all(n.disabled for n in app.number_input)
    assert [m.value for m in app.metric] == expected_metrics(ws, ws.self_assessment.points, "en")


def test_self_assessment_with_a_non_integer_id_says_so(open_page):
    app = open_page(SELF_ASSESSMENT, "yunqi", lang="en", query={"id": "12; drop"})

    assert unescaped(app.error[0].value) == (
        "The application number in the address is not valid (it must be a number); "
        "open the application again from My applications."
    )


def test_self_assessment_edit_conflict_keeps_the_input(open_page, own, pages):
    app_id = own("yunqi")["R4-00001"].application.id
    before = workspace(pages, "yunqi", app_id).self_assessment
    app = open_page(SELF_ASSESSMENT, "yunqi", query={"id": app_id})
    points = {k: str(v) for k, v in before.points.items()} | {"market_prospect": "5"}
    applications.save_self_assessment(
        pages.store, pages.actor("yunqi"), app_id, points=points, seen_version=before.version
    )

    app = app.number_input(key="ap_s_market_prospect").set_value(9.0).run()

    assert unescaped(app.error[0].value).startswith("保存未成功:您打开后该内容已被修改")
    assert app.number_input(key="ap_s_market_prospect").value == 9.0
    assert workspace(pages, "yunqi", app_id).self_assessment.points["market_prospect"] == Decimal("5")
    app = app.button(key="ap_sa_reload").click().run()
    assert app.number_input(key="ap_s_market_prospect").value == 5.0
