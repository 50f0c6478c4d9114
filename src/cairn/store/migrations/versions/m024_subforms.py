"""Sub-forms (issue 19): a table may be the rows of a sub-form field of another table
(``tables.parent_field_id``); its records carry ``parent_id`` and ``position``.

Revision ID: m024_subforms
Revises: m023_numbering
Create Date: 2027-03-02
"""

import sqlalchemy as sa
from alembic import op

revision = "m024_subforms"
down_revision = "m023_numbering"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("tables") as batch:
        batch.add_column(sa.Column("parent_field_id", ID))


def downgrade() -> None:
    with op.batch_alter_table("tables") as batch:
        batch.drop_column("parent_field_id")
