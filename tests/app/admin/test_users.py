"""The users page: organisations and users one at a time, enabling and disabling, the Excel import."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from rubrics.credit_code import check_character
from submissions import accounts
from submissions.errors import LoginFailed
from submissions.excel.report import ERRORS_SHEET
from submissions.excel.users import ORGANISATIONS_SHEET, USERS_SHEET, organisation_columns, user_columns
from tests.app.admin.conftest import UNTRUSTED
from tests.support.app_fixtures import DEMO_PASSWORD

USERS = "app_pages/admin/users.py"
NEW_PASSWORD = "a new initial password"


def credit_code(number: int) -> str:
    body = f"91330100MA{number:07d}"
    return body + check_character(body)


def organisations(pages) -> list[accounts.OrganisationView]:
    return accounts.list_organisations(pages.store, pages.actor("admin"))


def users(pages) -> dict[str, accounts.UserView]:
    return {u.username: u for u in accounts.list_users(pages.store, pages.actor("admin"))}


def filled(template: bytes, orgs: list[dict], people: list[dict]) -> bytes:
    """The template with rows written as a person would (text cells), found by the column fields."""
    workbook = load_workbook(io.BytesIO(template))
    for title, columns, rows in (
        (ORGANISATIONS_SHEET, organisation_columns(), orgs),
        (USERS_SHEET, user_columns(), people),
    ):
        position = {c.field: i for i, c in enumerate(columns, start=1)}
        for r, values in enumerate(rows, start=2):
            for field, value in values.items():
                cell = workbook[title].cell(row=r, column=position[field])
                cell.value = value
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("lang", "title", "tabs"),
    [
        ("zh", "用户与单位", ["用户", "单位", "从 Excel 导入"]),
        ("en", "Users and organisations", ["Users", "Organisations", "Import from Excel"]),
    ],
)
def test_users_page_renders_every_user_and_organisation(pages, lang, title, tabs):
    app = pages.open(USERS, user="admin", lang=lang)

    assert not app.exception
    assert app.title[0].value == title
    assert [tab.label for tab in app.tabs] == tabs
    assert app.dataframe[0].value["username"].tolist() == list(users(pages))
    assert app.dataframe[1].value["credit_code"].tolist() == [o.credit_code for o in organisations(pages)]


def test_users_page_refuses_an_organisation_with_a_bad_credit_code(pages):
    before = organisations(pages)
    wrong = credit_code(1)[:17] + ("0" if credit_code(1)[17] != "0" else "1")
    app = pages.open(USERS, user="admin")

    app.text_input(key="ad_org_name").input("杭州示例数据服务有限公司")
    app.text_input(key="ad_org_credit_code").input(wrong)
    app.selectbox(key="ad_org_region").set_value("浙江")
    app = app.button(key="ad_org_submit").click().run()

    assert not app.exception
    assert [e.value for e in app.error] == ["请修改以下 1 处问题,本次未保存任何内容:"]
    assert f"- 统一社会信用代码“{wrong}”无效,请核对后重新填写。" in [t.value for t in app.text]
    assert organisations(pages) == before


def test_users_page_registers_an_organisation(pages):
    app = pages.open(USERS, user="admin")

    app.text_input(key="ad_org_name").input("杭州示例数据服务有限公司")
    app.text_input(key="ad_org_credit_code").input(credit_code(2).lower())
    app.selectbox(key="ad_org_region").set_value("浙江")
    app = app.button(key="ad_org_submit").click().run()

    assert [s.value for s in app.success] == ["已登记单位“杭州示例数据服务有限公司”。"]
    created = organisations(pages)[-1]
    assert (created.name, created.credit_code, created.region) == ("杭州示例数据服务有限公司", credit_code(2), "浙江")


def test_users_page_creates_a_user_who_can_sign_in(pages):
    organisation = organisations(pages)[0]
    app = pages.open(USERS, user="admin")

    app.text_input(key="ad_user_username").input("Xu.Ming")
    app.text_input(key="ad_user_display_name").input("徐明")
    app.selectbox(key="ad_user_role").set_value("reviewer")
    app.selectbox(key="ad_user_organisation").set_value(organisation.id)
    app.text_input(key="ad_user_region").input("浙江")
    app.text_input(key="ad_user_password").input(NEW_PASSWORD)
    app.text_input(key="ad_user_password_repeat").input(NEW_PASSWORD)
    app = app.button(key="ad_user_submit").click().run()

    assert not app.exception
    assert app.success[0].value.startswith("已创建用户 xu\\.ming。")
    created = users(pages)["xu.ming"]
    assert (created.display_name, created.role, created.organisation_id, created.region, created.active) == (
        "徐明",
        "reviewer",
        organisation.id,
        "浙江",
        True,
    )
    assert accounts.login(pages.store, "xu.ming", NEW_PASSWORD).user_id == created.id


def test_users_page_refuses_different_passwords_and_a_weak_one(pages):
    before = users(pages)
    app = pages.open(USERS, user="admin")
    app.text_input(key="ad_user_username").input("xu.ming")
    app.text_input(key="ad_user_display_name").input("徐明")
    app.text_input(key="ad_user_password").input(NEW_PASSWORD)
    app.text_input(key="ad_user_password_repeat").input(NEW_PASSWORD + "!")

    app = app.button(key="ad_user_submit").click().run()
    assert [e.value for e in app.error] == ["两次输入的初始密码不一致,未创建用户。"]

    app.text_input(key="ad_user_password").input("short")
    app.text_input(key="ad_user_password_repeat").input("short")
    app = app.button(key="ad_user_submit").click().run()
    assert "- 密码长度应为10至128个字符;请另设密码。" in [t.value for t in app.text]
    assert users(pages) == before


def test_users_page_disables_and_enables_an_account(pages):
    reviewer = users(pages)["zhaoyiming"]
    app = pages.open(USERS, user="admin")

    app.selectbox(key="ad_users_toggle_user").set_value(reviewer.id)
    app = app.run()
    assert app.button(key="ad_users_toggle").label == "停用此账号"
    app = app.button(key="ad_users_toggle").click().run()

    assert [s.value for s in app.success] == ["账号 zhaoyiming 已停用,无法再登录。"]
    assert users(pages)["zhaoyiming"].active is False
    with pytest.raises(LoginFailed):
        accounts.login(pages.store, "zhaoyiming", DEMO_PASSWORD)

    app = app.button(key="ad_users_toggle").click().run()
    assert users(pages)["zhaoyiming"].active is True


def test_users_page_imports_the_filled_template(pages, downloads):
    app = pages.open(USERS, user="admin")
    template = downloads.bytes_of(app.download_button(key="ad_users_template"))
    upload = filled(
        template,
        [{"name": "宁波示例智能科技有限公司", "credit_code": credit_code(3), "region": "浙江"}],
        [
            {
                "username": "nb-contact",
                "display_name": "宁波申报联系人",
                "role": "申报单位",
                "organisation": credit_code(3),
                "password": NEW_PASSWORD,
            },
            {
                "username": "zhou.pan",
                "display_name": "周盼",
                "role": "评审专家",
                "region": "浙江",
                "password": NEW_PASSWORD,
            },
        ],
    )

    app.file_uploader(key="ad_users_upload").upload("accounts.xlsx", upload)
    app = app.run().button(key="ad_users_import").click().run()

    assert not app.exception
    assert [s.value for s in app.success] == ["已导入 1 个单位、2 个用户。"]
    created = users(pages)
    organisation = organisations(pages)[-1]
    assert (organisation.name, organisation.credit_code) == ("宁波示例智能科技有限公司", credit_code(3))
    assert (created["nb-contact"].role, created["nb-contact"].organisation_id) == ("applicant", organisation.id)
    assert (created["zhou.pan"].role, created["zhou.pan"].region) == ("reviewer", "浙江")


def test_users_page_import_with_one_bad_cell_saves_nothing_and_marks_it(pages, downloads):
    before_users, before_orgs = users(pages), organisations(pages)
    app = pages.open(USERS, user="admin")
    template = downloads.bytes_of(app.download_button(key="ad_users_template"))
    upload = filled(
        template,
        [{"name": "宁波示例智能科技有限公司", "credit_code": credit_code(3), "region": "浙江"}],
        [
            {"username": "zhou.pan", "display_name": "周盼", "role": "评审专家", "password": NEW_PASSWORD},
            {"username": "wu.di", "display_name": "吴迪", "role": "裁判", "password": NEW_PASSWORD},
        ],
    )

    app.file_uploader(key="ad_users_upload").upload("accounts.xlsx", upload)
    app = app.run().button(key="ad_users_import").click().run()

    assert not app.exception
    assert [e.value for e in app.error] == ["工作簿中有 1 处问题,未导入任何内容;请修改后重新上传:"]
    shown = app.dataframe[-1].value
    assert shown[["sheet", "cell"]].values.tolist() == [[USERS_SHEET, "C3"]]
    assert (users(pages), organisations(pages)) == (before_users, before_orgs)
    marked = load_workbook(io.BytesIO(downloads.bytes_of(app.download_button(key="ad_users_errors"))))
    assert marked[USERS_SHEET]["C3"].value == "裁判"
    assert marked[USERS_SHEET]["C3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert marked[USERS_SHEET]["C3"].comment.text.startswith("单元格C3:角色“裁判”无法识别")
    assert [row[3] for row in marked[ERRORS_SHEET].iter_rows(min_row=2, values_only=True)] == ["C3"]


def test_users_page_refuses_a_file_that_is_not_a_workbook(pages):
    app = pages.open(USERS, user="admin", lang="en")

    app.file_uploader(key="ad_users_upload").upload("accounts.xlsx", b"name,code\n")
    app = app.run().button(key="ad_users_import").click().run()

    assert not app.exception
    assert app.error[0].value.startswith("The file")


def test_users_page_shows_untrusted_names_inert(pages):
    accounts.create_organisation(
        pages.store, pages.actor("admin"), name=UNTRUSTED, credit_code=credit_code(4), region="浙江"
    )

    app = pages.open(USERS, user="admin")
    app.text_input(key="ad_org_name").input(UNTRUSTED)
    app.text_input(key="ad_org_credit_code").input(credit_code(5))
    app.selectbox(key="ad_org_region").set_value("浙江")
    app = app.button(key="ad_org_submit").click().run()

    assert not app.exception
    assert app.dataframe[1].value["name"].tolist()[-2:] == [UNTRUSTED, UNTRUSTED]
    assert "<script>" not in app.success[0].value
    assert "](http://x)" not in app.success[0].value
