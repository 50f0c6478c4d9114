"""Comments on records (with @mentions)."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

# Comments on records (with @mentions); the record page's timeline shows them beside history.
record_comments = sa.Table(
    "record_comments",
    metadata,
    id_column(),
    sa.Column("table_id", ID, sa.ForeignKey("tables.id"), nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("author_id", ID, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("mentions", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime, nullable=True),
    sa.Index("ix_record_comments_record", "table_id", "record_id", "id"),
)
