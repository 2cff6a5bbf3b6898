"""Rubric problems in Chinese: every code has a sentence, and it carries the same specifics as the English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rubrics import Problem
from rubrics.errors import ZH_RULES, chinese, located, message_in
from tests.rubrics.test_rubric_errors import criterion, dump, make_rubric, problems_of

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"
CJK = re.compile(r"[\u4e00-\u9fff]")


def only(doc_or_text) -> dict[tuple[str, str], str]:
    return {(p.path, p.code): chinese(p) for p in problems_of(doc_or_text)}


def with_duplicate_criterion() -> dict:
    doc = make_rubric()
    criterion(doc, 1, 0)["id"] = "Market"
    return doc


def with_unknown_indicator() -> dict:
    doc = make_rubric()
    criterion(doc, 0, 1)["formula"]["indicator"] = "revenue"
    return doc


@pytest.mark.parametrize(
    ("doc", "path", "code", "zh"),
    [
        (make_rubric(colour="red"), "colour", "extra_forbidden", "未知的键“colour”;请删除该键或更正拼写。"),
        (
            make_rubric(total_points=25),
            "total_points",
            "points_sum",
            "各维度指标满分合计为 20,但 total_points 为 25;请调整某项指标的 max_points 或 total_points。",
        ),
        (
            with_duplicate_criterion(),
            "dimensions[1].criteria[0].id",
            "duplicate_id",
            "编号“Market”与 dimensions[0].criteria[0] 处的编号重复(比较时不区分大小写、空白和 Unicode 写法);"
            "请为每一项使用不同的编号。",
        ),
        (
            make_rubric(settings={"aggregation": "average"}),
            "settings.aggregation",
            "literal_error",
            "取值无效;请使用以下之一:mean、median、trimmed、zscore。",
        ),
        (
            make_rubric(schema_version=2),
            "schema_version",
            "schema_version",
            "不支持 schema_version 2;当前版本只能读取 schema_version 1。",
        ),
        (
            with_unknown_indicator(),
            "dimensions[0].criteria[1].formula.indicator",
            "unknown_indicator",
            "公式使用的指标“revenue”未在 indicators 中声明;请在 indicators 中添加,或改用以下之一:growth, has_patent。",
        ),
        (
            make_rubric(settings={"tie_break": ["dimension:nowhere"]}),
            "settings.tie_break[0]",
            "unknown_tie_break",
            "同分排序规则“dimension:nowhere”指向的维度不存在;请使用以下之一:disagreement, criterion:growth_score, "
            "criterion:market, criterion:security, criterion:standards_bonus, criterion:team, dimension:delivery, "
            "dimension:quality。",
        ),
        ("- a\n- b\n", "", "not_a_mapping", "文件必须是一个 YAML 映射,包含 id、title、dimensions 等键。"),
        (
            "id: a\nid: b\n",
            "",
            "yaml_syntax",
            "YAML 格式有误,位于第 2 行第 1 列:键“id”在同一映射中出现了两次(第一次在第 1 行);请修改该处。",
        ),
        (
            "a: b: c\n",
            "",
            "yaml_syntax",
            "YAML 格式有误,位于第 1 行第 5 列:此处不能出现“键: 值”(常见原因:冒号后缺少空格、缩进不一致,"
            "或文字中含有未加引号的冒号);请修改该处。",
        ),
    ],
)
def test_problem_in_chinese_keeps_the_specifics(doc, path, code, zh):
    assert only(doc)[(path, code)] == zh


def test_bands_with_a_gap_are_explained_in_chinese():
    doc = make_rubric()
    doc["bands"][1]["min"] = 13

    assert (
        only(doc)[("bands", "range_gap")] == "推荐档次(bands)在 12.0 与 13.0 之间有空档;请让每一档从上一档结束处开始。"
    )


@pytest.mark.parametrize(
    "doc",
    [
        make_rubric(colour="red", total_points=-1, settings={"aggregation": "x", "trim_min_reviewers": 1}),
        make_rubric(categories=[], bands=[{"id": "x", "label": {"zh": "甲", "en": "A"}, "min": 0, "max": 5}]),
        make_rubric(id="9lives", version="", sources=[{"seed": "2", "clause": "§一", "quote": "x"}]),
        with_duplicate_criterion(),
    ],
)
def test_every_problem_has_a_chinese_sentence_and_english_stays_as_written(doc):
    for problem in problems_of(dump(doc)):
        zh = message_in(problem, "zh")

        assert CJK.search(zh), (problem.code, zh)
        assert "Input should" not in zh and "评分细则此处有误" not in zh, (problem.code, zh)
        assert message_in(problem, "en") == problem.message


def test_every_code_the_rubric_package_raises_has_chinese():
    source = "\n".join(p.read_text("utf-8") for p in RUBRICS.glob("*.py"))
    raised = set(re.findall(r'PydanticCustomError\(\s*"(\w+)"', source))
    raised |= set(re.findall(r'Problem\(\s*(?:"[^"]*"|\w+),\s*"(\w+)"', source))

    assert raised
    assert raised - set(ZH_RULES) == {"rubric_rules"}  # only a carrier: the loader unpacks its problems


def test_citation_problems_read_in_chinese():
    seed = Problem("sources[0]", "unknown_seed", "seed '999' is not one of 001, 002")
    quote = Problem("sources[0]", "quote_not_found", "quote '示范' does not occur in 002.txt; copy it verbatim")

    assert chinese(seed) == "规划编号“999”不存在;请使用以下之一:001, 002。"
    assert chinese(quote) == "引文“示范”在 002.txt 中找不到;请逐字复制规划原文。"


def test_an_unknown_code_still_reads_in_chinese_with_the_english_detail():
    problem = Problem("settings", "brand_new", "something new went wrong")

    assert chinese(problem) == "评分细则此处有误(something new went wrong);请修改。"


def test_located_names_the_whole_document_when_there_is_no_path():
    assert located(Problem("", "yaml_syntax", "x"), "zh") == "(整个文件)"
    assert located(Problem("", "yaml_syntax", "x"), "en") == "(document)"
    assert located(Problem("bands[0].min", "x", "y"), "zh") == "bands[0].min"
