"""Importing organisations and user accounts from the accounts workbook, all or nothing (admins).

The workbook is read safely and checked cell by cell (`excel.users`); then every row is checked
against the store with the functions the web forms use (`accounts.add_organisation`,
`accounts.add_user`, the password policy) in a transaction that is always rolled back, so one
upload reports every problem at once. Only when nothing is wrong are the passwords hashed (the
slow part, reported through `progress`) and every row written in one transaction, each row with
its own audit entry plus one for the import. A rejected import saves nothing and comes back with
the upload's sheets, the bad cells marked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from submissions import accounts, audit
from submissions.access import Actor, verified_user
from submissions.errors import FieldProblem, SubmissionError
from submissions.excel.cells import Column, cell_problem
from submissions.excel.errors import CellProblem
from submissions.excel.users import (
    ORGANISATION_FIELDS,
    USER_FIELDS,
    ImportedUser,
    UsersImport,
    in_sheet_order,
    organisation_columns,
    read_users_workbook,
    user_columns,
    users_error_workbook,
)
from submissions.store import Store

_UNCHECKED_HASH = "not-a-hash: the validation pass is always rolled back"


@dataclass(frozen=True)
class UsersImportOutcome:
    """How many organisations and users were created, or none and every problem (with the marked workbook)."""

    organisations: int
    users: int
    problems: list[CellProblem] = field(default_factory=list)
    error_workbook: bytes | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


class _RolledBack(Exception):
    def __init__(self, problems: list[CellProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")


class _Cells:
    """Where each imported row's cells are, to turn a service's field problem into a cell problem."""

    def __init__(self, parsed: UsersImport):
        self.parsed = parsed
        self.columns: dict[str, dict[str, Column]] = {
            "organisations": {c.field: c for c in organisation_columns()},
            "users": {c.field: c for c in user_columns()},
        }

    def problem(self, kind: str, row: int, found: FieldProblem, fields: dict[str, str]) -> CellProblem:
        return cell_problem(
            self.parsed.sheets[kind],
            self.parsed.layouts[kind],
            self.columns[kind],
            row,
            fields.get(found.field, ""),
            found.code,
            found.message_zh,
            found.message_en,
        )


def _apply(
    session: Session,
    store: Store,
    actor: Actor,
    parsed: UsersImport,
    cells: _Cells,
    hashes: Sequence[str],
) -> tuple[list[CellProblem], int, int]:
    """Add every row in `session`; return the problems found and how many of each were added."""
    problems: list[CellProblem] = []
    organisations = 0
    for org in parsed.organisations:
        try:
            accounts.add_organisation(
                session, store, actor, name=org.name, credit_code=org.credit_code, region=org.region
            )
            organisations += 1
        except SubmissionError as exc:
            problems += [cells.problem("organisations", org.row, p, ORGANISATION_FIELDS) for p in exc.problems]
    known = accounts.organisation_ids_by_code(
        session, {u.organisation_code for u in parsed.users if u.organisation_code}
    )
    users = 0
    for user, password_hash in zip(parsed.users, hashes, strict=True):
        organisation_id = None
        if user.organisation_code:
            organisation_id = known.get(user.organisation_code)
            if organisation_id is None:
                if user.organisation_code not in parsed.organisation_codes:
                    problems.append(_unknown_organisation(cells, user))
                continue  # the organisation's own row is wrong and already reported
        try:
            accounts.add_user(
                session,
                store,
                actor,
                username=user.username,
                display_name=user.display_name,
                role=user.role,
                password_hash=password_hash,
                organisation_id=organisation_id,
                region=user.region,
            )
            users += 1
        except SubmissionError as exc:
            problems += [cells.problem("users", user.row, p, USER_FIELDS) for p in exc.problems]
    return problems, organisations, users


def _unknown_organisation(cells: _Cells, user: ImportedUser) -> CellProblem:
    code = user.organisation_code
    return cells.problem(
        "users",
        user.row,
        FieldProblem(
            "organisation_id",
            "unknown_organisation",
            f"统一社会信用代码为“{code}”的单位既不在“单位”表中,也未在系统中登记;请先在“单位”表中登记该单位。",
            f"No organisation with credit code {code} is on the Organisations sheet or registered; add it to the "
            "Organisations sheet first.",
        ),
        USER_FIELDS,
    )


def import_users(
    store: Store,
    actor: Actor,
    data: bytes,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> UsersImportOutcome:
    """Organisations and users from the accounts workbook: all created, or none and every problem.

    `progress(done, total)` is called as passwords are hashed. Raises `WorkbookRejected` when the
    file itself is refused (not a workbook, hostile, neither sheet present).
    """
    store.read(actor, "users.import", lambda session: verified_user(session, actor, "admin"), target="user:import")
    parsed = read_users_workbook(data)
    cells = _Cells(parsed)
    problems = list(parsed.problems)
    for user in parsed.users:
        problems += [
            cells.problem("users", user.row, p, USER_FIELDS) for p in accounts.password_problems(user.password)
        ]

    def check(session: Session) -> None:
        verified_user(session, actor, "admin")
        found, _, _ = _apply(session, store, actor, parsed, cells, [_UNCHECKED_HASH] * len(parsed.users))
        raise _RolledBack(found)

    try:
        store.write(actor, "users.import", check, target="user:import")
    except _RolledBack as checked:
        problems += checked.problems
    if problems:
        return _rejected(data, in_sheet_order(problems))

    hashes = []
    for done, user in enumerate(parsed.users, start=1):
        hashes.append(accounts.hashed(user.password))
        if progress is not None:
            progress(done, len(parsed.users))

    def work(session: Session) -> UsersImportOutcome:
        verified_user(session, actor, "admin")
        found, organisations, users = _apply(session, store, actor, parsed, cells, hashes)
        if found:  # someone registered the same code or name since the check: write nothing
            raise _RolledBack(found)
        audit.record(
            session,
            actor,
            "users.import",
            "user",
            None,
            at=store.now(),
            after={
                "organisations": [org.credit_code for org in parsed.organisations],
                "users": [user.username for user in parsed.users],
            },
        )
        return UsersImportOutcome(organisations, users)

    try:
        return store.write(actor, "users.import", work, target="user:import")
    except _RolledBack as late:
        return _rejected(data, in_sheet_order(late.problems))


def _rejected(data: bytes, problems: list[CellProblem]) -> UsersImportOutcome:
    return UsersImportOutcome(0, 0, problems, users_error_workbook(data, problems))
