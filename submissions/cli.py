"""Command line for the store: `python -m submissions <command>`.

    upgrade                                 bring the schema to the newest revision
    backup [--out PATH]                     copy the database and the attachment files (see submissions.backup)
    restore PATH --yes                      replace the database and restore the attachment files from a backup
    create-admin --username U --name N      the first administrator; password from APP_ADMIN_PASSWORD or a prompt
    status                                  database, schema revision and how many rows of each kind
    personal-fields                         the stored columns that hold personal information (PIPL)
    retention [--set ROUND YYYY-MM-DD]      each round's retention date; --set changes one
    purge (--round ID | --due) [--mode anonymise|delete] [--dry-run]
                                            remove personal information of rounds past their retention date
    anonymise-user --user U                 replace a disabled account's names with user#<id>
    subject-access --user U --out PATH      a workbook of what the store holds about one person

Settings come from the environment (`APP_DATA_DIR`, `APP_DATABASE_URL`; see submissions.config).
`upgrade`, `create-admin` and `status` open the store, which brings the schema up to date first.
`backup` and `restore` take the database as it is, so a backup can be made before an upgrade and a
damaged database can still be replaced.

Exit codes: 0 done; 2 bad usage or input, with one line on stderr saying what to do; 1 unexpected.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from submissions import accounts, privacy
from submissions.backup import BackupError, attachments_archive, backup, restore
from submissions.config import StoreConfig
from submissions.db import make_engine
from submissions.errors import OperationError, SubmissionError
from submissions.migrate import current_revision, head_revision, upgrade
from submissions.models import Application, AuditEntry, ReviewRound, ScoreSheet, User
from submissions.privacy import PURGE_MODES
from submissions.store import Store

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
PASSWORD_VARIABLE = "APP_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable, not a password
COUNTED = (
    ("users", User),
    ("rounds", ReviewRound),
    ("applications", Application),
    ("score sheets", ScoreSheet),
    ("audit entries", AuditEntry),
)


class UsageError(Exception):
    """The command cannot run as given; the message says what to do instead."""


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one command; returns the exit code."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    env = os.environ if env is None else env
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and the problem
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        try:
            config = StoreConfig.from_env(env)
        except ValueError as exc:
            raise UsageError(
                f"a setting in the environment is wrong ({exc}); check APP_DATA_DIR, APP_DATABASE_URL "
                "and APP_BUSY_TIMEOUT (seconds)"
            ) from None
        return args.handler(args, config, env, out)
    except (UsageError, BackupError) as exc:
        print(f"error: {exc}", file=err)
    except SubmissionError as exc:
        print("error: " + "; ".join(f"{p.field}: {p.message_en}" for p in exc.problems), file=err)
    except OperationError as exc:
        print(f"error: {exc.message_en}", file=err)
    except KeyboardInterrupt:
        print("error: interrupted", file=err)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"error: the database failed: {reason}", file=err)
        return EXIT_UNEXPECTED
    except Exception:
        traceback.print_exc(file=err)
        print("error: unexpected failure; the traceback above says where", file=err)
        return EXIT_UNEXPECTED
    return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m submissions",
        description="Look after the review store: schema, backups, the first administrator. "
        "Settings come from APP_DATA_DIR and APP_DATABASE_URL.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    command = commands.add_parser("upgrade", help="bring the database schema to the newest revision")
    command.set_defaults(handler=_upgrade)

    command = commands.add_parser("backup", help="copy the database and the attachment files")
    command.add_argument(
        "--out", type=Path, metavar="PATH", help="backup file or directory (default: APP_DATA_DIR/backups)"
    )
    command.set_defaults(handler=_backup)

    command = commands.add_parser("restore", help="replace the database with a backup (stop the app first)")
    command.add_argument("path", type=Path, metavar="PATH", help="a .db or .dump file written by `backup`")
    command.add_argument("--yes", action="store_true", help="confirm: the current database is replaced")
    command.set_defaults(handler=_restore)

    command = commands.add_parser("create-admin", help="create the first administrator of an empty store")
    command.add_argument("--username", required=True, metavar="U", help="login name")
    command.add_argument("--name", required=True, metavar="N", help="display name")
    command.set_defaults(handler=_create_admin)

    command = commands.add_parser("status", help="database, schema revision and row counts")
    command.set_defaults(handler=_status)

    command = commands.add_parser("personal-fields", help="the stored columns that hold personal information")
    command.set_defaults(handler=_personal_fields)

    command = commands.add_parser("retention", help="each round's retention date; --set changes one")
    command.add_argument("--set", nargs=2, metavar=("ROUND", "DATE"), help="round id and a date YYYY-MM-DD")
    command.set_defaults(handler=_retention)

    command = commands.add_parser("purge", help="remove personal information of rounds past their retention date")
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("--round", type=int, metavar="ID", help="one round")
    which.add_argument("--due", action="store_true", help="every round whose retention date has passed")
    command.add_argument("--mode", choices=PURGE_MODES, default="anonymise", help="keep statistics or delete")
    command.add_argument("--dry-run", action="store_true", help="count what would go, change nothing")
    command.set_defaults(handler=_purge)

    command = commands.add_parser("anonymise-user", help="replace a disabled account's names with user#<id>")
    command.add_argument("--user", required=True, metavar="U", help="login name")
    command.set_defaults(handler=_anonymise_user)

    command = commands.add_parser("subject-access", help="a workbook of what the store holds about one person")
    command.add_argument("--user", required=True, metavar="U", help="login name")
    command.add_argument("--out", type=Path, required=True, metavar="PATH", help="the .xlsx file to write")
    command.add_argument("--lang", choices=("zh", "en"), default="zh")
    command.set_defaults(handler=_subject_access)
    return parser


def safe_url(config: StoreConfig) -> str:
    """The database URL as it may be shown: any password replaced by ***."""
    return make_url(config.database_url).render_as_string(hide_password=True)


def _opened(config: StoreConfig, work: Callable[[Store], int]) -> int:
    store = Store.open(config)
    try:
        return work(store)
    finally:
        store.close()


# -- commands -------------------------------------------------------------------------------------


def _upgrade(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    store = Store(config, migrate=False)
    try:
        before = current_revision(store.db.engine)
        upgrade(store.db.engine)
        after = current_revision(store.db.engine)
    finally:
        store.close()
    print(f"database: {safe_url(config)}", file=out)
    if before == after:
        print(f"schema is up to date at revision {after} (head {head_revision()})", file=out)
    else:
        print(f"schema upgraded from {before or 'an empty database'} to {after} (head {head_revision()})", file=out)
    return EXIT_OK


def _backup(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    written = backup(config, args.out)
    print(f"backup written: {written}", file=out)
    print(f"attachment files: {attachments_archive(written)}", file=out)
    return EXIT_OK


def _restore(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    if not args.path.is_file():
        raise UsageError(f"there is no backup file at {args.path}")
    if not args.yes:
        raise UsageError(
            f"restore replaces the database {safe_url(config)} with {args.path}; "
            "stop the app servers, then run the command again with --yes"
        )
    restore(config, args.path)
    engine = make_engine(config.database_url, busy_timeout=config.busy_timeout)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    print(f"restored {safe_url(config)} from {args.path}; schema at revision {revision}", file=out)
    print("restart the app servers now", file=out)
    return EXIT_OK


def _create_admin(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    password = _password(env)

    def work(store: Store) -> int:
        try:
            user = accounts.bootstrap_admin(store, username=args.username, display_name=args.name, password=password)
        except SubmissionError as exc:
            if any(p.code == "already_bootstrapped" for p in exc.problems):
                raise UsageError(
                    "users exist already; the command line only creates the first administrator, "
                    "so sign in to the app as an administrator and add the account there"
                ) from None
            raise
        print(f"administrator {user.username!r} created (user id {user.id})", file=out)
        return EXIT_OK

    return _opened(config, work)


def _password(env: Mapping[str, str]) -> str:
    password = env.get(PASSWORD_VARIABLE)
    if password:
        return password
    if not sys.stdin.isatty():
        raise UsageError(f"no password: set {PASSWORD_VARIABLE}, or run the command in a terminal to be asked")
    first = getpass.getpass("Password for the administrator: ")
    if getpass.getpass("The same password again: ") != first:
        raise UsageError("the two passwords differ; run the command again")
    return first


def _status(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    def work(store: Store) -> int:
        revision = current_revision(store.db.engine)
        counts = store.db.read(
            lambda session: {label: session.scalar(select(func.count()).select_from(model)) for label, model in COUNTED}
        )
        lines = [
            f"database: {safe_url(config)}",
            f"data directory: {config.data_dir}",
            f"schema revision: {revision} (head {head_revision()})",
            *(f"{label}: {count}" for label, count in counts.items()),
        ]
        print("\n".join(lines), file=out)
        return EXIT_OK

    return _opened(config, work)


# -- personal information ------------------------------------------------------------------------


def _personal_fields(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    for table, column, kind in privacy.personal_fields():
        print(f"{table}.{column}\t{kind}\t{privacy.SENSITIVITY_LABELS[kind][0]}", file=out)
    return EXIT_OK


def _retention(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    def work(store: Store) -> int:
        overview = privacy.retention_overview(store, privacy.OPERATOR)
        if args.set:
            round_id, day = _round_id(args.set[0]), _day(args.set[1])
            if round_id not in {r.round_id for r in overview}:
                raise UsageError(f"there is no round {round_id}; `python -m submissions retention` lists them")
            privacy.set_retention(store, privacy.OPERATOR, round_id, until=day)
            overview = privacy.retention_overview(store, privacy.OPERATOR)
        today = store.now().date()
        for r in overview:
            if r.purged_at is not None:
                status = f"purged ({r.purge_mode}) {r.purged_at.date().isoformat()}"
            else:
                status = "due for purge" if r.due(today) else "kept"
            until = r.retention_until.isoformat() if r.retention_until else "not set"
            print(f"round {r.round_id}\t{r.name}\t{r.state}\tkeep until {until}\t{status}", file=out)
        return EXIT_OK

    return _opened(config, work)


def _round_id(text: str) -> int:
    if not text.isdigit():
        raise UsageError(f"a round id is a number, not {text!r}")
    return int(text)


def _day(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"give the date as YYYY-MM-DD, not {text!r}") from None


def _purge(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    def work(store: Store) -> int:
        if args.due:
            reports = privacy.purge_due(store, privacy.OPERATOR, mode=args.mode, dry_run=args.dry_run)
        else:
            reports = [privacy.purge_round(store, privacy.OPERATOR, args.round, mode=args.mode, dry_run=args.dry_run)]
        verb = "would remove" if args.dry_run else "removed"
        for r in reports:
            print(
                f"round {r.round_id} ({r.mode}): {verb} {r.applications} applications' free text"
                if r.mode == "anonymise"
                else f"round {r.round_id} ({r.mode}): {verb} {r.applications} applications",
                f"{r.sheets} score sheets' comments, {r.attachments} attachments, "
                f"{r.audit_entries} audit entries' content",
                sep=", ",
                file=out,
            )
        if not reports:
            print("no round is past its retention date", file=out)
        return EXIT_OK

    return _opened(config, work)


def _user_id(store: Store, username: str) -> int:
    found = store.db.read(
        lambda session: session.scalar(select(User.id).where(User.username == accounts.normalise_username(username)))
    )
    if found is None:
        raise UsageError(f"there is no user {username!r}")
    return found


def _anonymise_user(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    def work(store: Store) -> int:
        pseudonym = privacy.anonymise_user(store, privacy.OPERATOR, _user_id(store, args.user))
        print(f"user {args.user!r} is now {pseudonym}", file=out)
        return EXIT_OK

    return _opened(config, work)


def _subject_access(args: argparse.Namespace, config: StoreConfig, env: Mapping[str, str], out: TextIO) -> int:
    if args.out.exists():
        raise UsageError(f"{args.out} exists already; give a new file name")

    def work(store: Store) -> int:
        data = privacy.subject_access_export(
            store, privacy.OPERATOR, user_id=_user_id(store, args.user), lang=args.lang
        )
        temporary = args.out.with_name(args.out.name + ".part")
        temporary.write_bytes(data)
        temporary.replace(args.out)
        print(f"written: {args.out} ({len(data)} bytes)", file=out)
        return EXIT_OK

    return _opened(config, work)
