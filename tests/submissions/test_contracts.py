"""Submission contracts (shape) and their checks against a rubric (fit), on the project_life rubric."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from rubrics import load_rubric
from rubrics.schema import Choice, Indicator, Rubric, Text
from submissions import (
    Application,
    FieldProblem,
    ScoreSheet,
    SelfAssessment,
    SheetEntry,
    SubmissionError,
    check_application,
    check_score_sheet,
    check_self_assessment,
    raise_if_problems,
)

RUBRIC = load_rubric("project_life")
VALID_CREDIT_CODE = "91110000802100433B"
JUDGED_MAIN = [c for d in RUBRIC.dimensions for c in d.criteria if c.method == "judged"]


# -- factories -----------------------------------------------------------------------------------


def make_application(**overrides) -> Application:
    """A valid project_life application; any field can be overridden."""
    fields = {
        "application_id": "APP-0001",
        "rubric_id": "project_life",
        "category": "life",
        "region": "广东省",
        "organisation": "示例数字家庭科技有限公司",
        "credit_code": VALID_CREDIT_CODE,
        "indicators": {"business_growth": 18.5, "users_served": 120},
        "declarations": {"legal_person": True, "not_blacklisted": True, "security_incident": False},
        "narratives": {"digital_home": "面向家庭用户提供4K超高清视听服务。"},
    }
    fields.update(overrides)
    return Application(**fields)


def make_self_assessment(**overrides) -> SelfAssessment:
    """A valid self-assessment claiming the maximum of every judged main criterion."""
    fields = {"application_id": "APP-0001", "points": {c.id: c.max_points for c in JUDGED_MAIN}}
    fields.update(overrides)
    return SelfAssessment(**fields)


def make_sheet(**overrides) -> ScoreSheet:
    """A valid submitted sheet: every judged main criterion at half marks, each with a comment."""
    fields = {
        "application_id": "APP-0001",
        "reviewer_id": "expert-07",
        "status": "submitted",
        "entries": {c.id: SheetEntry(points=c.max_points / 2, comment="论证充分,数据可信。") for c in JUDGED_MAIN},
    }
    fields.update(overrides)
    return ScoreSheet(**fields)


def rubric_with_indicator(**fields) -> Rubric:
    """project_life plus one indicator `extra` (labelled 附加指标 / Extra indicator)."""
    indicator = Indicator(id="extra", label=Text(zh="附加指标", en="Extra indicator"), **fields)
    return RUBRIC.model_copy(update={"indicators": [*RUBRIC.indicators, indicator]})


def rubric_without_step(criterion_id: str) -> Rubric:
    dimensions = [
        d.model_copy(
            update={
                "criteria": [c.model_copy(update={"step": None}) if c.id == criterion_id else c for c in d.criteria]
            }
        )
        for d in RUBRIC.dimensions
    ]
    return RUBRIC.model_copy(update={"dimensions": dimensions})


def error_types(exc: ValidationError) -> list[str]:
    return [e["type"] for e in exc.errors()]


# -- contracts: shape ----------------------------------------------------------------------------


def test_application_ids_lose_surrounding_whitespace_and_nothing_else():
    app = make_application(
        application_id="  APP-0001 ",
        credit_code=f" {VALID_CREDIT_CODE}\t",
        organisation="  示例 公司 ",
        indicators={" users_served ": 120, "business_growth": 18.5},
    )

    assert app.application_id == "APP-0001"
    assert app.credit_code == VALID_CREDIT_CODE
    assert app.organisation == "  示例 公司 "
    assert list(app.indicators) == ["users_served", "business_growth"]


def test_application_unknown_field_rejected():
    with pytest.raises(ValidationError) as caught:
        make_application(website="https://example.com")

    assert error_types(caught.value) == ["extra_forbidden"]


def test_application_without_narratives_accepted():
    fields = {
        "application_id": "APP-0002",
        "rubric_id": "project_life",
        "category": "life",
        "region": "湖北省",
        "organisation": "示例公司",
        "credit_code": VALID_CREDIT_CODE,
        "indicators": {},
        "declarations": {},
    }

    app = Application(**fields)

    assert app.narratives == {}


def test_application_is_frozen():
    app = make_application()

    with pytest.raises(ValidationError):
        app.category = "industry"


@pytest.mark.parametrize(
    ("field", "limit"),
    [("application_id", 64), ("organisation", 200), ("region", 200)],
)
def test_application_text_over_cap_rejected_with_length_and_limit(field, limit):
    with pytest.raises(ValidationError) as caught:
        make_application(**{field: "x" * (limit + 1)})

    [error] = caught.value.errors()
    assert error["type"] == "too_long"
    assert error["loc"] == (field,)
    assert f"has {limit + 1} characters; at most {limit} are allowed, so shorten it" in error["msg"]


@pytest.mark.parametrize(("field", "limit"), [("application_id", 64), ("organisation", 200)])
def test_application_text_at_cap_accepted(field, limit):
    app = make_application(**{field: "x" * limit})

    assert len(getattr(app, field)) == limit


def test_narrative_over_20000_characters_rejected():
    with pytest.raises(ValidationError) as caught:
        make_application(narratives={"digital_home": "字" * 20_001})

    assert error_types(caught.value) == ["too_long"]


def test_narrative_of_20000_characters_accepted():
    app = make_application(narratives={"digital_home": "字" * 20_000})

    assert len(app.narratives["digital_home"]) == 20_000


def test_comment_over_5000_characters_rejected():
    with pytest.raises(ValidationError) as caught:
        SheetEntry(points=Decimal(5), comment="评" * 5_001)

    assert error_types(caught.value) == ["too_long"]


def test_comment_keeps_its_whitespace():
    entry = SheetEntry(points=Decimal(5), comment="  好  ")

    assert entry.comment == "  好  "


@pytest.mark.parametrize(
    "overrides",
    [
        {"application_id": "APP\x000001"},
        {"organisation": "示例\x00公司"},
        {"narratives": {"digital_home": "正文\x00"}},
        {"indicators": {"business_growth": "a\x00b"}},
    ],
)
def test_application_text_with_nul_rejected(overrides):
    with pytest.raises(ValidationError) as caught:
        make_application(**overrides)

    assert error_types(caught.value) == ["nul_character"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"application_id": "APP\ud800"},
        {"organisation": "示例\udfff公司"},
        {"narratives": {"digital_home": "\udc80正文"}},
    ],
)
def test_application_text_with_lone_surrogate_rejected(overrides):
    with pytest.raises(ValidationError) as caught:
        make_application(**overrides)

    assert error_types(caught.value) == ["lone_surrogate"]


def test_comment_with_nul_rejected():
    with pytest.raises(ValidationError) as caught:
        SheetEntry(points=Decimal(1), comment="ok\x00")

    assert error_types(caught.value) == ["nul_character"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [({"application_id": "   "}, "blank_id"), ({"organisation": "  "}, "blank_name")],
)
def test_application_blank_id_or_name_rejected(overrides, expected):
    with pytest.raises(ValidationError) as caught:
        make_application(**overrides)

    assert error_types(caught.value) == [expected]


def test_mapping_keys_equal_once_stripped_rejected():
    with pytest.raises(ValidationError) as caught:
        make_application(indicators={"users_served": 1, " users_served": 2})

    assert error_types(caught.value) == ["duplicate_key"]


@pytest.mark.parametrize("answer", ["yes", 1, None])
def test_declaration_that_is_not_a_real_boolean_rejected(answer):
    with pytest.raises(ValidationError) as caught:
        make_application(declarations={"legal_person": answer})

    assert error_types(caught.value) == ["bool_type"]


def test_indicator_values_keep_their_type():
    app = make_application(indicators={"a": True, "b": 1, "c": 1.5, "d": "x", "e": None})

    assert [type(v) for v in app.indicators.values()] == [bool, int, float, str, type(None)]


def test_score_sheet_unknown_status_rejected():
    with pytest.raises(ValidationError) as caught:
        make_sheet(status="final")

    assert error_types(caught.value) == ["literal_error"]


def test_sheet_entry_points_from_float_are_exact_decimals():
    entry = SheetEntry(points=7.5)

    assert entry.points == Decimal("7.5")


# -- check_application ---------------------------------------------------------------------------


def test_check_application_valid_gives_no_problems():
    problems = check_application(make_application(), RUBRIC)

    assert problems == []


def test_check_application_other_rubric_reported():
    problems = check_application(make_application(rubric_id="project_industry"), RUBRIC)

    assert [(p.field, p.code) for p in problems] == [("rubric_id", "rubric_mismatch")]


def test_check_application_unknown_category_names_choices_in_both_languages():
    problems = check_application(make_application(category="industry"), RUBRIC)

    assert problems == [
        FieldProblem(
            "category",
            "unknown_category",
            "申报类别“industry”不在本评分细则的类别中;请从以下类别中选择:生活类(life)。",
            "Category “industry” is not one of this rubric's categories; choose one of: Daily life (life).",
        )
    ]


@pytest.mark.parametrize("indicators", [{"business_growth": 18.5}, {"business_growth": 18.5, "users_served": None}])
def test_check_application_missing_required_indicator_reported(indicators):
    problems = check_application(make_application(indicators=indicators), RUBRIC)

    assert problems == [
        FieldProblem(
            "indicators.users_served",
            "missing_indicator",
            "“项目服务用户数”为必填项,尚未填写;请填写。",
            "“Users served by the project” is required but missing; enter a value.",
        )
    ]


def test_check_application_missing_optional_indicator_accepted():
    rubric = rubric_with_indicator(type="int", required=False)

    problems = check_application(make_application(), rubric)

    assert problems == []


@pytest.mark.parametrize(("value", "code"), [(1.5, "not_an_integer"), (True, "not_a_number"), ("3", "not_a_number")])
def test_check_application_int_indicator_wrong_value_reported(value, code):
    rubric = rubric_with_indicator(type="int")
    indicators = {"business_growth": 18.5, "users_served": 120, "extra": value}

    problems = check_application(make_application(indicators=indicators), rubric)

    assert [(p.field, p.code) for p in problems] == [("indicators.extra", code)]


def test_check_application_int_indicator_not_integral_message():
    rubric = rubric_with_indicator(type="int")
    indicators = {"business_growth": 18.5, "users_served": 120, "extra": 1.5}

    [problem] = check_application(make_application(indicators=indicators), rubric)

    assert problem.message_zh == "“附加指标”应为整数,而填写的是1.5;请填写整数。"
    assert problem.message_en == "“Extra indicator” must be a whole number, not 1.5; enter a whole number."


@pytest.mark.parametrize("value", [3, 3.0])
def test_check_application_int_indicator_integral_value_accepted(value):
    rubric = rubric_with_indicator(type="int")
    indicators = {"business_growth": 18.5, "users_served": 120, "extra": value}

    problems = check_application(make_application(indicators=indicators), rubric)

    assert problems == []


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (float("nan"), "not_finite"),
        (float("inf"), "not_finite"),
        (float("-inf"), "not_finite"),
        (True, "not_a_number"),
        ("12", "not_a_number"),
    ],
)
def test_check_application_float_indicator_wrong_value_reported(value, code):
    indicators = {"business_growth": 18.5, "users_served": value}

    problems = check_application(make_application(indicators=indicators), RUBRIC)

    assert [(p.field, p.code) for p in problems] == [("indicators.users_served", code)]


def test_check_application_percent_above_max_shows_bounds_and_unit():
    indicators = {"business_growth": 1200, "users_served": 120}

    problems = check_application(make_application(indicators=indicators), RUBRIC)

    assert problems == [
        FieldProblem(
            "indicators.business_growth",
            "out_of_range",
            "“近三年项目业务量年均增长率”应在0%至1000%之间(含两端),而填写的是1200%;请核对并填写该范围内的数值。",
            "“Average annual growth of the project's business (3 years)” must be between 0% and 1000% "
            "(inclusive), not 1200%; check it and enter a value in that range.",
        )
    ]


def test_check_application_float_below_min_shows_bounds_and_unit():
    indicators = {"business_growth": 18.5, "users_served": -1}

    [problem] = check_application(make_application(indicators=indicators), RUBRIC)

    assert problem.message_zh == (
        "“项目服务用户数”应在0万人至1000000万人之间(含两端),而填写的是-1万人;请核对并填写该范围内的数值。"
    )
    assert problem.message_en == (
        "“Users served by the project” must be between 0 万人 and 1000000 万人 (inclusive), not -1 万人; "
        "check it and enter a value in that range."
    )


@pytest.mark.parametrize("value", [0, 1000])
def test_check_application_bounds_inclusive(value):
    indicators = {"business_growth": value, "users_served": 120}

    problems = check_application(make_application(indicators=indicators), RUBRIC)

    assert problems == []


def test_check_application_only_min_bound_message():
    rubric = rubric_with_indicator(type="float", min=10, unit="个")
    indicators = {"business_growth": 18.5, "users_served": 120, "extra": 9.5}

    [problem] = check_application(make_application(indicators=indicators), rubric)

    assert problem.message_zh == "“附加指标”不得小于10个,而填写的是9.5个;请核对并填写该范围内的数值。"
    assert problem.message_en == (
        "“Extra indicator” must be at least 10 个, not 9.5 个; check it and enter a value in that range."
    )


@pytest.mark.parametrize(("value", "expected"), [(True, []), (False, []), (1, ["not_a_boolean"])])
def test_check_application_bool_indicator_needs_real_boolean(value, expected):
    rubric = rubric_with_indicator(type="bool")
    indicators = {"business_growth": 18.5, "users_served": 120, "extra": value}

    problems = check_application(make_application(indicators=indicators), rubric)

    assert [p.code for p in problems] == expected


def test_check_application_choice_indicator_outside_values_lists_choices():
    choices = [
        Choice(value="city", label=Text(zh="城市", en="City")),
        Choice(value="rural", label=Text(zh="农村", en="Rural")),
    ]
    rubric = rubric_with_indicator(type="choice", choices=choices)
    indicators = {"business_growth": 18.5, "users_served": 120, "extra": "town"}

    problems = check_application(make_application(indicators=indicators), rubric)

    assert problems == [
        FieldProblem(
            "indicators.extra",
            "unknown_choice",
            "“附加指标”的取值“town”不是可选项;请从以下选项中选择:城市(city)、农村(rural)。",
            "“Extra indicator” cannot be “town”; choose one of: City (city), Rural (rural).",
        )
    ]


def test_check_application_choice_indicator_declared_value_accepted():
    choices = [Choice(value="city", label=Text(zh="城市", en="City"))]
    rubric = rubric_with_indicator(type="choice", choices=choices)
    indicators = {"business_growth": 18.5, "users_served": 120, "extra": "city"}

    problems = check_application(make_application(indicators=indicators), rubric)

    assert problems == []


def test_check_application_unknown_indicator_reported():
    indicators = {"business_growth": 18.5, "users_served": 120, "village_fibre_4g_rate": 98}

    problems = check_application(make_application(indicators=indicators), RUBRIC)

    assert problems == [
        FieldProblem(
            "indicators.village_fibre_4g_rate",
            "unknown_indicator",
            "本评分细则没有编号为“village_fibre_4g_rate”的指标;请删除该项或更正编号"
            "(可用编号:business_growth, users_served)。",
            "“village_fibre_4g_rate” is not a known indicator id in this rubric; remove it or correct "
            "the id (known ids: business_growth, users_served).",
        )
    ]


@pytest.mark.parametrize(
    ("code", "expected_code", "expected_zh"),
    [
        (
            "9111000080210043",
            "credit_code_length",
            "统一社会信用代码应为18位,而填写的是16位;请核对后重新填写。",
        ),
        (
            "91110000802100433I",
            "credit_code_characters",
            "统一社会信用代码含有无效字符“I”;只能使用数字和大写字母ABCDEFGHJKLMNPQRTUWXY"
            "(不含I、O、S、V、Z),请核对后重新填写。",
        ),
        (
            "91110000802100433C",
            "credit_code_check",
            "统一社会信用代码的校验码应为“B”,而不是“C”;请核对代码。",
        ),
    ],
)
def test_check_application_bad_credit_code_reported_in_both_languages(code, expected_code, expected_zh):
    problems = check_application(make_application(credit_code=code), RUBRIC)

    [problem] = problems
    assert (problem.field, problem.code, problem.message_zh) == ("credit_code", expected_code, expected_zh)
    assert "unified social credit code" in problem.message_en.lower()


def test_check_application_missing_credit_code_reported():
    # The contract refuses a blank code; an unvalidated copy shows the check still covers it.
    app = make_application().model_copy(update={"credit_code": ""})

    problems = check_application(app, RUBRIC)

    assert problems == [
        FieldProblem(
            "credit_code",
            "credit_code_missing",
            "统一社会信用代码未填写;请填写18位统一社会信用代码。",
            "The unified social credit code is missing; enter the 18-character code.",
        )
    ]


def test_check_application_wrong_check_character_english_message():
    [problem] = check_application(make_application(credit_code="91110000802100433C"), RUBRIC)

    assert problem.message_en == (
        "Unified social credit code: the check character should be 'B', not 'C'; please re-check the code."
    )


def test_check_application_second_published_credit_code_accepted():
    problems = check_application(make_application(credit_code="9144030071526726XG"), RUBRIC)

    assert problems == []


def test_check_application_unanswered_gate_and_veto_reported():
    declarations = {"not_blacklisted": True}

    problems = check_application(make_application(declarations=declarations), RUBRIC)

    assert problems == [
        FieldProblem(
            "declarations.legal_person",
            "missing_declaration",
            "声明事项“境内注册且具备独立法人资格”尚未回答;请选择“是”或“否”。",
            "The declaration “Registered in China as an independent legal person” is unanswered; answer yes or no.",
        ),
        FieldProblem(
            "declarations.security_incident",
            "missing_declaration",
            "声明事项“近三年发生重大网络安全或个人信息泄露事件”尚未回答;请选择“是”或“否”。",
            "The declaration “Serious network-security or personal-information incident in the last "
            "three years” is unanswered; answer yes or no.",
        ),
    ]


def test_check_application_false_answers_are_answers():
    declarations = {"legal_person": False, "not_blacklisted": False, "security_incident": True}

    problems = check_application(make_application(declarations=declarations), RUBRIC)

    assert problems == []


@pytest.mark.parametrize("declaration_id", ["credit_code", "has_experience_centre"])
def test_check_application_unknown_declaration_reported(declaration_id):
    declarations = {"legal_person": True, "not_blacklisted": True, "security_incident": False}

    problems = check_application(make_application(declarations={**declarations, declaration_id: True}), RUBRIC)

    assert [(p.field, p.code) for p in problems] == [(f"declarations.{declaration_id}", "unknown_declaration")]


def test_check_application_narrative_for_unknown_criterion_reported():
    problems = check_application(make_application(narratives={"market_size": "很大"}), RUBRIC)

    assert [(p.field, p.code) for p in problems] == [("narratives.market_size", "unknown_criterion")]


def test_check_application_every_problem_in_both_languages():
    app = make_application(
        rubric_id="other",
        category="x",
        credit_code="123",
        indicators={"business_growth": -5, "users_served": "many", "zz": 1},
        declarations={"qq": True},
        narratives={"nn": ""},
    )

    problems = check_application(app, RUBRIC)

    def has_cjk(text: str) -> bool:
        return any("\u4e00" <= ch <= "\u9fff" for ch in text)

    assert len(problems) == 11
    assert all(has_cjk(p.message_zh) for p in problems)
    assert not any(has_cjk(p.message_en) for p in problems)


def test_check_application_does_not_change_its_inputs():
    app = make_application(indicators={"business_growth": 2000, "users_served": 120})
    before = (app.model_dump(), RUBRIC.model_dump())

    check_application(app, RUBRIC)

    assert (app.model_dump(), RUBRIC.model_dump()) == before


# -- check_self_assessment -----------------------------------------------------------------------


def test_check_self_assessment_valid_gives_no_problems():
    problems = check_self_assessment(make_self_assessment(), RUBRIC)

    assert problems == []


def test_check_self_assessment_missing_judged_criterion_reported():
    points = {c.id: c.max_points for c in JUDGED_MAIN if c.id != "market_prospect"}

    problems = check_self_assessment(make_self_assessment(points=points), RUBRIC)

    assert problems == [
        FieldProblem(
            "points.market_prospect",
            "missing_criterion",
            "“市场需求与商业模式”尚未打分;请填写0至10分。",
            "“Market demand and business model” has no points yet; enter 0 to 10 points.",
        )
    ]


def test_check_self_assessment_bonus_items_optional_but_checked():
    points = {c.id: c.max_points for c in JUDGED_MAIN} | {"inclusion_bonus": Decimal("3.5")}

    problems = check_self_assessment(make_self_assessment(points=points), RUBRIC)

    assert [(p.field, p.code) for p in problems] == [("points.inclusion_bonus", "out_of_range")]


def test_check_self_assessment_formula_criterion_reported_as_computed():
    points = {c.id: c.max_points for c in JUDGED_MAIN} | {"business_growth_score": Decimal(8)}

    problems = check_self_assessment(make_self_assessment(points=points), RUBRIC)

    assert problems == [
        FieldProblem(
            "points.business_growth_score",
            "computed_criterion",
            "“业务增长(对标年均增长11%)”由申报指标自动计算得分,无需打分;请删除该项。",
            "“Business growth (against 11 % a year)” is computed from the reported indicators, not "
            "scored by hand; remove it.",
        )
    ]


def test_check_self_assessment_unknown_criterion_reported():
    points = {c.id: c.max_points for c in JUDGED_MAIN} | {"market_size": Decimal(1)}

    problems = check_self_assessment(make_self_assessment(points=points), RUBRIC)

    assert [(p.field, p.code) for p in problems] == [("points.market_size", "unknown_criterion")]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_check_self_assessment_non_finite_points_reported(value):
    points = {c.id: c.max_points for c in JUDGED_MAIN} | {"market_prospect": value}

    problems = check_self_assessment(make_self_assessment(points=points), RUBRIC)

    assert [(p.field, p.code) for p in problems] == [("points.market_prospect", "not_finite")]


# -- check_score_sheet ---------------------------------------------------------------------------


def test_check_score_sheet_valid_submitted_gives_no_problems():
    problems = check_score_sheet(make_sheet(), RUBRIC, min_comment_length=5)

    assert problems == []


def test_check_score_sheet_partial_draft_gives_no_problems():
    sheet = make_sheet(status="draft", entries={"market_prospect": SheetEntry(points=Decimal(6))})

    problems = check_score_sheet(sheet, RUBRIC, min_comment_length=5)

    assert problems == []


def test_check_score_sheet_partial_submitted_lists_every_missing_criterion():
    sheet = make_sheet(entries={"market_prospect": SheetEntry(points=Decimal(6), comment="好")})

    problems = check_score_sheet(sheet, RUBRIC)

    assert [p.field for p in problems] == [f"entries.{c.id}" for c in JUDGED_MAIN if c.id != "market_prospect"]
    assert {p.code for p in problems} == {"missing_criterion"}


def test_check_score_sheet_submitted_without_bonus_items_accepted():
    sheet = make_sheet()

    problems = check_score_sheet(sheet, RUBRIC)

    assert RUBRIC.bonus_ids.isdisjoint(sheet.entries)
    assert problems == []


@pytest.mark.parametrize(("points", "code"), [("-0.5", "out_of_range"), ("10.5", "out_of_range"), ("3.3", "off_step")])
def test_check_score_sheet_bad_points_reported_at_points_field(points, code):
    sheet = make_sheet(status="draft", entries={"market_prospect": SheetEntry(points=Decimal(points))})

    problems = check_score_sheet(sheet, RUBRIC)

    assert [(p.field, p.code) for p in problems] == [("entries.market_prospect.points", code)]


def test_check_score_sheet_out_of_range_message():
    sheet = make_sheet(status="draft", entries={"market_prospect": SheetEntry(points=Decimal("10.5"))})

    problems = check_score_sheet(sheet, RUBRIC)

    assert problems == [
        FieldProblem(
            "entries.market_prospect.points",
            "out_of_range",
            "“市场需求与商业模式”的分数应在0至10分之间(含两端),而填写的是10.5;请调整分数。",
            "“Market demand and business model” takes 0 to 10 points (inclusive), not 10.5; change the points.",
        )
    ]


def test_check_score_sheet_off_step_message_suggests_neighbours():
    sheet = make_sheet(status="draft", entries={"market_prospect": SheetEntry(points=Decimal("3.3"))})

    problems = check_score_sheet(sheet, RUBRIC)

    assert problems == [
        FieldProblem(
            "entries.market_prospect.points",
            "off_step",
            "“市场需求与商业模式”的分数须为0.5分的整数倍,而填写的是3.3;请改为3或3.5。",
            "“Market demand and business model” is scored in steps of 0.5 points, so 3.3 is not allowed; use 3 or 3.5.",
        )
    ]


@pytest.mark.parametrize("points", ["0", "10", "0.5", "9.50", 7.5])
def test_check_score_sheet_points_on_step_and_bounds_accepted(points):
    sheet = make_sheet(status="draft", entries={"market_prospect": SheetEntry(points=points)})

    problems = check_score_sheet(sheet, RUBRIC)

    assert problems == []


def test_check_score_sheet_without_step_any_decimal_in_range_accepted():
    rubric = rubric_without_step("market_prospect")
    sheet = make_sheet(status="draft", entries={"market_prospect": SheetEntry(points=Decimal("3.33"))})

    problems = check_score_sheet(sheet, rubric)

    assert problems == []


def test_check_score_sheet_whole_step_rejects_half_point():
    sheet = make_sheet(status="draft", entries={"standard_bonus": SheetEntry(points=Decimal("1.5"))})

    problems = check_score_sheet(sheet, RUBRIC)

    assert [(p.field, p.code) for p in problems] == [("entries.standard_bonus.points", "off_step")]


def test_check_score_sheet_formula_and_unknown_criteria_reported():
    entries = {
        "business_growth_score": SheetEntry(points=Decimal(5)),
        "market_size": SheetEntry(points=Decimal(5)),
    }
    sheet = make_sheet(status="draft", entries=entries)

    problems = check_score_sheet(sheet, RUBRIC)

    assert [(p.field, p.code) for p in problems] == [
        ("entries.business_growth_score", "computed_criterion"),
        ("entries.market_size", "unknown_criterion"),
    ]


def test_check_score_sheet_short_comment_on_submitted_sheet_reported():
    entries = dict(make_sheet().entries)
    entries["digital_home"] = SheetEntry(points=Decimal(5), comment="  很好  ")

    problems = check_score_sheet(make_sheet(entries=entries), RUBRIC, min_comment_length=5)

    assert problems == [
        FieldProblem(
            "entries.digital_home.comment",
            "comment_too_short",
            "“新数字家庭与超高清视听”的评语至少需要5个字,目前只有2个字;请补充评语后再提交。",
            "The comment on “Digital home and ultra-HD audio-visual” needs at least 5 characters but has "
            "2; add to it before submitting.",
        )
    ]


def test_check_score_sheet_short_comment_on_draft_accepted():
    sheet = make_sheet(status="draft", entries={"digital_home": SheetEntry(points=Decimal(5))})

    problems = check_score_sheet(sheet, RUBRIC, min_comment_length=5)

    assert problems == []


def test_check_score_sheet_negative_min_comment_length_rejected():
    with pytest.raises(ValueError, match="min_comment_length must be 0 or more, not -1"):
        check_score_sheet(make_sheet(), RUBRIC, min_comment_length=-1)


@given(data=st.data())
def test_check_score_sheet_accepts_exactly_multiples_of_step_in_range(data):
    criterion = data.draw(st.sampled_from([c for c in RUBRIC.criteria if c.method == "judged"]))
    points = data.draw(st.decimals(min_value=-5, max_value=20, places=2))
    sheet = make_sheet(status="draft", entries={criterion.id: SheetEntry(points=points)})

    problems = check_score_sheet(sheet, RUBRIC)

    on_step = criterion.step is None or points % criterion.step == 0
    fits = Decimal(0) <= points <= criterion.max_points and on_step
    assert (problems == []) == fits


# -- errors --------------------------------------------------------------------------------------


def test_raise_if_problems_raises_submission_error_with_problems():
    problems = check_application(make_application(category="industry"), RUBRIC)

    with pytest.raises(SubmissionError) as caught:
        raise_if_problems(problems)

    assert isinstance(caught.value, ValueError)
    assert caught.value.problems == problems
    assert "category: Category “industry” is not one of" in str(caught.value)


def test_raise_if_problems_without_problems_returns_none():
    result = raise_if_problems([])

    assert result is None
