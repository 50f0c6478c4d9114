"""The system tables (one MetaData). Alembic migrations create and evolve them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Integer primary keys that autoincrement on both databases.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


schema_state = sa.Table(
    "schema_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

apps = sa.Table(
    "apps",
    metadata,
    _id(),
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
    _id(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False, index=True),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("display_field_id", ID),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime),
)

fields = sa.Table(
    "fields",
    metadata,
    _id(),
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

history = sa.Table(
    "history",
    metadata,
    _id(),
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

outbox = sa.Table(
    "outbox",
    metadata,
    _id(),
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

users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254)),
    sa.Column("mobile", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("uq_users_username", "username", unique=True),
)

#: Dashboards of an app (report engine): the definition (widgets, filters) as JSON.
dashboards = sa.Table(
    "dashboards",
    metadata,
    _id(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ux_dashboards_app_key", "app_id", "key", unique=True),
)
