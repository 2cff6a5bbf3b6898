"""The store's command line (`python -m submissions`) on a SQLite store in a temporary data directory.

The journeys run in a subprocess, as an operator runs them; the refusals run through `main` in this
process (the same code path, without paying for a Python start each).
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from submissions.cli import main
from submissions.migrate import head_revision

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("APP_")}
    return env | {"APP_DATA_DIR": str(data_dir), **extra}


def run_cli(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "submissions", *args],
        cwd=REPO,
        env=environment(data_dir, **extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_main(data_dir: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), env=environment(data_dir, **extra), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def fields(output: str) -> dict[str, str]:
    """`label: value` lines as a mapping."""
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def organisations(data_dir: Path) -> int:
    with closing(sqlite3.connect(data_dir / "review.db")) as connection:
        return connection.execute("SELECT count(*) FROM organisations").fetchone()[0]


def test_upgrade_creates_the_database(tmp_path):
    data_dir = tmp_path / "data"

    first = run_cli(data_dir, "upgrade")
    again = run_cli(data_dir, "upgrade")

    assert first.returncode == 0, first.stderr
    assert (data_dir / "review.db").is_file()
    assert f"schema upgraded from an empty database to {head_revision()}" in first.stdout
    assert again.returncode == 0, again.stderr
    assert f"schema is up to date at revision {head_revision()}" in again.stdout


def test_create_admin_then_status_shows_one_user(tmp_path):
    created = run_cli(
        tmp_path, "create-admin", "--username", "Admin", "--name", "省工信厅管理员", APP_ADMIN_PASSWORD=PASSWORD
    )
    status = run_cli(tmp_path, "status")

    assert created.returncode == 0, created.stderr
    assert "administrator 'admin' created" in created.stdout
    assert PASSWORD not in created.stdout + created.stderr
    assert status.returncode == 0, status.stderr
    shown = fields(status.stdout)
    assert shown["database"] == f"sqlite:///{tmp_path / 'review.db'}"
    assert shown["schema revision"] == f"{head_revision()} (head {head_revision()})"
    assert {k: shown[k] for k in ("users", "rounds", "applications", "score sheets", "audit entries")} == {
        "users": "1",
        "rounds": "0",
        "applications": "0",
        "score sheets": "0",
        "audit entries": "1",
    }


def test_backup_then_restore_with_yes_returns_the_database(tmp_path):
    run_cli(tmp_path, "create-admin", "--username", "admin", "--name", "管理员", APP_ADMIN_PASSWORD=PASSWORD)
    made = run_cli(tmp_path, "backup")
    written = Path(fields(made.stdout)["backup written"])
    with closing(sqlite3.connect(tmp_path / "review.db")) as connection, connection:
        connection.execute(
            "INSERT INTO organisations (name, credit_code, region, created_at) "
            "VALUES ('后来登记的单位', NULL, '湖北', '2026-11-03 09:00:00')"
        )

    unconfirmed = run_cli(tmp_path, "restore", str(written))
    kept = organisations(tmp_path)
    restored = run_cli(tmp_path, "restore", str(written), "--yes")

    assert made.returncode == 0, made.stderr
    assert written.is_file() and written.parent == tmp_path / "backups"
    assert Path(fields(made.stdout)["attachment files"]).is_file()
    assert (unconfirmed.returncode, kept) == (2, 1)
    assert "--yes" in unconfirmed.stderr
    assert restored.returncode == 0, restored.stderr
    assert organisations(tmp_path) == 0


def test_bad_input_exits_2_with_one_line_from_the_process(tmp_path):
    done = run_cli(tmp_path, "restore", str(tmp_path / "missing.db"), "--yes")

    assert done.returncode == 2
    assert done.stderr == f"error: there is no backup file at {tmp_path / 'missing.db'}\n"
    assert not (tmp_path / "review.db").exists()


def test_create_admin_refuses_when_users_exist(tmp_path):
    run_main(tmp_path, "create-admin", "--username", "admin", "--name", "管理员", APP_ADMIN_PASSWORD=PASSWORD)

    code, out, err = run_main(
        tmp_path, "create-admin", "--username", "second", "--name", "第二位", APP_ADMIN_PASSWORD=PASSWORD
    )

    assert (code, out) == (2, "")
    assert err.startswith("error: users exist already;") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "extra", "message"),
    [
        (("create-admin", "--username", "admin", "--name", "管理员"), {}, "set APP_ADMIN_PASSWORD"),
        (
            ("create-admin", "--username", "admin", "--name", "管理员"),
            {"APP_ADMIN_PASSWORD": "short"},
            "password: The password must have 10 to 128 characters",
        ),
        (("restore", "backup.db", "--yes"), {}, "there is no backup file"),
        (("backup",), {"APP_BUSY_TIMEOUT": "soon"}, "a setting in the environment is wrong"),
    ],
    ids=["no_password", "weak_password", "missing_backup", "bad_setting"],
)
def test_bad_input_exits_2_with_one_line(tmp_path, monkeypatch, args, extra, message):
    monkeypatch.chdir(tmp_path)

    code, out, err = run_main(tmp_path, *args, **extra)

    assert (code, out) == (2, "")
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_backup_refuses_to_overwrite_a_file(tmp_path):
    run_main(tmp_path, "upgrade")
    existing = tmp_path / "keep.db"
    existing.write_bytes(b"an older backup")

    code, _, err = run_main(tmp_path, "backup", "--out", str(existing))

    assert code == 2 and "exists already" in err
    assert existing.read_bytes() == b"an older backup"


def test_unknown_command_is_a_usage_error(tmp_path, capsys):
    code, _, _ = run_main(tmp_path, "frobnicate")

    assert code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_unreachable_database_exits_1_with_one_line(tmp_path):
    url = "postgresql+psycopg://reviewer:s3cret@127.0.0.1:1/review"

    code, out, err = run_main(tmp_path, "status", APP_DATABASE_URL=url)

    assert (code, out) == (1, "")
    assert err.startswith("error: the database failed:") and err.count("\n") == 1
    assert "s3cret" not in err
