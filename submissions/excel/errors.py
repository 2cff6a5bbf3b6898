"""What can be wrong with an uploaded workbook: the whole file, or single cells.

`WorkbookRejected` means the file is refused as a whole (not a workbook, hostile, damaged, far too
big) and nothing in it was looked at; `CellProblem` is one wrong cell (or header) of a workbook
that could be read. Both carry a Chinese and an English message that say what to do.
"""

from __future__ import annotations

from dataclasses import dataclass


class WorkbookRejected(ValueError):
    """The uploaded file cannot be read as a workbook at all; `code` is stable, messages are for people."""

    def __init__(self, code: str, message_zh: str, message_en: str):
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(message_en)

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


@dataclass(frozen=True)
class CellProblem:
    """One wrong cell of an uploaded sheet, or a wrong or missing header.

    `row` is the row number as the spreadsheet shows it (the header is row 1); `column` is the
    column letter, empty when the problem is a column that is missing altogether. `field` is the
    contract field the cell feeds (`organisation`, `indicators.users_served`,
    `entries.market_prospect.points`, ...) and `code` a stable reason.
    """

    sheet: str
    row: int
    column: str
    header: str
    field: str
    code: str
    message_zh: str
    message_en: str

    @property
    def cell(self) -> str:
        return f"{self.column}{self.row}" if self.column else ""

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh
