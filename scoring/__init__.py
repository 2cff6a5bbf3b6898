"""The scoring engine: pure, vectorised functions over pandas/numpy; `evaluate` is the checked entry point."""

from scoring.errors import Issue, ScoringInputError
from scoring.evaluate import Evaluation, compare_methods, evaluate
from scoring.explain import explain
from scoring.selfassess import self_gaps, self_summary
from scoring.sensitivity import sensitivity
from scoring.settings import METHODS, Settings

__all__ = [
    "METHODS",
    "Evaluation",
    "Issue",
    "ScoringInputError",
    "Settings",
    "compare_methods",
    "evaluate",
    "explain",
    "self_gaps",
    "self_summary",
    "sensitivity",
]
