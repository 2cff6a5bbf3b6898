"""The whole selection in a real browser: open a round, apply, self-assess, score, rank, export.

An administrator opens a draft round; one applicant applies and self-assesses through the pages
while two others apply through the services; the administrator assigns reviewers and starts the
review; the three reviewers of the browser applicant's application score it through the pages, one
of them meeting an edit conflict from a second tab; the administrator ranks the round, switches the
aggregation method, downloads the ranking workbook, and the workbook read back matches the screen.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
from playwright.sync_api import Page, expect

from rubrics.loader import load_rubric
from submissions import applications, assignments, ranking, reviews, rounds
from tests.e2e.browser import screenshot, settle, sign_in
from tests.submissions.store.scenario import full_entries, reviewer_actor, submit_application
from tests.submissions.store.world import PASSWORD

RUBRIC_ID = "project_new_product"
ROUND_NAME = "2026年新型信息消费示范项目(新型信息产品消费)"
TITLE = "基于国产大模型的家庭陪护机器人"
SELF_SHARE = Decimal("0.8")


def widget(page: Page, key: str):
    """The element Streamlit wraps around the widget with `key=` (class `st-key-<key>`)."""
    return page.locator(f".st-key-{key}")


def main_link(page: Page, name: str):
    """A link in the page body (the sidebar menu has links of the same name)."""
    return page.get_by_test_id("stMain").get_by_role("link", name=name, exact=True)


def commit_number(page: Page, key: str, value: str) -> None:
    box = widget(page, key).locator("input")
    box.fill(value)
    box.press("Enter")
    settle(page)


def choose(page: Page, key: str, option: str) -> None:
    box = widget(page, key).get_by_role("combobox")
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)
    expect(box).to_have_value(option)
    page.keyboard.press("Escape")


def admin_advances(page: Page, to_label: str) -> None:
    widget(page, "ad_advance").locator("button").click()
    settle(page)
    widget(page, "ad_advance_confirm").locator("button").click()
    settle(page)
    expect(page.get_by_text(to_label).first).to_be_visible()


def applicant_applies(page: Page, url: str, username: str) -> int:
    """Create, fill (autosaved field by field), self-assess and submit; returns the application id."""
    rubric = load_rubric(RUBRIC_ID)
    sign_in(page, url, username, PASSWORD)
    widget(page, "ap_new_title").locator("input").fill(TITLE)
    widget(page, "ap_create").locator("button").click()
    settle(page)
    expect(page.get_by_role("tab", name="基本信息")).to_be_visible()
    application_id = int(page.url.rsplit("id=", 1)[1].split("&")[0])

    choose(page, "ap_f_region", "湖北")
    page.get_by_role("tab", name="申报指标").click()
    commit_number(page, "ap_f_ind_business_growth", "35")
    commit_number(page, "ap_f_ind_users_served", "120")
    page.get_by_role("tab", name="资格声明").click()
    for gate in ("legal_person", "not_blacklisted"):
        widget(page, f"ap_f_decl_{gate}").get_by_text("是", exact=True).click()
        settle(page)
    widget(page, "ap_f_decl_security_incident").get_by_text("否", exact=True).click()
    settle(page)
    page.get_by_role("tab", name="申报材料").click()
    narrative = widget(page, "ap_f_narr_market_prospect").locator("textarea")
    narrative.fill("产品已进入 3 个省份的养老服务市场,月活用户 12 万。<script>alert(1)</script>")
    narrative.press("Tab")
    settle(page)
    expect(page.get_by_text("草稿已自动保存于", exact=False).first).to_be_visible()
    screenshot(page, "applicant-application-form")

    main_link(page, "自评").click()
    settle(page)
    for criterion in self_assessed(rubric):
        commit_number(page, f"ap_s_{criterion.id}", str(step_of(criterion, criterion.max_points * SELF_SHARE)))
    expect(page.get_by_text("自评总分", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    screenshot(page, "applicant-self-assessment")

    main_link(page, "申报书").click()
    settle(page)
    widget(page, "ap_submit_confirm").locator("label").click()
    settle(page)
    widget(page, "ap_submit").locator("button").click()
    settle(page)
    expect(page.get_by_text("已提交", exact=False).first).to_be_visible()
    return application_id


def test_the_whole_selection_in_a_browser(sqlite_world, serve, context_factory):
    store, world, env = sqlite_world
    created = rounds.create_round(
        store, world.admin, name=ROUND_NAME, rubric_id=RUBRIC_ID, settings={"reviewers_per_application": 3}
    )
    server = serve(env)

    # 1. The administrator opens the draft round.
    admin = context_factory()
    sign_in(admin, server.url, "admin", PASSWORD)
    expect(widget(admin, "ad_rounds_picker").get_by_role("combobox")).to_have_value(re.compile(re.escape(ROUND_NAME)))
    admin_advances(admin, "开放申报")
    screenshot(admin, "admin-rounds")
    assert rounds.get_round(store, world.admin, created.id).state == "open"

    # 2. Two applicants apply through the services, one through the pages.
    for index in (0, 2):
        submit_application(store, world, created.id, index, title=f"示范项目{index}")
    applicant = context_factory()
    application_id = applicant_applies(applicant, server.url, world.applicants[1].username)
    stored = applications.get_application(store, world.applicants[1], application_id)
    assert (stored.status, stored.title, stored.region) == ("submitted", TITLE, "湖北")
    assert stored.indicators == {"business_growth": 35.0, "users_served": 120.0}
    own = applications.get_self_assessment(store, world.applicants[1], application_id).points
    assert own == {c.id: step_of(c, c.max_points * SELF_SHARE) for c in self_assessed(load_rubric(RUBRIC_ID))}

    # 3. The administrator assigns three reviewers per application and starts the review.
    admin.get_by_test_id("stSidebar").get_by_role("link", name="专家分配").click()
    settle(admin)
    widget(admin, "rs_preview").locator("button").click()
    settle(admin)
    widget(admin, "rs_apply").locator("button").click()
    settle(admin)
    expect(admin.get_by_text("已按预览方案新增 9 人次分配").first).to_be_visible()
    admin.get_by_test_id("stSidebar").get_by_role("link", name="评审批次").click()
    settle(admin)
    admin_advances(admin, "评审中")
    table = assignments.assignment_table(store, world.admin, created.id)
    panel = [int(r) for r in table.loc[table["application_id"] == application_id, "reviewer_id"]]
    assert len(panel) == 3

    # 4. Other applications' sheets are scored through the services; the browser applicant's three
    #    reviewers score through the pages, the first of them from two tabs at once.
    rubric = rounds.round_rubric(store, world.admin, created.id)
    for other_id, reviewer_id in zip(table["application_id"], table["reviewer_id"], strict=True):
        if int(other_id) != application_id:
            reviews.save_sheet(
                store,
                reviewer_actor(world, int(reviewer_id)),
                int(other_id),
                entries=full_entries(rubric, 0.6),
                seen_version=0,
                submit=True,
            )
    sheet_url = f"{server.url}/score?application={application_id}"
    judged = [c for c in rubric.criteria if c.method == "judged"]
    fractions = {panel[0]: Decimal("0.9"), panel[1]: Decimal("0.7"), panel[2]: Decimal("0.5")}

    first_reviewer = reviewer_actor(world, panel[0])
    first_tab, second_tab = context_factory(), context_factory()
    sign_in(first_tab, sheet_url, first_reviewer.username, PASSWORD)
    sign_in(second_tab, sheet_url, first_reviewer.username, PASSWORD)
    fill_sheet(first_tab, application_id, judged, Decimal("0.4"))
    widget(first_tab, "rv_save_draft").locator("button").click()
    settle(first_tab)
    expect(first_tab.get_by_text("草稿已保存", exact=False).first).to_be_visible()

    fill_sheet(second_tab, application_id, judged, fractions[panel[0]])
    widget(second_tab, "rv_save_draft").locator("button").click()
    settle(second_tab)
    expect(widget(second_tab, "rv_conflict_panel")).to_be_visible()
    expect(second_tab.get_by_text("保存未成功", exact=False).first).to_be_visible()
    first_criterion = widget(second_tab, f"rv_points_{application_id}_{judged[0].id}").locator("input")
    assert Decimal(first_criterion.input_value()) == step_of(judged[0], judged[0].max_points * fractions[panel[0]])
    screenshot(second_tab, "reviewer-edit-conflict")
    widget(second_tab, "rv_conflict_overwrite").locator("button").click()
    settle(second_tab)
    submit_sheet(second_tab)

    for reviewer_id in panel[1:]:
        tab = context_factory()
        sign_in(tab, sheet_url, reviewer_actor(world, reviewer_id).username, PASSWORD)
        fill_sheet(tab, application_id, judged, fractions[reviewer_id])
        submit_sheet(tab)
    screenshot(tab, "reviewer-score-sheet-submitted")
    for reviewer_id in panel:
        sheet = reviews.get_sheet(store, reviewer_actor(world, reviewer_id), application_id)
        assert sheet.status == "submitted"
        assert {cid: entry.points for cid, entry in sheet.entries.items()} == {
            c.id: step_of(c, c.max_points * fractions[reviewer_id]) for c in judged
        }

    # 5. The administrator ranks the round, switches the aggregation method and downloads the workbook.
    admin.get_by_test_id("stSidebar").get_by_role("link", name="评审结果").click()
    settle(admin)
    expect(admin.get_by_test_id("stDataFrame").first).to_be_visible()
    trimmed = ranking_on_screen(admin)
    assert len(trimmed) == 3
    screenshot(admin, "admin-results")

    admin.get_by_test_id("stMain").get_by_text("算术平均", exact=True).click()
    settle(admin)
    expect(admin.get_by_text("后排名的变化", exact=False).first).to_be_visible()
    on_screen = ranking_on_screen(admin)
    ranked = ranking_of(store, world.admin, created.id, "mean")
    assert on_screen == ranked
    screenshot(admin, "admin-results-mean")

    widget(admin, "rs_prepare_xlsx").locator("button").click()
    settle(admin)
    with admin.expect_download() as download:
        widget(admin, "rs_download_xlsx").locator("button").click()
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    assert ranking_in_workbook(workbook) == on_screen


def self_assessed(rubric):
    return [c for c in rubric.criteria if c.method == "judged" and c.id not in rubric.bonus_ids]


def step_of(criterion, points: Decimal) -> Decimal:
    step = criterion.step or Decimal("0.5")
    return (points / step).to_integral_value() * step


def fill_sheet(page: Page, application_id: int, judged, fraction: Decimal) -> None:
    for criterion in judged:
        points = step_of(criterion, criterion.max_points * fraction)
        widget(page, f"rv_points_{application_id}_{criterion.id}").locator("input").fill(str(points))
        widget(page, f"rv_comment_{application_id}_{criterion.id}").locator("textarea").fill("论证充分,数据翔实。")


def submit_sheet(page: Page) -> None:
    widget(page, "rv_submit").locator("button").click()
    settle(page)
    widget(page, "rv_confirm_submit").locator("button").click()
    settle(page)
    expect(page.get_by_text("评分表已提交", exact=False).first).to_be_visible()


def grid_rows(page: Page, index: int = 0) -> list[list[str]]:
    """The cells of the page's `index`-th st.dataframe as text, header first.

    The grid draws on a canvas; its accessible table mirrors the rows and columns in view.
    """
    grid = page.get_by_test_id("stDataFrame").nth(index)
    grid.locator("[role='gridcell']").first.wait_for(state="attached")
    header = [cell.inner_text().strip() for cell in grid.locator("[role='columnheader']").all()]
    rows = [header]
    for row in grid.locator("[role='row']").all()[1:]:
        rows.append([cell.inner_text().strip() for cell in row.locator("[role='gridcell']").all()])
    return rows


def ranking_on_screen(page: Page) -> dict[str, tuple[int, Decimal]]:
    """Reference → (rank, total) as the results table shows them."""
    header, *rows = grid_rows(page)
    reference, rank, total = (header.index(name) for name in ("申报编号", "总排名", "总分"))
    return {row[reference]: (int(row[rank]), Decimal(row[total])) for row in rows}


def ranking_of(store, admin, round_id: int, method: str) -> dict[str, tuple[int, Decimal]]:
    table = ranking.rank_round(store, admin, round_id, method=method).table
    return {
        str(ref): (int(rank), Decimal(str(total)))
        for ref, rank, total in zip(table["application_id"], table["rank"], table["total"], strict=True)
    }


def ranking_in_workbook(workbook) -> dict[str, tuple[int, Decimal]]:
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    header = [str(cell or "").split("\n")[0] for cell in rows[0]]
    reference, rank, total = (header.index(name) for name in ("申报编号", "排名", "总分"))
    return {
        str(row[reference]): (int(row[rank]), Decimal(str(row[total])))
        for row in rows[1:]
        if row[reference] is not None
    }
