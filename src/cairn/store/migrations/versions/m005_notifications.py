"""Notifications: the in-app notification centre, channel settings and outside deliveries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("app_id", ID),
        sa.Column("table_id", ID),
        sa.Column("record_id", ID),
        sa.Column("title", sa.String(500), nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("link", sa.String(2000)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("read_at", sa.DateTime),
        sa.Column("idempotency_key", sa.String(255)),
    )
    op.create_index("ix_notifications_user", "notifications", ["user_id", "read_at", "id"])
    op.create_index(
        "uq_notifications_idempotency_key", "notifications", ["idempotency_key"], unique=True
    )
    op.create_table(
        "channel_configs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("uq_channel_configs_key", "channel_configs", ["key"], unique=True)
    op.create_table(
        "deliveries",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("recipient", sa.String(500), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
    )
    op.create_index("uq_deliveries_idempotency_key", "deliveries", ["idempotency_key"], unique=True)
    op.create_index("ix_deliveries_created_at", "deliveries", ["created_at"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("channel_configs")
    op.drop_table("notifications")
