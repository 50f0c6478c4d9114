"""Data versions (issue 18): one number per user table that every committed write to its
records moves, so report results cached in a process know when they are stale.

Revision ID: m021_table_versions
Revises: m020_im_directory
Create Date: 2027-02-01
"""

import sqlalchemy as sa
from alembic import op

revision = "m021_table_versions"
down_revision = "m020_im_directory"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "table_versions",
        sa.Column("table_id", ID, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("table_versions")
