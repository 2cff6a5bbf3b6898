"""The results page: the ranking as the store ranks it, method switches as compare_methods says, the
analyses, and downloads that read back as the table on screen."""

from __future__ import annotations

import csv
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from scoring import compare_methods, sensitivity
from submissions import accounts, exports, ranking
from submissions.errors import StoreBusy
from submissions.excel.ranking import SHEETS
from submissions.models import Application, ReviewRound, SelfAssessment
from tests.app.admin_ops.conftest import open_on_round, round_ids
from tests.support.app_fixtures import unescaped

RESULTS = "app_pages/admin/results.py"


def ranking_table(app) -> pd.DataFrame:
    return next(d.value for d in app.dataframe if "within_quota" in d.value.columns)


def table_with(app, column: str) -> pd.DataFrame:
    return next(d.value for d in app.dataframe if column in d.value.columns)


def expected_order(table: pd.DataFrame) -> list[str]:
    """Ranked applications by rank, then the rest by total (highest first), then reference."""
    ranked = table[table["rank"].notna()].sort_values(["rank", "application_id"])
    rest = table[table["rank"].isna()].sort_values(["total", "application_id"], ascending=[False, True])
    return [*ranked["application_id"], *rest["application_id"]]


def engine_inputs(pages, round_id: int):
    return pages.store.db.read(
        lambda session: ranking.engine_inputs(pages.store, session, session.get(ReviewRound, round_id))
    )


def show(app, view: str):
    return app.segmented_control(key="rs_view").set_value(view).run()


@pytest.mark.parametrize("rubric_id", ["city_comprehensive", "project_life"])
def test_ranking_table_equals_the_store_ranking_for_the_round_method(pages, rubric_id):
    app = open_on_round(pages, RESULTS, rubric_id)
    expected = ranking.rank_round(pages.store, pages.actor("admin"), round_ids(pages)[rubric_id]).table

    shown = ranking_table(app)

    assert shown["reference"].tolist() == expected_order(expected)
    by_ref = expected.set_index("application_id").loc[shown["reference"]]
    assert shown["rank"].tolist() == by_ref["rank"].tolist()
    assert shown["rank_category"].tolist() == by_ref["rank_category"].tolist()
    assert shown["total"].tolist() == pytest.approx(by_ref["total"].tolist(), nan_ok=True)
    assert shown["band_id"].tolist() == by_ref["band"].tolist()
    assert shown["within_quota"].tolist() == by_ref["within_quota"].tolist()
    assert shown["title"].tolist() == by_ref["app:title"].tolist()


def test_switching_the_method_moves_ranks_as_compare_methods_says(pages):
    round_id = round_ids(pages)["project_life"]
    admin = pages.actor("admin")
    app = open_on_round(pages, RESULTS, "project_life")
    base = app.segmented_control(key=f"rs_method_{round_id}").value

    app.segmented_control(key=f"rs_method_{round_id}").set_value("mean").run()

    ranked = ranking.rank_round(pages.store, admin, round_id)
    applications, scores = engine_inputs(pages, round_id)
    said = compare_methods(ranked.rubric, applications, scores, ranked.evaluation.settings).set_index("application_id")
    moves = table_with(app, "move")
    assert base == "trimmed"
    assert moves["rank_base"].tolist() == said.loc[moves["reference"], "rank_trimmed"].tolist()
    assert moves["rank_chosen"].tolist() == said.loc[moves["reference"], "rank_mean"].tolist()
    assert (moves["move"] == moves["rank_base"] - moves["rank_chosen"]).fillna(True).all()
    assert (moves["move"].fillna(0) != 0).any(), "the demo's life round has ranks that move"
    mean = ranking.rank_round(pages.store, admin, round_id, method="mean").table.set_index("application_id")
    shown = ranking_table(app)
    assert shown["rank"].tolist() == mean.loc[shown["reference"], "rank"].tolist()
    assert shown["total"].tolist() == pytest.approx(mean.loc[shown["reference"], "total"].tolist(), nan_ok=True)


def test_ranking_workbook_download_reads_back_as_the_table_on_screen(pages, downloads):
    app = open_on_round(pages, RESULTS, "project_life")
    shown = ranking_table(app)

    app.button(key="rs_prepare_xlsx").click().run()

    data = downloads.of(app.get("download_button")[0])
    sheet = load_workbook(io.BytesIO(data), read_only=True)[SHEETS[0]]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    column = {h.split("\n")[1]: i for i, h in enumerate(header)}
    assert [r[column["Application ref"]] for r in rows] == shown["reference"].tolist()
    assert [r[column["Rank"]] for r in rows] == [None if pd.isna(v) else v for v in shown["rank"]]
    assert [r[column["Rank in category"]] for r in rows] == [None if pd.isna(v) else v for v in shown["rank_category"]]
    assert [r[column["Total"]] for r in rows] == pytest.approx(shown["total"].tolist())
    assert [r[column["Band"]] for r in rows] == shown["band"].tolist()
    assert [r[column["Within quota"]] == "是" for r in rows] == shown["within_quota"].tolist()
    assert [r[column["Title"]] for r in rows] == shown["title"].tolist()


def test_ranking_csv_download_parses_into_the_table_on_screen(pages, downloads):
    app = open_on_round(pages, RESULTS, "city_comprehensive", lang="en")
    shown = ranking_table(app)

    app.button(key="rs_prepare_csv").click().run()

    text = downloads.of(app.get("download_button")[0]).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    column = {h.split(" / ")[1]: i for i, h in enumerate(header)}
    assert [r[column["Application ref"]] for r in rows] == shown["reference"].tolist()
    assert [float(r[column["Total"]]) for r in rows] == pytest.approx(shown["total"].tolist())
    assert [r[column["Band"]] for r in rows] == shown["band"].tolist()


def test_a_failed_export_shows_why_and_offers_no_file(pages, monkeypatch):
    app = open_on_round(pages, RESULTS, "project_life")

    def busy(*args, **kwargs):
        raise StoreBusy()

    monkeypatch.setattr(exports, "ranking_export", busy)
    app.button(key="rs_prepare_xlsx").click().run()

    assert unescaped(app.error[0].value) == StoreBusy().message("zh")
    assert not app.get("download_button")


def test_quota_lines_per_region_are_listed(pages):
    round_id = round_ids(pages)["project_life"]
    app = open_on_round(pages, RESULTS, "project_life")

    lines = table_with(app, "over_quota_by_ties")

    expected = ranking.rank_round(pages.store, pages.actor("admin"), round_id).evaluation.cut_lines
    assert lines["group"].tolist() == expected["group"].tolist()
    assert lines["cut_total"].tolist() == expected["cut_total"].tolist()
    assert set(lines["kind"]) == {"按地区"}


def test_ranked_bars_chart_shows_the_category_with_the_quota_line(pages):
    app = open_on_round(pages, RESULTS, "project_life", lang="en")

    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)

    assert spec["layer"][0]["mark"]["type"] == "bar"
    assert spec["layer"][1]["mark"]["type"] == "rule"
    assert [m.label for m in app.metric][:3] == ["Applications", "Sheets submitted", "In a recommended band"]


@pytest.mark.parametrize("view", ["heatmap", "severity", "disagreement", "self"])
def test_each_analysis_view_draws_its_chart(pages, view):
    app = open_on_round(pages, RESULTS, "project_life", lang="en")

    show(app, view)

    assert not app.exception, app.exception
    assert not app.error
    assert len(app.get("vega_lite_chart")) == 1


def test_reviewer_severity_lists_reviewers_harshest_first(pages):
    round_id = round_ids(pages)["project_life"]
    admin = pages.actor("admin")
    app = open_on_round(pages, RESULTS, "project_life")

    show(app, "severity")

    reviewers = ranking.rank_round(pages.store, admin, round_id).evaluation.reviewers
    names = {u.id: u.display_name for u in accounts.list_users(pages.store, admin, role="reviewer")}
    harshest = reviewers.sort_values("severity_points")["reviewer_id"].map(ranking.reviewer_user_id).map(names)
    assert table_with(app, "severity_points")["reviewer"].tolist() == harshest.tolist()


def test_self_vs_panel_shows_each_applicants_own_total(pages):
    round_id = round_ids(pages)["project_life"]
    app = open_on_round(pages, RESULTS, "project_life")

    show(app, "self")

    def stored(session):
        rows = session.execute(
            select(Application.reference, SelfAssessment.points)
            .join(SelfAssessment, SelfAssessment.application_id == Application.id)
            .where(Application.round_id == round_id, Application.status == "submitted")
        ).all()
        return {ref: sum(float(v) for v in json.loads(points).values()) for ref, points in rows}

    own = pages.store.db.read(stored)
    shown = table_with(app, "overclaim")
    assert sorted(shown["reference"]) == sorted(own)
    assert shown["self"].tolist() == pytest.approx([own[r] for r in shown["reference"]])


def test_sensitivity_is_computed_on_the_button_as_the_engine_computes_it(pages):
    round_id = round_ids(pages)["project_life"]
    app = open_on_round(pages, RESULTS, "project_life")
    show(app, "sensitivity")
    before = [d.value for d in app.dataframe if "crosses_line" in d.value.columns]

    app.button(key="rs_sensitivity_run").click().run()

    ranked = ranking.rank_round(pages.store, pages.actor("admin"), round_id)
    applications, _ = engine_inputs(pages, round_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rank ranges of unranked applications
        expected = sensitivity(ranked.rubric, ranked.evaluation, applications).set_index("application_id")
    shown = table_with(app, "crosses_line")
    assert before == []
    for column in ("weights_rank_min", "weights_rank_max", "method_rank_min", "reviewer_rank_max"):
        wanted = expected.loc[shown["reference"], column]
        assert shown[column].tolist() == [pd.NA if np.isnan(v) else v for v in wanted]
    assert shown["crosses_line"].tolist() == expected.loc[shown["reference"], "crosses_line"].tolist()
    assert len(app.get("vega_lite_chart")) == 1


def test_untrusted_titles_show_as_their_characters(pages):
    round_id = round_ids(pages)["project_life"]
    title = "<script>alert(1)</script>[link](http://x) ![img](http://x)"
    first = pages.store.db.read(
        lambda session: session.scalar(
            select(Application.id).where(Application.round_id == round_id, Application.status == "submitted").limit(1)
        )
    )
    pages.store.db.write(
        lambda session: session.execute(update(Application).where(Application.id == first).values(title=title))
    )

    app = open_on_round(pages, RESULTS, "project_life")

    assert title in ranking_table(app)["title"].tolist()
    assert not any("<script>" in m.value for m in app.markdown)
    assert not any("<script>" in c.value for c in app.caption)


def test_rounds_not_yet_under_review_are_not_offered(pages):
    app = pages.open(RESULTS, user="admin")

    offered = set(app.selectbox(key="rs_results_picker").options)

    ids = round_ids(pages)
    assert len(offered) == 3
    assert app.session_state["rs_results_picker"] in {
        ids["city_comprehensive"],
        ids["project_life"],
        ids["project_public_service"],
    }
