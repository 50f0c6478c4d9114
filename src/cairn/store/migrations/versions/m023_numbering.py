"""Numbering rules (issue 19): the counters of auto-number fields whose pattern restarts the
count per day, month or year, one row per field and period.

Revision ID: m023_numbering
Revises: m022_kpi_mappings
Create Date: 2027-03-01
"""

import sqlalchemy as sa
from alembic import op

revision = "m023_numbering"
down_revision = "m022_kpi_mappings"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "number_counters",
        sa.Column("field_id", ID, primary_key=True, autoincrement=False),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("number_counters")
