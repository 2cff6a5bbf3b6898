"""Alembic environment: run by `submissions.migrate.upgrade`, which passes the connection in."""

from __future__ import annotations

from alembic import context

from submissions.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the project always passes a connection
    raise RuntimeError("run migrations through submissions.migrate, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
