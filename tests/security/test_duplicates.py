"""Duplicate checks compare text in Unicode NFC, so one name typed two ways is one name.

`é` can be typed as one code point (NFC) or as `e` followed by a combining acute accent (NFD); the
two look alike and must never make two records or two entries. Where the comparison goes further
and uses NFKC it does so deliberately, and the tests say so: user names (a full-width login typed by
a Chinese input method is the same account) and what the Excel import reads (headers, credit codes,
regions, categories). Free text is never normalised when stored.
"""

from __future__ import annotations

import unicodedata

import pytest
from openpyxl.utils.cell import get_column_letter
from pydantic import ValidationError

from rubrics.errors import RubricError, message_in
from rubrics.loader import load_rubric_text
from rubrics.schema import normalise_id
from submissions import (
    Application,
    ScoreSheet,
    SelfAssessment,
    SheetEntry,
    accounts,
    applications,
    imports,
    reviews,
    rounds,
)
from submissions.errors import SubmissionError
from submissions.excel.applications import application_columns, read_applications
from submissions.excel.cells import normalise_header
from tests.rubrics.test_rubric_errors import criterion, dump, make_rubric
from tests.security.input_scenes import application_workbook, open_scene
from tests.submissions.store.world import PASSWORD
from tests.support.workbooks import REGIONS, VALID_CODES, valid_row, workbook_bytes

NFC = "Jos\u00e9"  # é as one code point
NFD = "Jose\u0301"  # e + combining acute accent
assert NFC != NFD and unicodedata.normalize("NFC", NFD) == NFC


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scene(request, tmp_path_factory):
    with open_scene(request, tmp_path_factory, request.param) as built:
        yield built


# -- user names: NFKC, deliberately -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("jos\u00e9-a", "jose\u0301-a"),
        ("jos\u00e9-b", "JOS\u00c9-B"),
        ("jos\u00e9-c", "\uff4a\uff4f\uff53\u00e9\uff0d\uff43"),
        ("jos\u00e9-d", "  jos\u00e9-d  "),
    ],
    ids=["nfd", "upper-case", "full-width", "spaced"],
)
def test_a_user_name_typed_another_way_is_the_same_account_and_refused(scene, first, second):
    created = accounts.create_user(
        scene.store, scene.admin, username=first, display_name="何塞", role="reviewer", password=PASSWORD
    )
    before = accounts.list_users(scene.store, scene.admin)

    with pytest.raises(SubmissionError) as refusal:
        accounts.create_user(
            scene.store, scene.admin, username=second, display_name="另一个何塞", role="reviewer", password=PASSWORD
        )

    (problem,) = refusal.value.problems
    assert (problem.field, problem.code) == ("username", "duplicate_username")
    assert created.username in problem.message("zh") and created.username in problem.message("en")
    assert accounts.list_users(scene.store, scene.admin) == before


def test_signing_in_with_the_decomposed_spelling_reaches_the_same_account(scene):
    created = accounts.create_user(
        scene.store, scene.admin, username="rene\u0301e", display_name="勒内", role="reviewer", password=PASSWORD
    )

    signed_in = accounts.login(scene.store, "ren\u00e9e", PASSWORD)

    assert created.username == "ren\u00e9e"  # stored in its composed form
    assert signed_in.user_id == created.id


# -- keys of the id-keyed mappings: NFC ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "location"),
    [
        (
            lambda a, b: Application(
                application_id="R1-00001",
                rubric_id="project_life",
                category="life",
                region="广东",
                organisation="示例公司",
                credit_code=VALID_CODES[0],
                indicators={a: 1, b: 2},
                declarations={},
            ),
            ("indicators",),
        ),
        (lambda a, b: SelfAssessment(application_id="R1-00001", points={a: 1, b: 2}), ("points",)),
        (
            lambda a, b: ScoreSheet(
                application_id="R1-00001",
                reviewer_id="7",
                status="draft",
                entries={a: SheetEntry(points=1), b: SheetEntry(points=2)},
            ),
            ("entries",),
        ),
    ],
    ids=["indicators", "self-assessment-points", "sheet-entries"],
)
def test_two_keys_equal_in_nfc_are_refused_rather_than_merged(build, location):
    with pytest.raises(ValidationError) as refusal:
        build(f"caf{NFC[-1]}", "cafe\u0301")

    (error,) = refusal.value.errors()
    assert (error["type"], error["loc"][: len(location)]) == ("duplicate_key", location)
    assert "NFC" in error["msg"]


def test_keys_that_only_look_alike_stay_distinct():
    # NFC merges canonical equivalents only: a full-width letter is another key (and an unknown id).
    sheet = SelfAssessment(application_id="R1-00001", points={"a": 1, "ａ": 2})

    assert list(sheet.points) == ["a", "ａ"]


def test_a_self_assessment_with_one_criterion_spelled_twice_is_refused_and_nothing_saved(scene):
    before = applications.get_self_assessment(scene.store, scene.applicant, scene.draft.id)

    with pytest.raises(SubmissionError) as refusal:
        applications.save_self_assessment(
            scene.store,
            scene.applicant,
            scene.draft.id,
            points={**{k: str(v) for k, v in before.points.items()}, NFC: "1", NFD: "2"},
            seen_version=before.version,
        )

    assert [p.code for p in refusal.value.problems] == ["duplicate_key"]
    assert NFC in refusal.value.problems[0].message("zh") and NFD in refusal.value.problems[0].message("en")
    assert applications.get_self_assessment(scene.store, scene.applicant, scene.draft.id) == before


def test_a_score_sheet_with_one_criterion_spelled_twice_is_refused_and_nothing_saved(scene):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)
    entries = {NFC: {"points": 1}, NFD: {"points": 2}}

    with pytest.raises(SubmissionError) as refusal:
        reviews.save_sheet(scene.store, scene.reviewer, scene.sheet_app, entries=entries, seen_version=before.version)

    assert [p.code for p in refusal.value.problems] == ["duplicate_key"]
    assert reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app) == before


# -- rubric ids: NFC, case-folded -------------------------------------------------------------------------


def test_rubric_ids_compare_in_nfc_ignoring_case_and_whitespace():
    assert normalise_id(NFC) == normalise_id(NFD) == normalise_id(f" {NFC.upper()} ")
    assert normalise_id("ａbc") != normalise_id("abc")  # NFC, not NFKC: a full-width letter is another letter


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_a_rubric_id_with_an_accent_is_refused_in_either_form(form):
    doc = make_rubric()
    criterion(doc, 0, 0)["id"] = unicodedata.normalize(form, "march\u00e9")

    with pytest.raises(RubricError) as refusal:
        load_rubric_text(dump(doc))

    (problem,) = [p for p in refusal.value.problems if p.path == "dimensions[0].criteria[0].id"]
    assert message_in(problem, "zh") == "编号只能使用拉丁字母、数字和下划线,并以字母开头。"
    assert "Latin letters" in message_in(problem, "en")


def test_two_criteria_whose_ids_differ_only_in_case_are_refused_in_both_languages():
    doc = make_rubric()
    criterion(doc, 1, 0)["id"] = "MARKET"

    with pytest.raises(RubricError) as refusal:
        load_rubric_text(dump(doc))

    (problem,) = [p for p in refusal.value.problems if p.code == "duplicate_id"]
    assert problem.path == "dimensions[1].criteria[0].id"
    assert message_in(problem, "zh").startswith("编号“MARKET”与 dimensions[0].criteria[0] 处的编号重复")
    assert "Unicode normalisation" in message_in(problem, "en")


# -- credit codes and titles in the Excel import: NFKC, deliberately -------------------------------------


def test_two_rows_with_one_credit_code_and_title_typed_two_ways_are_a_duplicate(scene):
    first = valid_row(scene.life_rubric, 0) | {"title": f"{NFC}的智慧家庭", "credit_code": VALID_CODES[0]}
    wide_code = "".join(chr(ord(c) + 0xFEE0) for c in VALID_CODES[0])  # the same code, full-width
    second = valid_row(scene.life_rubric, 1) | {"title": f"{NFD}的智慧家庭", "credit_code": wide_code}
    before = applications.list_applications(scene.store, scene.admin, scene.life.id)

    outcome = imports.import_applications(
        scene.store, scene.admin, scene.life.id, application_workbook(scene, scene.life, [first, second])
    )

    assert [(p.cell, p.code) for p in outcome.problems] == [("E3", "duplicate_application")]
    assert outcome.problems[0].message("zh").startswith("单元格E3:本行与第2行的统一社会信用代码和项目名称都相同")
    assert outcome.problems[0].message("en").startswith("Cell E3: This row has the same credit code and project title")
    assert applications.list_applications(scene.store, scene.admin, scene.life.id) == before


def test_a_full_width_credit_code_in_the_import_finds_the_registered_organisation(scene):
    registered = next(
        o for o in accounts.list_organisations(scene.store, scene.admin) if o.id == scene.world.organisation_ids[1]
    )
    wide_code = "".join(chr(ord(c) + 0xFEE0) for c in registered.credit_code)
    row = valid_row(scene.life_rubric, 0) | {"credit_code": f" {wide_code} ", "organisation": "另一个名字"}
    organisations = accounts.list_organisations(scene.store, scene.admin)

    outcome = imports.import_applications(
        scene.store, scene.admin, scene.life.id, application_workbook(scene, scene.life, [row])
    )

    assert outcome.ok, [p.message("en") for p in outcome.problems]
    (imported,) = [
        a
        for a in applications.list_applications(scene.store, scene.admin, scene.life.id)
        if a.reference == outcome.references[0]
    ]
    assert (imported.organisation_id, imported.credit_code) == (registered.id, registered.credit_code)
    assert accounts.list_organisations(scene.store, scene.admin) == organisations


def test_registering_an_organisation_whose_code_differs_only_in_case_and_spaces_is_refused(scene):
    registered = accounts.list_organisations(scene.store, scene.admin)[0]

    with pytest.raises(SubmissionError) as refusal:
        accounts.create_organisation(
            scene.store,
            scene.admin,
            name="重复登记的单位",
            credit_code=f"  {registered.credit_code.lower()} ",
            region="广东",
        )

    assert [p.code for p in refusal.value.problems] == ["duplicate_credit_code"]
    assert registered.credit_code in refusal.value.problems[0].message("zh")


# -- headers in the Excel import: NFKC ---------------------------------------------------------------------


def test_headers_match_whatever_their_unicode_form_width_or_case():
    assert normalise_header("Caf\u00e9") == normalise_header("Cafe\u0301")
    assert normalise_header("ＯＲＧＡＮＩＳＡＴＩＯＮ　ｎａｍｅ") == normalise_header("Organisation name")


def test_a_column_repeated_in_full_width_capitals_is_reported_not_read_twice(scene):
    columns = application_columns(scene.life_rubric)
    header = [c.header for c in columns]
    row = valid_row(scene.life_rubric, 0)
    cells = [row.get(c.field) for c in columns]
    data = workbook_bytes([[*header, "ＴＩＴＬＥ"], [*cells, "另一个名称"]], title="申报表 Applications")

    parsed = read_applications(data, scene.life_rubric, regions=REGIONS)

    assert parsed.rows == []
    (problem,) = [p for p in parsed.problems if p.code == "duplicate_column"]
    assert (problem.row, problem.column) == (1, get_column_letter(len(header) + 1))
    assert problem.message("zh").startswith("“项目名称”列出现了两次(E列和")
    assert problem.message("en").startswith("The column “Project title” appears twice (columns E and")


# -- round regions: NFC --------------------------------------------------------------------------


def test_a_round_listing_one_region_in_two_unicode_forms_is_refused(scene):
    before = rounds.list_rounds(scene.store, scene.admin)

    with pytest.raises(SubmissionError) as refusal:
        rounds.create_round(
            scene.store,
            scene.admin,
            name="地区重复的批次",
            rubric_id="project_life",
            settings={"regions": ["广东", "S\u00e3o Paulo", "Sa\u0303o Paulo"]},
        )

    assert [p.field for p in refusal.value.problems] == ["settings.regions"]
    assert rounds.list_rounds(scene.store, scene.admin) == before
    # The round form words the same refusal for the administrator:
    (shown,) = rounds.settings_problems(scene.life_rubric, {"regions": ["广东", "S\u00e3o Paulo", "Sa\u0303o Paulo"]})
    assert shown.message("zh") == "“地区范围”须至少列出一个地区,每个地区名称1至64个字且不能重复;请修改。"
    assert shown.message("en") == (
        "“Regions” must list at least one region, each named in 1 to 64 characters and listed once; fix the list."
    )


def test_the_services_chinese_message_for_a_repeated_region_is_chinese(scene):
    with pytest.raises(SubmissionError) as refusal:
        rounds.create_round(
            scene.store,
            scene.admin,
            name="地区重复的批次",
            rubric_id="project_life",
            settings={"regions": ["广东", "S\u00e3o Paulo", "Sa\u0303o Paulo"]},
        )

    (problem,) = refusal.value.problems
    assert problem.message("zh") == "“地区范围”须至少列出一个地区,每个地区名称1至64个字且不能重复;请修改。"
