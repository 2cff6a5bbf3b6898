"""Command line: rank a round from two tables, or describe a panel's reliability.

    python -m scoring rank --rubric project_life --applications apps.xlsx --scores scores.csv \\
        --out ranking.xlsx [--method mean|median|trimmed|zscore] [--normalise] [--lang en|zh]
    python -m scoring stats --scores scores.csv [--rubric project_life] [--json]

Bad input never ends in a traceback: every problem is printed to stderr as one line naming the
file, the row as a spreadsheet user counts it (the header is row 1, the first data row is row 2)
and the column; the exit code is then 2. Success exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
from pydantic import ValidationError

from rubrics import RubricError, list_rubrics, load_rubric
from rubrics.schema import Rubric
from scoring.compiled import compile_rubric
from scoring.eligibility import FALSE_WORDS, TRUE_WORDS
from scoring.errors import Issue, ScoringInputError
from scoring.evaluate import evaluate
from scoring.panel import SCORE_COLUMNS, Panel, build_panel
from scoring.settings import METHODS, Settings
from scoring.statistics import disagreement, reliability, reviewer_severity, reviewer_totals
from scoring.tabular import TableError, read_table, write_table
from submissions.contracts import Application
from submissions.validation import check_application

EXIT_OK = 0
EXIT_BAD_INPUT = 2
MAX_PROBLEMS_SHOWN = 200
RELIABILITY_KEYS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k", "kendall_w")
_PLACEHOLDER = "x"
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located in a file (row 0 = no particular row)."""

    file: str
    column: str
    message_en: str
    message_zh: str = ""
    row: int = 0  # spreadsheet numbering: header is row 1, first data row is row 2

    def lines(self, lang: str) -> list[str]:
        where = self.file
        if self.row:
            where += f" row {self.row}"
        if self.column:
            where += f" column {self.column}"
        out = [f"{where}: {self.message_en}"]
        if lang == "zh" and self.message_zh and self.message_zh != self.message_en:
            out.append(f"    {self.message_zh}")
        return out


class BadInput(Exception):
    """The input is wrong; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s)")


# -- entry point ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 bad input or usage)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage message
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        return args.handler(args, out)
    except BadInput as exc:
        _report(exc.problems, args.lang, err)
    except TableError as exc:
        _report([Problem(exc.path, "", exc.message)], args.lang, err)
    except RubricError as exc:
        _report(_rubric_problems(exc), args.lang, err)
    return EXIT_BAD_INPUT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scoring",
        description="Rank a review round from an applications table and a scores table (.csv or .xlsx).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{rank,stats}")

    rank = commands.add_parser("rank", help="evaluate a round and write the ranking table")
    rank.add_argument("--rubric", required=True, metavar="ID", help="shipped rubric id, e.g. project_life")
    rank.add_argument("--applications", required=True, type=Path, metavar="FILE", help=".csv or .xlsx")
    rank.add_argument("--scores", required=True, type=Path, metavar="FILE", help=".csv or .xlsx")
    rank.add_argument("--out", required=True, type=Path, metavar="FILE", help="output .csv or .xlsx")
    rank.add_argument("--method", choices=METHODS, help="aggregation (default: the rubric's)")
    rank.add_argument("--normalise", action="store_true", help="z-normalise each reviewer first")
    rank.add_argument("--lang", choices=("en", "zh"), default="en", help="language of reasons and messages")
    rank.set_defaults(handler=_rank)

    stats = commands.add_parser("stats", help="inter-rater reliability and reviewer severity of a scores file")
    stats.add_argument("--scores", required=True, type=Path, metavar="FILE", help=".csv or .xlsx")
    stats.add_argument("--rubric", metavar="ID", help="rubric id (default: inferred from the criterion ids)")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.add_argument("--lang", choices=("en", "zh"), default="en", help="language of messages")
    stats.set_defaults(handler=_stats)
    return parser


def _report(problems: Sequence[Problem], lang: str, err: TextIO) -> None:
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        for line in problem.lines(lang):
            print(f"error: {line}", file=err)
    hidden = len(problems) - MAX_PROBLEMS_SHOWN
    if hidden > 0:
        print(f"error: … and {hidden} more problem(s); fix the ones above and run again", file=err)
    print(f"{len(problems)} problem(s) found; fix them and run again.", file=err)


def _rubric_problems(exc: RubricError) -> list[Problem]:
    return [Problem(f"rubric {exc.source}", "", str(p)) for p in exc.problems]


# -- rank -----------------------------------------------------------------------------------------


def _rank(args: argparse.Namespace, out: TextIO) -> int:
    rubric = load_rubric(args.rubric)
    apps_file, scores_file = str(args.applications), str(args.scores)
    if args.out.resolve() in (args.applications.resolve(), args.scores.resolve()):
        raise BadInput([Problem(str(args.out), "", "the output would overwrite an input file; choose another --out")])
    raw_apps = read_table(args.applications)
    raw_scores = read_table(args.scores)
    missing = _missing_columns(apps_file, raw_apps, _application_columns(rubric))
    missing += _missing_columns(scores_file, raw_scores, SCORE_COLUMNS)
    if missing:
        raise BadInput(missing)

    applications, problems = check_applications(raw_apps, rubric, apps_file)
    scores = convert_scores(raw_scores)
    files = {"applications": apps_file, "scores": scores_file}
    raws = {"applications": raw_apps, "scores": raw_scores}
    overrides: dict[str, object] = {}
    if args.method:
        overrides["method"] = args.method
    if args.normalise:
        overrides["normalise"] = True
    settings = Settings.from_rubric(rubric.settings, **overrides)
    if problems:
        # Report the scores' problems in the same run, against the applications that were given.
        ids = pd.Index(applications["application_id"].dropna().unique())
        try:
            build_panel(scores, ids, compile_rubric(rubric), settings.known_reviewers)
        except ScoringInputError as exc:
            problems += issue_problems(exc.issues, files, raws)
        raise BadInput(problems)
    try:
        evaluation = evaluate(rubric, applications, scores, settings)
    except ScoringInputError as exc:
        raise BadInput(issue_problems(exc.issues, files, raws)) from None

    table = ranking_table(evaluation.table, args.lang)
    write_table(table, args.out, sheet_name="ranking")
    ranked = int(table["rank"].notna().sum())
    recommended = int(table["recommended"].sum())
    within = int(table["within_quota"].sum())
    quota = f" ({within} within quota)" if within != recommended else ""
    print(
        f"{len(table)} applications, {ranked} ranked, {recommended} recommended{quota} "
        f"[{evaluation.settings.method}{', normalised' if evaluation.settings.normalise else ''}]; "
        f"wrote {args.out}",
        file=out,
    )
    return EXIT_OK


OUTPUT_COLUMNS = (
    "application_id",
    "category",
    "region",
    "scored",
    "eligible",
    "reasons",
    "total",
    "main_total",
    "bonus",
    "band",
    "recommended",
    "rank",
    "rank_category",
    "rank_region",
    "within_quota",
    "tie_break",
    "disagreement_std",
    "disagreement_flag",
    "disagreement_range",
)


def ranking_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The evaluation table as written: reasons in one language, ranked first, then the rest."""
    out = table.copy()
    out["reasons"] = out["reasons_zh" if lang == "zh" else "reasons_en"]
    extra = [c for c in table.columns if c not in OUTPUT_COLUMNS and c not in ("reasons_zh", "reasons_en")]
    out = out[[*OUTPUT_COLUMNS, *extra]]
    order = np.lexsort((np.arange(len(out)), out["rank"].to_numpy(dtype=np.float64, na_value=np.inf)))
    return out.iloc[order].reset_index(drop=True)


# -- applications: columns, conversion and row checks ----------------------------------------------


def _declaration_ids(rubric: Rubric) -> list[str]:
    return [g.id for g in rubric.gates if g.check == "declared"] + [v.id for v in rubric.vetoes]


def _has_credit_gate(rubric: Rubric) -> bool:
    return any(g.check == "credit_code" for g in rubric.gates)


def _application_columns(rubric: Rubric) -> list[str]:
    columns = ["application_id", "category", "region"]
    columns += ["credit_code"] if _has_credit_gate(rubric) else []
    columns += _declaration_ids(rubric)
    columns += [i.id for i in rubric.indicators if i.required]
    return columns


def _missing_columns(file: str, frame: pd.DataFrame, required: Sequence[str]) -> list[Problem]:
    present = ", ".join(map(str, frame.columns)) or "none"
    return [
        Problem(
            file,
            column,
            f"the column {column!r} is missing; add a column with this header to the first row "
            f"(the columns found are: {present})",
            f"缺少列 {column!r};请在第一行添加该列标题",
        )
        for column in required
        if column not in frame.columns
    ]


def check_applications(raw: pd.DataFrame, rubric: Rubric, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert the applications table and check every row with `check_application`.

    Returns the frame `evaluate` takes (ids and names as stripped text, declarations as booleans,
    indicators as numbers) and the problems, each at its spreadsheet row and column. A credit code
    that is missing or wrong is not a problem here: the credit-code gate makes the application
    ineligible and the ranking says why.
    """
    n = len(raw)
    text = {c: text_column(raw[c]) for c in ("application_id", "category", "region", "credit_code") if c in raw}
    rubric_ids = text_column(raw["rubric_id"]).to_numpy(dtype=object) if "rubric_id" in raw else None
    organisations = text_column(raw["organisation"]).to_numpy(dtype=object) if "organisation" in raw else None
    declarations = {d: raw[d].map(parse_bool, na_action="ignore") for d in _declaration_ids(rubric) if d in raw}
    indicators = {
        i.id: raw[i.id].map(_indicator_parser(i.type), na_action="ignore") for i in rubric.indicators if i.id in raw
    }

    problems: list[Problem] = []

    columns = {name: series.to_numpy(dtype=object) for name, series in text.items()}
    declaration_cells = {d: parsed.to_numpy(dtype=object) for d, parsed in declarations.items()}
    indicator_cells = {i: parsed.to_numpy(dtype=object) for i, parsed in indicators.items()}
    for i in range(n):
        row = i + 2
        skip: set[str] = set()  # columns already reported for this row
        declared: dict[str, bool] = {}
        for did, cells in declaration_cells.items():
            value = _value(cells, i)
            if isinstance(value, _Invalid):
                problems.append(
                    Problem(
                        file,
                        did,
                        f"{_show(value.raw)} is not a yes/no answer; write true/false, yes/no, 1/0 or 是/否",
                        f"{_show(value.raw)} 不是是/否回答;请填写 是/否、true/false、yes/no 或 1/0",
                        row,
                    )
                )
                skip.add(did)
            elif value is not None:
                declared[did] = bool(value)
        reported: dict[str, object] = {}
        for iid, cells in indicator_cells.items():
            value = _value(cells, i)
            if isinstance(value, _Invalid):
                value = value.raw if isinstance(value.raw, str) else str(value.raw)
            if value is not None:
                reported[iid] = value
        fields = {
            "application_id": _value(columns.get("application_id"), i) or "",
            "rubric_id": _value(rubric_ids, i) or rubric.id,
            "category": _value(columns.get("category"), i) or "",
            "region": _value(columns.get("region"), i) or "",
            "organisation": _value(organisations, i) or "(not given)",
            "credit_code": _value(columns.get("credit_code"), i) or _PLACEHOLDER,
            "indicators": reported,
            "declarations": declared,
        }
        application = None
        try:
            application = Application.model_validate(fields)
        except ValidationError as exc:
            for column, message in _contract_errors(exc):
                if column == "credit_code" or column in skip:
                    continue  # a bad credit code makes the application ineligible, not the input wrong
                problems.append(Problem(file, column, message, "", row))
                skip.add(column)
            application = _retry_without(fields, exc)
        if application is None:
            continue
        for problem in check_application(application, rubric):
            column = _problem_column(problem.field)
            if column == "credit_code" or column in skip:
                continue
            problems.append(Problem(file, column, problem.message_en, problem.message_zh, row))

    converted = pd.DataFrame({name: series for name, series in text.items()}, index=raw.index)
    for did, parsed in declarations.items():
        converted[did] = parsed.map(lambda v: isinstance(v, bool | np.bool_) and bool(v)).astype(bool)
    for ind in rubric.indicators:
        if ind.id not in indicators:
            continue
        parsed = indicators[ind.id].map(lambda v: None if isinstance(v, _Invalid) else v, na_action="ignore")
        converted[ind.id] = (
            parsed.astype(object) if ind.type in ("bool", "choice") else pd.to_numeric(parsed, errors="coerce")
        )
    return converted.reset_index(drop=True), problems


def _value(values: np.ndarray | None, i: int) -> object:
    """The cell at position i, None when it is empty."""
    if values is None:
        return None
    value = values[i]
    return None if _is_missing(value) else value


def _retry_without(fields: dict, exc: ValidationError) -> Application | None:
    """The contract refused some fields; check the rest with placeholders so no problem hides another."""
    patched = {k: dict(v) if isinstance(v, dict) else v for k, v in fields.items()}
    for error in exc.errors():
        loc = error["loc"]
        if not loc:
            return None
        if loc[0] in ("indicators", "declarations") and len(loc) > 1:
            # Keep the key present (its problem is already reported) with a value the contract takes.
            patched[loc[0]][loc[1]] = 0 if loc[0] == "indicators" else False
        elif loc[0] in patched and not isinstance(patched[loc[0]], dict):
            patched[loc[0]] = _PLACEHOLDER
    try:
        return Application.model_validate(patched)
    except ValidationError:
        return None


def _contract_errors(exc: ValidationError) -> list[tuple[str, str]]:
    found = []
    for error in exc.errors():
        loc = error["loc"]
        if loc and loc[0] in ("indicators", "declarations", "narratives") and len(loc) > 1:
            column = str(loc[1])
        else:
            column = str(loc[0]) if loc else ""
        message = error["msg"]
        if error["type"] == "blank_id" and column == "application_id":
            message = "the application id is empty; every application needs its own id"
        found.append((column, message))
    return found


def _problem_column(field: str) -> str:
    head, _, rest = field.partition(".")
    if head in ("indicators", "declarations", "narratives") and rest:
        return rest.split(".")[0]
    return head


class _Invalid:
    """A cell that could not be converted; `raw` is what the file holds."""

    __slots__ = ("raw",)

    def __init__(self, raw: object):
        self.raw = raw


def parse_bool(value: object) -> bool | _Invalid:
    """true/false, 1/0, yes/no, y/n, 是/否 (any case, surrounding spaces ignored) -> bool."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return _Invalid(value)


def parse_number(value: object) -> float | _Invalid | None:
    """A number cell: numbers pass, text must read as a plain decimal number."""
    if isinstance(value, bool | np.bool_):
        return _Invalid(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _NUMBER.fullmatch(text):
            return float(text)
    return _Invalid(value)


def _indicator_parser(kind: str) -> Callable[[object], object]:
    if kind == "bool":
        return parse_bool
    if kind == "choice":
        return lambda v: _as_text(v) or None
    return parse_number


def _as_text(value: object) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip() or None


def text_column(series: pd.Series) -> pd.Series:
    """Ids and names as text without surrounding spaces (an Excel number 1001.0 becomes '1001')."""
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        stripped = series.astype(object).str.strip()
        return stripped.where(stripped.notna() & (stripped != ""), None).astype(object)
    return series.map(_as_text).astype(object)


def number_column(series: pd.Series) -> pd.Series:
    """Numbers; anything else (text, booleans, empty) becomes NaN for the engine to report."""
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty", "floating", "integer"):
        return pd.to_numeric(series, errors="coerce").astype(np.float64)
    parsed = series.map(parse_number, na_action="ignore")
    return pd.to_numeric(parsed.map(lambda v: v if isinstance(v, float) else None), errors="coerce")


def convert_scores(raw: pd.DataFrame) -> pd.DataFrame:
    """The scores table as `build_panel` takes it: text ids and numeric points."""
    out = raw.copy()
    for column in ("application_id", "reviewer_id", "criterion_id"):
        if column in out:
            out[column] = text_column(out[column])
    if "points" in out:
        out["points"] = number_column(out["points"])
    return out.reset_index(drop=True)


# -- engine issues -> problems at rows -------------------------------------------------------------


# Problems of a group of rows (a whole score sheet, repeated ids): one line listing the rows.
_GROUPED_ISSUES = frozenset({"incomplete_sheet", "duplicate_score", "duplicate_id"})


def issue_problems(issues: Sequence[Issue], files: dict[str, str], raws: dict[str, pd.DataFrame]) -> list[Problem]:
    """Each ScoringInputError issue as one problem per listed row, with the cell's content."""
    problems: list[Problem] = []
    for issue in issues:
        file = files.get(issue.table, issue.table)
        raw = raws.get(issue.table)
        if not issue.rows:
            problems.append(Problem(file, issue.column, issue.message_en, issue.message_zh))
            continue
        more = issue.count - len(issue.rows)
        if issue.code in _GROUPED_ISSUES:
            rows = ", ".join(str(r + 2) for r in issue.rows) + (f" (+{more} more)" if more > 0 else "")
            plural = "s" if issue.count > 1 else ""
            problems.append(Problem(f"{file} row{plural} {rows}", issue.column, issue.message_en, issue.message_zh))
            continue
        for position in issue.rows:
            found = ""
            if raw is not None and issue.column in raw.columns and position < len(raw):
                value = raw[issue.column].to_numpy(dtype=object)[position]
                found = " (the cell is empty)" if _is_missing(value) else f" (the cell holds {_show(value)})"
            problems.append(
                Problem(file, issue.column, issue.message_en + found, issue.message_zh + found, position + 2)
            )
        if more > 0:
            problems.append(
                Problem(
                    file,
                    issue.column,
                    f"{more} more row(s) have the same problem: {issue.message_en}",
                    f"另有 {more} 行存在同样的问题:{issue.message_zh}",
                )
            )
    return problems


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _show(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


# -- stats ----------------------------------------------------------------------------------------


def _stats(args: argparse.Namespace, out: TextIO) -> int:
    file = str(args.scores)
    raw = read_table(args.scores)
    missing = _missing_columns(file, raw, SCORE_COLUMNS)
    if missing:
        raise BadInput(missing)
    scores = convert_scores(raw)
    empty = np.flatnonzero(scores["application_id"].isna().to_numpy())
    if empty.size:
        raise BadInput(
            [
                Problem(
                    file, "application_id", "the application id is empty; every score needs its application", "", r + 2
                )
                for r in empty
            ]
        )
    rubric = load_rubric(args.rubric) if args.rubric else infer_rubric(scores, file)
    compiled = compile_rubric(rubric)
    ids = pd.Index(pd.unique(scores["application_id"].to_numpy(dtype=object)))
    try:
        panel = build_panel(scores, ids, compiled)
    except ScoringInputError as exc:
        raise BadInput(issue_problems(exc.issues, {"scores": file}, {"scores": raw})) from None
    report = panel_statistics(rubric, panel)
    report = {"rubric": rubric.id, "scores": file, **report}
    if args.json:
        print(json.dumps(_json_safe(report), ensure_ascii=False, allow_nan=False), file=out)
    else:
        _print_stats(report, out)
    return EXIT_OK


def infer_rubric(scores: pd.DataFrame, file: str) -> Rubric:
    """The one shipped rubric whose judged criteria include every criterion id in the scores."""
    used = set(scores["criterion_id"].dropna().unique())
    candidates = []
    known = list_rubrics()
    for rubric_id in known:
        try:
            rubric = load_rubric(rubric_id)
        except RubricError:
            continue
        if used <= {c.id for c in rubric.criteria if c.method == "judged"}:
            candidates.append(rubric)
    if len(candidates) == 1:
        return candidates[0]
    if not used:
        raise BadInput([Problem(file, "criterion_id", "the file holds no scores; add scores or pass --rubric ID")])
    shown = ", ".join(sorted(map(str, used))[:12]) + (" …" if len(used) > 12 else "")
    if not candidates:
        message = (
            f"no shipped rubric has judged criteria with all of the criterion ids in the file ({shown}); "
            f"check the ids, or pass --rubric with one of: {', '.join(known)}"
        )
    else:
        message = (
            f"the criterion ids fit several rubrics: {', '.join(r.id for r in candidates)}; "
            "pass --rubric with the right one"
        )
    raise BadInput([Problem(file, "criterion_id", message)])


def panel_statistics(rubric: Rubric, panel: Panel) -> dict[str, object]:
    """Reliability, disagreement summary and reviewer severity for a validated panel."""
    compiled = compile_rubric(rubric)
    settings = Settings.from_rubric(rubric.settings)
    main_columns = np.flatnonzero(compiled.judged_main[panel.judged_columns])
    judged_max_total = float(compiled.max_points[compiled.judged_main].sum())
    stats = reliability(panel, main_columns)
    totals = reviewer_totals(panel, main_columns)
    std, value_range = disagreement(panel, totals)
    threshold = settings.disagreement_flag * judged_max_total
    scored = ~np.isnan(std)
    severity = reviewer_severity(panel, totals, judged_max_total)
    return {
        "design": stats["design"],
        "targets": stats["targets"],
        "raters": stats["raters"],
        **{key: stats[key] for key in RELIABILITY_KEYS},
        "applications": len(std),
        "sheets": panel.n_sheets,
        "disagreement": {
            "mean_std": float(np.mean(std[scored])) if scored.any() else None,
            "max_std": float(np.max(std[scored])) if scored.any() else None,
            "mean_range": float(np.mean(value_range[scored])) if scored.any() else None,
            "flag_threshold": threshold,
            "flagged": int((np.nan_to_num(std, nan=0.0) > threshold).sum()),
        },
        "reviewers": severity.to_dict(orient="records"),
    }


def _json_safe(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value


def _fmt(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _print_stats(report: dict, out: TextIO) -> None:
    d = report["disagreement"]
    lines = [
        f"Scores: {report['scores']} (rubric {report['rubric']})",
        f"Panel: {report['applications']} applications, {report['sheets']} score sheets, "
        f"{len(report['reviewers'])} reviewers",
        f"Reliability design: {report['design']} ({report['targets']} applications × {report['raters']} raters)",
    ]
    lines += [f"  {key:<10}{_fmt(report[key]):>8}" for key in RELIABILITY_KEYS]
    lines.append(
        f"Disagreement: mean std {_fmt(d['mean_std'], 2)} points, largest {_fmt(d['max_std'], 2)}; "
        f"{d['flagged']} application(s) flagged (std above {_fmt(d['flag_threshold'], 2)} points)"
    )
    lines.append("Reviewer severity (negative = harsher than co-reviewers):")
    reviewers = pd.DataFrame(report["reviewers"])
    if reviewers.empty:
        lines.append("  (no reviewers)")
    else:
        lines += ["  " + line for line in reviewers.to_string(index=False, float_format="{:.3f}".format).splitlines()]
    print("\n".join(lines), file=out)
