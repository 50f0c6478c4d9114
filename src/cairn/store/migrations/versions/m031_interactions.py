"""Interactions with customers (issue 22): calls, visits, e-mails, meetings, logins, orders.

Revision ID: m031_interactions
Revises: m030_identity
Create Date: 2027-04-27
"""

import sqlalchemy as sa
from alembic import op

revision = "m031_interactions"
down_revision = "m030_identity"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "interactions",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("direction", sa.String(8)),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("subject", sa.String(500), nullable=False, server_default=""),
        sa.Column("body", sa.Text),
        sa.Column("duration_seconds", sa.Integer),
        sa.Column("source", sa.String(64), nullable=False, server_default="manual"),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("payload", sa.JSON),
        sa.Column("actor_id", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime),
    )
    op.create_index(
        "ix_interactions_table_id", "interactions", ["table_id", "record_id", "occurred_at"]
    )
    op.create_index(
        "ix_interactions_app_id", "interactions", ["app_id", "idempotency_key"], unique=True
    )


def downgrade() -> None:
    op.drop_table("interactions")
