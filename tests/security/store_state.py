"""Everything a store holds, to prove that a refused operation changed nothing.

`snapshot` reads every table of the schema (rows in primary-key order) and lists the attachment
folder, so comparing two snapshots shows which table or file changed, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from submissions.models import Base
from submissions.store import Store


def snapshot(store: Store) -> dict[str, list[tuple]]:
    def work(session) -> dict[str, list[tuple]]:
        found = {}
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            found[table.name] = [tuple(row) for row in session.execute(select(table).order_by(*order))]
        return found

    state = store.db.read(work)
    folder = Path(store.config.attachment_dir)
    state["files:attachments"] = sorted(
        (str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*") if p.is_file()
    )
    return state


def changes(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, tuple[int, int]]:
    """Tables (and the attachment folder) whose content differs: name -> (rows before, rows after)."""
    return {name: (len(before.get(name, [])), len(rows)) for name, rows in after.items() if before.get(name) != rows}
