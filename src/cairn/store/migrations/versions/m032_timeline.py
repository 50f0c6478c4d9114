"""The customer timeline (issue 22): messages sent about a record, found by the record.

Revision ID: m032_timeline
Revises: m031_interactions
Create Date: 2027-04-27
"""

from alembic import op

revision = "m032_timeline"
down_revision = "m031_interactions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_record", "deliveries", ["table_id", "record_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_record", table_name="deliveries")
