"""Excel round trips, as pure functions over bytes: templates out, checked imports in, reports out.

- `safe`: open uploads without letting them hurt the process (`open_workbook`, `iter_rows`).
- `formulas`: write user text so that it is never a formula (`put_text`, `write_text`, `csv_bytes`).
- `applications`: the applicant's template, its import and the error report.
- `panel`: a reviewer's offline review sheet and its import.
- `ranking`: the administrators' ranking workbook and CSV.
"""

from submissions.excel.applications import (
    ApplicationImport,
    ImportedApplication,
    application_template,
    error_report_workbook,
    read_applications,
)
from submissions.excel.errors import CellProblem, WorkbookRejected
from submissions.excel.formulas import csv_bytes
from submissions.excel.panel import ImportedSheet, PanelImport, PanelRow, panel_template, read_panel
from submissions.excel.ranking import ranking_csv, ranking_workbook
from submissions.excel.safe import iter_rows, open_workbook

__all__ = [
    "ApplicationImport",
    "CellProblem",
    "ImportedApplication",
    "ImportedSheet",
    "PanelImport",
    "PanelRow",
    "WorkbookRejected",
    "application_template",
    "csv_bytes",
    "error_report_workbook",
    "iter_rows",
    "open_workbook",
    "panel_template",
    "ranking_csv",
    "ranking_workbook",
    "read_applications",
    "read_panel",
]
