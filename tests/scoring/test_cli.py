"""Tests for the command line (scoring.cli) and safe table reading and writing (scoring.tabular)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from rubrics import list_rubrics, load_rubric
from scoring import tabular
from scoring.cli import main
from scoring.evaluate import evaluate
from scoring.settings import Settings
from scoring.synthetic import round_data
from scoring.tabular import TableError, neutralise, read_table, write_table

REPO = Path(__file__).resolve().parents[2]
RUBRIC = "project_life"
RELIABILITY_KEYS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k", "kendall_w")


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC)


@pytest.fixture(scope="module")
def round_frames(rubric):
    """A small valid round: (applications, scores) with plain text columns."""
    return round_data(rubric, 24, seed=3, categorical=False)


def write_round(tmp_path: Path, applications: pd.DataFrame, scores: pd.DataFrame, ext: str = "csv"):
    apps_path, scores_path = tmp_path / f"apps.{ext}", tmp_path / f"scores.{ext}"
    if ext == "csv":
        applications.to_csv(apps_path, index=False)
        scores.to_csv(scores_path, index=False)
    else:
        applications.to_excel(apps_path, index=False)
        scores.to_excel(scores_path, index=False)
    return apps_path, scores_path


def rank_args(apps: Path, scores: Path, out: Path, *extra: str) -> list[str]:
    return ["rank", "--rubric", RUBRIC, "--applications", str(apps), "--scores", str(scores), "--out", str(out), *extra]


def read_output(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"application_id": str}, encoding="utf-8-sig")
    return pd.read_excel(path, dtype={"application_id": str})


def assert_matches(output: pd.DataFrame, expected: pd.DataFrame) -> None:
    merged = expected.merge(output, on="application_id", suffixes=("_expected", "_cli"), validate="one_to_one")
    assert len(merged) == len(expected) == len(output)
    np.testing.assert_array_equal(merged["total_cli"].to_numpy(float), merged["total_expected"].to_numpy(float))
    np.testing.assert_array_equal(
        merged["rank_cli"].to_numpy(float), merged["rank_expected"].to_numpy(dtype=float, na_value=np.nan)
    )
    assert merged["band_cli"].tolist() == merged["band_expected"].tolist()


# -- rank: happy paths ------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_rank_table_in_table_out_matches_evaluate(tmp_path, capsys, rubric, round_frames, ext):
    applications, scores = round_frames
    apps_path, scores_path = write_round(tmp_path, applications, scores, ext)
    out = tmp_path / f"ranking.{ext}"

    assert main(rank_args(apps_path, scores_path, out)) == 0

    output = read_output(out)
    for column in ("application_id", "category", "eligible", "reasons", "total", "band", "rank"):
        assert column in output.columns
    for column in ("rank_category", "within_quota", "dim:outlook", "market_prospect", "business_growth_score"):
        assert column in output.columns
    expected = evaluate(rubric, applications, scores, Settings.from_rubric(rubric.settings)).table
    assert_matches(output, expected)
    assert output["rank"].tolist() == sorted(output["rank"].tolist())  # ranked order
    summary = capsys.readouterr().out
    assert f"{len(applications)} applications" in summary
    assert str(out) in summary


def test_rank_method_changes_totals_when_aggregation_differs(tmp_path, rubric, round_frames):
    applications, scores = round_frames
    apps_path, scores_path = write_round(tmp_path, applications, scores)
    totals = {}
    for method in ("mean", "median"):
        out = tmp_path / f"{method}.csv"
        assert main(rank_args(apps_path, scores_path, out, "--method", method)) == 0
        output = read_output(out)
        expected = evaluate(rubric, applications, scores, Settings.from_rubric(rubric.settings, method=method))
        assert_matches(output, expected.table)
        totals[method] = output.set_index("application_id")["total"].sort_index()
    assert (totals["mean"] != totals["median"]).any()


def test_rank_normalise_flag_matches_normalised_settings(tmp_path, rubric, round_frames):
    applications, scores = round_frames
    apps_path, scores_path = write_round(tmp_path, applications, scores)
    out = tmp_path / "normalised.csv"
    assert main(rank_args(apps_path, scores_path, out, "--method", "mean", "--normalise")) == 0
    settings = Settings.from_rubric(rubric.settings, method="mean", normalise=True)
    assert_matches(read_output(out), evaluate(rubric, applications, scores, settings).table)


def test_rank_lang_zh_writes_chinese_reasons(tmp_path, round_frames):
    applications, scores = round_frames
    applications = applications.astype({"security_incident": object, "legal_person": object, "not_blacklisted": object})
    applications.loc[0, "security_incident"] = "是"
    applications.loc[1, "legal_person"] = "否"
    applications.loc[2, "not_blacklisted"] = "yes"
    apps_path, scores_path = write_round(tmp_path, applications, scores)
    out = tmp_path / "zh.csv"
    assert main(rank_args(apps_path, scores_path, out, "--lang", "zh")) == 0
    output = read_output(out).set_index("application_id")
    assert "一票否决" in output.loc["A0", "reasons"]
    assert not output.loc["A0", "eligible"]
    assert not output.loc["A1", "eligible"]
    assert output.loc["A2", "eligible"]


def test_rank_wrong_credit_code_is_ineligible_not_an_error(tmp_path, round_frames):
    applications, scores = round_frames
    applications = applications.copy()
    code = applications.loc[4, "credit_code"]
    applications.loc[4, "credit_code"] = code[:17] + ("0" if code[17] != "0" else "1")
    apps_path, scores_path = write_round(tmp_path, applications, scores)
    out = tmp_path / "ranking.csv"

    assert main(rank_args(apps_path, scores_path, out)) == 0

    row = read_output(out).set_index("application_id").loc["A4"]
    assert not row["eligible"]
    assert row["band"] == "ineligible"
    assert pd.isna(row["rank"])
    assert "credit code" in row["reasons"].lower()


# -- rank: bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["99", "abc"])
def test_rank_bad_point_reports_file_row_and_column(tmp_path, capsys, round_frames, bad):
    applications, scores = round_frames
    scores = scores.astype({"points": object})
    scores.loc[5, "points"] = bad
    apps_path, scores_path = write_round(tmp_path, applications, scores)
    out = tmp_path / "ranking.csv"

    assert main(rank_args(apps_path, scores_path, out)) == 2

    err = capsys.readouterr().err
    assert f"{scores_path} row 7 column points:" in err  # header is row 1, index 5 is row 7
    assert repr(bad) in err
    assert "Traceback" not in err
    assert not out.exists()


def test_rank_bad_point_in_xlsx_reports_spreadsheet_row(tmp_path, capsys, round_frames):
    applications, scores = round_frames
    scores = scores.astype({"points": object})
    scores.loc[0, "points"] = "lots"
    apps_path, scores_path = write_round(tmp_path, applications, scores, "xlsx")
    assert main(rank_args(apps_path, scores_path, tmp_path / "ranking.xlsx")) == 2
    assert f"{scores_path} row 2 column points:" in capsys.readouterr().err


def test_rank_missing_column_names_file_and_column(tmp_path, capsys, round_frames):
    applications, scores = round_frames
    apps_path, scores_path = write_round(tmp_path, applications.drop(columns=["region"]), scores)
    assert main(rank_args(apps_path, scores_path, tmp_path / "ranking.csv")) == 2
    err = capsys.readouterr().err
    assert f"{apps_path} column region:" in err
    assert "'region' is missing" in err


def test_rank_missing_scores_column_names_file_and_column(tmp_path, capsys, round_frames):
    applications, scores = round_frames
    apps_path, scores_path = write_round(tmp_path, applications, scores.drop(columns=["points"]))
    assert main(rank_args(apps_path, scores_path, tmp_path / "ranking.csv")) == 2
    assert f"{scores_path} column points:" in capsys.readouterr().err


def test_rank_unknown_rubric_lists_known_rubrics(tmp_path, capsys, round_frames):
    apps_path, scores_path = write_round(tmp_path, *round_frames)
    args = rank_args(apps_path, scores_path, tmp_path / "ranking.csv")
    args[args.index(RUBRIC)] = "no_such_rubric"
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "no_such_rubric" in err
    for known in list_rubrics():
        assert known in err


def test_rank_non_numeric_indicator_is_an_error_with_row_and_column(tmp_path, capsys, round_frames):
    applications, scores = round_frames
    applications = applications.astype({"business_growth": object})
    applications.loc[3, "business_growth"] = "about ten"
    apps_path, scores_path = write_round(tmp_path, applications, scores)
    out = tmp_path / "ranking.csv"
    assert main(rank_args(apps_path, scores_path, out)) == 2
    err = capsys.readouterr().err
    assert f"{apps_path} row 5 column business_growth:" in err
    assert "must be a number" in err
    assert not out.exists()


def test_rank_application_problems_each_reported_at_their_row(tmp_path, capsys, round_frames):
    applications, scores = round_frames
    applications = applications.astype({"legal_person": object, "security_incident": object})
    applications.loc[0, "region"] = None
    applications.loc[1, "legal_person"] = "maybe"
    applications.loc[2, "security_incident"] = None
    applications.loc[6, "users_served"] = -5
    applications.loc[7, "category"] = "no_such_category"
    apps_path, scores_path = write_round(tmp_path, applications, scores)
    assert main(rank_args(apps_path, scores_path, tmp_path / "ranking.csv", "--lang", "zh")) == 2
    err = capsys.readouterr().err
    assert f"{apps_path} row 2 column region:" in err
    assert f"{apps_path} row 3 column legal_person: 'maybe' is not a yes/no answer" in err
    assert f"{apps_path} row 4 column security_incident:" in err
    assert f"{apps_path} row 8 column users_served:" in err
    assert f"{apps_path} row 9 column category:" in err
    assert "项目服务用户数" in err  # the Chinese message follows the English one
    assert "5 problem(s) found" in err


def test_rank_row_numbers_stay_right_for_ten_thousand_applications(tmp_path, capsys, rubric):
    applications, scores = round_data(rubric, 10_000, seed=1, categorical=False)
    applications = applications.astype({"users_served": object})
    applications.loc[9_998, "users_served"] = "n/a"
    scores = scores.loc[scores["application_id"].isin(["A0", "A1"])]
    apps_path, scores_path = write_round(tmp_path, applications, scores)
    started = time.perf_counter()
    assert main(rank_args(apps_path, scores_path, tmp_path / "ranking.csv")) == 2
    assert time.perf_counter() - started < 30
    err = capsys.readouterr().err
    assert f"{apps_path} row 10000 column users_served:" in err
    assert "1 problem(s) found" in err


def test_rank_duplicate_ids_reported_as_rows(tmp_path, capsys, round_frames):
    applications, scores = round_frames
    applications = applications.copy()
    applications.loc[3, "application_id"] = "A2"
    scores = scores.loc[scores["application_id"] != "A3"]
    apps_path, scores_path = write_round(tmp_path, applications, scores)
    assert main(rank_args(apps_path, scores_path, tmp_path / "ranking.csv")) == 2
    assert f"{apps_path} rows 4, 5 column application_id:" in capsys.readouterr().err


def test_rank_unreadable_and_unsupported_files_exit_2(tmp_path, capsys, round_frames):
    apps_path, scores_path = write_round(tmp_path, *round_frames)
    assert main(rank_args(tmp_path / "missing.csv", scores_path, tmp_path / "r.csv")) == 2
    assert f"{tmp_path / 'missing.csv'}: no such file" in capsys.readouterr().err
    assert main(rank_args(apps_path, scores_path, tmp_path / "r.xls")) == 2
    assert ".csv or an .xlsx" in capsys.readouterr().err
    (tmp_path / "latin1.csv").write_bytes("application_id,region\nA0,S\xe3o Paulo\n".encode("latin-1"))
    assert main(rank_args(tmp_path / "latin1.csv", scores_path, tmp_path / "r.csv")) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_rank_output_over_an_input_file_refused(tmp_path, capsys, round_frames):
    apps_path, scores_path = write_round(tmp_path, *round_frames)
    before = scores_path.read_bytes()
    assert main(rank_args(apps_path, scores_path, scores_path)) == 2
    assert "overwrite an input" in capsys.readouterr().err
    assert scores_path.read_bytes() == before


def test_rank_contract_problems_do_not_hide_rubric_problems(tmp_path, capsys, round_frames):
    applications, scores = round_frames
    applications = applications.astype({"business_growth": object})
    applications.loc[0, "application_id"] = "A" * 80  # too long for the contract
    applications.loc[0, "business_growth"] = 5000  # and out of the rubric's range
    apps_path, scores_path = write_round(tmp_path, applications, scores.loc[scores["application_id"] != "A0"])
    assert main(rank_args(apps_path, scores_path, tmp_path / "ranking.csv")) == 2
    err = capsys.readouterr().err
    assert f"{apps_path} row 2 column application_id:" in err
    assert f"{apps_path} row 2 column business_growth:" in err


def test_main_usage_error_returns_2_without_traceback(capsys):
    assert main(["rank", "--rubric", RUBRIC]) == 2
    assert main([]) == 2
    assert "Traceback" not in capsys.readouterr().err


# -- formula injection ------------------------------------------------------------------------------


@pytest.fixture
def hostile_text_round(round_frames):
    applications, scores = round_frames
    applications = applications.copy()
    scores = scores.copy()
    applications.loc[0, "region"] = '=HYPERLINK("x")'
    applications.loc[1, "application_id"] = '=HYPERLINK("y")'
    scores.loc[scores["application_id"] == "A1", "application_id"] = '=HYPERLINK("y")'
    return applications, scores


def test_rank_formula_text_comes_out_quoted_in_csv(tmp_path, hostile_text_round):
    apps_path, scores_path = write_round(tmp_path, *hostile_text_round)
    out = tmp_path / "ranking.csv"
    assert main(rank_args(apps_path, scores_path, out)) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert '\'=HYPERLINK("x")' in cells
    assert '\'=HYPERLINK("y")' in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_rank_formula_text_is_a_string_cell_in_xlsx(tmp_path, hostile_text_round):
    apps_path, scores_path = write_round(tmp_path, *hostile_text_round)
    out = tmp_path / "ranking.xlsx"
    assert main(rank_args(apps_path, scores_path, out)) == 0
    with zipfile.ZipFile(out) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet
    assert "=HYPERLINK(&quot;x&quot;)" in sheet or '=HYPERLINK("x")' in sheet
    workbook = load_workbook(out)
    values = {cell.value: cell.data_type for row in workbook.active.iter_rows() for cell in row}
    assert values['=HYPERLINK("x")'] == "s"
    assert values['=HYPERLINK("y")'] == "s"
    assert workbook.active.freeze_panes == "A2"
    assert workbook.active["A1"].font.bold


# -- stats ----------------------------------------------------------------------------------------


def test_stats_json_has_reliability_keys_in_range(tmp_path, capsys, round_frames):
    _, scores_path = write_round(tmp_path, *round_frames)
    assert main(["stats", "--scores", str(scores_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in RELIABILITY_KEYS:
        assert isinstance(report[key], float)
        assert -1.0 <= report[key] <= 1.0
    assert report["rubric"] == RUBRIC  # inferred from the criterion ids
    assert report["design"] == "slots"
    assert report["targets"] == 24 and report["raters"] == 5
    assert report["disagreement"]["flagged"] >= 0
    assert report["disagreement"]["mean_std"] > 0
    assert {r["reviewer_id"] for r in report["reviewers"]} <= {f"R{i:04d}" for i in range(50)}


def test_stats_json_writes_null_for_undefined_statistics(tmp_path, capsys, round_frames):
    _, scores = round_frames
    one = scores.loc[scores["application_id"] == "A0"]
    _, scores_path = write_round(tmp_path, round_frames[0], one)
    assert main(["stats", "--scores", str(scores_path), "--json", "--rubric", RUBRIC]) == 0
    text = capsys.readouterr().out
    assert "NaN" not in text
    report = json.loads(text)
    assert report["design"] == "none"
    assert all(report[key] is None for key in RELIABILITY_KEYS)


def test_stats_prints_readable_table_without_json(tmp_path, capsys, round_frames):
    _, scores_path = write_round(tmp_path, *round_frames, ext="xlsx")
    assert main(["stats", "--scores", str(scores_path), "--rubric", RUBRIC]) == 0
    text = capsys.readouterr().out
    for key in RELIABILITY_KEYS:
        assert key in text
    assert "Reviewer severity" in text


def test_stats_ambiguous_rubric_lists_candidates(tmp_path, capsys, rubric, round_frames):
    _, scores = round_frames
    core = ["market_prospect", "industry_pull", "consumer_reach", "replicability", "recognition"]
    _, scores_path = write_round(tmp_path, round_frames[0], scores.loc[scores["criterion_id"].isin(core)])
    assert main(["stats", "--scores", str(scores_path)]) == 2
    err = capsys.readouterr().err
    assert "project_life" in err and "project_industry" in err
    assert "--rubric" in err


def test_stats_empty_scores_file_asks_for_rubric(tmp_path, capsys, round_frames):
    _, scores_path = write_round(tmp_path, round_frames[0], round_frames[1].iloc[:0])
    assert main(["stats", "--scores", str(scores_path)]) == 2
    assert "holds no scores" in capsys.readouterr().err


def test_stats_bad_point_exits_2_with_row(tmp_path, capsys, round_frames):
    _, scores = round_frames
    scores = scores.astype({"points": object})
    scores.loc[10, "points"] = -1
    _, scores_path = write_round(tmp_path, round_frames[0], scores)
    assert main(["stats", "--scores", str(scores_path)]) == 2
    assert f"{scores_path} row 12 column points:" in capsys.readouterr().err


# -- the module entry point -------------------------------------------------------------------------


def test_module_entry_point_runs_as_python_dash_m(tmp_path, round_frames):
    apps_path, scores_path = write_round(tmp_path, *round_frames)
    out = tmp_path / "ranking.csv"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "scoring", *rank_args(apps_path, scores_path, out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    assert len(read_output(out)) == len(round_frames[0])

    failed = subprocess.run(
        [sys.executable, "-m", "scoring", "stats", "--scores", str(tmp_path / "absent.csv")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 2
    assert "absent.csv" in failed.stderr
    assert "Traceback" not in failed.stderr


# -- tabular: reading -----------------------------------------------------------------------------


def test_read_table_csv_with_bom_reads_text_and_empty_as_na(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("application_id,region,points\nA01,广东,007\nA02,,\n".encode("utf-8-sig"))
    frame = read_table(path)
    assert list(frame.columns) == ["application_id", "region", "points"]
    assert frame.loc[0, "points"] == "007"  # text stays text
    assert frame.loc[0, "region"] == "广东"
    assert pd.isna(frame.loc[1, "region"]) and pd.isna(frame.loc[1, "points"])
    path.write_bytes(b"a,b\n1,2\n")
    assert read_table(path).loc[0, "a"] == "1"


def test_read_table_unsupported_extension_says_what_to_do(tmp_path):
    path = tmp_path / "table.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(TableError, match=r"table\.xls.*\.csv.*\.xlsx"):
        read_table(path)


def test_read_table_duplicate_headers_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a\n1,2,3\n", encoding="utf-8")
    with pytest.raises(TableError, match="appears twice"):
        read_table(path)


def _small_workbook(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["application_id", "points"])
    sheet.append(["A0", 5])
    workbook.save(path)
    return path


def _rewrite(source: Path, target: Path, sheet_patch=None, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if sheet_patch and item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_patch(data)
            zout.writestr(item, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return target


def test_read_table_xlsx_reads_typed_values(tmp_path):
    frame = read_table(_small_workbook(tmp_path / "ok.xlsx"))
    assert frame.to_dict("records") == [{"application_id": "A0", "points": 5}]


def test_read_table_hostile_dimension_refused_quickly(tmp_path, capsys):
    small = _small_workbook(tmp_path / "small.xlsx")

    def claim_whole_sheet(xml: bytes) -> bytes:
        patched, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        assert count == 1
        return patched

    hostile = _rewrite(small, tmp_path / "hostile.xlsx", claim_whole_sheet)
    started = time.perf_counter()
    with pytest.raises(TableError, match=r"1,048,576 rows × 16,384 columns") as caught:
        read_table(hostile)
    assert time.perf_counter() - started < 2
    assert caught.value.path == str(hostile)
    assert main(["stats", "--scores", str(hostile)]) == 2
    assert str(hostile) in capsys.readouterr().err


def test_read_table_macro_workbook_refused(tmp_path):
    small = _small_workbook(tmp_path / "small.xlsx")
    with_macros = _rewrite(small, tmp_path / "macros.xlsx", extra={"xl/vbaProject.bin": b"\x00" * 64})
    with pytest.raises(TableError, match="macros"):
        read_table(with_macros)
    xlsm = tmp_path / "book.xlsm"
    xlsm.write_bytes(small.read_bytes())
    with pytest.raises(TableError, match="macro-enabled"):
        read_table(xlsm)


def test_read_table_external_links_refused(tmp_path):
    small = _small_workbook(tmp_path / "small.xlsx")
    linked = _rewrite(small, tmp_path / "linked.xlsx", extra={"xl/externalLinks/externalLink1.xml": b"<x/>"})
    with pytest.raises(TableError, match="external links"):
        read_table(linked)


def test_read_table_zip_bomb_refused_before_opening(tmp_path):
    small = _small_workbook(tmp_path / "small.xlsx")
    bomb = _rewrite(small, tmp_path / "bomb.xlsx", extra={"xl/media/padding.bin": b"\x00" * (8 * 2**20)})
    with pytest.raises(TableError, match="compressed more than 100:1"):
        read_table(bomb)


def test_read_table_not_a_zip_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("application_id\nA0\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"not a valid \.xlsx"):
        read_table(path)


# -- tabular: writing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 123", "'+86 123"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("", ""),
        (-5, -5),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_neutralise_prefixes_formula_text_only(value, expected):
    assert neutralise(value) == expected


def test_write_table_csv_has_bom_and_neutralised_text(tmp_path):
    path = tmp_path / "out.csv"
    write_table(pd.DataFrame({"name": ["=cmd()", "广东"], "total": [-1.5, 2.0]}), path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [["name", "total"], ["'=cmd()", "-1.5"], ["广东", "2.0"]]


def test_write_table_xlsx_keeps_types_and_writes_text_as_text(tmp_path):
    path = tmp_path / "out.xlsx"
    frame = pd.DataFrame(
        {
            "text": ["=1+1", None],
            "number": [1.5, np.nan],
            "rank": pd.array([1, None], dtype="Int64"),
            "flag": [True, False],
        }
    )
    write_table(frame, path)
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[1]] == ["text", "number", "rank", "flag"]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert [sheet["B2"].value, sheet["C2"].value, sheet["D2"].value] == [1.5, 1, True]
    assert sheet["B3"].value is None and sheet["C3"].value is None


@pytest.mark.parametrize("error", [RuntimeError("boom"), OSError(28, "No space left on device")])
def test_write_table_failure_leaves_previous_file_intact(tmp_path, monkeypatch, error):
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"previous content")

    def fail_halfway(df, temporary, sheet_name):
        Path(temporary).write_bytes(b"partial")
        raise error

    monkeypatch.setattr(tabular, "_write_xlsx", fail_halfway)
    with pytest.raises((RuntimeError, TableError)) as caught:
        write_table(pd.DataFrame({"a": [1]}), path)
    if isinstance(error, OSError):
        assert "No space left" in str(caught.value) and str(path) in str(caught.value)
    assert path.read_bytes() == b"previous content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_write_table_xlsx_writes_unusual_objects_as_text(tmp_path):
    path = tmp_path / "out.xlsx"
    write_table(pd.DataFrame({"a": [[1, 2]]}), path)
    assert load_workbook(path).active["A2"].value == "[1, 2]"


def test_write_table_missing_folder_is_a_table_error(tmp_path):
    with pytest.raises(TableError, match="does not exist"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "nowhere" / "out.csv")
