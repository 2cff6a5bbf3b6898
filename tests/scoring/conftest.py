from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from rubrics import load_rubric_text

VALID_CODE = "91110000802100433B"
SMALL_RUBRIC = textwrap.dedent(
    """
    schema_version: 1
    id: small
    version: "1"
    title: {zh: 小型测试细则, en: Small test rubric}
    programme: demo_project
    categories: [{id: life, label: {zh: 生活类, en: Life}}, {id: industry, label: {zh: 行业类, en: Industry}}]
    total_points: 30
    indicators:
      - {id: growth, label: {zh: 增长率, en: Growth}, unit: "%", type: percent}
    dimensions:
      - id: merit
        label: {zh: 质量, en: Merit}
        criteria:
          - id: quality
            label: {zh: 质量, en: Quality}
            max_points: 10
            step: 1
            sources: [{seed: "002", clause: §四(三), quote: 发展前景好}]
          - id: impact
            label: {zh: 带动, en: Impact}
            max_points: 10
            step: 1
            sources: [{seed: "002", clause: §四(三), quote: 带动作用大}]
      - id: numbers
        label: {zh: 数据, en: Numbers}
        criteria:
          - id: growth_score
            label: {zh: 增长, en: Growth}
            max_points: 10
            method: formula
            formula:
              indicator: growth
              kind: linear
              floor: 0
              target: 11
              sources: [{seed: "002", clause: §二, quote: 年均增长11%以上}]
            sources: [{seed: "002", clause: §二, quote: 年均增长11%以上}]
    gates:
      - id: credit_code
        label: {zh: 信用代码, en: Credit code}
        check: credit_code
        failure: {zh: 统一社会信用代码无效, en: Invalid credit code}
        sources: [{seed: "000", clause: §二(三)2, quote: 统一社会信用代码制度}]
      - id: legal_person
        label: {zh: 独立法人, en: Legal person}
        check: declared
        failure: {zh: 不是独立法人, en: Not a legal person}
        sources: [{document: 工信厅信软函〔2019〕41号, note: 具备独立法人资格}]
    vetoes:
      - id: security_incident
        label: {zh: 安全事件, en: Security incident}
        failure: {zh: 发生重大安全事件, en: Serious security incident}
        sources: [{seed: "002", clause: §三(四), quote: 数据与个人信息泄露公告和报告机制}]
    bands:
      - {id: recommended, label: {zh: 推荐, en: Recommended}, min: 24, max: 30, recommended: true}
      - {id: reserve, label: {zh: 备选, en: Reserve}, min: 18, max: 24}
      - {id: not_recommended, label: {zh: 不推荐, en: Not recommended}, min: 0, max: 18}
    settings:
      aggregation: trimmed
      trim_min_reviewers: 5
      tie_break: ["criterion:impact", "disagreement"]
    sources: [{seed: "002", clause: §四(三), quote: 示范效应强}]
    """
)


@pytest.fixture(scope="session")
def small_rubric():
    return load_rubric_text(SMALL_RUBRIC, "small test rubric")


def make_applications(ids, **columns) -> pd.DataFrame:
    n = len(ids)
    frame = pd.DataFrame(
        {
            "application_id": list(ids),
            "category": ["life"] * n,
            "region": ["广东"] * n,
            "credit_code": [VALID_CODE] * n,
            "legal_person": [True] * n,
            "security_incident": [False] * n,
            "growth": [11.0] * n,
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def make_scores(table: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """{application: {criterion: [points by reviewer R1..Rk]}} -> long scores."""
    rows = [
        (app, f"R{k + 1}", crit, value)
        for app, criteria in table.items()
        for crit, values in criteria.items()
        for k, value in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=["application_id", "reviewer_id", "criterion_id", "points"])
