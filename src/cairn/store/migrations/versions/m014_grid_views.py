"""Saved views of a table's grid: a name, the filter, the sort and the columns; a member's own
or shared with everyone who reads the table.

Revision ID: 0016
Revises: 0011
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "grid_views",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column(
            "table_id",
            ID,
            sa.ForeignKey("tables.id", name="fk_grid_views_table_id"),
            nullable=False,
        ),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("shared", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_grid_views_table_id", "grid_views", ["table_id", "owner_id"])


def downgrade() -> None:
    op.drop_index("ix_grid_views_table_id", "grid_views")
    op.drop_table("grid_views")
