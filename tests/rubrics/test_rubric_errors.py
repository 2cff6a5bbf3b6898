"""Malformed rubrics: each is refused with a `RubricError` naming the exact path, a stable code
and a message that says what to do.

Every case starts from one small, valid, self-contained rubric (`make_rubric`) and breaks one thing.
"""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

import pytest
import yaml

from rubrics import Problem, RubricError, content_hash, load_rubric, load_rubric_file, load_rubric_text


def _text(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _plan(clause: str = "§二", quote: str = "年均增长11%以上") -> dict[str, str]:
    return {"seed": "002", "clause": clause, "quote": quote}


def _notice() -> dict[str, str]:
    return {"document": "工信厅信软函〔2019〕41号", "note": "申报主体应在境内注册"}


LEVELS = [
    {"grade": "优", "min_fraction": 0.85, "max_fraction": 1.0, "descriptor": _text("优秀", "Excellent")},
    {"grade": "良", "min_fraction": 0.7, "max_fraction": 0.85, "descriptor": _text("良好", "Good")},
    {"grade": "中", "min_fraction": 0.5, "max_fraction": 0.7, "descriptor": _text("中等", "Fair")},
    {"grade": "差", "min_fraction": 0.0, "max_fraction": 0.5, "descriptor": _text("较差", "Weak")},
]

# total_points 20 (12 + 8) plus a bonus cap of 2: the bands must tile [0, 22].
BASE: dict[str, Any] = {
    "schema_version": 1,
    "id": "test_rubric",
    "version": "2026.1",
    "title": _text("测试评分标准", "Test rubric"),
    "programme": "demo_project",
    "categories": [{"id": "life", "label": _text("生活类", "Daily life")}],
    "total_points": 20,
    "indicators": [
        {"id": "growth", "label": _text("年均增长率", "Annual growth"), "unit": "%", "type": "percent"},
        {"id": "has_patent", "label": _text("拥有专利", "Holds a patent"), "type": "bool"},
    ],
    "dimensions": [
        {
            "id": "quality",
            "label": _text("发展前景", "Prospects"),
            "max_points": 12,
            "criteria": [
                {
                    "id": "market",
                    "label": _text("市场需求", "Market demand"),
                    "max_points": 6,
                    "step": 0.5,
                    "levels": copy.deepcopy(LEVELS),
                    "sources": [_plan("§四(三)", "发展前景好")],
                },
                {
                    "id": "growth_score",
                    "label": _text("业务增长", "Business growth"),
                    "max_points": 6,
                    "method": "formula",
                    "formula": {
                        "indicator": "growth",
                        "kind": "linear",
                        "floor": 0,
                        "target": 11,
                        "sources": [_plan()],
                    },
                    "sources": [_plan()],
                },
            ],
        },
        {
            "id": "delivery",
            "label": _text("实施基础", "Delivery"),
            "max_points": 8,
            "criteria": [
                {
                    "id": "team",
                    "label": _text("团队", "Team"),
                    "max_points": 4,
                    "step": 1,
                    "sources": [_notice()],
                },
                {
                    "id": "security",
                    "label": _text("安全", "Security"),
                    "max_points": 4,
                    "step": 0.5,
                    "sources": [_plan("§三(四)", "个人信息保护")],
                },
            ],
        },
    ],
    "gates": [
        {
            "id": "credit_code",
            "label": _text("信用代码有效", "Valid credit code"),
            "check": "credit_code",
            "failure": _text("信用代码无效", "Invalid credit code"),
            "sources": [_plan("§二(三)2", "统一社会信用代码")],
        },
        {
            "id": "legal_person",
            "label": _text("独立法人", "Legal person"),
            "check": "declared",
            "failure": _text("不是独立法人", "Not a legal person"),
            "sources": [_notice()],
        },
    ],
    "vetoes": [
        {
            "id": "security_incident",
            "label": _text("安全事件", "Security incident"),
            "failure": _text("发生安全事件", "Security incident (veto)"),
            "sources": [_plan("§三(四)", "个人信息泄露")],
        }
    ],
    "bonus": {
        "cap": 2,
        "items": [
            {
                "id": "standards_bonus",
                "label": _text("标准制定", "Standards"),
                "max_points": 2,
                "step": 1,
                "sources": [_plan("§四(五)", "信息消费标准制定")],
            }
        ],
    },
    "bands": [
        {
            "id": "recommended",
            "label": _text("推荐", "Recommended"),
            "min": 16,
            "max": 22,
            "recommended": True,
        },
        {"id": "reserve", "label": _text("备选", "Reserve"), "min": 12, "max": 16},
        {"id": "not_recommended", "label": _text("不推荐", "Not recommended"), "min": 0, "max": 12},
    ],
    "settings": {"aggregation": "trimmed", "tie_break": ["criterion:market", "disagreement"]},
    "sources": [_plan("§四(三)", "示范效应强")],
}


def make_rubric(**overrides: Any) -> dict[str, Any]:
    """A fresh deep copy of the valid base rubric, with top-level keys replaced by `overrides`."""
    doc = copy.deepcopy(BASE)
    doc.update(copy.deepcopy(overrides))
    return doc


def dump(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def problems_of(doc_or_text: dict | str) -> list[Problem]:
    text = doc_or_text if isinstance(doc_or_text, str) else dump(doc_or_text)
    with pytest.raises(RubricError) as info:
        load_rubric_text(text)
    return info.value.problems


def expect_problem(doc_or_text: dict | str, path: str, code: str, phrase: str) -> Problem:
    """The rubric is refused with a problem at `path` with `code` whose message contains `phrase`."""
    problems = problems_of(doc_or_text)
    matching = [p for p in problems if p.path == path and p.code == code]
    assert matching, f"no problem ({path!r}, {code!r}) among {problems}"
    assert phrase in matching[0].message, matching[0].message
    return matching[0]


def criterion(doc: dict, dim: int, crit: int) -> dict:
    return doc["dimensions"][dim]["criteria"][crit]


# -- the base ------------------------------------------------------------------------------------


def test_base_rubric_loads():
    rubric = load_rubric_text(dump(make_rubric()))

    assert rubric.id == "test_rubric"
    assert [c.id for c in rubric.criteria] == [
        "market",
        "growth_score",
        "team",
        "security",
        "standards_bonus",
    ]
    assert rubric.max_total == 22


# -- YAML ----------------------------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line():
    text = dump(make_rubric()).replace("programme: demo_project", "programme: demo: project", 1)
    line = text.splitlines().index("programme: demo: project") + 1

    problem = expect_problem(text, "", "yaml_syntax", "fix the YAML at that place")

    assert f"line {line}, column 16: mapping values are not allowed here" in problem.message


def test_yaml_key_repeated_in_one_mapping():
    text = dump(make_rubric()) + "id: other_rubric\n"

    problem = expect_problem(text, "", "yaml_syntax", "key 'id' appears twice in one mapping")

    assert "first on line 2" in problem.message
    assert f"line {len(text.splitlines())}, column 1" in problem.message


def test_yaml_unhashable_key_is_a_rubric_error():
    text = dump(make_rubric()) + "? [a, b]\n: 1\n"

    expect_problem(text, "", "yaml_syntax", "fix the YAML")


@pytest.mark.parametrize("text", ["- id: a\n- id: b\n", "just a sentence\n", ""], ids=["list", "str", "empty"])
def test_top_level_not_a_mapping(text):
    expect_problem(text, "", "not_a_mapping", "must be a YAML mapping")


# -- keys and fields -----------------------------------------------------------------------------


def test_unknown_top_level_key():
    problem = expect_problem(make_rubric(colour="red"), "colour", "extra_forbidden", "unknown key 'colour'")

    assert "remove this key or correct its spelling" in problem.message


def test_unknown_key_in_criterion():
    doc = make_rubric()
    criterion(doc, 0, 1)["weight"] = 2

    expect_problem(doc, "dimensions[0].criteria[1].weight", "extra_forbidden", "correct its spelling")


def test_missing_required_field():
    doc = make_rubric()
    del criterion(doc, 1, 0)["label"]

    expect_problem(doc, "dimensions[1].criteria[0].label", "missing", "add this field")


def test_schema_version_unknown():
    expect_problem(make_rubric(schema_version=2), "schema_version", "schema_version", "reads schema_version 1")


# -- ids -----------------------------------------------------------------------------------------


def test_criterion_id_duplicate():
    doc = make_rubric()
    criterion(doc, 1, 1)["id"] = "market"

    expect_problem(doc, "dimensions[1].criteria[1].id", "duplicate_id", "give each one its own id")


def test_criterion_ids_differing_only_by_case():
    doc = make_rubric()
    criterion(doc, 1, 1)["id"] = "Market"

    expect_problem(doc, "dimensions[1].criteria[1].id", "duplicate_id", "ignoring case")


def test_criterion_ids_differing_only_by_surrounding_whitespace():
    doc = make_rubric()
    criterion(doc, 1, 1)["id"] = "  market\t"

    expect_problem(doc, "dimensions[1].criteria[1].id", "duplicate_id", "give each one its own id")


def test_criterion_id_with_inner_whitespace():
    # Inner whitespace never reaches the duplicate check: the id pattern refuses it first.
    doc = make_rubric()
    criterion(doc, 1, 1)["id"] = "mar ket"

    expect_problem(
        doc,
        "dimensions[1].criteria[1].id",
        "string_pattern_mismatch",
        "Latin letters, digits and underscores",
    )


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_criterion_id_non_ascii(form):
    # Ids must match ^[A-Za-z][A-Za-z0-9_]*$, so two ids differing only by Unicode normalisation
    # (NFC "café" vs NFD "cafe" + U+0301) cannot both exist: either form is refused at its own path,
    # before the NFC-aware duplicate check could matter.
    doc = make_rubric()
    criterion(doc, 1, 1)["id"] = unicodedata.normalize(form, "café")

    expect_problem(
        doc,
        "dimensions[1].criteria[1].id",
        "string_pattern_mismatch",
        "Latin letters, digits and underscores",
    )


def test_gate_id_duplicates_criterion_id():
    doc = make_rubric()
    doc["gates"][0]["id"] = "team"

    expect_problem(doc, "gates[0].id", "duplicate_id", "repeats the id at")


def test_veto_id_duplicates_bonus_item_id():
    doc = make_rubric()
    doc["vetoes"][0]["id"] = "standards_bonus"

    expect_problem(doc, "vetoes[0].id", "duplicate_id", "give each one its own id")


def test_duplicate_id_message_names_first_in_path_notation():
    doc = make_rubric()
    doc["gates"][0]["id"] = "team"

    expect_problem(doc, "gates[0].id", "duplicate_id", "repeats the id at dimensions[1].criteria[0]")


# -- points --------------------------------------------------------------------------------------


def test_points_not_summing_to_total_points():
    # 12 + 8 = 20; declare 25 and move the top band so that only the sum is wrong.
    doc = make_rubric(total_points=25)
    doc["bands"][0]["max"] = 27

    problems = problems_of(doc)

    assert [(p.path, p.code) for p in problems] == [("total_points", "points_sum")]
    assert "add up to 20 but total_points is 25" in problems[0].message
    assert "change a criterion's max_points or total_points" in problems[0].message


def test_dimension_max_points_not_matching_its_criteria():
    doc = make_rubric()
    doc["dimensions"][1]["max_points"] = 9

    problem = expect_problem(doc, "dimensions[1].max_points", "points_sum", "add up to 8 but the dimension declares 9")

    assert "change a criterion's max_points or the dimension's max_points" in problem.message


def test_max_points_negative():
    doc = make_rubric()
    criterion(doc, 0, 0)["max_points"] = -6

    expect_problem(doc, "dimensions[0].criteria[0].max_points", "greater_than", "greater than 0")


def test_step_not_dividing_max_points():
    doc = make_rubric()
    criterion(doc, 1, 0)["step"] = 1.5

    expect_problem(doc, "dimensions[1].criteria[0]", "step_not_divisor", "whole number of `step`s")


# -- bands and levels ----------------------------------------------------------------------------


def test_bands_overlapping():
    doc = make_rubric()
    doc["bands"][1]["max"] = 17

    expect_problem(doc, "bands", "range_overlap", "make each start where the previous ends")


def test_bands_leaving_a_gap():
    doc = make_rubric()
    doc["bands"][1]["min"] = 13

    problem = expect_problem(doc, "bands", "range_gap", "make each start where the previous ends")

    assert "between 12.0 and 13.0" in problem.message


def test_bands_not_reaching_max_total():
    # total_points 20 + bonus cap 2 = 22: a top band ending at 20 forgets the bonus.
    doc = make_rubric()
    doc["bands"][0]["max"] = 20

    expect_problem(doc, "bands", "range_gap", "end at 20.0 but must reach 22.0")


def test_levels_overlapping():
    doc = make_rubric()
    criterion(doc, 0, 0)["levels"][1]["max_fraction"] = 0.9

    expect_problem(doc, "dimensions[0].criteria[0]", "range_overlap", "levels overlap between")


# -- formulas ------------------------------------------------------------------------------------


def test_formula_on_unknown_indicator():
    doc = make_rubric()
    criterion(doc, 0, 1)["formula"]["indicator"] = "revenue"

    problem = expect_problem(
        doc, "dimensions[0].criteria[1].formula.indicator", "unknown_indicator", "add it under `indicators`"
    )

    assert "growth" in problem.message


def test_formula_on_bool_indicator():
    doc = make_rubric()
    criterion(doc, 0, 1)["formula"]["indicator"] = "has_patent"

    expect_problem(
        doc,
        "dimensions[0].criteria[1].formula.indicator",
        "formula_on_non_number",
        "use a numeric indicator",
    )


@pytest.mark.parametrize("target", [0, -5], ids=["equal", "below"])
def test_linear_formula_target_not_above_floor(target):
    doc = make_rubric()
    criterion(doc, 0, 1)["formula"]["target"] = target

    expect_problem(doc, "dimensions[0].criteria[1].formula", "thresholds_not_monotonic", "must be greater than `floor`")


def test_steps_not_increasing():
    doc = make_rubric()
    formula = criterion(doc, 0, 1)["formula"]
    del formula["floor"], formula["target"]
    formula["kind"] = "steps"
    formula["steps"] = [{"at": 5, "fraction": 0.5}, {"at": 5, "fraction": 1.0}]

    expect_problem(doc, "dimensions[0].criteria[1].formula", "thresholds_not_monotonic", "strictly increasing `at`")


def test_formula_criterion_without_formula():
    doc = make_rubric()
    del criterion(doc, 0, 1)["formula"]

    expect_problem(doc, "dimensions[0].criteria[1]", "formula_missing", "needs a `formula`")


def test_judged_criterion_with_formula():
    doc = make_rubric()
    del criterion(doc, 0, 1)["method"]

    expect_problem(doc, "dimensions[0].criteria[1]", "formula_on_judged", "set `method: formula`")


# -- sources -------------------------------------------------------------------------------------


def test_criterion_without_sources():
    doc = make_rubric()
    del criterion(doc, 1, 1)["sources"]

    expect_problem(doc, "dimensions[1].criteria[1].sources", "missing", "add this field")


def test_criterion_sources_empty():
    doc = make_rubric()
    criterion(doc, 1, 1)["sources"] = []

    expect_problem(doc, "dimensions[1].criteria[1].sources", "too_short", "at least 1 item")


def test_source_mixing_plan_and_notice_fields():
    doc = make_rubric()
    criterion(doc, 0, 0)["sources"][0]["document"] = "工信厅信软函〔2019〕41号"

    expect_problem(doc, "dimensions[0].criteria[0].sources[0]", "source_kind", "give all fields of exactly one kind")


# -- settings and extends ------------------------------------------------------------------------


def test_tie_break_naming_unknown_criterion():
    doc = make_rubric()
    doc["settings"]["tie_break"] = ["disagreement", "criterion:nonexistent"]

    expect_problem(doc, "settings.tie_break[1]", "unknown_tie_break", "names no criterion")


def test_tie_break_message_says_what_to_do():
    doc = make_rubric()
    doc["settings"]["tie_break"] = ["criterion:nonexistent"]

    problem = expect_problem(doc, "settings.tie_break[0]", "unknown_tie_break", "names no criterion")

    assert "market" in problem.message


def test_extends_naming_unknown_fragment():
    doc = {"extends": "no_such_fragment", **make_rubric()}

    problem = expect_problem(doc, "extends", "unknown_fragment", "use one of")

    assert "project_core" in problem.message


# -- several problems ----------------------------------------------------------------------------


def test_several_problems_all_reported():
    doc = make_rubric(colour="red")
    criterion(doc, 0, 0)["max_points"] = -1
    del criterion(doc, 1, 0)["label"]
    doc["bands"][2]["id"] = "not recommended"

    problems = problems_of(doc)

    assert sorted((p.path, p.code) for p in problems) == [
        ("bands[2].id", "string_pattern_mismatch"),
        ("colour", "extra_forbidden"),
        ("dimensions[0].criteria[0].max_points", "greater_than"),
        ("dimensions[1].criteria[0].label", "missing"),
    ]


def test_several_rule_problems_all_reported():
    doc = make_rubric()
    criterion(doc, 1, 1)["id"] = "market"
    criterion(doc, 0, 1)["formula"]["indicator"] = "revenue"
    doc["bands"][1]["min"] = 13
    doc["settings"]["tie_break"] = ["dimension:nowhere"]

    problems = problems_of(doc)

    assert len(problems) == 4
    assert {(p.path, p.code) for p in problems} == {
        ("dimensions[1].criteria[1].id", "duplicate_id"),
        ("dimensions[0].criteria[1].formula.indicator", "unknown_indicator"),
        ("bands", "range_gap"),
        ("settings.tie_break[0]", "unknown_tie_break"),
    }


def test_field_problem_does_not_hide_rule_problem():
    doc = make_rubric(colour="red")
    criterion(doc, 1, 1)["id"] = "market"

    problems = problems_of(doc)

    assert {(p.path, p.code) for p in problems} == {
        ("colour", "extra_forbidden"),
        ("dimensions[1].criteria[1].id", "duplicate_id"),
    }


# -- files and the shipped library ---------------------------------------------------------------


def test_file_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(dump(make_rubric()).encode("utf-8") + "# café\n".encode("latin-1"))

    with pytest.raises(RubricError) as info:
        load_rubric_file(path)

    assert [(p.path, p.code) for p in info.value.problems] == [("", "encoding")]
    assert "save it as UTF-8" in info.value.problems[0].message


def test_shipped_rubric_unknown_id():
    with pytest.raises(RubricError) as info:
        load_rubric("no_such_rubric")

    assert not isinstance(info.value, KeyError)
    assert [(p.path, p.code) for p in info.value.problems] == [("id", "unknown_rubric")]
    assert "choose one of" in info.value.problems[0].message


# -- content hash --------------------------------------------------------------------------------


def _hash(doc_or_text: dict | str) -> str:
    text = doc_or_text if isinstance(doc_or_text, str) else dump(doc_or_text)
    return content_hash(load_rubric_text(text))


def test_content_hash_changes_with_max_points():
    doc = make_rubric(total_points=21)
    criterion(doc, 1, 0)["max_points"] = 5
    doc["dimensions"][1]["max_points"] = 9
    doc["bands"][0]["max"] = 23

    assert _hash(doc) != _hash(make_rubric())


def test_content_hash_changes_with_label():
    doc = make_rubric()
    criterion(doc, 1, 0)["label"]["en"] = "Team and funding"

    assert _hash(doc) != _hash(make_rubric())


def test_content_hash_ignores_yaml_formatting_and_key_order():
    base = make_rubric()
    reordered = dict(reversed(list(copy.deepcopy(base).items())))
    reordered["dimensions"][0] = dict(reversed(list(reordered["dimensions"][0].items())))
    flow = yaml.safe_dump(reordered, allow_unicode=True, sort_keys=False, default_flow_style=True, width=60)
    commented = "# a comment\n\n" + yaml.safe_dump(base, allow_unicode=False, sort_keys=True, indent=4)

    assert flow != dump(base) and commented != dump(base)
    assert _hash(flow) == _hash(commented) == _hash(base)


def test_content_hash_ignores_number_spelling():
    doc = make_rubric()
    criterion(doc, 1, 0)["max_points"] = 4.0

    assert _hash(doc) == _hash(make_rubric())
