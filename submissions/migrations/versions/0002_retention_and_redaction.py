"""Retention per round, and redaction as the one change the audit log accepts.

Rounds get `retention_until` (the day their personal information may be purged), `purged_at` and
`purge_mode`. The audit log stays append-only, except that a purge may redact personal content:
`before`/`after` may become NULL and `actor_label` may become `user#<actor_id>`; every other column
stays as written, an UPDATE that redacts nothing is refused too, and DELETE is still refused.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_KEPT = ("id", "at", "actor_id", "action", "outcome", "target_type", "target_id", "round_id")


def upgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("retention_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("purge_mode", sa.String(length=16), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _KEPT)
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute(
            "CREATE TRIGGER audit_log_redact_only BEFORE UPDATE ON audit_log WHEN "
            f"{changed} OR (NEW.before IS NOT OLD.before AND NEW.before IS NOT NULL) "
            "OR (NEW.after IS NOT OLD.after AND NEW.after IS NOT NULL) "
            "OR (NEW.actor_label IS NOT OLD.actor_label AND NEW.actor_label IS NOT 'user#' || OLD.actor_id) "
            "OR (NEW.before IS OLD.before AND NEW.after IS OLD.after AND NEW.actor_label IS OLD.actor_label) "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only; only personal content may be redacted'); END"
        )
        return
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _KEPT)
    op.execute(
        "CREATE FUNCTION audit_log_redact_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF {changed} OR (NEW.before IS DISTINCT FROM OLD.before AND NEW.before IS NOT NULL) "
        "OR (NEW.after IS DISTINCT FROM OLD.after AND NEW.after IS NOT NULL) "
        "OR (NEW.actor_label IS DISTINCT FROM OLD.actor_label AND NEW.actor_label IS DISTINCT FROM "
        "'user#' || OLD.actor_id) OR (NEW.before IS NOT DISTINCT FROM OLD.before AND NEW.after IS NOT "
        "DISTINCT FROM OLD.after AND NEW.actor_label IS NOT DISTINCT FROM OLD.actor_label) THEN "
        "RAISE EXCEPTION 'audit_log is append-only; only personal content may be redacted'; END IF; "
        "RETURN NEW; END $$"
    )
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE DELETE OR TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_redact_only BEFORE UPDATE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_redact_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_redact_only")
        op.execute(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_redact_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_redact_only()")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("purge_mode")
        batch.drop_column("purged_at")
        batch.drop_column("retention_until")
