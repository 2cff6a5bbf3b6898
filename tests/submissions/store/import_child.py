"""Run one workbook import in its own process, so a test can SIGKILL it mid-way.

    python -m tests.submissions.store.import_child ROUND_ID WORKBOOK

The store comes from APP_DATA_DIR / APP_DATABASE_URL. Prints "parsing" before the import starts
and "done <n>" when it has committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

from submissions import imports
from submissions.accounts import actor_of
from submissions.models import User
from submissions.store import Store


def main() -> int:
    round_id, workbook = int(sys.argv[1]), Path(sys.argv[2])
    store = Store.open()
    admin = store.db.read(lambda s: s.scalar(select(User).where(User.username == "admin")))
    data = workbook.read_bytes()
    print("parsing", flush=True)
    outcome = imports.import_applications(store, actor_of(admin), round_id, data)
    print(f"done {outcome.imported}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
