"""Comments on records, with @mentions.

Revision ID: 0008
Revises: 0009
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "record_comments",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("table_id", ID, sa.ForeignKey("tables.id"), nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("author_id", ID, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("mentions", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_record_comments_record", "record_comments", ["table_id", "record_id", "id"])


def downgrade() -> None:
    op.drop_table("record_comments")
