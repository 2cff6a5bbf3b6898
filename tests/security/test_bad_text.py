"""Text: a cap per field refused before any write; NUL and lone surrogates refused; anything else kept.

Every case runs on SQLite and on PostgreSQL. Refusals carry a specific message in both languages
and change nothing (read back through the services). Text that is merely unusual — decomposed
accents (NFD), zero-width characters, a right-to-left override, emoji with joiners and flags, CJK
beyond the Basic Multilingual Plane — is stored and returned byte for byte, through the services and
through the Excel template, import and offline review sheet.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy import select

from rubrics.loader import load_rubric
from scoring.synthetic import credit_codes
from submissions import accounts, applications, exports, imports, reviews, rounds
from submissions.contracts import COMMENT_MAX, NAME_MAX, NARRATIVE_MAX, contract_problems, text_problem
from submissions.contracts import Application as ApplicationContract
from submissions.errors import SubmissionError
from submissions.excel.panel import panel_columns
from submissions.models import Application
from tests.security.input_scenes import application_workbook, open_scene, review_row, review_workbook
from tests.submissions.store.scenario import assigned_pairs, full_entries, reviewer_actor
from tests.support.workbooks import rewrite, valid_row

UNUSUAL = {
    "nfd": "Jose\u0301 Sa\u0303o Paulo 合作社",
    "zero-width": "信息\u200b消费\u200d示范\ufeff项目",
    "rtl-override": "\u202eexe.tset\u202c 申报",
    "emoji": "家庭👩\u200d👩\u200d👧\u200d👦 中国🇨🇳 彩虹🏳️\u200d🌈 👍🏽",
    "cjk-extension-b": "𠀀𠀁𪚥𫝀〇 生僻字",
}
EVERYTHING = "".join(UNUSUAL.values())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scene(request, tmp_path_factory):
    with open_scene(request, tmp_path_factory, request.param) as built:
        yield built


def refused(call) -> list:
    with pytest.raises(SubmissionError) as caught:
        call()
    return caught.value.problems


def same_bytes(given: str, returned: str) -> bool:
    return returned.encode("utf-8") == given.encode("utf-8")


# -- caps -----------------------------------------------------------------------------------------

APPLICATION_CAPS = [
    pytest.param("title", "x" * (NAME_MAX + 1), "title", NAME_MAX + 1, NAME_MAX, id="title"),
    pytest.param("region", "区" * (NAME_MAX + 1), "region", NAME_MAX + 1, NAME_MAX, id="region"),
    pytest.param("category", "c" * 65, "category", 65, 64, id="category"),
    pytest.param(
        "narratives",
        {"market_prospect": "述" * (NARRATIVE_MAX + 1)},
        "narratives.market_prospect",
        NARRATIVE_MAX + 1,
        NARRATIVE_MAX,
        id="narrative",
    ),
    pytest.param(
        "evidence",
        {"market_prospect": "证" * 1_000_000},
        "evidence.market_prospect",
        1_000_000,
        NARRATIVE_MAX,
        id="evidence-of-a-million-characters",
    ),
    pytest.param(
        "indicators",
        {"users_served": "9" * (NAME_MAX + 1)},
        "indicators.users_served",
        NAME_MAX + 1,
        NAME_MAX,
        id="indicator-text",
    ),
]


@pytest.mark.parametrize(("name", "value", "field", "length", "limit"), APPLICATION_CAPS)
def test_application_text_over_its_cap_is_refused_with_length_and_limit_and_nothing_saved(
    scene, name, value, field, length, limit
):
    before = applications.get_application(scene.store, scene.applicant, scene.draft.id)

    problems = refused(
        lambda: applications.save_application(
            scene.store, scene.applicant, scene.draft.id, seen_version=before.version, changes={name: value}
        )
    )

    assert [(p.field, p.code) for p in problems] == [(field, "too_long")]
    for lang in ("zh", "en"):
        assert f"{length}" in problems[0].message(lang) and f"{limit}" in problems[0].message(lang)
    assert applications.get_application(scene.store, scene.applicant, scene.draft.id) == before


def test_new_application_with_an_overlong_title_is_refused_and_none_is_created(scene):
    applicant = scene.world.applicants[1]
    before = applications.list_applications(scene.store, applicant, scene.life.id)

    problems = refused(
        lambda: applications.create_application(
            scene.store, applicant, scene.life.id, category="life", title="题" * (NAME_MAX + 1)
        )
    )

    assert [(p.field, p.code) for p in problems] == [("title", "too_long")]
    assert applications.list_applications(scene.store, applicant, scene.life.id) == before


def test_the_chinese_message_for_an_overlong_title_is_chinese(scene):
    before = applications.get_application(scene.store, scene.applicant, scene.draft.id)

    (problem,) = refused(
        lambda: applications.save_application(
            scene.store, scene.applicant, scene.draft.id, seen_version=before.version, changes={"title": "x" * 201}
        )
    )

    assert problem.message("zh") == "“项目名称”有201个字符,最多允许200个;请删减。"
    assert problem.message("en") == "The project title has 201 characters; at most 200 are allowed, so shorten it."


def test_comment_over_its_cap_is_refused_and_the_sheet_is_unchanged(scene):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)

    problems = refused(
        lambda: reviews.save_sheet(
            scene.store,
            scene.reviewer,
            scene.sheet_app,
            entries={"market_prospect": {"points": 5, "comment": "评" * (COMMENT_MAX + 1)}},
            seen_version=before.version,
        )
    )

    assert [(p.field, p.code) for p in problems] == [("entries.market_prospect.comment", "too_long")]
    assert all(str(COMMENT_MAX + 1) in problems[0].message(lang) for lang in ("zh", "en"))
    assert reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app) == before


def conflict_pair(scene):
    """An assignment of the review round kept for declaring a conflict (neither of the scene's sheets)."""
    taken = {(scene.sheet_app, scene.reviewer.user_id), (scene.spare_app, scene.spare_reviewer.user_id)}
    for app_id, reviewer_id in assigned_pairs(scene.store, scene.world, scene.review.id):
        reviewer = reviewer_actor(scene.world, reviewer_id)
        declared = {c.application_id for c in reviews.my_conflicts(scene.store, reviewer, scene.review.id)}
        if (app_id, reviewer_id) not in taken and app_id not in declared:
            return app_id, reviewer
    raise LookupError("no assignment left for a conflict")


def test_conflict_reason_over_its_cap_is_refused_and_no_conflict_recorded(scene):
    app_id, reviewer = conflict_pair(scene)

    before = reviews.my_conflicts(scene.store, reviewer, scene.review.id)

    problems = refused(lambda: reviews.declare_conflict(scene.store, reviewer, app_id, reason="因" * 1001))

    assert [p.field for p in problems] == ["reason"]
    assert "1000" in problems[0].message("zh") and "1000" in problems[0].message("en")
    assert reviews.my_conflicts(scene.store, reviewer, scene.review.id) == before


def test_reopen_reason_over_its_cap_is_refused_and_the_sheet_stays_submitted(scene):
    sheet = submitted_spare_sheet(scene)

    problems = refused(
        lambda: reviews.reopen_sheet(
            scene.store, scene.admin, scene.spare_app, scene.spare_reviewer.user_id, reason="退" * 1001
        )
    )

    assert [p.field for p in problems] == ["reason"]
    assert "1000" in problems[0].message("zh") and "1000" in problems[0].message("en")
    assert reviews.get_sheet(scene.store, scene.spare_reviewer, scene.spare_app) == sheet


def submitted_spare_sheet(scene):
    sheet = reviews.get_sheet(scene.store, scene.spare_reviewer, scene.spare_app)
    if sheet.status == "submitted":
        return sheet
    entries = full_entries(scene.life_rubric)
    return reviews.save_sheet(
        scene.store, scene.spare_reviewer, scene.spare_app, entries=entries, seen_version=sheet.version, submit=True
    )


@pytest.mark.parametrize(
    ("what", "create"),
    [
        (
            "organisation name",
            lambda s, text: accounts.create_organisation(
                s.store, s.admin, name=text, credit_code=fresh_code(s), region="广东"
            ),
        ),
        (
            "display name",
            lambda s, text: accounts.create_user(
                s.store,
                s.admin,
                username=f"cap{len(text)}",
                display_name=text,
                role="reviewer",
                password="correct horse battery",
            ),
        ),
        ("round name", lambda s, text: rounds.create_round(s.store, s.admin, name=text, rubric_id="project_life")),
    ],
    ids=["organisation", "user", "round"],
)
def test_names_over_200_characters_are_refused_with_the_limit_and_nothing_created(scene, what, create):
    before = everything_named(scene)

    problems = refused(lambda: create(scene, "名" * 201))

    assert len(problems) == 1
    assert "200" in problems[0].message("zh") and "200" in problems[0].message("en")
    assert everything_named(scene) == before


def test_user_name_over_64_characters_is_refused_and_no_account_created(scene):
    before = everything_named(scene)

    problems = refused(
        lambda: accounts.create_user(
            scene.store,
            scene.admin,
            username="u" * 65,
            display_name="张三",
            role="reviewer",
            password="correct horse battery",
        )
    )

    assert [p.field for p in problems] == ["username"]
    assert "64" in problems[0].message("zh") and "64" in problems[0].message("en")
    assert everything_named(scene) == before


def test_an_attachment_name_of_ten_thousand_characters_is_never_stored_whole(scene):
    name = "附" * 10_000 + ".pdf"

    try:
        stored = applications.add_attachment(
            scene.store, scene.applicant, scene.draft.id, filename=name, data=b"%PDF-1.7\n%%EOF\n"
        ).filename
    except SubmissionError as exc:
        assert [p.field for p in exc.problems] == ["attachment"]
        return
    assert len(stored) <= 120 and stored.endswith(".pdf")
    listed = applications.get_application(scene.store, scene.applicant, scene.draft.id).attachments
    assert [a.filename for a in listed if a.filename == stored] == [stored]


_codes = iter(str(c) for c in credit_codes(64, np.random.default_rng(2027)))


def fresh_code(scene) -> str:
    taken = {o.credit_code for o in accounts.list_organisations(scene.store, scene.admin)}
    return next(code for code in _codes if code not in taken)


def everything_named(scene) -> tuple:
    """Organisations, users, rounds, conflicts and sheets as they stand: what a refusal must leave alone."""
    return (
        accounts.list_organisations(scene.store, scene.admin),
        accounts.list_users(scene.store, scene.admin),
        rounds.list_rounds(scene.store, scene.admin),
        reviews.progress(scene.store, scene.admin, scene.review.id).to_dict("records"),
    )


# -- NUL and lone surrogates --------------------------------------------------------------------------

BAD_CHARACTERS = [
    pytest.param("前\x00后", "nul_character", id="nul"),
    pytest.param("前\ud800后", "lone_surrogate", id="lone-surrogate"),
]


@pytest.mark.parametrize(("text", "code"), BAD_CHARACTERS)
@pytest.mark.parametrize(
    ("name", "wrap", "field"),
    [
        ("title", lambda t: t, "title"),
        ("narratives", lambda t: {"market_prospect": t}, "narratives.market_prospect"),
        ("evidence", lambda t: {"market_prospect": t}, "evidence.market_prospect"),
    ],
    ids=["title", "narrative", "evidence"],
)
def test_nul_and_lone_surrogates_in_application_text_are_refused_at_their_position(
    scene, name, wrap, field, text, code
):
    before = applications.get_application(scene.store, scene.applicant, scene.draft.id)

    problems = refused(
        lambda: applications.save_application(
            scene.store, scene.applicant, scene.draft.id, seen_version=before.version, changes={name: wrap(text)}
        )
    )

    assert [(p.field, p.code) for p in problems] == [(field, code)]
    assert "position 2" in problems[0].message("en") and "2" in problems[0].message("zh")
    assert applications.get_application(scene.store, scene.applicant, scene.draft.id) == before


@pytest.mark.parametrize(("text", "code"), BAD_CHARACTERS)
def test_nul_and_lone_surrogates_in_a_comment_are_refused_and_the_sheet_is_unchanged(scene, text, code):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)

    problems = refused(
        lambda: reviews.save_sheet(
            scene.store,
            scene.reviewer,
            scene.sheet_app,
            entries={"market_prospect": {"points": 5, "comment": text}},
            seen_version=before.version,
        )
    )

    assert [(p.field, p.code) for p in problems] == [("entries.market_prospect.comment", code)]
    assert reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app) == before


def test_nul_and_lone_surrogates_in_a_user_name_are_refused(scene):
    before = everything_named(scene)

    for text in ("ab\x00c", "ab\ud800c"):
        problems = refused(
            lambda text=text: accounts.create_user(
                scene.store,
                scene.admin,
                username=text,
                display_name="张三",
                role="reviewer",
                password="correct horse battery",
            )
        )
        assert [p.field for p in problems] == ["username"]
    assert everything_named(scene) == before


def _specific(problem, code: str) -> bool:
    words = {"nul_character": ("\\x00", "NUL"), "lone_surrogate": ("代理", "surrogate")}[code]
    return words[0] in problem.message("zh") and words[1] in problem.message("en")


OTHER_TEXT = [
    pytest.param(
        lambda s, text: accounts.create_organisation(
            s.store, s.admin, name=text, credit_code=fresh_code(s), region="广东"
        ),
        "name",
        id="organisation-name",
    ),
    pytest.param(
        lambda s, text: accounts.create_user(
            s.store, s.admin, username="plain", display_name=text, role="reviewer", password="correct horse battery"
        ),
        "display_name",
        id="display-name",
    ),
    pytest.param(
        lambda s, text: rounds.create_round(s.store, s.admin, name=text, rubric_id="project_life"),
        "name",
        id="round-name",
    ),
    pytest.param(
        lambda s, text: rounds.create_round(
            s.store, s.admin, name="地区测试", rubric_id="project_life", settings={"regions": ["广东", text]}
        ),
        "settings.regions",
        id="round-region",
    ),
    pytest.param(
        lambda s, text: reviews.declare_conflict(s.store, conflict_pair(s)[1], conflict_pair(s)[0], reason=text),
        "reason",
        id="conflict-reason",
    ),
    pytest.param(
        lambda s, text: reviews.reopen_sheet(
            s.store, s.admin, submitted_spare_sheet(s).application_id, s.spare_reviewer.user_id, reason=text
        ),
        "reason",
        id="reopen-reason",
    ),
]


@pytest.mark.parametrize(("text", "code"), BAD_CHARACTERS)
@pytest.mark.parametrize(("attempt", "field"), OTHER_TEXT)
def test_nul_and_lone_surrogates_in_names_and_reasons_are_refused_specifically_and_nothing_changes(
    scene, attempt, field, text, code
):
    before = everything_named(scene)

    problems = refused(lambda: attempt(scene, text))

    assert len(problems) == 1 and problems[0].field.startswith(field) and _specific(problems[0], code)
    assert everything_named(scene) == before


# -- unusual text kept exactly ------------------------------------------------------------------------


@pytest.mark.parametrize("text", list(UNUSUAL.values()), ids=list(UNUSUAL))
def test_unusual_text_in_an_application_comes_back_byte_for_byte(scene, text):
    applicant = scene.world.applicants[2]
    before = applications.get_application(scene.store, applicant, scene.spare_draft.id)

    applications.save_application(
        scene.store,
        applicant,
        before.id,
        seen_version=before.version,
        changes={
            "title": text,
            "narratives": {**before.narratives, "market_prospect": text * 3},
            "evidence": {"market_prospect": f"附件:{text}.pdf"},
        },
    )

    back = applications.get_application(scene.store, applicant, before.id)
    assert same_bytes(text, back.title)
    assert same_bytes(text * 3, back.narratives["market_prospect"])
    assert same_bytes(f"附件:{text}.pdf", back.evidence["market_prospect"])
    column = scene.store.db.read(lambda s: s.scalar(select(Application.title).where(Application.id == before.id)))
    assert same_bytes(text, column)


@pytest.mark.parametrize("text", list(UNUSUAL.values()), ids=list(UNUSUAL))
def test_unusual_text_in_a_comment_comes_back_byte_for_byte(scene, text):
    seen = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)
    entries = {cid: {"points": e.points, "comment": e.comment} for cid, e in seen.entries.items()}
    entries["market_prospect"]["comment"] = text

    reviews.save_sheet(scene.store, scene.reviewer, scene.sheet_app, entries=entries, seen_version=seen.version)

    back = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app).entries["market_prospect"].comment
    assert same_bytes(text, back)


def test_unusual_names_of_organisations_users_and_rounds_come_back_byte_for_byte(scene):
    for key, text in UNUSUAL.items():
        org = accounts.create_organisation(
            scene.store, scene.admin, name=text, credit_code=fresh_code(scene), region="广东"
        )
        user = accounts.create_user(
            scene.store,
            scene.admin,
            username=f"unusual-{key}",
            display_name=text,
            role="reviewer",
            password="correct horse battery",
        )
        round_ = rounds.create_round(scene.store, scene.admin, name=text, rubric_id="project_life")

        assert same_bytes(
            text, next(o for o in accounts.list_organisations(scene.store, scene.admin) if o.id == org.id).name
        )
        assert same_bytes(
            text, next(u for u in accounts.list_users(scene.store, scene.admin) if u.id == user.id).display_name
        )
        assert same_bytes(text, rounds.get_round(scene.store, scene.admin, round_.id).name)


def test_a_conflict_reason_with_unusual_text_comes_back_byte_for_byte(scene):
    app_id, reviewer = conflict_pair(scene)

    reviews.declare_conflict(scene.store, reviewer, app_id, reason=EVERYTHING)

    (declared,) = [
        c for c in reviews.my_conflicts(scene.store, reviewer, scene.review.id) if c.application_id == app_id
    ]
    assert same_bytes(EVERYTHING, declared.reason)


def test_unusual_text_survives_the_applicant_template_and_import(scene):
    rows = [
        valid_row(scene.life_rubric, n) | {"title": text, "narratives.market_prospect": text + "\n第二段" + text}
        for n, text in enumerate(UNUSUAL.values())
    ]
    before = {a.id for a in applications.list_applications(scene.store, scene.admin, scene.life.id)}

    outcome = imports.import_applications(
        scene.store, scene.admin, scene.life.id, application_workbook(scene, scene.life, rows)
    )

    assert outcome.ok, [p.message("en") for p in outcome.problems]
    imported = [
        a for a in applications.list_applications(scene.store, scene.admin, scene.life.id) if a.id not in before
    ]
    assert [a.reference for a in imported] == outcome.references
    for application, text in zip(imported, UNUSUAL.values(), strict=True):
        back = applications.get_application(scene.store, scene.admin, application.id)
        assert same_bytes(text, back.title)
        assert same_bytes(text + "\n第二段" + text, back.narratives["market_prospect"])


def test_unusual_comments_survive_the_offline_sheet_both_ways(scene):
    seen = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)
    row = review_row(scene, scene.reviewer, scene.sheet_app)

    uploaded = reviews.upload_offline(
        scene.store,
        scene.reviewer,
        scene.review.id,
        review_workbook(scene, scene.reviewer, scene.sheet_app, {"entries.market_prospect.comment": EVERYTHING}),
    )

    assert uploaded.ok, [p.message("en") for p in uploaded.problems]
    saved = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)
    assert saved.version == seen.version + 1
    assert same_bytes(EVERYTHING, saved.entries["market_prospect"].comment)
    downloaded = load_workbook(io.BytesIO(exports.reviewer_template(scene.store, scene.reviewer, scene.review.id)))
    position = {c.field: i for i, c in enumerate(panel_columns(scene.life_rubric), start=1)}
    cell = downloaded.worksheets[0].cell(row=row, column=position["entries.market_prospect.comment"]).value
    assert same_bytes(EVERYTHING, cell)


# -- NUL and lone surrogates through the Excel import ---------------------------------------------------------


@pytest.mark.parametrize(
    ("escape", "code"),
    [
        pytest.param("_x0000_", "nul_character", id="nul"),
        pytest.param("_xD800_", "lone_surrogate", id="lone-surrogate"),
    ],
)
def test_nul_and_lone_surrogates_in_an_imported_cell_are_named_by_the_cell_and_nothing_imported(scene, escape, code):
    # Excel writes characters XML cannot hold as _xHHHH_ escapes, which readers decode.
    row = valid_row(scene.life_rubric, 0) | {"title": "PLACEHOLDER-TITLE"}
    data = rewrite(
        application_workbook(scene, scene.life, [row]),
        {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(b"PLACEHOLDER-TITLE", f"前{escape}后".encode())},
    )
    before = applications.list_applications(scene.store, scene.admin, scene.life.id)

    outcome = crash = None
    try:
        outcome = imports.import_applications(scene.store, scene.admin, scene.life.id, data)
    except UnicodeError as exc:  # reported plainly: the encoder's own traceback is of no help here
        crash = f"{type(exc).__name__}: {exc}"
    assert crash is None, f"the import broke instead of naming the cell: {crash}"

    assert outcome.imported == 0
    assert [(p.cell, p.code) for p in outcome.problems] == [("E2", code)]
    assert outcome.problems[0].message("zh").startswith("单元格E2:第2个字符")
    assert outcome.problems[0].message("en").startswith("Cell E2: The title contains")
    assert outcome.error_workbook
    assert applications.list_applications(scene.store, scene.admin, scene.life.id) == before


def test_nul_in_an_offline_comment_is_named_by_the_cell_and_nothing_saved(scene):
    before = reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app)
    row = review_row(scene, scene.reviewer, scene.sheet_app)
    data = rewrite(
        review_workbook(
            scene, scene.reviewer, scene.sheet_app, {"entries.market_prospect.comment": "PLACEHOLDER-NOTE"}
        ),
        {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(b"PLACEHOLDER-NOTE", b"ok_x0000_ok")},
    )

    outcome = reviews.upload_offline(scene.store, scene.reviewer, scene.review.id, data)

    (problem,) = outcome.problems
    assert (problem.cell, problem.code) == (f"F{row}", "nul_character")
    assert "NUL" in problem.message("en") and "\\x00" in problem.message("zh")
    assert reviews.get_sheet(scene.store, scene.reviewer, scene.sheet_app) == before


# -- the wording other services can reuse -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "zh", "en"),
    [
        (
            "前\x00后",
            "nul_character",
            "“回避理由”的第2个字符是空字符(\\x00);请删除该字符。",
            "The reason for the conflict contains a NUL character (\\x00) at position 2; remove it.",
        ),
        (
            "前\udc00后",
            "lone_surrogate",
            "“回避理由”的第2个字符不是有效的文字(孤立的代理码位);请重新输入,或把原文件另存为UTF-8后再复制。",
            "The reason for the conflict contains a lone surrogate at position 2, which is not valid text; "
            "re-type it or re-save the source file as UTF-8.",
        ),
        (
            "因" * 1001,
            "too_long",
            "“回避理由”有1001个字符,最多允许1000个;请删减。",
            "The reason for the conflict has 1001 characters; at most 1000 are allowed, so shorten it.",
        ),
    ],
    ids=["nul", "lone-surrogate", "too-long"],
)
def test_text_problem_words_each_refusal_in_both_languages(text, code, zh, en):
    problem = text_problem(text, 1000, field="reason", label_zh="回避理由", label_en="reason for the conflict")

    assert (problem.field, problem.code, problem.message("zh"), problem.message("en")) == ("reason", code, zh, en)
    assert text_problem(EVERYTHING, 1000, field="reason", label_zh="回避理由", label_en="reason") is None


def test_contract_problems_name_the_field_by_its_label_in_both_languages():
    labels = {c.id: (c.label.zh, c.label.en) for c in load_rubric("project_life").criteria}
    with pytest.raises(ValidationError) as caught:
        ApplicationContract(
            application_id="R1-00001",
            rubric_id="project_life",
            category="life",
            region="广东",
            organisation="示例公司",
            credit_code="91110000802100433B",
            title="题" * 201,
            indicators={},
            declarations={},
            narratives={"market_prospect": "述\x00"},
        )

    problems = contract_problems(caught.value, labels)

    assert [(p.field, p.code) for p in problems] == [
        ("title", "too_long"),
        ("narratives.market_prospect", "nul_character"),
    ]
    assert problems[0].message("zh") == "“项目名称”有201个字符,最多允许200个;请删减。"
    assert problems[1].message("zh") == "“市场需求与商业模式情况说明”的第2个字符是空字符(\\x00);请删除该字符。"
    assert problems[1].message("en") == (
        "The description of “Market demand and business model” contains a NUL character (\\x00) at position 2; "
        "remove it."
    )
