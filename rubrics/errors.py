"""The one error a wrong rubric raises: every problem, each at its path, each saying what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rubric.

    `path` reads like `dimensions[2].criteria[0].max_points` (empty for the whole document),
    `code` is a stable machine-readable reason, `message` a sentence that says what to do.
    """

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(document)'}: {self.message}"


class RubricError(ValueError):
    """The rubric is wrong. Carries every problem found, not just the first."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"rubric {source} has {len(self.problems)} problem(s):\n{lines}")


def format_path(loc: tuple) -> str:
    """(`dimensions`, 2, `criteria`, 0, `max_points`) -> `dimensions[2].criteria[0].max_points`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
