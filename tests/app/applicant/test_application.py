"""The application form: generated from the rubric, saved on every change, submitted, locked, refused."""

from __future__ import annotations

import pytest

from submissions import applications, rounds
from tests.app.applicant.conftest import APPLICATION, HOME, HOSTILE, markdown_sources, texts
from tests.support.app_fixtures import unescaped
from ui.application_form import beijing


def only_application(own, user: str) -> applications.ApplicationView:
    (found,) = own(user).values()
    return found.application


def stored(pages, user: str, application_id: int) -> applications.ApplicationView:
    return applications.get_application(pages.store, pages.actor(user), application_id)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_application_form_renders_the_rubric_with_the_saved_draft(open_page, own, pages, lang):
    draft = only_application(own, "minjiang")
    rubric = rounds.round_rubric(pages.store, pages.actor("minjiang"), draft.round_id)

    app = open_page(APPLICATION, "minjiang", lang=lang, query={"id": draft.id})

    assert not app.exception
    assert app.title[0].value == ("Application" if lang == "en" else "申报书")
    assert app.text_input(key="ap_f_title").value == draft.title
    assert app.selectbox(key="ap_f_region").value == draft.region
    for ind in rubric.indicators:
        assert app.number_input(key=f"ap_f_ind_{ind.id}").value == pytest.approx(draft.indicators[ind.id])
    assert [r.value for r in app.radio if r.key.startswith("ap_f_decl_")] == [
        draft.declarations[g] for g in ("legal_person", "not_blacklisted", "security_incident")
    ]
    assert {a.key for a in app.text_area} == {
        f"ap_f_{kind}_{c.id}" for kind in ("narr", "evid") for c in rubric.criteria
    }
    first = rubric.criteria[0].id
    assert app.text_area(key=f"ap_f_narr_{first}").value == draft.narratives[first]
    assert app.button(key="ap_submit").label == ("Submit application" if lang == "en" else "提交申报书")
    assert draft.organisation in texts(app)


def test_application_indicator_labels_carry_unit_and_bounds(open_page, own):
    draft = only_application(own, "minjiang")

    app = open_page(APPLICATION, "minjiang", lang="en", query={"id": draft.id})

    label = unescaped(app.number_input(key="ap_f_ind_ecommerce_adoption").label)
    assert label == "E-commerce adoption among the key enterprises the project serves (%, 0–100) *"


def test_application_autosaves_each_change_with_the_version_seen(open_page, own, pages):
    draft = only_application(own, "minjiang")
    app = open_page(APPLICATION, "minjiang", query={"id": draft.id})

    app.text_input(key="ap_f_title").input("纺织服装产业互联网平台(二期)").run()
    app.number_input(key="ap_f_ind_users_served").set_value(21.5).run()
    app.text_area(key="ap_f_evid_market_prospect").input("审计报告(2023—2025)").run()

    saved = stored(pages, "minjiang", draft.id)
    assert saved.title == "纺织服装产业互联网平台(二期)"
    assert saved.indicators == {**draft.indicators, "users_served": 21.5}
    assert saved.evidence["market_prospect"] == "审计报告(2023—2025)"
    assert saved.version == draft.version + 3
    assert not app.error
    assert f"草稿已自动保存于 {beijing(saved.updated_at)}(北京时间)。" in [c.value for c in app.caption]


def test_application_out_of_range_indicator_is_explained_and_not_saved(open_page, own, pages):
    draft = only_application(own, "minjiang")
    app = open_page(APPLICATION, "minjiang", lang="en", query={"id": draft.id})

    app = app.number_input(key="ap_f_ind_ecommerce_adoption").set_value(150.0).run()

    shown = [unescaped(e.value) for e in app.error]
    assert shown == [
        "“E-commerce adoption among the key enterprises the project serves” must be between 0% and 100% "
        "(inclusive), not 150%; check it and enter a value in that range."
    ]
    assert app.number_input(key="ap_f_ind_ecommerce_adoption").value == 150.0  # the input stays
    assert stored(pages, "minjiang", draft.id) == draft  # nothing saved
    assert app.warning[0].value.startswith("Some input could not be saved")


def test_application_submit_without_required_fields_lists_them_and_keeps_the_draft(open_page, own, pages):
    partial = only_application(own, "ganghang")
    app = open_page(APPLICATION, "ganghang", query={"id": partial.id})

    assert app.warning[0].value == "还有 4 项需要完善后才能提交:"
    app.checkbox(key="ap_submit_confirm").check().run()
    app = app.button(key="ap_submit").click().run()

    assert unescaped(app.error[0].value) == "请修改以下 4 处问题,本次未保存任何内容:"
    listed = texts(app)
    assert "- “项目服务用户数”为必填项,尚未填写;请填写。" in "\n".join(listed)
    assert stored(pages, "ganghang", partial.id).status == "draft"


def test_application_submit_needs_the_confirmation(open_page, own, pages):
    draft = only_application(own, "minjiang")
    app = open_page(APPLICATION, "minjiang", query={"id": draft.id})

    app = app.button(key="ap_submit").click().run()

    assert app.warning[-1].value == "请先勾选上方的确认声明,再提交。"
    assert stored(pages, "minjiang", draft.id).status == "draft"


def test_application_created_filled_and_submitted_through_the_pages(open_page, pages):
    """yunqi starts a second industry application from the overview, fills it in and submits it."""
    home = open_page(HOME, "yunqi")
    home.text_input(key="ap_new_title").input("云启设备预测性维护平台")
    home = home.button(key="ap_create").click().run()
    assert not home.exception
    assert home.title[0].value == "申报书"
    mine = {
        o.application.title: o.application
        for o in applications.list_own_applications(pages.store, pages.actor("yunqi"))
    }
    created = mine["云启设备预测性维护平台"]
    assert home.success[0].value.startswith(f"已新建申报书 {created.reference}")

    # A browser stays on the address st.switch_page gave; AppTest's next run returns to its own page.
    home.query_params["id"] = str(created.id)
    app = home.switch_page(APPLICATION)
    for key, value in (("business_growth", 18.5), ("users_served", 12.0), ("ecommerce_adoption", 48.0)):
        app = app.number_input(key=f"ap_f_ind_{key}").set_value(value).run()
    for key, value in (("legal_person", True), ("not_blacklisted", True), ("security_incident", False)):
        app = app.radio(key=f"ap_f_decl_{key}").set_value(value).run()
    app = app.text_area(key="ap_f_narr_market_prospect").input("面向中小制造企业的设备运维订阅服务。").run()
    assert "申报书已填写完整,可以提交。" in [s.value for s in app.success]
    app.checkbox(key="ap_submit_confirm").check().run()
    app = app.button(key="ap_submit").click().run()

    assert not app.exception
    submitted = stored(pages, "yunqi", created.id)
    assert submitted.status == "submitted"
    assert submitted.indicators == {"business_growth": 18.5, "users_served": 12.0, "ecommerce_adoption": 48.0}
    assert submitted.declarations == {"legal_person": True, "not_blacklisted": True, "security_incident": False}
    assert submitted.narratives == {"market_prospect": "面向中小制造企业的设备运维订阅服务。"}
    assert app.success[0].value == f"申报书 {created.reference} 已提交,现已锁定,等待评审。"
    assert app.info[0].value == "本申报书现为只读:该申报已提交,不能再修改。"
    assert app.text_input(key="ap_f_title").disabled
    assert app.number_input(key="ap_f_ind_users_served").disabled
    assert "ap_submit" not in {b.key for b in app.button}


def test_application_submitted_is_read_only(open_page, own):
    submitted = own("yunqi")["R4-00001"].application

    app = open_page(APPLICATION, "yunqi", lang="en", query={"id": submitted.id})

    assert (
        app.info[0].value
        == "This application is read-only: This application is submitted and can no longer be changed."
    )
    form = [w for w in [*app.text_input, *app.number_input, *app.text_area, *app.radio] if w.key.startswith("ap_f_")]
    assert len(form) == 1 + 3 + 3 + 2 * 15
    assert all(w.disabled for w in form)
    assert not app.file_uploader
    assert not [b for b in app.button if b.key and b.key.startswith("ap_delete_")]


@pytest.mark.parametrize(("raw", "message"), [("abc", "地址中的申报编号无效(应为数字);请从“我的申报”重新打开。")])
def test_application_with_a_non_integer_id_says_so(open_page, raw, message):
    app = open_page(APPLICATION, "yunqi", query={"id": raw})

    assert not app.exception
    assert unescaped(app.error[0].value) == message


def test_application_without_id_offers_the_own_applications(open_page, own):
    app = open_page(APPLICATION, "yunqi")

    assert app.info[0].value == "请选择要打开的申报书,或从“我的申报”进入。"
    assert app.selectbox(key="ap_choose_application").options == [
        f"{o.application.reference} · {o.application.title} · {o.round_name}" for o in own("yunqi").values()
    ]


def test_application_edit_conflict_keeps_the_input_and_explains(open_page, own, pages):
    draft = only_application(own, "minjiang")
    app = open_page(APPLICATION, "minjiang", query={"id": draft.id})
    applications.save_application(
        pages.store, pages.actor("minjiang"), draft.id, seen_version=draft.version, changes={"title": "同事改的名称"}
    )

    app = app.text_input(key="ap_f_title").input("我改的名称").run()

    assert unescaped(app.error[0].value).startswith("保存未成功:您打开后该内容已被修改(您看到的是第")
    assert app.text_input(key="ap_f_title").value == "我改的名称"
    assert stored(pages, "minjiang", draft.id).title == "同事改的名称"
    app = app.button(key="ap_reload").click().run()
    assert app.text_input(key="ap_f_title").value == "同事改的名称"


def test_application_attachment_upload_list_and_delete(open_page, own, pages):
    draft = only_application(own, "minjiang")
    app = open_page(APPLICATION, "minjiang", query={"id": draft.id})
    limits = [c.value for c in app.caption if c.value.startswith("每个文件不超过")]
    assert limits == [
        "每个文件不超过 20 MB,每份申报最多 30 个附件;接受的格式:DOCX, JPEG, JPG, OFD, PDF, PNG, PPTX, XLSX。"
    ]

    uploader = app.file_uploader[0]
    uploader.upload("审计报告.pdf", b"%PDF-1.7 audit report", "application/pdf")
    app.selectbox(key="ap_upload_criterion").set_value("market_prospect")
    app = app.button(key="ap_upload_button").click().run()

    (attachment,) = stored(pages, "minjiang", draft.id).attachments
    assert (attachment.filename, attachment.criterion_id, attachment.size) == ("审计报告.pdf", "market_prospect", 21)
    assert unescaped(app.success[0].value) == "已上传附件“审计报告.pdf”。"
    assert "审计报告.pdf" in texts(app)
    assert app.get("download_button")[0].proto.label == "下载"
    _, data = applications.read_attachment(pages.store, pages.actor("minjiang"), attachment.id)
    assert data == b"%PDF-1.7 audit report"

    app = app.button(key=f"ap_delete_{attachment.id}").click().run()
    assert stored(pages, "minjiang", draft.id).attachments == ()
    assert unescaped(app.success[0].value) == "已删除附件“审计报告.pdf”。"


def test_application_attachment_with_false_extension_is_refused(open_page, own, pages):
    draft = only_application(own, "minjiang")
    app = open_page(APPLICATION, "minjiang", lang="en", query={"id": draft.id})

    app.file_uploader[0].upload("report.pdf", b"MZ not a pdf", "application/pdf")
    app = app.button(key="ap_upload_button").click().run()

    assert unescaped(app.error[0].value) == "Please fix these 1 problem(s); nothing was saved:"
    assert "- The content of “report.pdf” does not match its extension; upload a genuine PDF file." in texts(app)
    assert stored(pages, "minjiang", draft.id).attachments == ()


def test_application_withdraw_after_confirmation(open_page, own, pages):
    draft = only_application(own, "minjiang")
    app = open_page(APPLICATION, "minjiang", query={"id": draft.id})

    app.checkbox(key="ap_withdraw_confirm").check().run()
    app = app.button(key="ap_withdraw").click().run()

    assert stored(pages, "minjiang", draft.id).status == "withdrawn"
    assert app.success[0].value == f"申报书 {draft.reference} 已撤回。"
    assert app.info[0].value == "本申报书现为只读:该申报已撤回,不能再修改。"


def test_application_untrusted_text_is_inert(open_page, own, pages):
    draft = only_application(own, "minjiang")
    applications.save_application(
        pages.store,
        pages.actor("minjiang"),
        draft.id,
        seen_version=draft.version,
        changes={"title": HOSTILE, "narratives": {"market_prospect": HOSTILE}},
    )

    app = open_page(APPLICATION, "minjiang", query={"id": draft.id})

    assert HOSTILE in texts(app)  # the header shows the title as plain text
    assert app.text_input(key="ap_f_title").value == HOSTILE
    assert app.text_area(key="ap_f_narr_market_prospect").value == HOSTILE
    assert not [m for m in markdown_sources(app) if "<script>" in m or "](http" in m]
