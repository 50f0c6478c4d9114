"""Per-app settings (JSON per key): first used for the customer 360° view.

Revision ID: 0101_app_settings
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0101_app_settings"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "app_settings",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column(
            "app_id", ID, sa.ForeignKey("apps.id", name="fk_app_settings_app_id"), nullable=False
        ),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("uq_app_settings_app_id_key", "app_settings", ["app_id", "key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_app_settings_app_id_key", table_name="app_settings")
    op.drop_table("app_settings")
