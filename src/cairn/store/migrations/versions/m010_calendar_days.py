"""The working calendar's days, materialised for WORKDAY and WORKDAYS in SQL.

The rows are written by the application (``cairn.store.workdays.sync``) when the services
start on an empty table and whenever an admin changes a holiday or make-up working day.

Revision ID: 0015
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("is_workday", sa.Boolean, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_calendar_days_seq", "calendar_days", ["seq", "is_workday"])


def downgrade() -> None:
    op.drop_index("ix_calendar_days_seq", table_name="calendar_days")
    op.drop_table("calendar_days")
