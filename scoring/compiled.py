"""A rubric as arrays: what the vectorised engine needs, computed once per rubric."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rubrics.loader import content_hash
from rubrics.schema import Formula, Rubric


@dataclass(frozen=True, eq=False)
class CompiledRubric:
    rubric: Rubric
    content_hash: str
    criterion_ids: pd.Index  # sheet order: main criteria, then bonus items
    max_points: np.ndarray  # float64 per criterion
    step: np.ndarray  # float64 per criterion, 0 where none is declared
    judged: np.ndarray  # bool: scored by reviewers
    bonus: np.ndarray  # bool: a capped bonus item
    dimension_of: np.ndarray  # int per criterion; -1 for bonus items
    dimension_ids: tuple[str, ...]
    formulas: tuple[tuple[int, Formula], ...]  # (criterion position, formula)
    band_ids: tuple[str, ...]  # ordered by ascending minimum
    band_min: np.ndarray  # float64, ascending
    band_recommended: np.ndarray  # bool
    total_points: float
    bonus_cap: float

    @property
    def n_criteria(self) -> int:
        return len(self.criterion_ids)

    @property
    def judged_main(self) -> np.ndarray:
        return self.judged & ~self.bonus


def _compile(rubric: Rubric) -> CompiledRubric:
    criteria = rubric.criteria
    bonus_ids = rubric.bonus_ids
    dim_index = {d.id: i for i, d in enumerate(rubric.dimensions)}
    bands = sorted(rubric.bands, key=lambda b: b.min)
    return CompiledRubric(
        rubric=rubric,
        content_hash=content_hash(rubric),
        criterion_ids=pd.Index([c.id for c in criteria]),
        max_points=np.array([float(c.max_points) for c in criteria]),
        step=np.array([float(c.step) if c.step else 0.0 for c in criteria]),
        judged=np.array([c.method == "judged" for c in criteria]),
        bonus=np.array([c.id in bonus_ids for c in criteria]),
        dimension_of=np.array([dim_index.get(rubric.dimension_of(c.id) or "", -1) for c in criteria], dtype=np.int64),
        dimension_ids=tuple(dim_index),
        formulas=tuple((i, c.formula) for i, c in enumerate(criteria) if c.formula is not None),
        band_ids=tuple(b.id for b in bands),
        band_min=np.array([float(b.min) for b in bands]),
        band_recommended=np.array([b.recommended for b in bands]),
        total_points=float(rubric.total_points),
        bonus_cap=float(rubric.bonus.cap) if rubric.bonus else 0.0,
    )


_CACHE: dict[int, CompiledRubric] = {}
_CACHE_SIZE = 64


def compile_rubric(rubric: Rubric) -> CompiledRubric:
    """Rubrics are frozen, so each is compiled once; the cache holds the rubric it is keyed by."""
    compiled = _CACHE.get(id(rubric))
    if compiled is None or compiled.rubric is not rubric:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        compiled = _CACHE[id(rubric)] = _compile(rubric)
    return compiled
