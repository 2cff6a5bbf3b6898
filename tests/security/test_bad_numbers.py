"""Bad numbers in scores and indicators: a specific message naming the field, and nothing saved.

Through the services (score sheets, self-assessments, applications), the Excel imports (the
applicant workbook, the reviewer's offline sheet) and the forms. The full-width policy (see
`submissions.contracts`): a number written as text is read after NFKC, so `１２．５` is 12.5 in
points and in Excel cells alike; indicator values given to the service must be JSON numbers, and
text is refused there whatever its width (`"１２"` exactly as `"12"`).
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from submissions import applications, imports, reviews, rounds
from submissions.errors import SubmissionError
from submissions.excel.applications import read_applications
from submissions.excel.report import ERRORS_SHEET
from tests.app.applicant.conftest import APPLICATION
from tests.app.reviewer.conftest import SCORE, assignments_of, city_round
from tests.security.input_scenes import (
    RawNumber,
    application_workbook,
    open_scene,
    review_row,
    review_workbook,
)
from tests.support.app_fixtures import unescaped
from tests.support.workbooks import REGIONS, valid_row
from ui.session import SignedIn, now

MARKET = ("市场需求与商业模式", "Market demand and business model")  # project_life, 0–10 in steps of 0.5
USERS = ("项目服务用户数", "Users served by the project")  # project_life, 0–1,000,000 (万人)
TRAINEES = ("项目实施期内累计培训人数", "People trained during the project")  # skills_training, an int


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scene(request, tmp_path_factory):
    with open_scene(request, tmp_path_factory, request.param) as built:
        yield built


def refused(call) -> list:
    with pytest.raises(SubmissionError) as caught:
        call()
    return caught.value.problems


def assert_named(problem, field: str, code: str, label: tuple[str, str], shown: str | None = None) -> None:
    """The problem is at `field`, says `code`, and its messages name the field by its label (and the value)."""
    assert (problem.field, problem.code) == (field, code)
    assert f"“{label[0]}”" in problem.message("zh")
    assert f"“{label[1]}”" in problem.message("en")
    if shown is not None:
        assert shown in problem.message("zh") and shown in problem.message("en")


# -- score sheets ---------------------------------------------------------------------------------

BAD_POINTS = [
    pytest.param(Decimal("10.5"), "out_of_range", "10.5", id="above-max"),
    pytest.param(Decimal("-0.5"), "out_of_range", "-0.5", id="negative"),
    pytest.param(float("nan"), "not_finite", "NaN", id="nan"),
    pytest.param(float("inf"), "not_finite", "Infinity", id="inf"),
    pytest.param(float("-inf"), "not_finite", "-Infinity", id="minus-inf"),
    pytest.param("NaN", "not_finite", "NaN", id="text-NaN"),
    pytest.param(1e309, "not_finite", "Infinity", id="float-1e309"),
    pytest.param("1e309", "out_of_range", "1E+309", id="text-1e309"),
    pytest.param("", "blank_points", None, id="empty"),
    pytest.param("   ", "blank_points", None, id="blank"),
    pytest.param(None, "blank_points", None, id="none-with-comment"),
    pytest.param("七", "not_a_number", "“七”", id="chinese-numeral"),
    pytest.param("٣", "not_a_number", "“٣”", id="arabic-indic-digit"),
    pytest.param(True, "not_a_number", "“true”", id="boolean"),
    pytest.param(Decimal("7.3"), "off_step", "7.3", id="off-step"),
    pytest.param("1e-999999999", "too_many_decimals", "1E-999999999", id="underflowing-decimal"),
    pytest.param("１２", "out_of_range", "12", id="full-width-12"),
    pytest.param("１２．５", "out_of_range", "12.5", id="full-width-12.5"),
]


@pytest.mark.parametrize(("points", "code", "shown"), BAD_POINTS)
def test_bad_points_on_a_score_sheet_are_refused_naming_the_criterion_and_nothing_saved(scene, points, code, shown):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)

    problems = refused(
        lambda: reviews.save_sheet(
            scene.store,
            scene.reviewer,
            scene.sheet_app,
            entries={"market_prospect": {"points": points, "comment": "论证充分。"}},
            seen_version=before.version,
        )
    )

    assert len(problems) == 1
    assert_named(problems[0], "entries.market_prospect.points", code, MARKET, shown)
    assert reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app) == before


def test_points_message_reads_in_each_language(scene):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)

    (problem,) = refused(
        lambda: reviews.save_sheet(
            scene.store,
            scene.reviewer,
            scene.sheet_app,
            entries={"market_prospect": {"points": "NaN"}},
            seen_version=before.version,
        )
    )

    assert problem.message("zh") == "“市场需求与商业模式”的分数应为有限数值,而填写的是NaN;请填写0至10分。"
    assert problem.message("en") == (
        "“Market demand and business model” needs a finite number of points, not NaN; enter 0 to 10 points."
    )


def test_points_that_are_not_a_number_say_so_in_each_language(scene):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)

    (problem,) = refused(
        lambda: reviews.save_sheet(
            scene.store,
            scene.reviewer,
            scene.sheet_app,
            entries={"market_prospect": {"points": "八分"}},
            seen_version=before.version,
        )
    )

    assert problem.message("zh") == "“市场需求与商业模式”的分数应为数字,而填写的是“八分”;请填写0至10分。"
    assert problem.message("en") == (
        "“Market demand and business model” needs a number of points, not “八分”; enter 0 to 10 points."
    )


def test_submitting_a_sheet_with_one_bad_criterion_submits_nothing(scene):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)
    entries = {cid: {"points": e.points, "comment": "材料翔实,论证充分。"} for cid, e in before.entries.items()}
    entries["market_prospect"]["points"] = float("inf")

    problems = refused(
        lambda: reviews.save_sheet(
            scene.store, scene.reviewer, scene.sheet_app, entries=entries, seen_version=before.version, submit=True
        )
    )

    assert [(p.field, p.code) for p in problems] == [("entries.market_prospect.points", "not_finite")]
    after = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)
    assert (after.status, after) == ("draft", before)


@pytest.mark.parametrize(
    ("points", "stored"),
    [("７．５", Decimal("7.5")), ("  ８ ", Decimal("8")), ("\u22120", Decimal("0")), (Decimal("6.50"), Decimal("6.5"))],
    ids=["full-width-7.5", "full-width-8-spaced", "minus-sign-zero", "trailing-zero"],
)
def test_points_written_full_width_are_read_as_the_number_they_show(scene, points, stored):
    seen = reviews.get_sheet(scene.store, scene.spare_reviewer, scene.spare_app).version

    saved = reviews.save_sheet(
        scene.store,
        scene.spare_reviewer,
        scene.spare_app,
        entries={"market_prospect": {"points": points}},
        seen_version=seen,
    )

    assert saved.entries["market_prospect"].points == stored
    assert reviews.get_sheet(scene.store, scene.spare_reviewer, scene.spare_app).entries == saved.entries


# -- self-assessment --------------------------------------------------------------------------------


@pytest.mark.parametrize(("points", "code", "shown"), BAD_POINTS)
def test_bad_self_assessment_points_are_refused_naming_the_criterion_and_nothing_saved(scene, points, code, shown):
    before = applications.get_self_assessment(scene.store, scene.applicant, scene.draft.id)

    problems = refused(
        lambda: applications.save_self_assessment(
            scene.store,
            scene.applicant,
            scene.draft.id,
            points={**before.points, "market_prospect": points},
            seen_version=before.version,
        )
    )

    assert len(problems) == 1
    assert_named(problems[0], "points.market_prospect", code, MARKET, shown)
    assert applications.get_self_assessment(scene.store, scene.applicant, scene.draft.id) == before


# -- indicators -----------------------------------------------------------------------------------

BAD_INDICATORS = [
    pytest.param(-5, "out_of_range", "-5", id="negative"),
    pytest.param(1_000_001, "out_of_range", "1000001", id="above-max"),
    pytest.param(float("nan"), "not_finite", "nan", id="nan"),
    pytest.param(float("inf"), "not_finite", "inf", id="inf"),
    pytest.param(float("-inf"), "not_finite", "-inf", id="minus-inf"),
    pytest.param(1e309, "not_finite", "inf", id="float-1e309"),
    pytest.param(10**400, "not_finite", "≈10^", id="integer-beyond-any-float"),
    pytest.param("NaN", "not_a_number", "“NaN”", id="text-NaN"),
    pytest.param("1e309", "not_a_number", "“1e309”", id="text-1e309"),
    pytest.param("12", "not_a_number", "“12”", id="text-12"),
    pytest.param("１２", "not_a_number", "“１２”", id="full-width-12"),
    pytest.param("１２．５", "not_a_number", "“１２．５”", id="full-width-12.5"),
    pytest.param("", "blank_indicator", None, id="empty"),
    pytest.param("  ", "blank_indicator", None, id="blank"),
    pytest.param(True, "not_a_number", "true", id="boolean"),
]


@pytest.mark.parametrize(("value", "code", "shown"), BAD_INDICATORS)
def test_bad_indicator_values_are_refused_naming_the_indicator_and_nothing_saved(scene, value, code, shown):
    before = applications.get_application(scene.store, scene.applicant, scene.draft.id)

    problems = refused(
        lambda: applications.save_application(
            scene.store,
            scene.applicant,
            scene.draft.id,
            seen_version=before.version,
            changes={"indicators": {**before.indicators, "users_served": value}},
        )
    )

    assert len(problems) == 1
    assert_named(problems[0], "indicators.users_served", code, USERS, shown)
    assert applications.get_application(scene.store, scene.applicant, scene.draft.id) == before


def test_full_width_and_ascii_text_indicators_are_refused_alike(scene):
    before = applications.get_application(scene.store, scene.applicant, scene.draft.id)

    def attempt(value):
        changes = {"indicators": {**before.indicators, "users_served": value}}
        return refused(
            lambda: applications.save_application(
                scene.store, scene.applicant, scene.draft.id, seen_version=before.version, changes=changes
            )
        )

    ascii_problem, wide_problem = attempt("12")[0], attempt("１２")[0]

    assert ascii_problem.code == wide_problem.code == "not_a_number"
    assert wide_problem.message("zh") == "“项目服务用户数”应填写数字,而填写的是“１２”;请填写数字。"
    assert wide_problem.message("en") == "“Users served by the project” must be a number, not “１２”; enter a number."


@pytest.mark.parametrize(
    ("value", "code", "shown"),
    [(12.5, "not_an_integer", "12.5"), (1e-7, "not_an_integer", "1e-07"), ("１２", "not_a_number", "“１２”")],
    ids=["fraction", "tiny-fraction", "full-width-text"],
)
def test_integer_indicator_refuses_what_is_not_a_whole_number(scene, value, code, shown):
    applicant = scene.world.applicants[1]
    before = applications.get_application(scene.store, applicant, scene.training_draft.id)

    problems = refused(
        lambda: applications.save_application(
            scene.store,
            applicant,
            scene.training_draft.id,
            seen_version=before.version,
            changes={"indicators": {**before.indicators, "trainees": value}},
        )
    )

    assert len(problems) == 1
    assert_named(problems[0], "indicators.trainees", code, TRAINEES, shown)
    if value == 12.5:
        assert problems[0].message("zh") == "“项目实施期内累计培训人数”应为整数,而填写的是12.5;请填写整数。"
        assert problems[0].message("en") == (
            "“People trained during the project” must be a whole number, not 12.5; enter a whole number."
        )
    assert applications.get_application(scene.store, applicant, scene.training_draft.id) == before


def test_submitting_with_a_required_indicator_left_empty_names_it_and_stays_a_draft(scene):
    spare = applications.get_application(scene.store, scene.world.applicants[2], scene.spare_draft.id)
    emptied = applications.save_application(
        scene.store,
        scene.world.applicants[2],
        spare.id,
        seen_version=spare.version,
        changes={"indicators": {**spare.indicators, "users_served": None}},
    )

    problems = refused(
        lambda: applications.submit_application(
            scene.store, scene.world.applicants[2], spare.id, seen_version=emptied.version
        )
    )

    assert len(problems) == 1
    assert_named(problems[0], "indicators.users_served", "missing_indicator", USERS)
    after = applications.get_application(scene.store, scene.world.applicants[2], spare.id)
    assert (after.status, after.version) == ("draft", emptied.version)
    restored = {"indicators": spare.indicators}
    applications.save_application(
        scene.store, scene.world.applicants[2], spare.id, seen_version=after.version, changes=restored
    )


# -- the applicant workbook -------------------------------------------------------------------------

BAD_CELLS = [
    pytest.param(-1, "out_of_range", "-1万人", id="negative"),
    pytest.param(1_000_001, "out_of_range", "1000001万人", id="above-max"),
    pytest.param("NaN", "not_a_number", "“NaN”", id="text-NaN"),
    pytest.param("inf", "not_a_number", "“inf”", id="text-inf"),
    pytest.param("1e309", "not_finite", "inf", id="text-1e309"),
    pytest.param(RawNumber("1e309"), "not_finite", "inf", id="number-cell-1e309"),
    pytest.param("", "missing_indicator", None, id="empty"),
    pytest.param("   ", "missing_indicator", None, id="blank"),
    pytest.param(None, "missing_indicator", None, id="none"),
    pytest.param("十二", "not_a_number", "“十二”", id="chinese-numeral"),
    pytest.param("٣", "not_a_number", "“٣”", id="arabic-indic-digit"),
    pytest.param("1" * 5000, "not_finite", "inf", id="five-thousand-digits"),
]


@pytest.mark.parametrize(("value", "code", "shown"), BAD_CELLS)
def test_bad_indicator_cell_in_the_applicant_import_is_named_by_its_cell_and_nothing_imported(
    scene, value, code, shown
):
    row = valid_row(scene.life_rubric, 0) | {"indicators.users_served": value}
    data = application_workbook(scene, scene.life, [row])
    before = applications.list_applications(scene.store, scene.admin, scene.life.id)

    outcome = imports.import_applications(scene.store, scene.admin, scene.life.id, data)

    assert (outcome.ok, outcome.imported) == (False, 0)
    (problem,) = outcome.problems
    assert (problem.cell, problem.field, problem.code) == ("G2", "indicators.users_served", code)
    assert problem.message("zh").startswith(f"单元格G2:“{USERS[0]}”")
    assert problem.message("en").startswith(f"Cell G2: “{USERS[1]}”")
    if shown is not None:
        assert shown in problem.message("zh")
    assert error_report_cells(outcome.error_workbook) == ["G2"]
    assert applications.list_applications(scene.store, scene.admin, scene.life.id) == before


def test_fraction_in_an_integer_column_is_named_by_its_cell_and_nothing_imported(scene):
    row = valid_row(scene.training_rubric, 0) | {"indicators.trainees": "１２．５"}
    before = applications.list_applications(scene.store, scene.admin, scene.training.id)

    outcome = imports.import_applications(
        scene.store, scene.admin, scene.training.id, application_workbook(scene, scene.training, [row])
    )

    (problem,) = outcome.problems
    assert (problem.cell, problem.code) == ("F2", "not_an_integer")
    assert problem.message("zh") == "单元格F2:“项目实施期内累计培训人数”应为整数,而填写的是12.5;请填写整数。"
    assert problem.message("en") == (
        "Cell F2: “People trained during the project” must be a whole number, not 12.5; enter a whole number."
    )
    assert applications.list_applications(scene.store, scene.admin, scene.training.id) == before


@pytest.mark.parametrize(
    ("cell", "number"), [("１２", 12), ("１２．５", 12.5), ("１，２００", 1200), ("  ７ ", 7)], ids=str
)
def test_full_width_digits_in_an_excel_cell_read_as_the_number(scene, cell, number):
    row = valid_row(scene.life_rubric, 0) | {"indicators.users_served": cell}

    parsed = read_applications(application_workbook(scene, scene.life, [row]), scene.life_rubric, regions=REGIONS)

    assert parsed.problems == []
    assert parsed.rows[0].application.indicators["users_served"] == number


def test_a_full_width_minus_in_an_excel_cell_is_a_minus(scene):
    row = valid_row(scene.life_rubric, 0) | {"indicators.business_growth": "－３"}

    parsed = read_applications(application_workbook(scene, scene.life, [row]), scene.life_rubric, regions=REGIONS)

    assert [(p.cell, p.code) for p in parsed.problems] == [("F2", "out_of_range")]
    assert "-3%" in parsed.problems[0].message("zh")


def error_report_cells(data: bytes) -> list[str]:
    """The cells the returned error workbook lists on its errors sheet."""
    sheet = load_workbook(io.BytesIO(data))[ERRORS_SHEET]
    return [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]


# -- the reviewer's offline sheet -----------------------------------------------------------------

BAD_POINT_CELLS = [
    pytest.param(10.5, "out_of_range", "10.5", id="above-max"),
    pytest.param(-1, "out_of_range", "-1", id="negative"),
    pytest.param("NaN", "not_a_number", "“NaN”", id="text-NaN"),
    pytest.param("-inf", "not_a_number", "“-inf”", id="text-minus-inf"),
    pytest.param("1e309", "out_of_range", "1E+309", id="text-1e309"),
    pytest.param(RawNumber("1e309"), "not_finite", "Infinity", id="number-cell-1e309"),
    pytest.param("八", "not_a_number", "“八”", id="chinese-numeral"),
    pytest.param("٣", "not_a_number", "“٣”", id="arabic-indic-digit"),
    pytest.param(7.3, "off_step", "7.3", id="off-step"),
    pytest.param("１２．５", "out_of_range", "12.5", id="full-width-12.5"),
    pytest.param("1e-999999999", "too_many_decimals", "1E-999999999", id="underflowing-decimal"),
    pytest.param("1" * 5000, "out_of_range", "E+4999", id="five-thousand-digits"),
]


@pytest.mark.parametrize(("value", "code", "shown"), BAD_POINT_CELLS)
def test_bad_points_in_the_offline_sheet_are_named_by_their_cell_and_nothing_saved(scene, value, code, shown):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)
    row = review_row(scene, scene.reviewer, scene.sheet_app)
    data = review_workbook(scene, scene.reviewer, scene.sheet_app, {"entries.market_prospect.points": value})

    outcome = reviews.upload_offline(scene.store, scene.reviewer, scene.review.id, data)

    assert not outcome.ok and outcome.saved == []
    (problem,) = outcome.problems
    assert (problem.cell, problem.code) == (f"E{row}", code)
    assert problem.message("zh").startswith(f"单元格E{row}:“{MARKET[0]}”")
    assert problem.message("en").startswith(f"Cell E{row}: “{MARKET[1]}”")
    assert shown in problem.message("zh") and shown in problem.message("en")
    assert error_report_cells(outcome.error_workbook) == [f"E{row}"]
    assert reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app) == before


def test_blank_points_with_a_comment_in_the_offline_sheet_are_named_and_nothing_saved(scene):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)
    row = review_row(scene, scene.reviewer, scene.sheet_app)
    data = review_workbook(
        scene,
        scene.reviewer,
        scene.sheet_app,
        {"entries.market_prospect.points": "  ", "entries.market_prospect.comment": "前景良好。"},
    )

    outcome = reviews.upload_offline(scene.store, scene.reviewer, scene.review.id, data)

    (problem,) = outcome.problems
    assert (problem.cell, problem.code) == (f"E{row}", "comment_without_points")
    assert problem.message("en") == (
        f"Cell E{row}: “{MARKET[1]}” has a comment but no points; enter the points or delete the comment."
    )
    assert reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app) == before


# -- the forms --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "“项目服务用户数”应在0万人至1000000万人之间(含两端),而填写的是-3万人;请核对并填写该范围内的数值。"),
        (
            "en",
            "“Users served by the project” must be between 0 万人 and 1000000 万人 (inclusive), not -3 万人; "
            "check it and enter a value in that range.",
        ),
    ],
    ids=["zh", "en"],
)
def test_application_form_explains_a_negative_indicator_and_saves_nothing(pages, lang, expected):
    mine = applications.list_own_applications(pages.store, pages.actor("minjiang"))
    draft = next(o.application for o in mine if o.application.status == "draft")
    app = open_applicant(pages, "minjiang", lang, draft.id)

    app = app.number_input(key="ap_f_ind_users_served").set_value(-3.0).run()

    assert [unescaped(e.value) for e in app.error] == [expected]
    assert app.number_input(key="ap_f_ind_users_served").value == -3.0  # the input stays on the page
    assert applications.get_application(pages.store, pages.actor("minjiang"), draft.id) == draft


def open_applicant(pages, user: str, lang: str, application_id: int):
    """The application page through the router, signed in as `user` (the router first runs signed out)."""
    app = pages.open(None, user=None, lang=lang, query={"id": application_id})
    moment = now()
    app.session_state["auth"] = SignedIn(pages.actor(user), moment, moment)
    return app.switch_page(APPLICATION).run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_score_form_refuses_points_with_more_decimals_than_the_rubric_and_saves_nothing(pages, lang):
    item = assignments_of(pages, "liuzhenhua", city_round(pages))["R3-00010"]
    app = pages.open(SCORE, user="liuzhenhua", lang=lang, query={"application": item.application_id})

    app.number_input(key=f"rv_points_{item.application_id}_livelihood_applications").set_value(5.125)
    app = app.button(key="rv_save_draft").click().run()

    expected = {
        "zh": "- “信息惠民应用普及”的分数最多保留2位小数,而填写的是5.125;请调整分数。",
        "en": "- “Reach of information services for residents” takes points with at most 2 decimal places, "
        "not 5.125; change the points.",
    }[lang]
    assert app.text[-1].value == expected
    assert reviews.get_sheet(pages.store, pages.actor("liuzhenhua"), item.application_id).version == 0


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), -0.5, 7.5], ids=str)
def test_score_form_never_hands_non_finite_or_out_of_range_points_to_the_store(pages, value):
    item = assignments_of(pages, "liuzhenhua", city_round(pages))["R3-00009"]  # a draft with points
    reviewer = pages.actor("liuzhenhua")
    before = reviews.get_sheet(pages.store, reviewer, item.application_id)
    app = pages.open(SCORE, user="liuzhenhua", query={"application": item.application_id})
    key = f"rv_points_{item.application_id}_livelihood_applications"  # 0–7 points

    app.number_input(key=key).set_value(value)
    app = app.button(key="rv_save_draft").click().run()

    after = reviews.get_sheet(pages.store, reviewer, item.application_id)
    held = after.entries.get("livelihood_applications")
    assert held is None or (held.points.is_finite() and 0 <= held.points <= 7)
    assert not app.exception
    assert {k: v for k, v in after.entries.items() if k != "livelihood_applications"} == {
        k: v for k, v in before.entries.items() if k != "livelihood_applications"
    }


@pytest.fixture
def training_draft(pages):
    """yunqi's draft in a new open round on the skills-training rubric, whose `trainees` is a whole number."""
    admin = pages.actor("admin")
    created = rounds.create_round(pages.store, admin, name="信息技能培训项目评审", rubric_id="skills_training")
    opened = rounds.advance(pages.store, admin, created.id, to_state="open", seen_version=created.version)
    return applications.create_application(
        pages.store, pages.actor("yunqi"), opened.id, category="skills_training", title="数字技能进社区"
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "“项目实施期内累计培训人数”应为整数,而填写的是12.5;请填写整数。"),
        ("en", "“People trained during the project” must be a whole number, not 12.5; enter a whole number."),
    ],
    ids=["zh", "en"],
)
def test_application_form_explains_a_fraction_in_a_whole_number_indicator_and_saves_nothing(
    pages, training_draft, lang, expected
):
    app = open_applicant(pages, "yunqi", lang, training_draft.id)

    app = app.number_input(key="ap_f_ind_trainees").set_value(12.5).run()

    assert [unescaped(e.value) for e in app.error] == [expected]
    assert app.number_input(key="ap_f_ind_trainees").value == 12.5
    assert applications.get_application(pages.store, pages.actor("yunqi"), training_draft.id) == training_draft


def test_application_form_saves_a_whole_number_indicator_as_an_integer(pages, training_draft):
    app = open_applicant(pages, "yunqi", "zh", training_draft.id)

    app = app.number_input(key="ap_f_ind_trainees").set_value(1200.0).run()

    assert not app.error
    saved = applications.get_application(pages.store, pages.actor("yunqi"), training_draft.id)
    assert saved.indicators["trainees"] == 1200 and isinstance(saved.indicators["trainees"], int)
