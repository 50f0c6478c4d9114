"""Automatic indexes (issue 20): the indexes the platform created by itself, why (the query
shape), when, and when a query they serve last ran, so unused ones can be dropped.

Revision ID: m027_auto_indexes
Revises: m026_public_forms
Create Date: 2027-03-20
"""

import sqlalchemy as sa
from alembic import op

revision = "m027_auto_indexes"
down_revision = "m026_public_forms"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "auto_indexes",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("shape", sa.JSON, nullable=False),
        sa.Column("uses", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_used_at", sa.DateTime),
    )
    op.create_index("ix_auto_indexes_table_id", "auto_indexes", ["table_id"])


def downgrade() -> None:
    op.drop_table("auto_indexes")
