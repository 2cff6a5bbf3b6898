"""Flat views of a rubric for display and export: one row per criterion, gate, veto or band."""

from __future__ import annotations

import pandas as pd

from rubrics.schema import Rubric, Source


def _cite(sources: list[Source]) -> str:
    return "; ".join(s.cite() for s in sources)


def _quotes(sources: list[Source]) -> str:
    return " / ".join(s.quote or s.note or "" for s in sources)


def criteria_table(rubric: Rubric, lang: str = "zh") -> pd.DataFrame:
    """Dimension, criterion, points, method, step, evidence hint, cited clauses and quotes."""
    rows = []
    groups = [(d.label.get(lang), d.criteria) for d in rubric.dimensions]
    if rubric.bonus:
        groups.append((("加分项" if lang != "en" else "Bonus") + f" (≤ {rubric.bonus.cap})", rubric.bonus.items))
    for dimension, criteria in groups:
        for c in criteria:
            sources = list(c.sources) + (list(c.formula.sources) if c.formula else [])
            rows.append(
                {
                    "dimension": dimension,
                    "criterion_id": c.id,
                    "criterion": c.label.get(lang),
                    "max_points": float(c.max_points),
                    "step": float(c.step) if c.step else float("nan"),
                    "method": c.method,
                    "formula": _formula_text(c.formula, lang) if c.formula else "",
                    "evidence": c.evidence.get(lang) if c.evidence else "",
                    "clauses": _cite(sources),
                    "quotes": _quotes(sources),
                }
            )
    return pd.DataFrame(rows)


def rules_table(rubric: Rubric, lang: str = "zh") -> pd.DataFrame:
    """Gates and vetoes with their sources."""
    rows = [
        {
            "kind": "gate",
            "id": g.id,
            "rule": g.label.get(lang),
            "clauses": _cite(g.sources),
            "quotes": _quotes(g.sources),
        }
        for g in rubric.gates
    ] + [
        {
            "kind": "veto",
            "id": v.id,
            "rule": v.label.get(lang),
            "clauses": _cite(v.sources),
            "quotes": _quotes(v.sources),
        }
        for v in rubric.vetoes
    ]
    return pd.DataFrame(rows)


def bands_table(rubric: Rubric, lang: str = "zh") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"band": b.label.get(lang), "min": float(b.min), "max": float(b.max), "recommended": b.recommended}
            for b in sorted(rubric.bands, key=lambda b: b.min, reverse=True)
        ]
    )


def _formula_text(formula, lang: str) -> str:
    if formula.kind == "linear":
        if lang == "en":
            return f"{formula.indicator}: 0 at {formula.floor:g}, full at {formula.target:g}, linear between"
        return f"{formula.indicator}:{formula.floor:g} 得0分,{formula.target:g} 得满分,其间线性"
    steps = ", ".join(f"≥{s.at:g} → {s.fraction:.0%}" for s in formula.steps)
    return f"{formula.indicator}: {steps}"
