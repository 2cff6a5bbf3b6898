"""Command line for the store: `python -m submissions <command>`.

    upgrade                                 bring the schema to the newest revision
    backup [--out PATH]                     copy the database and the attachment files (see submissions.backup)
    restore PATH --yes                      replace the database and restore the attachment files from a backup
    create-admin --username U --name N      the first administrator; password from APP_ADMIN_PASSWORD or a prompt
    status                                  database, schema revision and how many rows of each kind

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

from submissions import accounts
from submissions.backup import BackupError, attachments_archive, backup, restore
from submissions.config import StoreConfig
from submissions.db import make_engine
from submissions.errors import OperationError, SubmissionError
from submissions.migrate import current_revision, head_revision, upgrade
from submissions.models import Application, AuditEntry, ReviewRound, ScoreSheet, User
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
