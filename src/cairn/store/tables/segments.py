"""Segments (issue 22): saved conditions on a customer table whose members are kept up to date
(dynamic) or frozen lists changed by hand (static), with membership history, and one row of
counts per segment and day."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: A segment of one table's records. ``kind``: ``dynamic`` (``filter`` decides membership,
#: re-checked on record events) or ``static`` (members added and removed by hand). ``refresh``:
#: how a time-based condition is re-evaluated besides events: ``hourly``, ``daily`` or NULL.
#: ``member_count`` and ``evaluated_at``: as of the last evaluation or change.
segments = sa.Table(
    "segments",
    metadata,
    id_column(),
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
    sa.Index("ix_segments_app_id", "app_id", "table_id"),
)

#: The members of a segment now: one row per (segment, record), since ``entered_at``.
segment_members = sa.Table(
    "segment_members",
    metadata,
    sa.Column("segment_id", ID, primary_key=True),
    sa.Column("record_id", ID, primary_key=True),
    sa.Column("entered_at", sa.DateTime, nullable=False),
    sa.Index("ix_segment_members_record_id", "record_id"),
)

#: Who entered and left a segment, when and why. ``change``: ``entered`` or ``left``;
#: ``cause``: ``event`` (a record event re-checked), ``schedule`` (a time-based re-evaluation),
#: ``manual`` (a static segment changed by hand, a freeze) or ``full`` (an evaluation on request).
segment_history = sa.Table(
    "segment_history",
    metadata,
    id_column(),
    sa.Column("segment_id", ID, nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("change", sa.String(8), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("cause", sa.String(16), nullable=False),
    sa.Index("ix_segment_history_segment_id", "segment_id", "at"),
    sa.Index("ix_segment_history_record_id", "record_id"),
)

#: One row per segment and day (UTC): the members at the day's last change, and how many
#: entered and left that day.
segment_counts = sa.Table(
    "segment_counts",
    metadata,
    id_column(),
    sa.Column("segment_id", ID, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("members", sa.Integer, nullable=False, server_default="0"),
    sa.Column("entered", sa.Integer, nullable=False, server_default="0"),
    sa.Column("left", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("segment_id", "day"),
)
