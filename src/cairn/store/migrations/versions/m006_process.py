"""Process engine: definitions, instances, the task mirror, the timeline; the working calendar.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "process_definitions",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("bpmn", sa.Text, nullable=False),
        sa.Column("table_id", ID),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", ID),
    )
    op.create_index(
        "ux_process_definitions_app_key_version",
        "process_definitions",
        ["app_id", "key", "version"],
        unique=True,
    )
    op.create_table(
        "process_instances",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("definition_id", ID, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("table_id", ID),
        sa.Column("record_id", ID),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("state_version", sa.Integer, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("initiator_id", ID),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("reason", sa.Text),
        sa.Column("timer_due_at", sa.DateTime),
    )
    op.create_index("ix_process_instances_timer", "process_instances", ["status", "timer_due_at"])
    op.create_index("ix_process_instances_record", "process_instances", ["table_id", "record_id"])
    op.create_index(
        "ix_process_instances_initiator", "process_instances", ["initiator_id", "status"]
    )
    op.create_table(
        "tasks",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("table_id", ID),
        sa.Column("record_id", ID),
        sa.Column("step_id", sa.String(100), nullable=False),
        sa.Column("step_name", sa.String(200), nullable=False),
        sa.Column("engine_task_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, server_default="task"),
        sa.Column("assignee_id", ID),
        sa.Column("candidate", sa.String(80)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime),
        sa.Column("alarm_at", sa.DateTime),
        sa.Column("alarm_stage", sa.Integer, nullable=False, server_default="0"),
        sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("claimed_at", sa.DateTime),
        sa.Column("completed_at", sa.DateTime),
        sa.Column("completed_by", ID),
        sa.Column("action", sa.String(32)),
        sa.Column("comment", sa.Text),
        sa.Column("attachments", sa.JSON),
        sa.Column("delegated_from", ID),
        sa.Column("escalated_from", ID),
    )
    op.create_index("ix_tasks_inbox", "tasks", ["assignee_id", "status", "due_at"])
    op.create_index("ix_tasks_candidate", "tasks", ["candidate", "status"])
    op.create_index("ix_tasks_alarm", "tasks", ["status", "alarm_at"])
    op.create_index("ix_tasks_done", "tasks", ["completed_by", "completed_at"])
    op.create_index("ix_tasks_instance", "tasks", ["instance_id", "status"])
    op.create_index("ix_tasks_record", "tasks", ["table_id", "record_id"])
    op.create_table(
        "process_events",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("task_id", ID),
        sa.Column("step_id", sa.String(100)),
        sa.Column("step_name", sa.String(200)),
        sa.Column("actor_id", ID),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_process_events_instance", "process_events", ["instance_id", "id"])
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("is_workday", sa.Boolean, nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "calendar_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("work_start", sa.String(5), nullable=False),
        sa.Column("work_end", sa.String(5), nullable=False),
        sa.Column("break_start", sa.String(5)),
        sa.Column("break_end", sa.String(5)),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calendar_settings")
    op.drop_table("calendar_overrides")
    op.drop_table("process_events")
    op.drop_table("tasks")
    op.drop_table("process_instances")
    op.drop_table("process_definitions")
