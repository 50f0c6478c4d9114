"""Runtime DDL for record tables ``t_<id>``, field columns ``f_<id>`` and junctions ``j_<id>``.

Identifiers are built from integer ids only, never from user text, and quoted by the dialect.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.schema import CreateColumn

from cairn.meta import Field, FieldType
from cairn.store.catalog import junction_table, record_columns
from cairn.store.indexes import group_index_name, plain_index_name, unique_index_name
from cairn.store.indexes import quote as _q


def create_record_table(conn: sa.Connection, table_id: int) -> None:
    md = sa.MetaData()
    t = sa.Table(f"t_{table_id}", md, *record_columns(table_id, []))
    sa.Index(f"ix_t{table_id}_owner", t.c.owner_id)
    t.create(conn)


def add_column(conn: sa.Connection, table_id: int, f: Field, ft: FieldType) -> None:
    col = sa.Column(f.column_name, ft.column_type(f))
    sa.Table(f"t_{table_id}", sa.MetaData(), col)
    ddl = CreateColumn(col).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {_q(conn, f't_{table_id}')} ADD COLUMN {ddl}")
    sync_indexes(conn, table_id, f, ft)


def drop_indexes(conn: sa.Connection, table_id: int, field_id: int) -> None:
    """Every index of a field (its column is dropped or changes type)."""
    for namer in (plain_index_name, unique_index_name, group_index_name):
        name = namer(table_id, field_id)
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, name)}")


def sync_indexes(conn: sa.Connection, table_id: int, f: Field, ft: FieldType) -> None:
    """A partial unique index (live records only) when the field is unique, none otherwise.
    Plain indexes come later, when queries use the field (``cairn.store.indexes``)."""
    ux = unique_index_name(table_id, f.id)
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, ux)}")
    if not (f.unique and ft.supports_unique):
        return
    table = sa.Table(
        f"t_{table_id}",
        sa.MetaData(),
        sa.Column("deleted_at", sa.DateTime),
        sa.Column(f.column_name, ft.column_type(f)),
    )
    where = table.c.deleted_at.is_(None)
    sa.Index(
        ux, table.c[f.column_name], unique=True, sqlite_where=where, postgresql_where=where
    ).create(conn)


def create_junction(conn: sa.Connection, field_id: int, single_src: bool, single_dst: bool) -> None:
    """The links of relation ``field_id``. A single side gets a unique index on its column."""
    md = sa.MetaData()
    j = junction_table(md, f"j_{field_id}")
    sa.Index(f"ix_j{field_id}_dst", j.c.dst_id, unique=single_dst)
    if single_src:
        sa.Index(f"ux_j{field_id}_src", j.c.src_id, unique=True)
    j.create(conn)


def set_junction_cardinality(
    conn: sa.Connection, field_id: int, single_src: bool, single_dst: bool
) -> None:
    j = junction_table(sa.MetaData(), f"j_{field_id}")
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, f'ix_j{field_id}_dst')}")
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, f'ux_j{field_id}_src')}")
    sa.Index(f"ix_j{field_id}_dst", j.c.dst_id, unique=single_dst).create(conn)
    if single_src:
        sa.Index(f"ux_j{field_id}_src", j.c.src_id, unique=True).create(conn)


def rename_column(conn: sa.Connection, table_id: int, old: str, new: str) -> None:
    conn.exec_driver_sql(
        f"ALTER TABLE {_q(conn, f't_{table_id}')} RENAME COLUMN {_q(conn, old)} TO {_q(conn, new)}"
    )


def drop_column(conn: sa.Connection, table_id: int, name: str) -> None:
    conn.exec_driver_sql(f"ALTER TABLE {_q(conn, f't_{table_id}')} DROP COLUMN {_q(conn, name)}")
