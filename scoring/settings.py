"""Panel settings for one evaluation: the rubric's defaults with a round's overrides."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from rubrics.schema import PanelSettings

Method = Literal["mean", "median", "trimmed", "zscore"]
METHODS: tuple[Method, ...] = ("mean", "median", "trimmed", "zscore")


@dataclass(frozen=True)
class Settings:
    """How panel scores become a ranking.

    `method` aggregates a panel per criterion; `zscore` means z-normalise each reviewer, then take
    the mean. `normalise=True` z-normalises before any method (so trimmed + normalise is the
    trimmed mean of normalised scores). `trim_min_reviewers`: the trimmed mean drops the single
    highest and lowest score only for panels at least this large. `precision`: decimals each panel
    criterion score is rounded to (half up); totals are exact sums of those rounded scores.
    """

    method: Method = "trimmed"
    normalise: bool = False
    trim_min_reviewers: int = 5
    precision: int = 2
    tie_break: tuple[str, ...] = ("disagreement",)
    disagreement_flag: float = 0.15
    overclaim_flag: float = 0.2
    quota_per_category: int | None = None
    quota_per_region: int | None = None
    known_reviewers: frozenset[str] | None = field(default=None, compare=False)

    @classmethod
    def from_rubric(cls, defaults: PanelSettings, **overrides: object) -> Settings:
        base = cls(
            method=defaults.aggregation,
            trim_min_reviewers=defaults.trim_min_reviewers,
            precision=defaults.precision,
            tie_break=tuple(defaults.tie_break),
            disagreement_flag=defaults.disagreement_flag,
            overclaim_flag=defaults.overclaim_flag,
            quota_per_category=defaults.quota_per_category,
            quota_per_region=defaults.quota_per_region,
        )
        return replace(base, **overrides) if overrides else base

    def with_method(self, method: Method) -> Settings:
        return replace(self, method=method)
