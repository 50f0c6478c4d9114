"""Report alerts: thresholds on KPIs checked by the worker, and their check log.

Revision ID: 0013
Revises: 0015
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("app_id", ID, sa.ForeignKey("apps.id", name="fk_alerts_app_id"), nullable=False),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("owner_id", ID),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("schedule", sa.JSON, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="ok"),
        sa.Column("crossings", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_value", sa.Float),
        sa.Column("last_checked_at", sa.DateTime),
        sa.Column("last_fired_at", sa.DateTime),
        sa.Column("next_check_at", sa.DateTime),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ux_alerts_app_key", "alerts", ["app_id", "key"], unique=True)
    op.create_index("ix_alerts_next_check_at", "alerts", ["next_check_at"])
    op.create_table(
        "alert_checks",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("alert_id", ID, nullable=False),
        sa.Column("fire_key", sa.String(64)),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("state_before", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("change", sa.String(16)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_index(
        "ux_alert_checks_fire_key", "alert_checks", ["alert_id", "fire_key"], unique=True
    )
    op.create_index("ix_alert_checks_alert_id_id", "alert_checks", ["alert_id", "id"])
    op.create_index("ix_alert_checks_status", "alert_checks", ["status"])


def downgrade() -> None:
    op.drop_table("alert_checks")
    op.drop_table("alerts")
