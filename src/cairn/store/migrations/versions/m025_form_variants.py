"""Form variants (issue 19): more forms of a table beside its own layout (its default form),
each a layout with linkage rules, the roles that open it by default and its place in the list.

Revision ID: m025_form_variants
Revises: m024_subforms
Create Date: 2027-03-01
"""

import sqlalchemy as sa
from alembic import op

revision = "m025_form_variants"
down_revision = "m024_subforms"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "form_variants",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column(
            "table_id",
            ID,
            sa.ForeignKey("tables.id", name="fk_form_variants_table_id"),
            nullable=False,
        ),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("layout", sa.JSON, nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ux_form_variants_table_key", "form_variants", ["table_id", "key"], unique=True)


def downgrade() -> None:
    op.drop_table("form_variants")
