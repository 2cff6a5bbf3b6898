"""Who sees what on the score sheet: refusals, bad addresses, the blind policy, untrusted text, files."""

from __future__ import annotations

import pytest

from submissions import applications, assignments, reviews, rounds
from tests.app.reviewer.conftest import (
    HOSTILE,
    MY_REVIEWS,
    SCORE,
    assignments_of,
    block,
    city_round,
    markdown_values,
    page_text,
)
from tests.submissions.store.scenario import full_entries, valid_fields
from tests.support.app_fixtures import unescaped
from ui.text import escaped


def open_id(pages, user: str, application, lang: str = "zh"):
    query = None if application is None else {"application": application}
    return pages.open(SCORE, user=user, lang=lang, query=query)


@pytest.mark.parametrize("raw", ["abc", "12abc", "-3", "4.0", "٣", "9" * 30, ""])
def test_an_address_id_that_is_no_number_is_a_clear_message(pages, raw):
    app = open_id(pages, "liuzhenhua", raw, lang="en")

    assert not app.exception
    assert [unescaped(e.value) for e in app.error] == [
        "The application number in the address is not valid (it must be a number); choose the application from "
        "the list below."
    ]
    assert len(app.get("page_link")) == 1 + len(assignments_of(pages, "liuzhenhua", city_round(pages)))


def test_without_an_id_the_page_offers_the_reviewers_assignments(pages):
    mine = assignments_of(pages, "liuzhenhua", city_round(pages))

    app = open_id(pages, "liuzhenhua", None)

    assert not app.error
    assert app.info[0].value == "请选择要评分的申报。"
    links = [link for link in app.get("page_link") if link.proto.query_string]
    assert [link.proto.query_string for link in links] == [f"application={a.application_id}" for a in mine.values()]


@pytest.mark.parametrize(("lang", "first"), [("zh", "专家A"), ("en", "Reviewer A")])
def test_after_submitting_the_panel_shows_anonymously_as_the_round_says(pages, lang, first):
    reviewer = pages.actor("chensiyuan")
    app_id = assignments_of(pages, "chensiyuan", city_round(pages))["R3-00001"].application_id
    panel = reviews.panel_view(pages.store, reviewer, app_id)

    app = open_id(pages, "chensiyuan", app_id, lang=lang)

    table = app.dataframe[-1].value
    judged = [c for c in rounds.round_rubric(pages.store, reviewer, city_round(pages)).criteria if c.method == "judged"]
    first_column = [None if value != value else value for value in table.iloc[:, 0].tolist()]  # NaN: not scored
    assert table.columns[0] == first
    assert len(table.columns) == len(panel) > 0
    assert first_column == [float(panel[0].points[c.id]) if c.id in panel[0].points else None for c in judged]
    named = [pages.actor(u).display_name for u in ("linxiaolan", "wanghuimin", "liuzhenhua", "huanglixin")]
    assert not any(name in page_text(app) for name in named)


def test_a_sealed_closed_round_shows_the_own_sheet_read_only_and_no_panel(pages):
    sealed = next(
        r for r in rounds.list_rounds(pages.store, pages.actor("admin")) if r.settings.blind_policy == "sealed"
    )
    item = next(iter(reviews.my_assignments(pages.store, pages.actor("chensiyuan"), sealed.id)))

    app = open_id(pages, "chensiyuan", item.application_id, lang="en")

    assert not app.exception
    assert not app.number_input
    assert "This round is reviewed blind: other reviewers' scores are never shown." in [i.value for i in app.info]
    assert len(app.dataframe) == 1


def test_an_attachment_downloads_as_the_file_the_applicant_uploaded(pages, downloads):
    reviewer = pages.actor("chensiyuan")
    app_id = next(
        a.application_id
        for a in reviews.my_assignments(pages.store, reviewer, city_round(pages))
        if applications.get_application(pages.store, reviewer, a.application_id).attachments
    )
    attachment = applications.get_application(pages.store, reviewer, app_id).attachments[0]

    app = open_id(pages, "chensiyuan", app_id)
    offered = next(d for d in downloads if d.file_name == attachment.filename)

    assert not app.exception
    assert offered.data == applications.read_attachment(pages.store, reviewer, attachment.id)[1]
    assert offered.data.startswith(b"%PDF-")


# -- a round with a named panel and an application full of markup ---------------------------------


@pytest.fixture
def hostile(pages):
    """The industry round under review, named panel, with an application whose every text is markup."""
    store, admin = pages.store, pages.actor("admin")
    industry = next(r for r in rounds.list_rounds(store, admin) if r.rubric_id == "project_industry")
    industry = rounds.update_settings(
        store, admin, industry.id, seen_version=industry.version, changes={"blind_policy": "named_after_submit"}
    )
    rubric = rounds.round_rubric(store, admin, industry.id)
    applicant = pages.actor("qianfan")
    fields = valid_fields(rubric, region=applicant.region, title=HOSTILE)
    fields["narratives"] = {c.id: HOSTILE for c in rubric.criteria if c.method == "judged"}
    fields["evidence"] = {c.id: HOSTILE for c in rubric.criteria}
    draft = applications.create_application(store, applicant, industry.id, category=fields["category"], title="x")
    saved = applications.save_application(store, applicant, draft.id, seen_version=draft.version, changes=fields)
    submitted = applications.submit_application(store, applicant, saved.id, seen_version=saved.version)
    assignments.apply_assignment(store, admin, industry.id, seed=11)
    current = rounds.get_round(store, admin, industry.id)
    rounds.advance(store, admin, industry.id, to_state="under_review", seen_version=current.version)
    table = assignments.assignment_table(store, admin, industry.id)
    ids = set(table[(table["application_id"] == submitted.id) & ~table["conflicted"]]["reviewer_id"])
    names = [
        u
        for u in (
            "chensiyuan",
            "linxiaolan",
            "zhoujianguo",
            "wanghuimin",
            "liuzhenhua",
            "sunyating",
            "zhaoyiming",
            "huanglixin",
        )
        if pages.actor(u).user_id in ids
    ]
    return submitted, rubric, names


def test_untrusted_application_text_and_comments_show_as_typed(pages, hostile):
    application, rubric, (first, second, *_) = hostile
    reviews.save_sheet(
        pages.store,
        pages.actor(first),
        application.id,
        entries={cid: {**e, "comment": HOSTILE} for cid, e in full_entries(rubric).items()},
        seen_version=0,
        submit=True,
    )

    before = open_id(pages, second, application.id)
    reviews.save_sheet(
        pages.store, pages.actor(second), application.id, entries=full_entries(rubric), seen_version=0, submit=True
    )
    after = open_id(pages, second, application.id)

    assert not before.exception and not after.exception
    assert before.subheader[0].value == escaped(f"{application.reference} · {HOSTILE}")
    assert HOSTILE in [t.value for t in before.text]  # narratives and evidence, plain
    for shown in markdown_values(before) + markdown_values(after):
        assert "<script>" not in shown
        assert "](http" not in shown
    assert "提交您自己的评分表后,才能看到其他专家已提交的评分。" in [i.value for i in before.info]
    name = pages.actor(first).display_name
    assert list(after.dataframe[-1].value.columns) == [name]
    comments = next(e for e in after.expander if e.label == escaped(f"{name} 的评语"))
    assert [t.value for t in comments.text] == [HOSTILE] * len(full_entries(rubric))  # plain text


def test_untrusted_titles_on_my_reviews_show_as_typed(pages, hostile):
    application, _, (first, *_) = hostile
    app = pages.open(None, user=first)
    industry = application.round_id
    app = app.switch_page(MY_REVIEWS).run()
    app = app.selectbox(key="rv_round_picker").set_value(industry).run()

    row = block(app, f"rv_row_{application.id}")
    assert row.text[1].value == HOSTILE
    assert all("<script>" not in v and "](http" not in v for v in markdown_values(app))
