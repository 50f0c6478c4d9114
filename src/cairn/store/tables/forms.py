"""The form engine: apps, tables, fields, auto-number sequences, record history, files, app
settings and saved grid views."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

apps = sa.Table(
    "apps",
    metadata,
    id_column(),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime),
    sa.Index(
        "ux_apps_key",
        "key",
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    ),
)

tables = sa.Table(
    "tables",
    metadata,
    id_column(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False, index=True),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("display_field_id", ID),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime),
    #: [{"formula": "{#12} >= {#11}", "message": "…", "field": 12, "uses": [11, 12]}]
    sa.Column("validation_rules", sa.JSON),
    #: The form layout: {"sections": [{"title", "collapsed", "rows": [[field id | null, …]]}]}
    sa.Column("layout", sa.JSON),
    #: Set on the table holding the rows of a sub-form field (that field's id): its records
    #: carry ``parent_id`` (a record of the field's table) and ``position``.
    sa.Column("parent_field_id", ID),
)

fields = sa.Table(
    "fields",
    metadata,
    id_column(),
    sa.Column("table_id", ID, sa.ForeignKey("tables.id"), nullable=False, index=True),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("required", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_unique", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("default", sa.JSON),
    sa.Column("help_text", sa.Text, nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime),
)

sequences = sa.Table(
    "sequences",
    metadata,
    sa.Column("field_id", ID, primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger, nullable=False),
)

#: The counters of auto-number fields whose pattern restarts per day, month or year: one row
#: per field and period ("2027", "2027-03", "2027-03-14"); a counter that never restarts is
#: the field's row in ``sequences``.
number_counters = sa.Table(
    "number_counters",
    metadata,
    sa.Column("field_id", ID, primary_key=True, autoincrement=False),
    sa.Column("period", sa.String(10), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

history = sa.Table(
    "history",
    metadata,
    id_column(),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    #: {"<field id>": [before, after]} in JSON form; on create, {"<field id>": [null, value]}.
    sa.Column("changes", sa.JSON, nullable=False),
    sa.Column("actor_id", ID),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_history_record", "table_id", "record_id", "id"),
)

files = sa.Table(
    "files",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mime", sa.String(127), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("path", sa.String(255), nullable=False),
    sa.Column("field_id", ID),
    sa.Column("created_by", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

#: Settings of an app that belong to no single table, one JSON value per key
#: (e.g. "customer_view": which table is the customer table and what its 360° page shows).
app_settings = sa.Table(
    "app_settings",
    metadata,
    id_column(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("uq_app_settings_app_id_key", "app_id", "key", unique=True),
)

#: Saved views of a table's grid (``services.views``): a member's own, or shared.
grid_views = sa.Table(
    "grid_views",
    metadata,
    id_column(),
    sa.Column("table_id", ID, sa.ForeignKey("tables.id"), nullable=False),
    sa.Column("owner_id", ID, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("shared", sa.Boolean, nullable=False, server_default=sa.false()),
    #: ``{"filter", "sort", "columns": [{"key", "visible"}], "widths": {key: px}}``
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_grid_views_table_id", "table_id", "owner_id"),
)
