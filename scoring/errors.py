"""The data is wrong: every problem found in the engine's input, each with the rows it concerns."""

from __future__ import annotations

from dataclasses import dataclass

MAX_ROWS_LISTED = 20


@dataclass(frozen=True)
class Issue:
    """One kind of problem in one input table.

    `table` is `scores`, `applications`, `self_scores` or `settings`; `rows` are 0-based positions
    in that table (the first MAX_ROWS_LISTED of `count`); `column` names the column at fault.
    """

    table: str
    column: str
    code: str
    message_en: str
    message_zh: str
    rows: tuple[int, ...] = ()
    count: int = 0

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}"
        if self.count:
            shown = ", ".join(str(r) for r in self.rows)
            more = f" (+{self.count - len(self.rows)} more)" if self.count > len(self.rows) else ""
            where += f" rows {shown}{more}"
        return f"{where}: {self.message_en}"


class ScoringInputError(ValueError):
    """The engine's input is wrong; `issues` lists every problem, not just the first."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        lines = "\n".join(f"  - {i}" for i in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in the scoring input:\n{lines}")
