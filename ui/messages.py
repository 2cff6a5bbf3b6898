"""The message catalogue: one dict per language, looked up per session (never process-wide)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "app_title": "信息消费示范评审",
        "language": "语言",
        "library": "评分细则库",
        "library_intro": "每条评分指标都注明其出自的规划条款与原文,供评审专家核对。",
        "choose_rubric": "选择评分细则",
        "programme": "项目类型",
        "categories": "适用类别",
        "total_points": "总分",
        "bonus_cap": "加分上限",
        "version": "版本",
        "content_hash": "内容指纹",
        "criteria": "评分指标",
        "rules": "资格条件与一票否决",
        "bands": "推荐档次",
        "panel_defaults": "评审默认设置",
        "aggregation": "汇总方法",
        "trim_min": "去掉最高最低分所需最少专家数",
        "tie_break": "同分排序规则",
        "col_dimension": "维度",
        "col_criterion": "指标",
        "col_max_points": "满分",
        "col_step": "步长",
        "col_method": "评分方式",
        "col_formula": "计算公式",
        "col_evidence": "佐证材料",
        "col_clauses": "出处条款",
        "col_quotes": "规划原文",
        "col_kind": "类型",
        "col_rule": "条件",
        "col_band": "档次",
        "col_min": "下限",
        "col_max": "上限",
        "col_recommended": "推荐",
        "method_judged": "专家评分",
        "method_formula": "按数据计算",
        "kind_gate": "资格条件",
        "kind_veto": "一票否决",
        "dimension_points": "{name}({points} 分)",
    },
    "en": {
        "app_title": "Information-consumption demonstration review",
        "language": "Language",
        "library": "Rubric library",
        "library_intro": "Every criterion cites the plan clause and the words it comes from, so panels can check it.",
        "choose_rubric": "Choose a rubric",
        "programme": "Programme",
        "categories": "Categories",
        "total_points": "Total points",
        "bonus_cap": "Bonus cap",
        "version": "Version",
        "content_hash": "Content hash",
        "criteria": "Criteria",
        "rules": "Eligibility gates and vetoes",
        "bands": "Recommendation bands",
        "panel_defaults": "Panel defaults",
        "aggregation": "Aggregation",
        "trim_min": "Reviewers needed to drop highest and lowest",
        "tie_break": "Tie-break chain",
        "col_dimension": "Dimension",
        "col_criterion": "Criterion",
        "col_max_points": "Max",
        "col_step": "Step",
        "col_method": "Method",
        "col_formula": "Formula",
        "col_evidence": "Evidence",
        "col_clauses": "Clauses",
        "col_quotes": "Plan text",
        "col_kind": "Kind",
        "col_rule": "Rule",
        "col_band": "Band",
        "col_min": "From",
        "col_max": "To",
        "col_recommended": "Recommended",
        "method_judged": "Judged by panel",
        "method_formula": "Computed",
        "kind_gate": "Gate",
        "kind_veto": "Veto",
        "dimension_points": "{name} ({points} points)",
    },
}

LANGUAGES = {"zh": "中文", "en": "English"}


def translator(lang: str):
    """A lookup bound to one language; unknown keys show as themselves so a gap is visible."""
    table = MESSAGES.get(lang, MESSAGES["zh"])

    def t(key: str, **values: object) -> str:
        text = table.get(key, key)
        return text.format(**values) if values else text

    return t
