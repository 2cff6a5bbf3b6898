"""A bulk import killed with SIGKILL at random moments leaves a sound database and all or nothing."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from rubrics.loader import load_rubric
from submissions import applications, exports
from tests.submissions.store.scenario import open_round
from tests.support.workbooks import fill, valid_row

RUBRIC = load_rubric("project_life")
ROWS = 400
KILLS = 6
ROOT = Path(__file__).resolve().parents[3]


def _start(store, round_id: int, workbook: Path) -> subprocess.Popen:
    env = os.environ | {
        "APP_DATA_DIR": str(store.config.data_dir),
        "APP_DATABASE_URL": store.config.database_url,
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.submissions.store.import_child", str(round_id), str(workbook)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(process: subprocess.Popen, word: str) -> float:
    line = process.stdout.readline()
    assert line.startswith(word), f"child said {line!r}; stderr: {process.stderr.read()}"
    return time.perf_counter()


def test_import_killed_at_random_points_is_all_or_nothing(store, world, tmp_path, backend):
    round_ = open_round(store, world)
    template = exports.applicant_template(store, world.admin, round_.id)
    workbook = tmp_path / "applications.xlsx"
    workbook.write_bytes(fill(template, RUBRIC, [valid_row(RUBRIC, n) for n in range(ROWS)]))
    store.close()

    # One uninterrupted run of the same import measures how long the parse-and-write phase lasts.
    probe = _start(store, round_.id, workbook)
    started = _wait_for(probe, "parsing")
    _wait_for(probe, "done")
    duration = time.perf_counter() - started
    probe.wait(timeout=60)
    counts = [ROWS]
    rng = random.Random(20261122)
    for _ in range(KILLS):
        child = _start(store, round_.id, workbook)
        _wait_for(child, "parsing")
        time.sleep(rng.uniform(0, duration))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        after = type(store)(store.config, clock=store.clock)
        total = len(applications.list_applications(store=after, actor=world.admin, round_id=round_.id))
        after.close()
        assert (total - counts[-1]) in (0, ROWS), f"a partial import: {total - counts[-1]} of {ROWS} rows"
        counts.append(total)
        if backend == "sqlite":
            with sqlite3.connect(store.config.data_dir / "review.db") as connection:
                assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    print(f"import of {ROWS} rows ran {duration:.2f} s; counts after each kill: {counts}")
