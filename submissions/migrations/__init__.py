"""Alembic migrations for the store; `submissions.migrate` runs them."""
