"""The administrators' instance list (issue 16), newest first without a sort: per app, and
per status across apps (``ix_process_instances_app_status`` serves one app and one status).

Revision ID: m018_instance_list
Revises: m017_process_ui
Create Date: 2027-01-12
"""

from alembic import op

revision = "m018_instance_list"
down_revision = "m017_process_ui"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_process_instances_app", "process_instances", ["app_id", "id"])
    op.create_index("ix_process_instances_status", "process_instances", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_process_instances_status", "process_instances")
    op.drop_index("ix_process_instances_app", "process_instances")
