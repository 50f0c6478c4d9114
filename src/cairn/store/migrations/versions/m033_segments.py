"""Segments (issue 22): dynamic and static segments, members, history, daily counts.

Revision ID: m033_segments
Revises: m032_tags
Create Date: 2027-04-28
"""

import sqlalchemy as sa
from alembic import op

revision = "m033_segments"
down_revision = "m032_tags"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("table_id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("kind", sa.String(16), nullable=False, server_default="dynamic"),
        sa.Column("filter", sa.JSON),
        sa.Column("refresh", sa.String(16)),
        sa.Column("member_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("evaluated_at", sa.DateTime),
        sa.Column("created_by", ID),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_segments_app_id", "segments", ["app_id", "table_id"])
    op.create_table(
        "segment_members",
        sa.Column("segment_id", ID, primary_key=True),
        sa.Column("record_id", ID, primary_key=True),
        sa.Column("entered_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_segment_members_record_id", "segment_members", ["record_id"])
    op.create_table(
        "segment_history",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("segment_id", ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("change", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("cause", sa.String(16), nullable=False),
    )
    op.create_index("ix_segment_history_segment_id", "segment_history", ["segment_id", "at"])
    op.create_index("ix_segment_history_record_id", "segment_history", ["record_id"])
    op.create_table(
        "segment_counts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("segment_id", ID, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("members", sa.Integer, nullable=False, server_default="0"),
        sa.Column("entered", sa.Integer, nullable=False, server_default="0"),
        sa.Column("left", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("segment_id", "day", name="uq_segment_counts_segment_id_day"),
    )


def downgrade() -> None:
    op.drop_table("segment_counts")
    op.drop_table("segment_history")
    op.drop_table("segment_members")
    op.drop_table("segments")
