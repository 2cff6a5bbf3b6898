"""The submission is wrong: each problem at its field, in both interface languages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a submission, checked against its rubric.

    `field` is a dotted path such as `indicators.village_fibre_4g_rate` or
    `entries.market_prospect.points`; `code` is a stable machine-readable reason; each message names
    the field by its rubric label in that language and says what to do.
    """

    field: str
    code: str
    message_zh: str
    message_en: str

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh

    def __str__(self) -> str:
        return f"{self.field}: {self.message_en}"


class SubmissionError(ValueError):
    """The submission is wrong. Carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[FieldProblem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the submission has {len(self.problems)} problem(s):\n{lines}")


def raise_if_problems(problems: Iterable[FieldProblem]) -> None:
    """Raise `SubmissionError` when there is at least one problem; otherwise do nothing."""
    found = list(problems)
    if found:
        raise SubmissionError(found)
