"""System tables of the form engine: apps, tables, fields, sequences, history, outbox, files, users.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "schema_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(
        sa.table("schema_state", sa.column("id"), sa.column("version")), [{"id": 1, "version": 1}]
    )
    op.create_table(
        "apps",
        _id(),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime),
    )
    op.create_index(
        "ux_apps_key",
        "apps",
        ["key"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "tables",
        _id(),
        sa.Column("app_id", ID, sa.ForeignKey("apps.id", name="fk_tables_app_id"), nullable=False),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("display_field_id", ID),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime),
    )
    op.create_index("ix_tables_app_id", "tables", ["app_id"])
    op.create_table(
        "fields",
        _id(),
        sa.Column(
            "table_id", ID, sa.ForeignKey("tables.id", name="fk_fields_table_id"), nullable=False
        ),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("required", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("is_unique", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("default", sa.JSON),
        sa.Column("help_text", sa.Text, nullable=False, server_default=""),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime),
    )
    op.create_index("ix_fields_table_id", "fields", ["table_id"])
    op.create_table(
        "sequences",
        sa.Column("field_id", ID, primary_key=True, autoincrement=False),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "history",
        _id(),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("actor_id", ID),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_history_record", "history", ["table_id", "record_id", "id"])
    op.create_table(
        "outbox",
        _id(),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("app_id", ID),
        sa.Column("table_id", ID),
        sa.Column("record_id", ID),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("actor_id", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("available_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("processed_at", sa.DateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_outbox_pending", "outbox", ["processed_at", "available_at", "id"])
    op.create_table(
        "files",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mime", sa.String(127), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("field_id", ID),
        sa.Column("created_by", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("mobile", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("uq_users_username", "users", ["username"], unique=True)


def downgrade() -> None:
    for name in ("users", "files", "outbox", "history", "sequences", "fields", "tables", "apps"):
        op.drop_table(name)
    op.drop_table("schema_state")
