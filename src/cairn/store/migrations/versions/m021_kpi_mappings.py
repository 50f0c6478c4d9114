"""KPI mappings (issue 18): per app, the parameters a KPI of the library takes there (its
table, date field, score field …), used by KPI widgets and alerts that name no table.

Revision ID: m021_kpi_mappings
Revises: m020_im_directory
Create Date: 2027-02-03
"""

import sqlalchemy as sa
from alembic import op

revision = "m021_kpi_mappings"
down_revision = "m020_im_directory"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "kpi_mappings",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column(
            "app_id", ID, sa.ForeignKey("apps.id", name="fk_kpi_mappings_app_id"), nullable=False
        ),
        sa.Column("kpi", sa.String(63), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ux_kpi_mappings_app_kpi", "kpi_mappings", ["app_id", "kpi"], unique=True)


def downgrade() -> None:
    op.drop_table("kpi_mappings")
