"""Applications: drafts, submission, edit conflicts, deadlines, organisation walls, attachments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rubrics.loader import load_rubric
from submissions import applications, rounds
from submissions.config import MAX_ATTACHMENT_BYTES
from submissions.errors import AccessDenied, DeadlinePassed, EditConflict, RoundStateError, SubmissionError
from tests.submissions.store.scenario import open_round, submit_application, valid_fields

RUBRIC = load_rubric("project_life")
PDF = b"%PDF-1.7\n" + b"0" * 100


@pytest.fixture
def open_round_id(store, world) -> int:
    return open_round(store, world).id


def new_draft(store, world, round_id, index=0):
    return applications.create_application(store, world.applicants[index], round_id, category="life", title="智慧养老")


def test_draft_may_be_incomplete_but_submission_lists_every_gap(store, world, open_round_id):
    draft = new_draft(store, world, open_round_id)

    with pytest.raises(SubmissionError) as error:
        applications.submit_application(store, world.applicants[0], draft.id, seen_version=draft.version)

    codes = {(p.field, p.code) for p in error.value.problems}
    assert ("indicators.business_growth", "missing_indicator") in codes
    assert ("declarations.legal_person", "missing_declaration") in codes
    assert applications.get_application(store, world.applicants[0], draft.id).status == "draft"


def test_submitted_application_is_locked(store, world, open_round_id):
    submitted = submit_application(store, world, open_round_id)

    with pytest.raises(RoundStateError):
        applications.save_application(
            store, world.applicants[0], submitted.id, seen_version=submitted.version, changes={"title": "改名"}
        )
    assert applications.get_application(store, world.applicants[0], submitted.id).title == submitted.title


def test_stale_save_is_an_edit_conflict_that_returns_the_input(store, world, open_round_id):
    draft = new_draft(store, world, open_round_id)
    applicant = world.applicants[0]
    applications.save_application(store, applicant, draft.id, seen_version=draft.version, changes={"title": "第一稿"})

    with pytest.raises(EditConflict) as conflict:
        applications.save_application(
            store, applicant, draft.id, seen_version=draft.version, changes={"title": "第二稿"}
        )

    assert conflict.value.yours == {"title": "第二稿"}
    assert conflict.value.current_version == draft.version + 1
    assert applications.get_application(store, applicant, draft.id).title == "第一稿"


def test_out_of_range_indicator_is_refused_with_its_label_and_nothing_changes(store, world, open_round_id):
    draft = new_draft(store, world, open_round_id)

    with pytest.raises(SubmissionError) as error:
        applications.save_application(
            store,
            world.applicants[0],
            draft.id,
            seen_version=draft.version,
            changes={"title": "新标题", "indicators": {"business_growth": 5000}},
        )

    problem = error.value.problems[0]
    assert (problem.field, problem.code) == ("indicators.business_growth", "out_of_range")
    assert "5000" in problem.message_zh
    after = applications.get_application(store, world.applicants[0], draft.id)
    assert (after.title, after.version) == ("智慧养老", draft.version)


def test_region_outside_the_rounds_list_is_refused(store, world, open_round_id):
    with pytest.raises(SubmissionError) as error:
        applications.create_application(store, world.applicants[0], open_round_id, category="life", region="火星")

    assert error.value.problems[0].code == "unknown_region"


def test_deadline_is_checked_at_save_time_on_the_server(store, world, clock):
    deadline = clock.now + dt.timedelta(hours=1)
    round_id = open_round(store, world, application_deadline=deadline).id
    draft = new_draft(store, world, round_id)
    clock.advance(hours=2)

    with pytest.raises(DeadlinePassed) as error:
        applications.save_application(
            store, world.applicants[0], draft.id, seen_version=draft.version, changes={"title": "迟到"}
        )

    assert "截止" in error.value.message("zh")


def test_withdrawn_application_leaves_the_ranking_input(store, world, open_round_id):
    submitted = submit_application(store, world, open_round_id)

    withdrawn = applications.withdraw_application(
        store, world.applicants[0], submitted.id, seen_version=submitted.version
    )

    assert withdrawn.status == "withdrawn"
    assert applications.list_applications(store, world.admin, open_round_id, status="submitted") == []


def test_self_assessment_saves_partial_points_and_refuses_off_step_ones(store, world, open_round_id):
    submitted = submit_application(store, world, open_round_id)
    applicant = world.applicants[0]

    saved = applications.save_self_assessment(
        store, applicant, submitted.id, points={"market_prospect": "8.5"}, seen_version=0
    )
    with pytest.raises(SubmissionError) as error:
        applications.save_self_assessment(
            store, applicant, submitted.id, points={"market_prospect": "8.3"}, seen_version=saved.version
        )

    assert saved.points == {"market_prospect": Decimal("8.5")}
    assert error.value.problems[0].code == "off_step"
    assert applications.get_self_assessment(store, applicant, submitted.id).points == {
        "market_prospect": Decimal("8.5")
    }


def test_attachment_is_stored_under_a_generated_id_with_a_safe_name(store, world, open_round_id):
    draft = new_draft(store, world, open_round_id)

    meta = applications.add_attachment(
        store, world.applicants[0], draft.id, filename="../../etc/申报书.pdf", data=PDF, criterion_id="market_prospect"
    )
    read_meta, data = applications.read_attachment(store, world.applicants[0], meta.id)

    assert meta.filename == "申报书.pdf"
    assert (store.config.attachment_dir / meta.id).read_bytes() == PDF
    assert (read_meta, data) == (meta, PDF)


@pytest.mark.parametrize(
    ("filename", "data", "fragment"),
    [
        ("report.exe", b"MZ" + b"0" * 50, "不接受"),
        ("report.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 50, "不符"),
        ("big.pdf", b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES, "上限"),
        ("empty.pdf", b"", "为空"),
    ],
)
def test_bad_attachment_is_refused_and_nothing_is_stored(store, world, open_round_id, filename, data, fragment):
    draft = new_draft(store, world, open_round_id)

    with pytest.raises(SubmissionError) as error:
        applications.add_attachment(store, world.applicants[0], draft.id, filename=filename, data=data)

    assert fragment in error.value.problems[0].message_zh
    assert list(store.config.attachment_dir.iterdir()) == []
    assert applications.get_application(store, world.applicants[0], draft.id).attachments == ()


def test_applicants_do_not_see_draft_rounds(store, world):
    created = rounds.create_round(store, world.admin, name="筹备中", rubric_id="project_life")

    assert [r.id for r in rounds.list_rounds(store, world.applicants[0])] == []
    with pytest.raises(AccessDenied):
        applications.create_application(store, world.applicants[0], created.id, category="life")


def test_application_text_is_stored_and_returned_unchanged(store, world, open_round_id):
    draft = new_draft(store, world, open_round_id)
    tricky = '=HYPERLINK("http://x")\u200b e\u0301 \u202e 😀 <script>alert(1)</script>'
    fields = valid_fields(RUBRIC, region="广东") | {"narratives": {"market_prospect": tricky}}

    saved = applications.save_application(
        store, world.applicants[0], draft.id, seen_version=draft.version, changes=fields
    )

    assert applications.get_application(store, world.applicants[0], saved.id).narratives == {"market_prospect": tricky}
