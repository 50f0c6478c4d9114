"""Platform plumbing: the schema version, the outbox of events, the data versions, the test
clock, the indexes the platform made by itself."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

schema_state = sa.Table(
    "schema_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    id_column(),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("app_id", ID),
    sa.Column("table_id", ID),
    sa.Column("record_id", ID),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("actor_id", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("available_at", sa.DateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("processed_at", sa.DateTime),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_outbox_pending", "processed_at", "available_at", "id"),
)

#: Per user table, a number every committed write to its records bumps (in the writing
#: transaction, ``store.data_versions``): what cached report results are checked against.
#: Row 0 stands for the people directory (users and departments, which row scopes read).
table_versions = sa.Table(
    "table_versions",
    metadata,
    sa.Column("table_id", ID, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

#: The test clock (one row, ``CAIRN_TEST_CLOCK=true`` only): how far this instance's clock is
#: ahead of real time, and a version each advance bumps (what workers watch).
test_clock = sa.Table(
    "test_clock",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("offset_us", sa.BigInteger, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

#: The indexes the platform created by itself (``store.index_advisor``): which query shape
#: asked for each, when, and when a query it serves last ran (kept to the day), so an index
#: nobody uses any more is dropped after ``auto_index_unused_days``.
auto_indexes = sa.Table(
    "auto_indexes",
    metadata,
    sa.Column("name", sa.String(63), primary_key=True),
    sa.Column("table_id", ID, nullable=False),
    #: plain, group, scoped, owner, composite
    sa.Column("kind", sa.String(16), nullable=False),
    #: The column names, in index order.
    sa.Column("columns", sa.JSON, nullable=False),
    #: The query shape that asked for it (field ids; ``store.index_shapes.QueryShape``).
    sa.Column("shape", sa.JSON, nullable=False),
    #: Queries of that shape counted by the process that built it.
    sa.Column("uses", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_used_at", sa.DateTime),
    sa.Index("ix_auto_indexes_table_id", "table_id"),
)
