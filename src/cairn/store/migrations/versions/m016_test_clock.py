"""The test clock: one row with the offset from real time and a version per advance.

Revision ID: m016_test_clock
Revises: m015_rule_armed_event
Create Date: 2026-12-06
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "m016_test_clock"
down_revision = "m015_rule_armed_event"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "test_clock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("offset_us", sa.BigInteger, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    # The one row, at real time (advances update it: no two first advances race to insert it).
    op.bulk_insert(
        table,
        [
            {
                "id": 1,
                "offset_us": 0,
                "version": 0,
                "updated_at": datetime.now(UTC).replace(tzinfo=None),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("test_clock")
