"""The accounts workbook: organisations and users, filled in Excel and read back for an import.

`users_template` writes two sheets to fill in, "单位 Organisations" (name, unified social credit
code, region) and "用户 Users" (user name, name, role, the organisation's credit code, region,
initial password), plus the instructions. `read_users_workbook` reads both back through the safe
reader and checks every cell it can judge alone: blanks, roles, credit codes typed as numbers,
codes repeated in the sheet, user names repeated in the sheet. What only the store can judge (a
credit code's check character, a taken user name, the password policy, an unknown organisation)
is checked by `submissions.user_imports` with the same functions the web forms use.
`users_error_workbook` gives back both sheets with each bad cell marked and the list of problems.

Columns are found by header text like the other templates (see `cells.match_headers`); either
sheet may be left empty, but not both.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import xlsxwriter
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from submissions import accounts
from submissions.errors import FieldProblem
from submissions.excel.cells import (
    Column,
    Layout,
    as_text,
    cell_problem,
    is_blank,
    lookup,
    match_headers,
    normalise,
    shown,
)
from submissions.excel.errors import CellProblem, WorkbookRejected
from submissions.excel.formulas import put_text, write_value
from submissions.excel.report import ERRORS_SHEET, XLSXWRITER_OPTIONS, _sheet_title, _write_errors
from submissions.excel.safe import iter_rows, normalise_title, open_workbook
from submissions.regions import PROVINCIAL_DIVISIONS

__all__ = [
    "ORGANISATIONS_SHEET",
    "ORGANISATION_FIELDS",
    "USERS_SHEET",
    "USER_FIELDS",
    "ImportedOrganisation",
    "ImportedUser",
    "UsersImport",
    "in_sheet_order",
    "organisation_columns",
    "read_users_workbook",
    "user_columns",
    "users_error_workbook",
    "users_template",
]

ORGANISATIONS_SHEET = "单位 Organisations"
USERS_SHEET = "用户 Users"
INSTRUCTIONS_SHEET = "填表说明 Instructions"
LISTS_SHEET = "选项 Lists"
MAX_ROWS = 5_000
MAX_COLUMNS = 50
ROLE_NAMES = {
    "admin": ("管理员", "Administrator"),
    "reviewer": ("评审专家", "Reviewer"),
    "applicant": ("申报单位", "Applicant"),
}


@dataclass(frozen=True)
class ImportedOrganisation:
    row: int
    name: str
    credit_code: str
    region: str


@dataclass(frozen=True)
class ImportedUser:
    row: int
    username: str
    display_name: str
    role: str
    organisation_code: str | None
    region: str | None
    password: str


@dataclass(frozen=True)
class UsersImport:
    """Rows read without problems from each sheet, and every problem; import only when `problems` is empty.

    `organisation_codes` holds every credit code the Organisations sheet names, readable or not, so a
    user row pointing at a broken organisation row is not reported a second time.
    """

    organisations: list[ImportedOrganisation]
    users: list[ImportedUser]
    problems: list[CellProblem]
    organisation_codes: frozenset[str] = frozenset()
    sheets: dict[str, str] = field(default_factory=dict)  # "organisations"/"users" -> the sheet's title
    layouts: dict[str, Layout] = field(default_factory=dict)  # the same keys -> where each column is


# -- columns -------------------------------------------------------------------------------------


def organisation_columns() -> list[Column]:
    return [
        Column("name", "单位名称", "Organisation name", True, ("name", "organisation", "单位")),
        Column("credit_code", "统一社会信用代码", "Unified social credit code", True, ("credit_code",)),
        Column("region", "所在地区", "Region", True, ("region", "地区")),
    ]


def user_columns() -> list[Column]:
    return [
        Column("username", "用户名", "User name", True, ("username", "登录名")),
        Column("display_name", "姓名", "Name", True, ("display_name", "display name")),
        Column("role", "角色", "Role", True, ("role",)),
        Column(
            "organisation",
            "所属单位统一社会信用代码",
            "Organisation's credit code",
            False,
            ("organisation", "credit_code", "统一社会信用代码"),
        ),
        Column("region", "所在地区", "Region", False, ("region", "地区")),
        Column("password", "初始密码", "Initial password", True, ("password", "密码")),
    ]


# -- template ------------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_WRAP = Alignment(wrap_text=True, vertical="top")
# Problems of the accounts checks name their field; these are the columns that hold them.
ORGANISATION_FIELDS = {"name": "name", "credit_code": "credit_code", "region": "region"}
USER_FIELDS = {
    "username": "username",
    "display_name": "display_name",
    "role": "role",
    "organisation_id": "organisation",
    "region": "region",
    "password": "password",
}
_RULES: dict[str, tuple[str, str]] = {
    "organisations.name": ("单位全称,1至200个字。", "The organisation's full name, 1 to 200 characters."),
    "organisations.credit_code": (
        "18位统一社会信用代码(数字和大写字母,不含I、O、S、V、Z),按营业执照填写;请把该列设为文本格式。",
        "The 18-character unified social credit code (digits and capitals, no I, O, S, V, Z); keep the column as text.",
    ),
    "organisations.region": (
        "单位所在省级地区,可从下拉列表选择,1至64个字。",
        "The organisation's province-level region, from the list or typed, 1 to 64 characters.",
    ),
    "users.username": (
        "登录用的用户名,1至64个字符,不含空格;不区分大小写。",
        "The sign-in name, 1 to 64 characters without spaces; case does not matter.",
    ),
    "users.display_name": ("姓名或联系人名称,1至200个字。", "The person's name, 1 to 200 characters."),
    "users.role": (
        "从下拉列表选择:管理员、评审专家或申报单位。",
        "Choose from the list: 管理员, 评审专家 or 申报单位.",
    ),
    "users.organisation": (
        "所属单位的统一社会信用代码;该单位须在“单位”表中或已在系统中登记。申报单位账号必填,其他角色可空。",
        "The credit code of the person's organisation, listed on the Organisations sheet or already registered. "
        "Required for applicants.",
    ),
    "users.region": (
        "所在地区(评审专家用于同地区回避),可空。",
        "The person's region (used for same-region conflicts of reviewers); optional.",
    ),
    "users.password": (
        "初始密码,10至128个字符,至少4种不同字符;请通知本人登录后修改。",
        "The initial password, 10 to 128 characters with at least 4 different ones; ask the person to change it.",
    ),
}


def users_template() -> bytes:
    """The .xlsx an administrator fills in: organisations, users, instructions (and hidden lists)."""
    workbook = Workbook()
    organisations = workbook.active
    organisations.title = ORGANISATIONS_SHEET
    users = workbook.create_sheet(USERS_SHEET)
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for row, (zh, _) in enumerate(ROLE_NAMES.values(), start=1):
        put_text(lists.cell(row=row, column=1), zh)
    for row, region in enumerate(PROVINCIAL_DIVISIONS, start=1):
        put_text(lists.cell(row=row, column=2), region)
    roles = f"'{LISTS_SHEET}'!$A$1:$A${len(ROLE_NAMES)}"
    regions = f"'{LISTS_SHEET}'!$B$1:$B${len(PROVINCIAL_DIVISIONS)}"
    _write_headers(organisations, "organisations", organisation_columns(), {"region": regions})
    _write_headers(users, "users", user_columns(), {"role": roles, "region": regions})
    _write_instructions(workbook.create_sheet(INSTRUCTIONS_SHEET, 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_headers(sheet: object, kind: str, columns: list[Column], lists: dict[str, str]) -> None:
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        cell = put_text(sheet.cell(row=1, column=position), column.header)  # type: ignore[attr-defined]
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.alignment = _WRAP
        sheet.column_dimensions[letter].width = 30 if column.field in ("name", "organisation") else 22  # type: ignore[attr-defined]
        sheet.column_dimensions[letter].number_format = "@"  # type: ignore[attr-defined]  # codes stay text
        zh, en = _RULES[f"{kind}.{column.field}"]
        options: dict[str, object] = {"type": "list", "formula1": lists[column.field]} if column.field in lists else {}
        validation = DataValidation(
            allow_blank=True,
            showInputMessage=True,
            # A region may be typed when it is not in the list; a role must come from it.
            showErrorMessage=column.field == "role",
            promptTitle=column.zh[:32],
            prompt=f"{zh}\n{en}"[:255],
            errorTitle="输入有误 Invalid entry",
            error=f"{zh}\n{en}"[:255],
            **options,
        )
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(validation)  # type: ignore[attr-defined]
    sheet.row_dimensions[1].height = 45  # type: ignore[attr-defined]
    sheet.freeze_panes = "A2"  # type: ignore[attr-defined]


def _write_instructions(sheet: object) -> None:
    rows: list[list[str]] = [
        ["填表说明 Instructions"],
        [
            "1. 在“单位 Organisations”表中每行登记一个单位,在“用户 Users”表中每行创建一个账号;第1行是表头,请勿修改。",
            "One organisation per row on “单位 Organisations”, one account per row on “用户 Users”; keep row 1.",
        ],
        [
            "2. 用户所属单位按统一社会信用代码对应,可以是本工作簿登记的单位,也可以是系统中已有的单位。",
            "A user's organisation is named by its credit code: one on this workbook or one already registered.",
        ],
        [
            "3. 上传后系统逐格检查;有任何错误时不导入任何一行,并列出全部错误,可下载标出错误的工作簿,修改后重新上传。",
            "On upload every cell is checked; if anything is wrong nothing is imported, every problem is listed and "
            "a copy with the wrong cells marked can be downloaded, fixed and uploaded again.",
        ],
        [],
        ["工作表 Sheet", "表头 Header", "必填 Required", "填写规则", "Rules"],
    ]
    for kind, title, columns in (
        ("organisations", ORGANISATIONS_SHEET, organisation_columns()),
        ("users", USERS_SHEET, user_columns()),
    ):
        for column in columns:
            zh, en = _RULES[f"{kind}.{column.field}"]
            rows.append([title, column.header, "是 yes" if column.required else "否 no", zh, en])
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = put_text(sheet.cell(row=r, column=c), value)  # type: ignore[attr-defined]
            cell.alignment = _WRAP
            if r in (1, 6):
                cell.font = _HEADER_FONT
    for letter, width in zip("ABCDE", (22, 30, 14, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width  # type: ignore[attr-defined]


# -- import --------------------------------------------------------------------------------------


def _sheet_rows(data: bytes) -> dict[str, tuple[str, list[tuple]]]:
    """`{"organisations": (title, rows), "users": (title, rows)}` for the sheets the workbook has."""
    wanted = {
        "organisations": [normalise_title(t) for t in (ORGANISATIONS_SHEET, "单位", "Organisations")],
        "users": [normalise_title(t) for t in (USERS_SHEET, "用户", "Users")],
    }
    workbook = open_workbook(data)
    try:
        found: dict[str, tuple[str, list[tuple]]] = {}
        for sheet in workbook.worksheets:
            for kind, titles in wanted.items():
                if kind not in found and normalise_title(sheet.title) in titles:
                    rows = list(iter_rows(sheet, max_rows=MAX_ROWS + 1, max_columns=MAX_COLUMNS))
                    found[kind] = (sheet.title, rows)
        return found
    finally:
        workbook.close()


def read_users_workbook(data: bytes) -> UsersImport:
    """Every filled row of both sheets, or every problem with its cell.

    Raises `WorkbookRejected` when the file itself is refused, or has neither sheet.
    """
    sheets = _sheet_rows(data)
    if not sheets:
        raise WorkbookRejected(
            "no_sheet",
            f"工作簿中没有“{ORGANISATIONS_SHEET}”或“{USERS_SHEET}”工作表;请使用下载的模板填写。",
            f"The workbook has no sheet “{ORGANISATIONS_SHEET}” or “{USERS_SHEET}”; fill in the downloaded template.",
        )
    problems: list[CellProblem] = []
    parts = {
        kind: _Sheet(title, rows, organisation_columns() if kind == "organisations" else user_columns(), problems)
        for kind, (title, rows) in sheets.items()
    }
    organisations, codes = _read_organisations(parts["organisations"]) if "organisations" in parts else ([], set())
    users = _read_users(parts["users"]) if "users" in parts else []
    if not organisations and not users and not problems:
        title = next(iter(parts.values())).title
        problems.append(
            CellProblem(
                title,
                2,
                "A",
                "",
                "",
                "no_rows",
                "工作簿中没有填写任何单位或用户;请从第2行起每行填写一项。",
                "The workbook lists no organisation and no user; fill in one per row from row 2.",
            )
        )
    problems[:] = in_sheet_order(problems)
    return UsersImport(
        organisations,
        users,
        problems,
        frozenset(codes),
        {kind: part.title for kind, part in parts.items()},
        {kind: part.layout for kind, part in parts.items()},
    )


def in_sheet_order(problems: Sequence[CellProblem]) -> list[CellProblem]:
    """Organisations before users, then top to bottom and left to right, as a person fixes them."""
    order = {ORGANISATIONS_SHEET: 0, USERS_SHEET: 1}
    return sorted(
        problems,
        key=lambda p: (order.get(p.sheet, 2), p.row, column_index_from_string(p.column) if p.column else 0),
    )


class _Sheet:
    """One sheet's header layout; reports a problem at a field's cell, at most one per cell."""

    def __init__(self, title: str, rows: list[tuple], columns: list[Column], problems: list[CellProblem]):
        self.title = title
        self.columns = {c.field: c for c in columns}
        self.body = rows[1:]
        self.layout = match_headers(title, rows[0] if rows else (), self.body, columns)
        self.problems = problems
        self.reported: set[tuple[int, str]] = set()
        problems.extend(self.layout.problems)
        self.usable = not any(p.row == 1 for p in self.layout.problems)

    def rows(self) -> Iterator[tuple[int, tuple]]:
        """(spreadsheet row number, cells) of every filled row; none when a header is wrong."""
        if not self.usable:
            return
        for number, cells in enumerate(self.body, start=2):
            if not all(is_blank(v) for v in cells):
                yield number, cells

    def value(self, cells: tuple, field: str) -> object:
        position = self.layout.positions.get(field)
        return cells[position] if position is not None and position < len(cells) else None

    def problem(self, row: int, field: str, code: str, zh: str, en: str) -> None:
        if (row, field) not in self.reported:
            self.reported.add((row, field))
            self.problems.append(cell_problem(self.title, self.layout, self.columns, row, field, code, zh, en))

    def field_problems(self, row: int, found: list[FieldProblem], fields: dict[str, str]) -> None:
        """The accounts checks' problems, each at the cell of its field (`fields`: field -> column)."""
        for p in found:
            self.problem(row, fields.get(p.field, ""), p.code, p.message_zh, p.message_en)

    def clean(self, row: int) -> bool:
        return not any(r == row for r, _ in self.reported)

    def text(self, row: int, cells: tuple, field: str) -> str:
        """The cell as text; a required blank cell is reported."""
        value = self.value(cells, field)
        if is_blank(value) and self.columns[field].required:
            column = self.columns[field]
            zh, en = f"“{column.zh}”为必填项,尚未填写;请填写。", f"“{column.en}” is required; fill it in."
            self.problem(row, field, "blank", zh, en)
        return as_text(value).strip()

    def code(self, row: int, cells: tuple, field: str) -> str:
        """A credit code cell in NFKC capitals without spaces; a number cell is refused (digits get lost)."""
        value = self.value(cells, field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.problem(
                row,
                field,
                "credit_code_number",
                f"统一社会信用代码被Excel存成了数字({shown(value)}),超过15位的数字会丢失;请把该列设为文本格式,"
                "重新输入完整的18位代码。",
                f"The credit code was stored as a number ({shown(value)}), and Excel drops digits beyond the "
                "fifteenth; format the column as text and re-type all 18 characters.",
            )
        return "".join(normalise(as_text(value)).split()).upper()


def _read_organisations(sheet: _Sheet) -> tuple[list[ImportedOrganisation], set[str]]:
    found: list[ImportedOrganisation] = []
    codes: set[str] = set()
    first_row: dict[str, int] = {}
    for row, cells in sheet.rows():
        name = sheet.text(row, cells, "name")
        region = normalise(sheet.text(row, cells, "region"))
        code = sheet.code(row, cells, "credit_code")
        sheet.text(row, cells, "credit_code")  # reports a blank code
        sheet.field_problems(
            row, accounts.organisation_problems(name=name, credit_code=code, region=region), ORGANISATION_FIELDS
        )
        if code:
            codes.add(code)
            if code in first_row:
                sheet.problem(
                    row,
                    "credit_code",
                    "duplicate_credit_code",
                    f"本行与第{first_row[code]}行的统一社会信用代码相同;同一单位只需登记一次,请删除重复的一行。",
                    f"This row has the same credit code as row {first_row[code]}; register an organisation once "
                    "and delete the repeated row.",
                )
            else:
                first_row[code] = row
        if sheet.clean(row):
            found.append(ImportedOrganisation(row, name, code, region))
    return found, codes


_ROLE_ALIASES = {"admin": ("管理", "administrator"), "reviewer": ("专家", "评审"), "applicant": ("申报", "申报人")}
_ROLES = lookup({k: role for role, names in ROLE_NAMES.items() for k in (role, *names, *_ROLE_ALIASES[role])})


def _read_users(sheet: _Sheet) -> list[ImportedUser]:
    found: list[ImportedUser] = []
    first_row: dict[str, int] = {}
    for row, cells in sheet.rows():
        username = sheet.text(row, cells, "username")
        display_name = sheet.text(row, cells, "display_name")
        role_text = sheet.text(row, cells, "role")
        password = as_text(sheet.value(cells, "password"))  # as typed: spaces count
        sheet.text(row, cells, "password")  # reports a blank password
        role = _ROLES(role_text) if role_text else None
        if role_text and role is None:
            sheet.problem(
                row,
                "role",
                "unknown_role",
                f"角色“{shown(role_text)}”无法识别;请从下拉列表选择:管理员、评审专家或申报单位。",
                f"The role “{shown(role_text)}” is not known; choose admin (管理员), reviewer (评审专家) or "
                "applicant (申报单位).",
            )
        code = sheet.code(row, cells, "organisation")
        region = normalise(sheet.text(row, cells, "region"))
        checked = accounts.user_problems(
            username=username, display_name=display_name, role=role or "admin", password=password
        )
        sheet.field_problems(row, checked, USER_FIELDS)
        login = accounts.normalise_username(username)
        if login and login in first_row:
            sheet.problem(
                row,
                "username",
                "duplicate_username",
                f"用户名“{shown(username)}”与第{first_row[login]}行重复(不区分大小写);请换一个。",
                f"The user name “{shown(username)}” repeats row {first_row[login]} (case does not matter); "
                "choose another.",
            )
        elif login:
            first_row[login] = row
        if sheet.clean(row) and role is not None:
            found.append(ImportedUser(row, username, display_name, role, code or None, region or None, password))
    return found


# -- the marked copy -----------------------------------------------------------------------------


def users_error_workbook(data: bytes, problems: Sequence[CellProblem]) -> bytes:
    """Both sheets' values with each bad cell red and commented, plus the sheet "错误 Errors"."""
    sheets = _sheet_rows(data)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, XLSXWRITER_OPTIONS)
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"})
    bad = workbook.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    bad_header = workbook.add_format({"bold": True, "text_wrap": True, "bg_color": "#FFC7CE"})
    for title, rows in sheets.values():
        marks: dict[tuple[int, int], list[CellProblem]] = {}
        for problem in problems:
            if problem.sheet == title and problem.column and problem.row >= 1:
                at = (problem.row - 1, column_index_from_string(problem.column) - 1)
                marks.setdefault(at, []).append(problem)
        sheet = workbook.add_worksheet(_sheet_title(title))
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, max([len(r) for r in rows] + [c + 1 for _, c in marks] + [1]) - 1, 22)
        last_row = max([len(rows) - 1] + [r for r, _ in marks])
        for r in range(last_row + 1):
            cells = rows[r] if r < len(rows) else ()
            width = max([len(cells)] + [c + 1 for (mr, c) in marks if mr == r])
            for c in range(width):
                value = cells[c] if c < len(cells) else None
                found = marks.get((r, c))
                cell_format = (bad_header if r == 0 else bad) if found else (header if r == 0 else None)
                if value is None:
                    if cell_format is not None:
                        sheet.write_blank(r, c, None, cell_format)
                else:
                    write_value(sheet, r, c, value, cell_format)
                if found:
                    comment = "\n\n".join(f"{p.message_zh}\n{p.message_en}" for p in found)
                    sheet.write_comment(r, c, comment[:30_000], {"x_scale": 3, "y_scale": 2.5})
    _write_errors(workbook.add_worksheet(ERRORS_SHEET), header, problems)
    workbook.close()
    return buffer.getvalue()
