"""The customer timeline (issue 22): messages sent about a record, found by the record.

Revision ID: m035_timeline
Revises: m034_scores
Create Date: 2027-04-27
"""

from alembic import op

revision = "m035_timeline"
down_revision = "m034_scores"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_record", "deliveries", ["table_id", "record_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_record", table_name="deliveries")
