"""Tags (issue 22): an app's vocabulary of tags (name, colour, group, description) and the
tags applied to records of its tables, by hand, by rules and by import."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: One tag of an app's vocabulary. ``name``: unique per app (1–50 characters); ``colour``: a
#: palette name (``blue``, ``green`` …) or ``#rrggbb``; ``group``: tags shown together in a
#: picker ("" for none); ``position``: the order within the vocabulary.
tags = sa.Table(
    "tags",
    metadata,
    id_column(),
    sa.Column("app_id", ID, nullable=False),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("colour", sa.String(16), nullable=False, server_default="blue"),
    sa.Column("group", sa.String(50), nullable=False, server_default=""),
    sa.Column("description", sa.String(500), nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_by", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("uq_tags_app_id", "app_id", "name", unique=True),
)

#: A tag applied to one record. ``source``: ``manual`` (by hand), ``rule`` or ``import``.
#: ``ix_record_tags_tag_id`` serves the filters (``_tags`` has_any / has_all / has_none: a
#: semi-join from the tag to the records) and counting a tag's uses.
record_tags = sa.Table(
    "record_tags",
    metadata,
    id_column(),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("tag_id", ID, nullable=False),
    sa.Column("source", sa.String(16), nullable=False, server_default="manual"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", ID),
    sa.Index("uq_record_tags_table_id", "table_id", "record_id", "tag_id", unique=True),
    sa.Index("ix_record_tags_tag_id", "tag_id", "table_id", "record_id"),
)
