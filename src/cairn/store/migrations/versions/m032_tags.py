"""Tags (issue 22): an app's tag vocabulary and the tags applied to records.

Revision ID: m032_tags
Revises: m031_interactions
Create Date: 2027-04-28
"""

import sqlalchemy as sa
from alembic import op

revision = "m032_tags"
down_revision = "m031_interactions"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("colour", sa.String(16), nullable=False, server_default="blue"),
        sa.Column("group", sa.String(50), nullable=False, server_default=""),
        sa.Column("description", sa.String(500), nullable=False, server_default=""),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_by", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("uq_tags_app_id", "tags", ["app_id", "name"], unique=True)
    op.create_table(
        "record_tags",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("tag_id", ID, nullable=False),
        sa.Column("source", sa.String(16), nullable=False, server_default="manual"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", ID),
    )
    op.create_index(
        "uq_record_tags_table_id",
        "record_tags",
        ["table_id", "record_id", "tag_id"],
        unique=True,
    )
    op.create_index("ix_record_tags_tag_id", "record_tags", ["tag_id", "table_id", "record_id"])


def downgrade() -> None:
    op.drop_table("record_tags")
    op.drop_table("tags")
