"""Gates and vetoes: which applications may be ranked, and why not (in Chinese and English)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rubrics.credit_code import valid_codes
from rubrics.schema import Rubric

SEPARATOR_ZH = ";"
SEPARATOR_EN = "; "
# How a yes/no declaration may be written, wherever it is read (engine, command line, imports).
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "是"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "否"})


@dataclass(frozen=True, eq=False)
class Eligibility:
    eligible: np.ndarray  # bool
    reasons_zh: np.ndarray  # object: str, "" when eligible
    reasons_en: np.ndarray
    failed: pd.DataFrame  # one bool column per gate/veto id: True where it excluded the application


def declared_true(column: pd.Series) -> np.ndarray:
    """True only for an explicit yes (True, 1, 'true', '是' …); missing counts as not declared."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=np.float64, na_value=0.0) == 1.0
    text = column.astype("string").str.strip().str.lower()
    return text.isin(TRUE_WORDS).fillna(False).to_numpy(dtype=bool)


def _append(reasons: np.ndarray, mask: np.ndarray, text: str, separator: str) -> None:
    if not mask.any():
        return
    current = reasons[mask]
    joined = np.where(current == "", text, current + (separator + text))
    reasons[mask] = joined


def check(rubric: Rubric, applications: pd.DataFrame) -> Eligibility:
    """Evaluate every gate and veto. Missing declaration columns must be caught by validation first."""
    n = len(applications)
    eligible = np.ones(n, dtype=bool)
    reasons_zh = np.full(n, "", dtype=object)
    reasons_en = np.full(n, "", dtype=object)
    failed: dict[str, np.ndarray] = {}
    for gate in rubric.gates:
        if gate.check == "credit_code":
            passed = valid_codes(applications["credit_code"].to_numpy(dtype=object))
        else:
            passed = declared_true(applications[gate.id])
        failed[gate.id] = ~passed
    for veto in rubric.vetoes:
        failed[veto.id] = declared_true(applications[veto.id])
    for rule in [*rubric.gates, *rubric.vetoes]:
        mask = failed[rule.id]
        eligible &= ~mask
        _append(reasons_zh, mask, rule.failure.zh, SEPARATOR_ZH)
        _append(reasons_en, mask, rule.failure.en, SEPARATOR_EN)
    return Eligibility(eligible, reasons_zh, reasons_en, pd.DataFrame(failed, index=applications.index))


def add_reason(eligibility: Eligibility, mask: np.ndarray, zh: str, en: str) -> None:
    """Record a further reason (e.g. no panel scores yet) on the same arrays."""
    _append(eligibility.reasons_zh, mask, zh, SEPARATOR_ZH)
    _append(eligibility.reasons_en, mask, en, SEPARATOR_EN)
