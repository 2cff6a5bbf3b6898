"""Hostile workbooks through every service that takes a workbook from a user, and through their pages.

Each file (zip bombs, sheets reaching XFD1048576, entity expansion, external links, macros, other
files renamed .xlsx) is built from the genuine template of the service it is sent to. Every
service must refuse it with its own message in Chinese and English and leave the store exactly
as it was (SQLite and PostgreSQL); sent again in a fresh child process (`tests.security.bounded`),
the refusal must come within 5 s and 256 MB of extra peak memory, under an address-space limit.
The command line's table reader (`python -m scoring rank --applications x.xlsx`) gets the same
files; each upload page shows one refusal. `tests/submissions/excel/test_safe.py` proves the
checks function by function.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from rubrics.loader import load_rubric
from scoring.tabular import MAX_COLUMNS, MAX_ROWS, read_table
from submissions.excel import applications as applications_sheet
from submissions.excel import panel as panel_sheet
from submissions.excel import users as users_sheet
from submissions.excel.errors import WorkbookRejected
from submissions.excel.safe import LIMITS
from submissions.store import Store
from tests.app.admin_ops.conftest import open_on_round
from tests.security import hostile_files as hostile
from tests.security.bounded import CALLS, Measured, run_bounded
from tests.security.store_state import changes, snapshot
from tests.submissions.store.scenario import assigned_pairs, open_round, reviewer_actor, round_under_review
from tests.submissions.store.world import Clock
from tests.support.store_fixtures import drop_database, fresh_config
from tests.support.workbooks import workbook_bytes
from ui.text import escaped

SECONDS = 5.0
EXTRA_BYTES = 256 * 2**20
RUBRIC = load_rubric("project_life")


@dataclass(frozen=True)
class Upload:
    """One way a workbook gets in: the call, its genuine template, the sheet it reads and its bounds."""

    call: str
    template: Callable[[], bytes]
    sheet: str
    max_rows: int
    max_columns: int
    declared: tuple[int, int] = (LIMITS.rows, LIMITS.columns)  # the most rows and columns a sheet may claim


@functools.cache
def applicant_template() -> bytes:
    return applications_sheet.application_template(RUBRIC, regions=("北京", "广东"))


@functools.cache
def review_template() -> bytes:
    return panel_sheet.panel_template(RUBRIC, reviewer="王芳", round_name="2026年示范项目", applications=[])


@functools.cache
def accounts_template() -> bytes:
    return users_sheet.users_template()


@functools.cache
def plain_table() -> bytes:
    return workbook_bytes([["application_id", "category", "region"], ["A1", "life", "广东"]])


UPLOADS = {
    "applications import (admin)": Upload(
        "imports.import_applications",
        applicant_template,
        applications_sheet.APPLICATIONS_SHEET,
        applications_sheet.MAX_APPLICATION_ROWS + 1,
        applications_sheet.MAX_COLUMNS,
    ),
    "accounts import (admin)": Upload(
        "user_imports.import_users",
        accounts_template,
        users_sheet.ORGANISATIONS_SHEET,
        users_sheet.MAX_ROWS + 1,
        users_sheet.MAX_COLUMNS,
    ),
    "offline score sheet (reviewer)": Upload(
        "reviews.upload_offline",
        review_template,
        panel_sheet.REVIEW_SHEET,
        panel_sheet.MAX_PANEL_ROWS + 1,
        panel_sheet.MAX_COLUMNS,
    ),
}
COMMAND_LINE = Upload(
    "scoring.tabular.read_table", plain_table, "Sheet", MAX_ROWS, MAX_COLUMNS, declared=(MAX_ROWS, MAX_COLUMNS)
)

# -- what each hostile file must be answered with --------------------------------------------------

NOT_XLSX_ZH = "该文件不是有效的.xlsx工作簿({what});{fix}。"
NOT_XLSX_EN = "The file is not a valid .xlsx workbook ({what}); {fix}."
UPLOAD_ITSELF = ("请上传Excel工作簿本身", "upload the Excel workbook itself")
PROGRAM = ("它是图片、PDF或程序文件", UPLOAD_ITSELF[0], "it is an image, a PDF or a program", UPLOAD_ITSELF[1])
DOCTYPE_ZH = (
    "工作簿部件“xl/worksheets/sheet1.xml”含有DOCTYPE或实体声明(Excel保存的工作簿不会有,且可被用于耗尽内存);"
    "请在Excel中重新另存为.xlsx文件。"
)
DOCTYPE_EN = (
    "The workbook part “xl/worksheets/sheet1.xml” declares a DOCTYPE or entities, which workbooks saved by Excel "
    "never do and which can be used to exhaust memory; re-save the workbook from Excel as .xlsx."
)
LINKS = (
    "external_links",
    "工作簿含有指向其他工作簿的外部链接,不予接收;请在Excel中选择“数据 > 编辑链接 > 断开链接”,保存后重新上传。",
    "The workbook links to other workbooks (external links), which are not accepted; in Excel use "
    "Data > Edit Links > Break Link, save and try again.",
)


COMMAND_LINE_COLUMNS = "the first sheet has more than 500 columns; delete the unused columns"
# The command line reads full-height sheets (a million score rows) by design.
FULL_HEIGHT = "a value in A1048576 behind a dimension of A1:B2"


def not_xlsx(what_zh: str, fix_zh: str, what_en: str, fix_en: str) -> tuple[str, str, str]:
    return (
        "not_xlsx",
        NOT_XLSX_ZH.format(what=what_zh, fix=fix_zh),
        NOT_XLSX_EN.format(what=what_en, fix=fix_en),
    )


def far_columns(upload: Upload) -> tuple[str, str, str]:
    return (
        "too_many_columns",
        f"工作表“{upload.sheet}”的单元格XFD1048576有内容,超出了最多{upload.max_columns}列的范围;"
        "请删除表格右侧多余的列后重新上传。",
        f"The sheet “{upload.sheet}” has content in cell XFD1048576, beyond the {upload.max_columns} columns "
        "accepted; delete the extra columns on the right and upload again.",
    )


@dataclass(frozen=True)
class Case:
    build: Callable[[bytes], bytes]
    expected: Callable[[Upload], tuple[str, str, str]]  # code, message zh, message en
    command_line: str | None = None  # the command line's own message, where it has one


CASES = {
    "zip bomb (300 MB of zeros in 1.4 MB)": Case(
        hostile.zip_bomb,
        lambda _: (
            "too_large_unpacked",
            "工作簿解压后为300 MB(最多200 MB);请拆分为多个较小的文件。",
            "The workbook unpacks to 300 MB (at most 200 MB are accepted); split the table into smaller files.",
        ),
    ),
    "zip bomb under the size limits (1000:1)": Case(
        hostile.dense_part,
        lambda _: (
            "compression_ratio",
            "工作簿的压缩比超过100:1,正常表格不会如此;请将表格复制到新工作簿后保存再上传。",
            "The workbook is compressed more than 100:1, which real tables never are; copy the table into a new "
            "workbook and save that.",
        ),
    ),
    "zip bomb lying about its sizes (200 MB behind a small entry)": Case(
        hostile.lying_sizes,
        lambda _: (
            "damaged",
            "工作簿已损坏(部件“xl/worksheets/sheet1.xml”的内容与压缩包记录的大小和校验值不符);"
            "请在Excel中重新另存为.xlsx文件。",
            "The workbook is damaged (the part “xl/worksheets/sheet1.xml” does not match the size and checksum "
            "the archive records); re-save it from Excel as .xlsx.",
        ),
    ),
    "dimension claiming A1:XFD1048576": Case(
        hostile.claimed_dimension,
        lambda upload: (
            "dimension",
            f"工作表“{upload.sheet}”声明的范围为1,048,576行×16,384列,最多接受{upload.declared[0]:,}行×"
            f"{upload.declared[1]:,}列;请只把表格复制到新工作簿中保存后再上传。",
            f"The sheet “{upload.sheet}” claims 1,048,576 rows × 16,384 columns; at most {upload.declared[0]:,} "
            f"rows × {upload.declared[1]:,} columns are accepted. Copy only the table into a new workbook and "
            "save that.",
        ),
    ),
    "a value in XFD1048576 and no dimension": Case(
        lambda t: hostile.far_cell(t, dimension=None), far_columns, COMMAND_LINE_COLUMNS
    ),
    "a value in XFD1048576 behind a dimension of A1:B2": Case(
        lambda t: hostile.far_cell(t, dimension=b"A1:B2"), far_columns, COMMAND_LINE_COLUMNS
    ),
    "a value in A1048576 behind a dimension of A1:B2": Case(
        lambda t: hostile.far_cell(t, dimension=b"A1:B2", cell="A1048576"),
        lambda upload: (
            "too_many_rows",
            f"工作表“{upload.sheet}”第1048576行有内容,最多只能有{upload.max_rows}行(含表头);"
            "请删除多余的行,或拆分为多个文件分别上传。",
            f"The sheet “{upload.sheet}” has content in row 1048576, but at most {upload.max_rows} rows (header "
            "included) are accepted; delete the extra rows or split the table into several files.",
        ),
    ),
    "billion laughs": Case(hostile.billion_laughs, lambda _: ("xml_doctype", DOCTYPE_ZH, DOCTYPE_EN)),
    "external entity reading /etc/passwd": Case(
        hostile.external_entity, lambda _: ("xml_doctype", DOCTYPE_ZH, DOCTYPE_EN)
    ),
    "external link to a file share": Case(hostile.external_link, lambda _: LINKS),
    "external link declared by content type only": Case(hostile.external_link_type_only, lambda _: LINKS),
    "macros (vbaProject.bin)": Case(
        hostile.vba_project,
        lambda _: (
            "macros",
            "工作簿含有宏(vbaProject.bin),不予接收;请另存为不含宏的.xlsx工作簿后重新上传。",
            "The workbook contains macros (vbaProject.bin), which are not accepted; save it as an .xlsx workbook "
            "without macros and try again.",
        ),
    ),
    "macro-enabled content type (.xlsm renamed)": Case(
        hostile.macro_enabled_type,
        lambda _: (
            "macros",
            "工作簿含有宏(macro content type),不予接收;请另存为不含宏的.xlsx工作簿后重新上传。",
            "The workbook contains macros (macro content type), which are not accepted; save it as an .xlsx "
            "workbook without macros and try again.",
        ),
    ),
    "ELF program renamed .xlsx": Case(lambda _: hostile.RENAMED["elf"], lambda _: not_xlsx(*PROGRAM)),
    "Windows program renamed .xlsx": Case(lambda _: hostile.RENAMED["pe"], lambda _: not_xlsx(*PROGRAM)),
    "PNG image renamed .xlsx": Case(lambda _: hostile.RENAMED["png"], lambda _: not_xlsx(*PROGRAM)),
    "PDF renamed .xlsx": Case(lambda _: hostile.RENAMED["pdf"], lambda _: not_xlsx(*PROGRAM)),
    "old .xls renamed .xlsx": Case(
        lambda _: hostile.RENAMED["xls"],
        lambda _: not_xlsx(
            "它是旧版.xls工作簿或设置了打开密码的工作簿",
            "请取消密码并另存为.xlsx(Excel工作簿)",
            "it is an old-style .xls workbook or a password-protected one",
            "remove any password and save it as .xlsx (Excel Workbook)",
        ),
    ),
    "CSV text renamed .xlsx": Case(
        lambda _: hostile.RENAMED["csv"],
        lambda _: not_xlsx(
            "它是纯文本(如CSV)",
            "请用Excel打开后另存为.xlsx",
            "it is plain text, such as CSV",
            "open it in Excel and save it as .xlsx",
        ),
    ),
    "Word document renamed .xlsx": Case(
        lambda _: hostile.docx_renamed(),
        lambda _: not_xlsx("它是Word文档", UPLOAD_ITSELF[0], "it is a Word document", UPLOAD_ITSELF[1]),
    ),
}


def hostile_file(case: str, upload: Upload) -> bytes:
    return CASES[case].build(upload.template())


def within_bounds(measured: Measured) -> None:
    assert measured.seconds < SECONDS, f"took {measured.seconds:.2f} s"
    assert measured.extra_bytes < EXTRA_BYTES, f"took {measured.extra_bytes / 2**20:.0f} MB more memory"


# -- the services -------------------------------------------------------------------------------------


@dataclass
class Services:
    """A store shared by this module's tests (each proves it changed nothing) and who calls what."""

    store: Store
    payloads: dict[str, dict]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def services(request, tmp_path_factory) -> Services:
    backend = request.param
    config, database = fresh_config(request, backend, tmp_path_factory.mktemp(f"hostile-{backend}"))
    world = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_template")[1]
    store = Store(config, clock=Clock())
    opened = open_round(store, world)
    reviewing, _ = round_under_review(store, world)
    reviewer = reviewer_actor(world, assigned_pairs(store, world, reviewing.id)[0][1])
    payloads = {
        "imports.import_applications": {"actor": world.admin, "round_id": opened.id},
        "user_imports.import_users": {"actor": world.admin},
        "reviews.upload_offline": {"actor": reviewer, "round_id": reviewing.id},
    }
    yield Services(store, payloads)
    store.close()
    if database:
        drop_database(database)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("service", UPLOADS)
def test_hostile_workbook_is_refused_with_its_own_message_and_nothing_changes(services, service, case):
    upload = UPLOADS[service]
    call = CALLS[upload.call]
    before = snapshot(services.store)

    with pytest.raises(WorkbookRejected) as refused:
        call(services.store, {**services.payloads[upload.call], "data": hostile_file(case, upload)})

    assert (refused.value.code, refused.value.message_zh, refused.value.message_en) == CASES[case].expected(upload)
    assert changes(before, snapshot(services.store)) == {}


@pytest.mark.parametrize("services", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("service", UPLOADS)
def test_hostile_workbook_is_refused_within_5_s_and_256_mb_in_a_fresh_process(services, service, case):
    upload = UPLOADS[service]

    measured = run_bounded(
        upload.call,
        {**services.payloads[upload.call], "data": hostile_file(case, upload)},
        config=services.store.config,
        clock=services.store.clock,
    )

    assert measured.outcome == "rejected", measured.detail
    assert measured.code == CASES[case].expected(upload)[0]
    within_bounds(measured)


@pytest.mark.parametrize("case", [c for c in CASES if c != FULL_HEIGHT])
def test_hostile_workbook_is_refused_by_the_command_line_reader_within_bounds(tmp_path, case):
    path = tmp_path / "applications.xlsx"
    path.write_bytes(hostile_file(case, COMMAND_LINE))

    measured = run_bounded(COMMAND_LINE.call, {"path": path})

    assert measured.outcome == "rejected", measured.detail
    _, _, english = CASES[case].expected(COMMAND_LINE)
    assert measured.message_en == (CASES[case].command_line or english[0].lower() + english[1:].removesuffix("."))
    within_bounds(measured)


def test_the_command_line_reads_values_beyond_a_dimension_that_understates_the_sheet(tmp_path):
    """A dimension of A1:B2 over three columns: the third is read, not dropped without a word."""
    path = tmp_path / "applications.xlsx"
    table = workbook_bytes([["application_id", "category", "region"], ["A1", "life", "广东"], ["A2", "life", "湖北"]])
    path.write_bytes(hostile.far_cell(table, dimension=b"A1:B2", cell="C4"))

    frame = read_table(path)

    assert frame["region"].tolist()[:2] == ["广东", "湖北"]
    assert frame.shape == (3, 3)


def test_the_bounds_catch_a_reader_that_inflates_everything():
    """The measure itself: a call that inflates 300 MB is reported as over the memory bound (or stopped)."""
    measured = run_bounded("calibration.inflate", {"megabytes": 300})

    assert measured.outcome in ("returned", "raised")
    assert measured.outcome == "raised" or measured.extra_bytes > EXTRA_BYTES


# -- the pages ------------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_imports_page_shows_the_refusal_of_a_workbook_with_macros_and_imports_nothing(pages):
    before = snapshot(pages.store)
    app = open_on_round(pages, "app_pages/admin/imports.py", "project_industry")

    app.file_uploader(key="rs_import_file").upload("applications.xlsx", hostile.vba_project(applicant_template()), XLSX)
    app = app.run().button(key="rs_import").click().run()

    assert not app.exception
    _, zh, _ = CASES["macros (vbaProject.bin)"].expected(UPLOADS["applications import (admin)"])
    assert [e.value for e in app.error] == [escaped(zh)]
    assert not app.get("download_button")
    assert changes(before, snapshot(pages.store)) == {}


def test_users_page_shows_the_refusal_of_a_billion_laughs_workbook_and_creates_nobody(pages):
    before = snapshot(pages.store)
    app = pages.open("app_pages/admin/users.py", user="admin", lang="en")

    app.file_uploader(key="ad_users_upload").upload("accounts.xlsx", hostile.billion_laughs(accounts_template()), XLSX)
    app = app.run().button(key="ad_users_import").click().run()

    assert not app.exception
    assert [e.value for e in app.error] == [escaped(DOCTYPE_EN)]
    assert changes(before, snapshot(pages.store)) == {}


def test_my_reviews_page_shows_the_refusal_of_a_zip_bomb_and_saves_no_score(pages):
    before = snapshot(pages.store)
    app = pages.open("app_pages/reviewer/assignments.py", user="liuzhenhua")

    app.file_uploader(key="rv_upload_file").upload("review.xlsx", hostile.zip_bomb(review_template()), XLSX)
    app = app.run().button(key="rv_upload_go").click().run()

    assert not app.exception
    _, zh, _ = CASES["zip bomb (300 MB of zeros in 1.4 MB)"].expected(UPLOADS["offline score sheet (reviewer)"])
    assert [e.value for e in app.error] == [escaped(zh)]
    assert changes(before, snapshot(pages.store)) == {}


def test_a_sheet_title_with_markup_in_a_refusal_is_shown_inert(pages):
    """The refusal names the uploader's sheet; a title that is markdown or HTML must show as typed."""
    title = "<img src=x onerror=alert(1)> __b__ `c` $x$"
    titled = hostile.retitle(accounts_template(), title)
    app = pages.open("app_pages/admin/users.py", user="admin")

    app.file_uploader(key="ad_users_upload").upload("accounts.xlsx", hostile.claimed_dimension(titled), XLSX)
    app = app.run().button(key="ad_users_import").click().run()

    assert not app.exception
    assert len(app.error) == 1
    assert escaped(title) in app.error[0].value
