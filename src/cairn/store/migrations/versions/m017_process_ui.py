"""The process UI (issue 16): the record's title on tasks and instances (the inbox and the
administrators' instance list search it and show it without reading every user table), and
the indexes of those lists.

Revision ID: m017_process_ui
Revises: m016_test_clock
Create Date: 2027-01-10
"""

import sqlalchemy as sa
from alembic import op

revision = "m017_process_ui"
down_revision = "m016_test_clock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("record_title", sa.String(200)))
    op.add_column("process_instances", sa.Column("record_title", sa.String(200)))
    # The claimable box, ordered by due date (replaces the candidate index, which left a sort).
    op.create_index("ix_tasks_claimable", "tasks", ["candidate", "status", "due_at"])
    op.drop_index("ix_tasks_candidate", "tasks")
    # Administrators' instance list: per app and status, newest first; per definition.
    op.create_index(
        "ix_process_instances_app_status", "process_instances", ["app_id", "status", "id"]
    )
    op.create_index(
        "ix_process_instances_definition", "process_instances", ["definition_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_process_instances_definition", "process_instances")
    op.drop_index("ix_process_instances_app_status", "process_instances")
    op.create_index("ix_tasks_candidate", "tasks", ["candidate", "status"])
    op.drop_index("ix_tasks_claimable", "tasks")
    op.drop_column("process_instances", "record_title")
    op.drop_column("tasks", "record_title")
