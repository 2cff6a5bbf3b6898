"""Backups of the store, and restores from them: the database together with the attachment files.

A backup is two files side by side:

- `review-<UTC time>.db` (SQLite, copied with the online backup API while the app keeps running) or
  `review-<UTC time>.dump` (PostgreSQL, `pg_dump --format=custom`);
- `review-<UTC time>.attachments.tar`: every attachment file, under its 32-hex id.

Invariants:

- Both files are written under hidden temporary names and renamed into place, the archive first and
  the database last, only after the copy was checked (SQLite: `PRAGMA integrity_check`; PostgreSQL:
  `pg_restore --list` reads the archive). A file named like a backup is a complete backup.
- The database is copied before the attachments. Attachment files are written before their row
  commits and are never rewritten or removed (see `applications.add_attachment`), so the archive
  holds every file the copied database refers to.
- `restore` checks everything it will install before it changes anything. It then writes the
  attachment files (adding, never deleting: files uploaded after the backup stay, unreferenced) and
  replaces the database in one step: SQLite by renaming a checked copy over the file; PostgreSQL in
  one transaction that drops the application's objects (so tables a newer migration added cannot
  get in the way) and loads the dump. Last it upgrades the schema, so an older backup is brought up
  to date.
- Stop the app servers first. A SQLite database still open in another process is refused; a
  PostgreSQL server left running would keep serving rankings it cached before the restore.

Passwords never appear on a command line: the PostgreSQL tools get them from `PGPASSWORD`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing, suppress
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from submissions.config import StoreConfig
from submissions.db import make_engine
from submissions.migrate import upgrade

ARCHIVE_SUFFIX = ".attachments.tar"
PG_TOOL_DIRS = Path("/usr/lib/postgresql")
_ATTACHMENT_NAME = re.compile(r"[0-9a-f]{32}")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"
_CHUNK = 1 << 20

# SQLAlchemy URL query keys that are libpq connection parameters, and the variables libpq reads them from.
_LIBPQ_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
}

# Run before the dump, in the same transaction: drop what the application's migrations create in its
# schema (tables with their views, sequences and triggers; routines; types), so that objects created
# after the backup neither block `--clean` (a newer table's foreign key) nor the upgrade that follows.
# Names are collected before anything is dropped; objects belonging to extensions are left alone.
DROP_APPLICATION_OBJECTS = """
DO $$
DECLARE
    statement text;
BEGIN
    FOREACH statement IN ARRAY ARRAY(
        SELECT format('DROP %s IF EXISTS %I.%I CASCADE',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                     WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END,
                      n.nspname, c.relname)
        FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
          AND NOT c.relispartition
          AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
        ORDER BY c.relkind NOT IN ('r', 'p')
    ) || ARRAY(
        SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure)
        FROM pg_proc AS p
        WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind IN ('f', 'p')
          AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
    ) || ARRAY(
        SELECT format('DROP TYPE IF EXISTS %I.%I CASCADE', n.nspname, t.typname)
        FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
        WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'r')
          AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE d.classid = 'pg_type'::regclass
                          AND d.objid = t.oid AND d.deptype = 'e')
    )
    LOOP
        EXECUTE statement;
    END LOOP;
END
$$;
"""


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says what is wrong and what to do.

    When `restore` raises it, the database is as it was; attachment files it may have written are
    identical copies or files the current database does not refer to.
    """


def attachments_archive(backup_file: Path) -> Path:
    """The attachments archive that belongs to a database backup file: `<stem>.attachments.tar`."""
    return backup_file.with_name(backup_file.stem + ARCHIVE_SUFFIX)


# -- backup ---------------------------------------------------------------------------------------


def backup(config: StoreConfig, destination: Path | None = None) -> Path:
    """Copy the database and the attachment files; returns the database backup file.

    `destination` is a file name or an existing directory; by default the backup goes to
    `config.backup_dir` as `review-<UTC time>.db` (SQLite) or `.dump` (PostgreSQL). An existing
    file is never overwritten.
    """
    sqlite = _is_sqlite(config)
    target = _backup_target(config, destination, ".db" if sqlite else ".dump")
    archive = attachments_archive(target)
    if archive.exists():
        raise BackupError(f"{archive} exists already; choose another name for the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    database_part, archive_part = _part(target), _part(archive)
    archive_installed = False
    try:
        if sqlite:
            _copy_sqlite(_sqlite_path(config), database_part, config.busy_timeout)
        else:
            _dump_postgres(config.database_url, database_part)
        _write_archive(config.attachment_dir, archive_part)
        _install(archive_part, archive)
        archive_installed = True
        _install(database_part, target)
    except BaseException:
        database_part.unlink(missing_ok=True)
        archive_part.unlink(missing_ok=True)
        if archive_installed:
            archive.unlink(missing_ok=True)
        raise
    return target


def _backup_target(config: StoreConfig, destination: Path | None, suffix: str) -> Path:
    if destination is not None and not Path(destination).is_dir():
        target = Path(destination).resolve()
        if target.exists():
            raise BackupError(f"{target} exists already; choose another name for the backup or remove it")
        return target
    directory = Path(destination).resolve() if destination is not None else config.backup_dir
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"review-{stamp}{suffix}"
    counter = 1
    while target.exists() or attachments_archive(target).exists():  # two backups in one second
        counter += 1
        target = directory / f"review-{stamp}-{counter}{suffix}"
    return target


def _copy_sqlite(source: Path, part: Path, busy_timeout: float) -> None:
    if not source.is_file():
        raise BackupError(f"there is no database at {source}; check APP_DATA_DIR and APP_DATABASE_URL")
    try:
        with closing(sqlite3.connect(source, timeout=busy_timeout)) as live, closing(sqlite3.connect(part)) as copy:
            live.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database {source} cannot be read ({exc}); restore it from an earlier backup") from None
    _check_sqlite(part, f"the copy of {source}")


def _dump_postgres(url: str, part: Path) -> None:
    env = _pg_env(url)
    _run([_pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={part}"], env, "pg_dump")
    _check_dump(part, env)


def _write_archive(directory: Path, part: Path) -> None:
    found = directory.iterdir() if directory.is_dir() else ()
    names = sorted(p.name for p in found if _ATTACHMENT_NAME.fullmatch(p.name))
    with open(part, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            path = directory / name
            if not path.is_file():
                continue
            with open(path, "rb") as data:
                info = tarfile.TarInfo(name)
                info.size = os.fstat(data.fileno()).st_size
                info.mtime = int(path.stat().st_mtime)
                info.mode = 0o600
                tar.addfile(info, data)


# -- restore --------------------------------------------------------------------------------------


def restore(config: StoreConfig, source: Path) -> None:
    """Replace the database and restore the attachment files from a backup, then upgrade the schema.

    Refused with `BackupError`, before anything changes, when the backup is unreadable, damaged,
    not of this application, made for the other kind of database, or missing its attachments
    archive, and (SQLite) while another process has the database open.
    """
    source = Path(source).resolve()
    sqlite = _is_sqlite(config)
    kind = _backup_kind(source)
    if sqlite and kind == "postgresql":
        raise BackupError(f"{source} is a PostgreSQL dump, but this store uses SQLite; set APP_DATABASE_URL")
    if not sqlite and kind == "sqlite":
        raise BackupError(f"{source} is a SQLite database, but this store uses PostgreSQL; restore it with SQLite")
    if kind is None:
        what = "a SQLite database" if sqlite else "a PostgreSQL custom-format dump"
        raise BackupError(f"{source} is not {what}; give a backup made by `python -m submissions backup`")
    archive = attachments_archive(source)
    members = _archive_members(archive)
    if sqlite:
        _restore_sqlite(config, source, archive, members)
    else:
        _restore_postgres(config, source, archive, members)
    engine = make_engine(config.database_url, busy_timeout=config.busy_timeout)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _backup_kind(source: Path) -> str | None:
    if not source.is_file():
        raise BackupError(f"there is no backup file at {source}")
    try:
        with open(source, "rb") as file:
            head = file.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror}") from None
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PG_MAGIC):
        return "postgresql"
    return None


def _restore_sqlite(config: StoreConfig, source: Path, archive: Path, members: list[tarfile.TarInfo]) -> None:
    if Path(f"{source}-wal").exists():
        raise BackupError(
            f"{source} has a -wal file beside it: it is in use or was copied while in use; "
            "restore a backup made by `python -m submissions backup` instead"
        )
    target = _sqlite_path(config)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = _part(target)
    try:
        shutil.copyfile(source, part)
        _check_sqlite(part, str(source))  # the copy is what gets installed, so check the copy
        _require_closed(target)
        _restore_attachments(archive, members, config.attachment_dir)
        for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):  # they belong to the old file
            stale.unlink(missing_ok=True)
        _install(part, target)
    finally:
        part.unlink(missing_ok=True)


def _require_closed(target: Path) -> None:
    """Refuse while another connection has the WAL database open: the last one to close removes `-wal`."""
    if not target.exists():
        return
    try:
        with closing(sqlite3.connect(target, timeout=1.0)) as connection:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        return  # unreadable: nothing in it to keep, and no server can be using it
    if Path(f"{target}-wal").exists():
        raise BackupError(
            f"the database {target} is open in another process; stop the app servers and run restore again"
        )


def _restore_postgres(config: StoreConfig, source: Path, archive: Path, members: list[tarfile.TarInfo]) -> None:
    env = _pg_env(config.database_url)
    _check_dump(source, env)
    _restore_attachments(archive, members, config.attachment_dir)
    _load_dump(source, env)


def _load_dump(source: Path, env: dict[str, str]) -> None:
    """`pg_restore` writes the dump as SQL; `psql` runs it after `DROP_APPLICATION_OBJECTS`, in one transaction.

    `psql --single-transaction` commits at the end of its input, so it only sees the end when
    `pg_restore` finished without error; otherwise it is killed and the server rolls back.
    """
    producer_command = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--file=-", str(source)]
    consumer_command = [
        _pg_tool("psql"),
        "--no-psqlrc",
        "--quiet",
        "--no-password",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
        f"--command={DROP_APPLICATION_OBJECTS}",
        "--file=-",
    ]
    with tempfile.TemporaryFile() as producer_errors, tempfile.TemporaryFile() as consumer_errors:
        producer = subprocess.Popen(producer_command, env=env, stdout=subprocess.PIPE, stderr=producer_errors)
        consumer = subprocess.Popen(
            consumer_command, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=consumer_errors
        )
        assert producer.stdout is not None and consumer.stdin is not None
        try:
            complete = _pump(producer.stdout, consumer.stdin)
            if not complete:
                producer.kill()
            produced = producer.wait()
            if complete and produced == 0:
                _close_quietly(consumer.stdin)  # end of input: psql commits
            else:
                consumer.kill()  # never let psql reach the end of a partial script
            loaded = consumer.wait()
        finally:
            for process in (producer, consumer):
                if process.poll() is None:
                    process.kill()
                    process.wait()
            _close_quietly(consumer.stdin)
        if complete and produced != 0:
            raise BackupError(f"pg_restore cannot read {source}: {_tail(producer_errors)}; nothing was changed")
        if loaded != 0:
            raise BackupError(f"loading {source} failed: {_tail(consumer_errors)}; nothing was changed")


def _pump(source: IO[bytes], sink: IO[bytes]) -> bool:
    """Copy until the end; False when the reader stopped early (psql gave up on an error)."""
    try:
        while chunk := source.read(_CHUNK):
            sink.write(chunk)
        sink.flush()
    except BrokenPipeError:
        return False
    finally:
        source.close()
    return True


def _close_quietly(stream: IO[bytes]) -> None:
    with suppress(BrokenPipeError):  # psql has gone; what it did not read does not matter
        stream.close()


def _archive_members(archive: Path) -> list[tarfile.TarInfo]:
    """The archive's entries, each a regular file named by an attachment id; anything else is refused."""
    if not archive.is_file():
        raise BackupError(
            f"the attachments archive {archive} is missing; keep it beside the database backup it was written with"
        )
    try:
        with tarfile.open(archive, mode="r:") as tar:
            members = tar.getmembers()
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"the attachments archive {archive} cannot be read ({exc})") from None
    for member in members:
        if not member.isfile() or not _ATTACHMENT_NAME.fullmatch(member.name):
            raise BackupError(
                f"the attachments archive {archive} holds {member.name!r}, which is not an attachment file"
            )
    return members


def _restore_attachments(archive: Path, members: list[tarfile.TarInfo], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, mode="r:") as tar:
        for member in members:
            data = tar.extractfile(member)
            assert data is not None  # a regular file, checked by _archive_members
            final = directory / member.name
            part = _part(final)
            try:
                with open(part, "wb") as out:
                    shutil.copyfileobj(data, out, _CHUNK)
                _install(part, final, sync_directory=False)
            finally:
                part.unlink(missing_ok=True)
    _fsync_directory(directory)


# -- SQLite ---------------------------------------------------------------------------------------


def _is_sqlite(config: StoreConfig) -> bool:
    backend = make_url(config.database_url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL databases, not {backend}")
    return backend == "sqlite"


def _sqlite_path(config: StoreConfig) -> Path:
    database = make_url(config.database_url).database
    if not database or database == ":memory:":
        raise BackupError("the database is in memory; there is no file to back up or restore")
    return Path(database).resolve()


def _check_sqlite(path: Path, name: str) -> None:
    try:
        with closing(sqlite3.connect(path)) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            versioned = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{name} is not a readable SQLite database ({exc})") from None
    if problems != ["ok"]:
        raise BackupError(f"{name} fails the SQLite integrity check: {'; '.join(problems[:3])}")
    if versioned is None:
        raise BackupError(f"{name} is not a database of this application (it has no alembic_version table)")


# -- PostgreSQL -----------------------------------------------------------------------------------


def _pg_env(url_text: str) -> dict[str, str]:
    """The environment for libpq tools: the URL's connection parameters, the password only in PGPASSWORD."""
    url = make_url(url_text)
    if not url.database:
        raise BackupError("APP_DATABASE_URL names no database; give one, e.g. postgresql+psycopg://user@host/review")
    env = dict(os.environ)
    for key, value in url.query.items():
        if key in _LIBPQ_ENV:
            env[_LIBPQ_ENV[key]] = value if isinstance(value, str) else value[-1]
    given = {
        "PGHOST": url.host,
        "PGPORT": url.port,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    env.update({name: str(value) for name, value in given.items() if value is not None})
    env.setdefault("PGCONNECT_TIMEOUT", "15")
    return env


def _pg_tool(name: str) -> str:
    """A PostgreSQL client program: from PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = [path for path in PG_TOOL_DIRS.glob(f"*/bin/{name}") if os.access(path, os.X_OK)]
    if candidates:
        return str(max(candidates, key=lambda p: [int(part) for part in re.findall(r"\d+", p.parent.parent.name)]))
    raise BackupError(
        f"{name} was not found on PATH or in {PG_TOOL_DIRS}/*/bin; install the PostgreSQL client tools "
        "of the server's major version or newer (Debian: apt-get install postgresql-client)"
    )


def _check_dump(path: Path, env: dict[str, str]) -> None:
    listing = _run([_pg_tool("pg_restore"), "--list", str(path)], env, f"reading {path}")
    if not re.search(r"^\d+; \d+ \d+ TABLE \S+ alembic_version(\s|$)", listing, re.MULTILINE):
        raise BackupError(f"{path} is not a dump of this application's database (it has no alembic_version table)")


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise BackupError(f"{what} failed (exit {done.returncode}): {' / '.join(message) or 'no message'}")
    return done.stdout.decode(errors="replace")


def _tail(stream: IO[bytes]) -> str:
    stream.seek(0)
    lines = stream.read().decode(errors="replace").strip().splitlines()
    return " / ".join(lines[-3:]) or "no message"


# -- files ----------------------------------------------------------------------------------------


def _part(final: Path) -> Path:
    """A new, private, hidden file beside `final`, which never looks like a finished backup."""
    part = final.with_name(f".{final.name}.part-{secrets.token_hex(4)}")
    os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return part


def _install(part: Path, final: Path, *, sync_directory: bool = True) -> None:
    with open(part, "rb") as file:
        os.fsync(file.fileno())
    os.replace(part, final)
    if sync_directory:
        _fsync_directory(final.parent)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
