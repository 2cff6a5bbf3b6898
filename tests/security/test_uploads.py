"""Oversized and mislabelled uploads, and attachment names that try to leave the attachment folder.

Attachments (`applications.add_attachment`): a file over the limit, empty, of a refused type, or
whose content is not what its extension says is refused with its own message and nothing is
written, in the database or on disk; the 31st attachment is refused. A name with a path, NUL,
control characters, an RTL override, 300 characters or only dots is stored under a generated id
inside the attachment folder, shown sanitised, and read back byte for byte, or refused with a
message when no accepted extension is left. The applicant's page does the same through its file
uploader. Workbooks over 20 MB are refused by every import before they are opened.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from submissions import applications, imports, reviews, user_imports
from submissions.config import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_APPLICATION, MAX_WORKBOOK_BYTES
from submissions.errors import SubmissionError
from submissions.excel.errors import WorkbookRejected
from submissions.excel.users import users_template
from tests.security.downloads import downloads_fixture  # noqa: F401 - the fixture `downloads`
from tests.security.store_state import changes, snapshot
from tests.submissions.store.scenario import assigned_pairs, open_round, reviewer_actor, round_under_review
from tests.support.workbooks import rewrite

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(64)
PE = b"MZ\x90\x00" + bytes(64)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def draft(store, world):
    round_ = open_round(store, world)
    return applications.create_application(store, world.applicants[0], round_.id, category="life", title="智慧养老")


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below `folder` (the test's own folder and its siblings) but SQLite's database files
    (the store snapshot covers those): path -> (size, modified)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith("review.db")
    }


def refusal(store, world, draft, filename: str, data: bytes) -> tuple[str, str]:
    """The one problem `add_attachment` reports (zh, en), having checked that nothing changed anywhere."""
    around = store.config.data_dir.parent
    before, on_disk = snapshot(store), files_under(around)
    with pytest.raises(SubmissionError) as refused:
        applications.add_attachment(store, world.applicants[0], draft.id, filename=filename, data=data)
    assert changes(before, snapshot(store)) == {}
    assert files_under(around) == on_disk
    (problem,) = refused.value.problems
    assert problem.field == "attachment"
    return problem.message_zh, problem.message_en


# -- size, emptiness, count -------------------------------------------------------------------------------


def test_an_attachment_over_20_mb_is_refused_before_anything_is_written(store, world, draft):
    assert refusal(store, world, draft, "年报.pdf", PDF + bytes(MAX_ATTACHMENT_BYTES)) == (
        "文件大小为20.0 MB,超过20 MB 的上限;请压缩或拆分后上传。",
        "The file has 20.0 MB, over the 20 MB limit; compress or split it.",
    )


def test_an_empty_attachment_is_refused(store, world, draft):
    assert refusal(store, world, draft, "年报.pdf", b"") == (
        "文件为空;请选择要上传的文件。",
        "The file is empty; choose the file to upload.",
    )


def test_the_attachment_after_the_thirtieth_is_refused_and_the_thirty_are_kept(store, world, draft):
    applicant = world.applicants[0]
    kept = [
        applications.add_attachment(store, applicant, draft.id, filename=f"附件{n}.pdf", data=PDF + bytes([n]))
        for n in range(MAX_ATTACHMENTS_PER_APPLICATION)
    ]

    assert refusal(store, world, draft, "附件31.pdf", PDF) == (
        "每份申报最多30个附件;请先删除不需要的附件。",
        "An application takes at most 30 attachments; delete one first.",
    )
    shown = applications.get_application(store, applicant, draft.id).attachments
    assert {a.id for a in shown} == {a.id for a in kept}


# -- what the content says against what the name says -----------------------------------------------------


def mismatch(name: str, kind: str) -> tuple[str, str]:
    return (
        f"文件“{name}”的内容与其扩展名不符;请上传真实的{kind}文件。",
        f"The content of “{name}” does not match its extension; upload a genuine {kind} file.",
    )


def not_accepted(extension_zh: str, extension_en: str) -> tuple[str, str]:
    return (
        f"不接受“{extension_zh}”类型的文件;请上传 PDF、PNG/JPG 图片、DOCX/XLSX/PPTX 或 OFD 文件。",
        f"Files of type “{extension_en}” are not accepted; upload PDF, PNG/JPG images, DOCX/XLSX/PPTX or OFD.",
    )


# Names, types and contents are checked before any transaction: one backend is enough for them.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        pytest.param("审计报告.pdf", ELF, mismatch("审计报告.pdf", "PDF"), id="a Linux program named .pdf"),
        pytest.param("报告.pdf", PE, mismatch("报告.pdf", "PDF"), id="a Windows program named .pdf"),
        pytest.param("截图.png", HTML, mismatch("截图.png", "PNG"), id="HTML with script named .png"),
        pytest.param("照片.jpg", PNG, mismatch("照片.jpg", "JPG"), id="a PNG named .jpg"),
        pytest.param("方案.docx", PDF, mismatch("方案.docx", "DOCX"), id="a PDF named .docx"),
        pytest.param("图标.svg", SVG, not_accepted(".svg", ".svg"), id="SVG with script"),
        pytest.param("page.html", HTML, not_accepted(".html", ".html"), id="HTML"),
        pytest.param("setup.exe", ELF, not_accepted(".exe", ".exe"), id="a program"),
        pytest.param("审计报告.PDF.exe", b"MZ" + bytes(64), not_accepted(".exe", ".exe"), id="a double extension"),
        pytest.param("审计报告", PDF, not_accepted("无扩展名", "no extension"), id="no extension"),
    ],
)
def test_a_file_whose_content_or_type_is_not_accepted_is_refused_with_its_reason(
    store, world, draft, filename, data, expected
):
    assert refusal(store, world, draft, filename, data) == expected


# -- names ------------------------------------------------------------------------------------------------

LONG_STEM = "省级信息消费示范项目申报材料" * 22  # 308 characters before the extension

STORED_NAMES = [
    pytest.param("../../etc/passwd.pdf", "passwd.pdf", id="relative path"),
    pytest.param("..\\..\\boot.pdf", "boot.pdf", id="Windows relative path"),
    pytest.param("/etc/shadow.pdf", "shadow.pdf", id="absolute path"),
    pytest.param("C:\\Windows\\x.pdf", "x.pdf", id="Windows absolute path"),
    pytest.param("\\\\server\\share\\申报书.pdf", "申报书.pdf", id="UNC path"),
    pytest.param("申报书\x00.pdf", "申报书.pdf", id="NUL"),
    pytest.param("申\x07报\x1b[31m书\r\n.pdf", "申报[31m书.pdf", id="control characters"),
    pytest.param("photo\u202egnp.pdf", "photognp.pdf", id="RTL override"),
    pytest.param("\u200b申报书\ufeff.pdf", "申报书.pdf", id="zero-width characters"),
    pytest.param('<script>a|b?c*d"e:f</script>.pdf', "script_.pdf", id="markup and reserved characters"),
    pytest.param(LONG_STEM + ".pdf", LONG_STEM[:116] + ".pdf", id="300 characters"),
    pytest.param("...申报书.pdf", "申报书.pdf", id="leading dots"),
    pytest.param("re\u0301sume\u0301.pdf", "r\u00e9sum\u00e9.pdf", id="NFD"),
]


@pytest.mark.parametrize(("filename", "shown"), STORED_NAMES)
def test_an_attachment_name_is_sanitised_and_the_file_stays_inside_the_attachment_folder(
    store, world, draft, filename, shown
):
    applicant = world.applicants[0]
    around = store.config.data_dir.parent
    before = files_under(around)

    meta = applications.add_attachment(store, applicant, draft.id, filename=filename, data=PDF)

    assert meta.filename == shown
    assert ID.fullmatch(meta.id)
    added = {name for name, stat in files_under(around).items() if before.get(name) != stat}
    stored = store.config.attachment_dir / meta.id
    assert added == {str(stored.relative_to(around))}  # one new file, named by the id, in the attachment folder
    assert stored.read_bytes() == PDF
    read_meta, data = applications.read_attachment(store, applicant, meta.id)
    assert (read_meta.filename, read_meta.media_type, data) == (shown, "application/pdf", PDF)
    assert [a.filename for a in applications.get_application(store, applicant, draft.id).attachments] == [shown]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        pytest.param("../../etc/passwd", not_accepted("无扩展名", "no extension"), id="relative path, no extension"),
        pytest.param("..\\..\\boot.ini", not_accepted(".ini", ".ini"), id="Windows path to .ini"),
        pytest.param("/etc/shadow", not_accepted("无扩展名", "no extension"), id="absolute path, no extension"),
        pytest.param("申报书.pdf\x00.exe", not_accepted(".exe", ".exe"), id="NUL before a second extension"),
        pytest.param("invoice\u202efdp.exe", not_accepted(".exe", ".exe"), id="RTL override hiding .exe"),
        pytest.param("....", not_accepted("无扩展名", "no extension"), id="only dots"),
        pytest.param(".pdf", not_accepted("无扩展名", "no extension"), id="an extension without a name"),
        pytest.param("../..", not_accepted("无扩展名", "no extension"), id="only a path"),
    ],
)
def test_a_name_that_leaves_no_accepted_extension_is_refused(store, world, draft, filename, expected):
    assert refusal(store, world, draft, filename, PDF) == expected


# -- the applicant's page ------------------------------------------------------------------------------------

APPLICATION = "app_pages/applicant/application.py"


def open_application(pages, lang: str = "zh"):
    mine = applications.list_own_applications(pages.store, pages.actor("minjiang"))
    draft = next(o.application for o in mine if o.application.status == "draft")
    app = pages.open(APPLICATION, user="minjiang", lang=lang, query={"id": draft.id})
    return app, draft


def upload_attachment(app, name: str, data: bytes, mime: str = "application/pdf"):
    app.file_uploader[0].upload(name, data, mime)
    return app.button(key="ap_upload_button").click().run()


def test_the_page_stores_a_path_named_upload_under_its_sanitised_name_and_serves_the_same_bytes(pages, downloads):
    app, draft = open_application(pages)
    on_disk = files_under(pages.store.config.data_dir.parent)

    app = upload_attachment(app, "../../etc/passwd.pdf", PDF)

    assert not app.exception
    (attachment,) = applications.get_application(pages.store, pages.actor("minjiang"), draft.id).attachments
    assert attachment.filename == "passwd.pdf"
    assert "passwd.pdf" in [t.value for t in app.text]
    assert not [t.value for t in app.text if "etc" in t.value]
    around = pages.store.config.data_dir.parent
    added = {name for name, stat in files_under(around).items() if on_disk.get(name) != stat}
    assert added == {str((pages.store.config.attachment_dir / attachment.id).relative_to(around))}
    button = app.get("download_button")[0]
    assert downloads.served(button) == (attachment.filename, PDF)


def test_the_page_refuses_an_oversized_attachment_with_its_message_and_stores_nothing(pages):
    app, _ = open_application(pages, lang="en")
    before = snapshot(pages.store)

    app = upload_attachment(app, "scan.pdf", PDF + bytes(MAX_ATTACHMENT_BYTES))

    assert not app.exception
    assert "- The file has 20.0 MB, over the 20 MB limit; compress or split it." in [t.value for t in app.text]
    assert changes(before, snapshot(pages.store)) == {}


def test_the_page_refuses_html_named_png(pages):
    app, _ = open_application(pages)
    before = snapshot(pages.store)

    app = upload_attachment(app, "截图.png", HTML, "image/png")

    assert "- 文件“截图.png”的内容与其扩展名不符;请上传真实的PNG文件。" in [t.value for t in app.text]
    assert changes(before, snapshot(pages.store)) == {}


# -- workbooks over 20 MB ----------------------------------------------------------------------------------


def oversized_workbook() -> bytes:
    """The accounts template with an incompressible picture, just over 20 MB in all."""
    padding = os.urandom(MAX_WORKBOOK_BYTES)
    return rewrite(users_template(), extra={"xl/media/image1.png": b"\x89PNG\r\n\x1a\n" + padding})


def test_every_workbook_import_refuses_a_file_over_20_mb_before_opening_it(store, world):
    opened = open_round(store, world)
    reviewing, _ = round_under_review(store, world)
    reviewer = reviewer_actor(world, assigned_pairs(store, world, reviewing.id)[0][1])
    data = oversized_workbook()  # 20 MB and 27 KB: shown as 20.1 MB, never as the limit itself
    calls = {
        "imports.import_applications": lambda: imports.import_applications(store, world.admin, opened.id, data),
        "user_imports.import_users": lambda: user_imports.import_users(store, world.admin, data),
        "reviews.upload_offline": lambda: reviews.upload_offline(store, reviewer, reviewing.id, data),
    }
    before = snapshot(store)

    for name, call in calls.items():
        with pytest.raises(WorkbookRejected) as refused:
            call()
        assert (refused.value.code, refused.value.message_zh, refused.value.message_en) == (
            "too_large",
            "文件大小为20.1 MB,超过了20.0 MB的上限;请删除无关的工作表、图片后重新保存,或拆分为多个文件分别上传。",
            "The file is 20.1 MB, more than the 20.0 MB accepted; delete sheets and pictures that are not needed "
            "and save again, or split it into several files.",
        ), name
    assert changes(before, snapshot(store)) == {}
