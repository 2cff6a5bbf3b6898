"""The assignment page: a previewed plan applied as previewed, manual changes, conflicts refused."""

from __future__ import annotations

import pytest

from submissions import accounts, applications, assignments
from submissions.errors import ConflictOfInterest
from tests.app.admin_ops.conftest import open_on_round, round_ids
from tests.support.app_fixtures import unescaped
from ui.messages import translator
from ui.text import escaped

ASSIGNMENT = "app_pages/admin/assignment.py"
t = translator("zh")
PAIR_COLUMNS = ["application_id", "reference", "reviewer_id", "reviewer"]


def pairs(table) -> list[tuple[int, int]]:
    return [(int(a), int(r)) for a, r in zip(table["application_id"], table["reviewer_id"], strict=True)]


def test_preview_saves_nothing_and_apply_assigns_the_previewed_plan(pages):
    admin = pages.actor("admin")
    round_id = round_ids(pages)["project_industry"]
    app = open_on_round(pages, ASSIGNMENT, "project_industry")
    app.number_input(key="rs_seed").set_value(7)
    app.number_input(key=f"rs_k_{round_id}").set_value(2)

    app.button(key="rs_preview").click().run()

    planned = assignments.preview_assignment(pages.store, admin, round_id, seed=7, per_application=2).plan
    names = {u.id: u.display_name for u in accounts.list_users(pages.store, admin, role="reviewer")}
    refs = {a.id: a.reference for a in applications.list_applications(pages.store, admin, round_id)}
    shown = next(d.value for d in app.dataframe if list(d.value.columns) == PAIR_COLUMNS)
    assert list(zip(shown["reference"], shown["reviewer"], strict=True)) == [
        (refs[a], names[r]) for a, r in planned.pairs
    ]
    assert assignments.assignment_table(pages.store, admin, round_id).empty

    app.button(key="rs_apply").click().run()

    assert app.success[0].value == t("rs_applied", count=len(planned.pairs))
    assert sorted(pairs(assignments.assignment_table(pages.store, admin, round_id))) == sorted(planned.pairs)
    assert not app.button(key="rs_preview").value


def test_plan_loads_show_every_reviewer_before_and_after(pages):
    round_id = round_ids(pages)["project_industry"]
    app = open_on_round(pages, ASSIGNMENT, "project_industry")

    app.button(key="rs_preview").click().run()

    loads = next(d.value for d in app.dataframe if "after" in d.value.columns)
    planned = assignments.preview_assignment(pages.store, pages.actor("admin"), round_id, seed=0).plan
    assert loads["after"].tolist() == [planned.loads[r] for r in sorted(planned.loads)]
    assert loads["before"].sum() == 0
    assert loads["added"].sum() == len(planned.pairs)
    assert len(app.get("vega_lite_chart")) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_conflicted_manual_assignment_is_refused_with_its_reason(pages, lang):
    admin = pages.actor("admin")
    round_id = round_ids(pages)["city_comprehensive"]
    conflicts = assignments.conflicts(pages.store, admin, round_id)
    before = assignments.assignment_table(pages.store, admin, round_id)
    app_id, reviewer_id = next(
        (int(a), int(r))
        for a, r, kind in zip(conflicts["application_id"], conflicts["reviewer_id"], conflicts["kind"], strict=True)
        if kind == "same_region" and (int(a), int(r)) not in pairs(before)
    )
    app = open_on_round(pages, ASSIGNMENT, "city_comprehensive", lang=lang)
    app.selectbox(key="rs_manual_application").select(app_id)
    app.selectbox(key="rs_manual_reviewer").select(reviewer_id)

    app.button(key="rs_assign").click().run()

    with pytest.raises(ConflictOfInterest) as refused:
        assignments.assign(pages.store, admin, app_id, reviewer_id)
    assert unescaped(app.error[0].value) == refused.value.message(lang)
    assert ("须回避" if lang == "zh" else "must stand aside") in unescaped(app.error[0].value)
    assert pairs(assignments.assignment_table(pages.store, admin, round_id)) == pairs(before)


def test_manual_assign_then_unassign_change_the_assignments(pages):
    admin = pages.actor("admin")
    round_id = round_ids(pages)["project_industry"]
    conflicted = set(pairs(assignments.conflicts(pages.store, admin, round_id)))
    app_id = next(a.id for a in applications.list_applications(pages.store, admin, round_id, status="submitted"))
    reviewer = next(
        u for u in accounts.list_users(pages.store, admin, role="reviewer") if (app_id, u.id) not in conflicted
    )
    app = open_on_round(pages, ASSIGNMENT, "project_industry")
    app.selectbox(key="rs_manual_application").select(app_id)
    app.selectbox(key="rs_manual_reviewer").select(reviewer.id)

    app.button(key="rs_assign").click().run()

    table = assignments.assignment_table(pages.store, admin, round_id)
    assert pairs(table) == [(app_id, reviewer.id)]
    assert table["method"].tolist() == ["manual"]
    reference = table["reference"].iloc[0]
    assert app.success[0].value == t(
        "rs_assigned", reviewer=escaped(reviewer.display_name), reference=escaped(reference)
    )

    app.button(key="rs_unassign").click().run()

    assert assignments.assignment_table(pages.store, admin, round_id).empty
    assert app.success[0].value == t(
        "rs_unassigned", reviewer=escaped(reviewer.display_name), reference=escaped(reference)
    )


def test_a_reviewer_name_with_markup_shows_as_its_characters(pages):
    admin = pages.actor("admin")
    round_id = round_ids(pages)["project_industry"]
    name = "**王**[link](http://x)<b>x</b>"
    reviewer = accounts.create_user(
        pages.store, admin, username="markup", display_name=name, role="reviewer", password="a long enough password 1"
    )
    app_id = next(a.id for a in applications.list_applications(pages.store, admin, round_id, status="submitted"))
    app = open_on_round(pages, ASSIGNMENT, "project_industry")
    app.selectbox(key="rs_manual_application").select(app_id)
    app.selectbox(key="rs_manual_reviewer").select(reviewer.id)

    app.button(key="rs_assign").click().run()

    assert escaped(name) in app.success[0].value
    assert name not in app.success[0].value
    assert (app_id, reviewer.id) in pairs(assignments.assignment_table(pages.store, admin, round_id))


def test_a_closed_round_shows_conflicts_and_assignments_read_only(pages):
    admin = pages.actor("admin")
    round_id = round_ids(pages)["project_public_service"]

    app = open_on_round(pages, ASSIGNMENT, "project_public_service")

    assert app.info[0].value == t("rs_assign_locked", state="评审结束")
    assert not [b for b in app.button if b.key in ("rs_preview", "rs_assign")]
    conflicts = next(d.value for d in app.dataframe if "kind" in d.value.columns)
    declared = assignments.conflicts(pages.store, admin, round_id)
    declared = declared[declared["kind"] == "declared"]
    assert set(declared["reason"]) <= set(conflicts["reason"])
    assert "专家本人申报回避" in set(conflicts["kind"])
    current = next(d.value for d in app.dataframe if "method" in d.value.columns)
    assert len(current) == len(assignments.assignment_table(pages.store, admin, round_id))
