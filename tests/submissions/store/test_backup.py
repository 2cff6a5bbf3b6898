"""Backups and restores (submissions.backup) on SQLite and on PostgreSQL.

A restore must bring back exactly the state at backup time: every score sheet field by field, the
audit log entry by entry, the attachment files byte for byte. A refused restore changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
import tarfile
from collections import Counter
from contextlib import closing

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text

from submissions import accounts, applications, reviews, rounds
from submissions import backup as backup_module
from submissions.backup import BackupError, attachments_archive, backup, restore
from submissions.config import StoreConfig
from submissions.errors import LoginFailed
from submissions.migrate import alembic_config, current_revision, head_revision, upgrade
from submissions.models import AuditEntry, Base, ScoreSheet
from submissions.store import Store
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    round_under_review,
    score_everything,
)

PDF = b"%PDF-1.4\n% a one-page evidence file\n"


@pytest.fixture
def reopen(clock):
    """Open the store again after a restore; every store opened here is closed at the end."""
    opened: list[Store] = []

    def open_store(config: StoreConfig) -> Store:
        opened.append(Store(config, clock=clock))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


def sheets(store: Store) -> dict[int, tuple]:
    """Every score sheet, every column, by id."""
    columns = ScoreSheet.__table__.columns
    return store.db.read(
        lambda session: {
            row.id: tuple(getattr(row, c.key) for c in columns) for row in session.scalars(select(ScoreSheet))
        }
    )


def audit_counts(store: Store) -> Counter:
    """Audit entries per (action, outcome), and the total under the key "all"."""
    rows = store.db.read(
        lambda session: session.execute(
            select(AuditEntry.action, AuditEntry.outcome, func.count()).group_by(AuditEntry.action, AuditEntry.outcome)
        ).all()
    )
    counts = Counter({(action, outcome): count for action, outcome, count in rows})
    counts["all"] = sum(count for _, _, count in rows)
    return counts


def sqlite_digest(config: StoreConfig) -> str:
    return hashlib.sha256((config.data_dir / "review.db").read_bytes()).hexdigest()


def test_restore_returns_sheets_and_audit_log_to_backup_time(store, world, clock, reopen):
    round_, _ = round_under_review(store, world)
    score_everything(store, world, round_.id)
    sheets_then, audit_then = sheets(store), audit_counts(store)
    written = backup(store.config)

    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    clock.advance(hours=2)
    reopened = reviews.reopen_sheet(store, world.admin, app_id, reviewer_id, reason="第三项分值录入有误")
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    entries = full_entries(rubric, 0.4, "更正后:论证较充分,但数据来源需补充。")
    reviews.save_sheet(
        store, reviewer_actor(world, reviewer_id), app_id, entries=entries, seen_version=reopened.version
    )
    with pytest.raises(LoginFailed):
        accounts.login(store, "admin", "not the password")
    assert sheets(store) != sheets_then
    assert audit_counts(store)["all"] == audit_then["all"] + 3
    store.close()

    restore(store.config, written)
    restored = reopen(store.config)

    assert sheets(restored) == sheets_then
    assert audit_counts(restored) == audit_then
    with pytest.raises(LoginFailed):  # ids continue after the restored rows (PostgreSQL sequences)
        accounts.login(restored, "admin", "not the password")
    assert audit_counts(restored)["all"] == audit_then["all"] + 1


def test_restore_returns_attachment_files(store, world, reopen):
    round_ = open_round(store, world)
    applicant = world.applicants[0]
    category = rounds.round_rubric(store, world.admin, round_.id).categories[0].id
    draft = applications.create_application(
        store, applicant, round_.id, category=category, title="智慧社区服务平台", region="广东"
    )
    kept = applications.add_attachment(store, applicant, draft.id, filename="证明材料.pdf", data=PDF)
    written = backup(store.config)
    (store.config.attachment_dir / kept.id).unlink()  # lost after the backup
    later = applications.add_attachment(store, applicant, draft.id, filename="补充.pdf", data=PDF + b"2")
    store.close()

    restore(store.config, written)
    restored = reopen(store.config)

    meta, data = applications.read_attachment(restored, applicant, kept.id)
    assert (meta.filename, data) == ("证明材料.pdf", PDF)
    assert [a.id for a in applications.get_application(restored, applicant, draft.id).attachments] == [kept.id]
    assert (store.config.attachment_dir / later.id).read_bytes() == PDF + b"2"  # unreferenced, kept on disk


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_backup_is_one_checked_file(store):
    written = backup(store.config)

    with closing(sqlite3.connect(written)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert written.parent == store.config.backup_dir
    assert written.name.startswith("review-") and written.suffix == ".db"
    assert sorted(p.name for p in written.parent.iterdir()) == sorted([written.name, attachments_archive(written).name])


@pytest.mark.parametrize("damage", ["not_a_backup", "half", "tail_cut_off", "no_attachments_archive"])
def test_restore_refuses_a_damaged_backup_and_changes_nothing(store, world, reopen, tmp_path, damage):
    round_, _ = round_under_review(store, world, per_applicant=1)
    score_everything(store, world, round_.id)
    written = backup(store.config)
    sheets_then, audit_then = sheets(store), audit_counts(store)
    store.close()
    digest = sqlite_digest(store.config) if store.config.is_sqlite else None
    damaged = tmp_path / f"damaged{written.suffix}"
    if damage == "not_a_backup":
        damaged.write_text("申报单位,得分\n星河科技,87.5\n", encoding="utf-8")
    else:
        data = written.read_bytes()
        # A dump without its last bytes still has a readable table of contents; a SQLite file loses its
        # last page (64 bytes could fall in a page's unused tail and lose nothing).
        tail = 4096 if store.config.is_sqlite else 64
        ends = {"half": len(data) // 2, "tail_cut_off": len(data) - tail}
        damaged.write_bytes(data[: ends.get(damage, len(data))])
    if damage != "no_attachments_archive":
        attachments_archive(damaged).write_bytes(attachments_archive(written).read_bytes())

    with pytest.raises(BackupError):
        restore(store.config, damaged)

    if digest is not None:
        assert sqlite_digest(store.config) == digest
    unchanged = reopen(store.config)
    assert sheets(unchanged) == sheets_then
    assert audit_counts(unchanged) == audit_then


@pytest.mark.parametrize("backend", ["postgresql"])
def test_restore_rolls_back_when_the_dump_breaks_off(store, tmp_path, monkeypatch, reopen):
    written = backup(store.config)
    audit_then = audit_counts(store)
    store.close()
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "psql").symlink_to(backup_module._pg_tool("psql"))
    fake = tools / "pg_restore"  # lists a valid archive, then writes one whole statement and fails
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --list ]; then echo "214; 1259 18584 TABLE public alembic_version postgres"; exit 0; fi\n'
        'echo "CREATE TABLE half_restored (id integer);"\n'
        'echo "pg_restore: error: could not read from input file: end of file" >&2\n'
        "exit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))

    with pytest.raises(BackupError, match="could not read from input file"):
        restore(store.config, written)

    unchanged = reopen(store.config)
    assert "half_restored" not in inspect(unchanged.db.engine).get_table_names()
    assert audit_counts(unchanged) == audit_then


def test_restore_refuses_a_backup_for_the_other_database(store, tmp_path):
    other = tmp_path / ("other.dump" if store.config.is_sqlite else "other.db")
    other.write_bytes(b"PGDMP\x01\x0e\x00" if store.config.is_sqlite else b"SQLite format 3\x00" + bytes(84))
    attachments_archive(other).write_bytes(attachments_archive(backup(store.config)).read_bytes())
    store.close()

    with pytest.raises(BackupError, match="PostgreSQL dump" if store.config.is_sqlite else "SQLite database"):
        restore(store.config, other)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_restore_refuses_an_archive_entry_that_is_not_an_attachment(store, tmp_path):
    written = backup(store.config)
    store.close()
    digest = sqlite_digest(store.config)
    escape = tarfile.TarInfo("../../outside.txt")
    escape.size = 4
    with tarfile.open(attachments_archive(written), mode="w") as tar:
        tar.addfile(escape, io.BytesIO(b"boom"))

    with pytest.raises(BackupError, match="not an attachment file"):
        restore(store.config, written)

    assert sqlite_digest(store.config) == digest
    assert not (store.config.data_dir.parent / "outside.txt").exists()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_restore_refuses_a_sqlite_database_open_elsewhere(store):
    written = backup(store.config)
    store.close()
    digest = sqlite_digest(store.config)

    with closing(sqlite3.connect(store.config.data_dir / "review.db")) as app_server:
        app_server.execute("SELECT count(*) FROM users").fetchone()
        with pytest.raises(BackupError, match="open in another process"):
            restore(store.config, written)

    assert sqlite_digest(store.config) == digest


def test_restore_drops_tables_created_after_the_backup(store, reopen):
    written = backup(store.config)
    with store.db.engine.begin() as connection:  # what a newer migration might add
        connection.execute(text("CREATE TABLE later_notes (id INTEGER PRIMARY KEY, by_user INTEGER REFERENCES users)"))
        connection.execute(text("CREATE VIEW later_view AS SELECT id FROM later_notes"))
    store.close()

    restore(store.config, written)
    restored = reopen(store.config)

    names = inspect(restored.db.engine)
    assert set(names.get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    assert names.get_view_names() == []


def test_restore_upgrades_an_older_backup(store, reopen):
    engine = store.db.engine
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    older = backup(store.config)  # a database from before the first migration
    upgrade(engine)
    store.close()

    restore(store.config, older)
    restored = reopen(store.config)

    assert current_revision(restored.db.engine) == head_revision()
    assert set(inspect(restored.db.engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    assert audit_counts(restored)["all"] == 0


def test_failed_backup_leaves_no_file(store, tmp_path):
    if store.config.is_sqlite:
        broken = StoreConfig.for_directory(tmp_path / "elsewhere")  # no database file there
    else:
        url = store.config.database_url.rsplit("/", 1)[0] + "/no_such_database"
        broken = StoreConfig.for_directory(tmp_path / "elsewhere", url)
    destination = tmp_path / "backups"
    destination.mkdir()

    with pytest.raises(BackupError):
        backup(broken, destination)

    assert list(destination.iterdir()) == []


def test_backup_never_overwrites_a_file(store, tmp_path):
    existing = tmp_path / "review.bak"
    existing.write_bytes(b"an older backup")

    with pytest.raises(BackupError, match="exists already"):
        backup(store.config, existing)

    assert existing.read_bytes() == b"an older backup"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_backup_without_postgresql_tools_says_what_to_install(store, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backup_module, "PG_TOOL_DIRS", tmp_path)

    with pytest.raises(BackupError, match="postgresql-client"):
        backup(store.config, tmp_path / "review.dump")

    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".review", "review"))) == []


def test_backup_file_names_stay_unique_within_a_second(store):
    first, second = backup(store.config), backup(store.config)

    assert first != second
    assert first.is_file() and second.is_file()
    assert attachments_archive(first) != attachments_archive(second)
