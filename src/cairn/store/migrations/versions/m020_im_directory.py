"""WeCom and DingTalk as people use them (issue 17): each user's id on those platforms (and
the DingTalk unionId the to-do API wants, looked up once and kept), each department's id
there (directory sync matches on it), process tasks pushed there as to-dos or cards, and the
reports of directory syncs.

Revision ID: m020_im_directory
Revises: m019_deliveries
Create Date: 2027-01-20
"""

import sqlalchemy as sa
from alembic import op

revision = "m020_im_directory"
down_revision = "m019_deliveries"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("users", sa.Column("wecom_userid", sa.String(64)))
    op.add_column("users", sa.Column("dingtalk_userid", sa.String(64)))
    op.add_column("users", sa.Column("dingtalk_unionid", sa.String(64)))
    op.create_index("uq_users_wecom_userid", "users", ["wecom_userid"], unique=True)
    op.create_index("uq_users_dingtalk_userid", "users", ["dingtalk_userid"], unique=True)
    op.add_column("departments", sa.Column("wecom_id", sa.String(64)))
    op.add_column("departments", sa.Column("dingtalk_id", sa.String(64)))
    op.create_index("uq_departments_wecom_id", "departments", ["wecom_id"], unique=True)
    op.create_index("uq_departments_dingtalk_id", "departments", ["dingtalk_id"], unique=True)
    op.create_table(
        "task_pushes",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("task_id", ID, nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("remote_id", sa.String(200)),
        sa.Column("address", sa.String(64)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "uq_task_pushes_task", "task_pushes", ["task_id", "channel", "user_id"], unique=True
    )
    op.create_index("ix_task_pushes_state", "task_pushes", ["state", "channel"])
    op.create_table(
        "directory_sync_runs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("actor_id", ID),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_index("ix_directory_sync_runs_channel", "directory_sync_runs", ["channel", "id"])


def downgrade() -> None:
    op.drop_table("directory_sync_runs")
    op.drop_table("task_pushes")
    op.drop_index("uq_departments_dingtalk_id", "departments")
    op.drop_index("uq_departments_wecom_id", "departments")
    with op.batch_alter_table("departments") as batch:
        batch.drop_column("dingtalk_id")
        batch.drop_column("wecom_id")
    op.drop_index("uq_users_dingtalk_userid", "users")
    op.drop_index("uq_users_wecom_userid", "users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("dingtalk_unionid")
        batch.drop_column("dingtalk_userid")
        batch.drop_column("wecom_userid")
