"""The rule engine: rules, their run log, fired-once records and waiting jobs.

Revision ID: 0006
Revises: 0008
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("app_id", ID, sa.ForeignKey("apps.id", name="fk_rules_app_id"), nullable=False),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("owner_id", ID),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("secret", sa.String(64)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("armed_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ux_rules_app_key", "rules", ["app_id", "key"], unique=True)
    op.create_index("ix_rules_table_id", "rules", ["table_id"])
    op.create_table(
        "rule_runs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("run_key", sa.String(120), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("event_id", ID),
        sa.Column("record_id", ID),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("condition", sa.Boolean),
        sa.Column("depth", sa.Integer, nullable=False, server_default="0"),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_index("ux_rule_runs_rule_key", "rule_runs", ["rule_id", "run_key"], unique=True)
    op.create_index("ix_rule_runs_rule_id_id", "rule_runs", ["rule_id", "id"])
    op.create_table(
        "rule_firings",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("fire_key", sa.String(64), nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("fired_at", sa.DateTime, nullable=False),
        sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ux_rule_firings_once", "rule_firings", ["rule_id", "record_id", "fire_key"], unique=True
    )
    op.create_table(
        "rule_jobs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("done_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_rule_jobs_due", "rule_jobs", ["done_at", "due_at"])


def downgrade() -> None:
    op.drop_table("rule_jobs")
    op.drop_table("rule_firings")
    op.drop_table("rule_runs")
    op.drop_table("rules")
