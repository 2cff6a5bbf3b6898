"""The unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from a 31-character alphabet (no I, O, S, V, Z); the 18th is a check character:
with weights 3^i mod 31 for positions 1-17, check = 31 - (sum(v * w) mod 31), and 31 maps to 0.
`valid_codes` checks a whole column at once without a Python loop per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# Code point -> alphabet value, -1 for anything else; sized to cover every code point we look up.
_LOOKUP = np.full(128, -1, dtype=np.int64)
for _c, _v in _VALUE.items():
    _LOOKUP[ord(_c)] = _v


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError("the first 17 characters must come from " + ALPHABET)
    total = sum(_VALUE[c] * int(w) for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: object) -> bool:
    return bool(valid_codes(np.array([code], dtype=object))[0])


def problem(code: object) -> str | None:
    """Why a code is not valid (English sentence), or None when it is."""
    if not isinstance(code, str) or not code:
        return "the unified social credit code is missing"
    if len(code) != 18:
        return f"the unified social credit code must have 18 characters, not {len(code)}"
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return (
            f"the unified social credit code contains {''.join(bad)!r}; only digits and the capital "
            "letters ABCDEFGHJKLMNPQRTUWXY are used (no I, O, S, V, Z)"
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"the check character should be {expected!r}, not {code[17]!r}; please re-check the code"
    return None


def valid_codes(codes: np.ndarray | list) -> np.ndarray:
    """Boolean mask: which entries are valid codes. Non-strings and wrong lengths are invalid."""
    values = np.asarray(codes, dtype=object)
    n = values.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        is_str = np.ones(n, dtype=bool)
    else:
        is_str = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=n)
    text = np.where(is_str, values, "").astype("U19")
    lengths = np.char.str_len(text)
    chars = text.view(np.uint32).reshape(n, 19)[:, :18].astype(np.int64)
    in_table = chars < _LOOKUP.shape[0]
    digits = np.where(in_table, _LOOKUP[np.minimum(chars, _LOOKUP.shape[0] - 1)], -1)
    ok = is_str & (lengths == 18) & (digits >= 0).all(axis=1)
    expected = (31 - (digits[:, :17] @ WEIGHTS) % 31) % 31
    return ok & (expected == digits[:, 17])
