"""A readable account of how one application got its rank: gates → criteria → bonus → total → band → rank."""

from __future__ import annotations

import pandas as pd

from rubrics.schema import Rubric
from scoring.evaluate import Evaluation

_WORDS = {
    "zh": {
        "gates_ok": "资格审查:全部通过",
        "gates_failed": "资格审查:未通过({reasons})",
        "unscored": "尚无评审打分",
        "criterion": "{label}:{points:.{p}f} / {max}",
        "bonus": "加分:{bonus:.{p}f}(上限 {cap})",
        "total": "总分:{total:.{p}f}",
        "band": "档次:{band}",
        "rank": "类别内排名:第 {rank_category} 名;总排名:第 {rank} 名",
        "tie": "与上一名总分相同,按“{rule}”决定先后",
        "quota": "在推荐名额内",
        "no_quota": "不在推荐名额内",
        "ineligible": "不符合申报条件",
    },
    "en": {
        "gates_ok": "Eligibility: all gates passed",
        "gates_failed": "Eligibility: failed ({reasons})",
        "unscored": "No panel scores yet",
        "criterion": "{label}: {points:.{p}f} / {max}",
        "bonus": "Bonus: {bonus:.{p}f} (cap {cap})",
        "total": "Total: {total:.{p}f}",
        "band": "Band: {band}",
        "rank": "Rank in category: {rank_category}; overall: {rank}",
        "tie": "Same total as the application above; order decided by {rule}",
        "quota": "Within the recommendation quota",
        "no_quota": "Outside the recommendation quota",
        "ineligible": "Not eligible",
    },
}


def explain(rubric: Rubric, evaluation: Evaluation, application_id: str, lang: str = "zh") -> list[str]:
    words = _WORDS["en" if lang == "en" else "zh"]
    row = evaluation.row(application_id)
    p = evaluation.settings.precision
    lines: list[str] = []
    if row["eligible"]:
        lines.append(words["gates_ok"])
    else:
        lines.append(words["gates_failed"].format(reasons=row["reasons_en" if lang == "en" else "reasons_zh"]))
    if not row["scored"]:
        lines.append(words["unscored"])
        return lines
    for dimension in rubric.dimensions:
        for criterion in dimension.criteria:
            lines.append(
                words["criterion"].format(
                    label=criterion.label.get(lang), points=row[criterion.id], max=criterion.max_points, p=p
                )
            )
    if rubric.bonus:
        lines.append(words["bonus"].format(bonus=row["bonus"], cap=rubric.bonus.cap, p=p))
    lines.append(words["total"].format(total=row["total"], p=p))
    band = next((b.label.get(lang) for b in rubric.bands if b.id == row["band"]), words["ineligible"])
    lines.append(words["band"].format(band=band))
    if not pd.isna(row["rank"]):
        lines.append(words["rank"].format(rank=row["rank"], rank_category=row["rank_category"]))
        if row["tie_break"]:
            lines.append(words["tie"].format(rule=row["tie_break"]))
        lines.append(words["quota"] if row["within_quota"] else words["no_quota"])
    return lines
