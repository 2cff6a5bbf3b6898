"""The administrators' ranking workbook and CSV (submissions.excel.ranking), read back with openpyxl."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from rubrics import load_rubric
from scoring.evaluate import evaluate
from scoring.synthetic import round_data
from submissions.excel.ranking import SHEETS, ranking_csv, ranking_workbook

LIFE = load_rubric("project_life")


@pytest.fixture(scope="module")
def evaluation():
    applications, scores = round_data(LIFE, 40, seed=3, categorical=False)
    applications.loc[applications.index[:3], "security_incident"] = True  # vetoed: ineligible
    scores = scores.loc[~scores["application_id"].isin(["A5", "A6"])]  # not scored yet
    result = evaluate(LIFE, applications, scores)
    titles = ["=1+1", "+SUM(A1:A9)", "@cmd", "-2"] + [f"项目{i}" for i in range(36)]
    table = result.table.assign(
        **{
            "app:title": titles,
            "app:organisation": [f"单位{i}" if i % 2 else '=HYPERLINK("x")' for i in range(40)],
        }
    )
    return dataclasses.replace(result, table=table), scores


def workbook(evaluation, lang="zh"):
    result, scores = evaluation
    detail = (
        scores.pivot_table(index=["application_id", "reviewer_id"], columns="criterion_id", values="points")
        .reset_index()
        .rename(columns={"application_id": "application_ref", "reviewer_id": "reviewer"})
    )
    detail["reviewer"] = "专家" + detail["reviewer"].str[1:]
    return ranking_workbook(
        rubric=LIFE,
        evaluation=result,
        round_info={
            "rubric_id": LIFE.id,
            "content_hash": result.content_hash,
            "aggregation": "trimmed",
            "quotas": {"region": 10},
            "generated_at": dt.datetime(2024, 5, 1, 9, 30),
        },
        reviewer_scores=detail,
        statistics={"kendall_w": 0.61, "note": "=cmd|' /C calc'!A0"},
        audit_summary=pd.DataFrame({"action": ["score.submitted", "=evil()"], "count": [200, 1]}),
        lang=lang,
        reviewer_labels={rid: f"专家{rid[1:]}" for rid in result.reviewers["reviewer_id"]},
    ), detail


def expected_order(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(unranked=table["rank"].isna(), by_total=-table["total"].fillna(-np.inf)).sort_values(
        ["unranked", "rank", "by_total", "application_id"], na_position="last"
    )


def rows(data: bytes, sheet: str) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(data), read_only=True)[sheet].iter_rows(values_only=True)]


def test_ranking_workbook_has_the_six_sheets(evaluation):
    data, _ = workbook(evaluation)
    assert load_workbook(io.BytesIO(data), read_only=True).sheetnames == list(SHEETS)


def test_ranking_sheet_equals_the_evaluation(evaluation):
    data, _ = workbook(evaluation)
    table = expected_order(evaluation[0].table)
    sheet = rows(data, "排名 Ranking")
    header, body = sheet[0], sheet[1:]
    assert header[:4] == ["排名\nRank", "类别内排名\nRank in category", "申报编号\nApplication ref", "项目名称\nTitle"]
    column = {h.split("\n")[1]: i for i, h in enumerate(header)}
    assert [r[column["Application ref"]] for r in body] == table["application_id"].tolist()
    assert [r[column["Rank"]] for r in body] == [None if pd.isna(v) else int(v) for v in table["rank"]]
    assert [r[column["Total"]] for r in body] == [None if pd.isna(v) else v for v in table["total"]]
    assert [r[column["Title"]] for r in body] == table["app:title"].tolist()
    labels = {
        "recommended": "推荐",
        "reserve": "备选",
        "not_recommended": "不推荐",
        "ineligible": "不符合申报条件",
        "unscored": "尚未评分",
    }
    assert [r[column["Band"]] for r in body] == [labels[b] for b in table["band"]]
    assert [r[column["Eligible"]] for r in body] == ["是" if v else "否" for v in table["eligible"]]
    assert [r[column["Reasons"]] for r in body] == [v or None for v in table["reasons_zh"]]
    assert body[-1][column["Band"]] in ("不符合申报条件", "尚未评分")
    assert [r[column["Good development prospects"]] for r in body] == [
        None if pd.isna(v) else v for v in table["dim:outlook"]
    ]


def test_ranking_sheet_formats_bands_scores_and_panes(evaluation):
    data, _ = workbook(evaluation)
    sheet = load_workbook(io.BytesIO(data))["排名 Ranking"]
    assert sheet.freeze_panes == "D2"
    band_column = [c.value for c in sheet[1]].index("推荐档次\nBand") + 1
    fills = {
        sheet.cell(row=r, column=band_column).value: sheet.cell(row=r, column=band_column).fill.fgColor.rgb
        for r in range(2, 42)
    }
    assert fills["推荐"] == "FFC6EFCE"
    assert fills["不符合申报条件"] == "FFFFC7CE"
    assert len(set(fills.values())) == len(fills)
    total_column = [c.value for c in sheet[1]].index("总分\nTotal") + 1
    assert sheet.cell(row=2, column=total_column).number_format == "0.00"


def test_ranking_workbook_in_english_uses_english_labels(evaluation):
    data, _ = workbook(evaluation, lang="en")
    body = rows(data, "排名 Ranking")[1:]
    assert body[0][5] == "Daily life" and body[0][7] == "Recommended" and body[0][8] == "yes"


def test_criterion_and_reviewer_sheets_hold_the_scores_as_given(evaluation):
    data, detail = workbook(evaluation)
    table = expected_order(evaluation[0].table)
    criteria = rows(data, "评分项得分 Criterion scores")
    assert criteria[0][3] == "市场需求与商业模式(满分10)\nMarket demand and business model (max 10)"
    assert [r[3] for r in criteria[1:]] == [None if pd.isna(v) else v for v in table["market_prospect"]]
    assert [r[4] for r in criteria[1:]] == table["business_growth_score"].tolist()
    reviewers = rows(data, "评审明细 Reviewer detail")
    assert reviewers[0][:2] == ["申报编号\nApplication ref", "评审专家\nReviewer"]
    assert [r[:2] for r in reviewers[1:]] == detail[["application_ref", "reviewer"]].to_numpy().tolist()
    assert [r[2:] for r in reviewers[1:]] == detail.iloc[:, 2:].to_numpy().tolist()


def test_statistics_and_settings_sheets_are_key_values(evaluation):
    data, _ = workbook(evaluation)
    stats = rows(data, "评审统计 Panel statistics")
    severity = evaluation[0].reviewers
    assert stats[0][0] == "评审专家\nReviewer"
    assert [r[0] for r in stats[1 : len(severity) + 1]] == [f"专家{i[1:]}" for i in severity["reviewer_id"]]
    assert stats[len(severity) + 3 :] == [["kendall_w", 0.61] + [None] * 3, ["note", "=cmd|' /C calc'!A0"] + [None] * 3]
    settings = rows(data, "设置 Settings")
    assert settings[1:4] == [
        ["rubric_id", "project_life"],
        ["content_hash", evaluation[0].content_hash],
        ["aggregation", "trimmed"],
    ]
    assert settings[4] == ["quotas", '{"region": 10}']
    assert settings[5] == ["generated_at", dt.datetime(2024, 5, 1, 9, 30)]
    assert rows(data, "审计摘要 Audit summary")[1:] == [["score.submitted", 200], ["=evil()", 1]]


def test_ranking_workbook_never_writes_a_formula(evaluation):
    data, _ = workbook(evaluation)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = {n: archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")}
    assert len(sheets) == 6
    for name, xml in sheets.items():
        assert b"<f>" not in xml and b"<f " not in xml, name
    sheet = load_workbook(io.BytesIO(data))["排名 Ranking"]
    titles = {sheet.cell(row=r, column=4).value: sheet.cell(row=r, column=4) for r in range(2, 42)}
    for text in ("=1+1", "+SUM(A1:A9)", "@cmd", "-2"):
        assert titles[text].data_type == "s"


def test_ranking_csv_is_the_ranking_sheet_neutralised(evaluation):
    data = ranking_csv(evaluation[0].table, LIFE)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = parsed[0], parsed[1:]
    assert header[:4] == [
        "排名 / Rank",
        "类别内排名 / Rank in category",
        "申报编号 / Application ref",
        "项目名称 / Title",
    ]
    table = expected_order(evaluation[0].table)
    assert [r[2] for r in body] == table["application_id"].tolist()
    titles = dict(zip(table["application_id"], (r[3] for r in body), strict=True))
    assert [titles[f"A{i}"] for i in range(4)] == ["'=1+1", "'+SUM(A1:A9)", "'@cmd", "'-2"]
    organisations = [r[4] for r in body]
    assert '\'=HYPERLINK("x")' in organisations
    assert [r[10] for r in body] == ["" if pd.isna(v) else repr(v) for v in table["total"]]
