"""Runtime DDL for record tables ``t_<id>``, field columns ``f_<id>`` and junctions ``j_<id>``.

Identifiers are built from integer ids only, never from user text, and quoted by the dialect.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.schema import CreateColumn

from cairn.meta import Field, FieldType
from cairn.store import auto_indexes
from cairn.store.catalog import BLIND_INDEX, junction_table, record_columns
from cairn.store.indexes import (
    blind_index_name,
    field_index_names,
    index_names,
    unique_index_name,
)
from cairn.store.indexes import quote as _q
from cairn.store.system import ID


def create_record_table(conn: sa.Connection, table_id: int, parent_id: int | None = None) -> None:
    """A record table; ``parent_id``: the table whose sub-form's rows it holds (its records
    then point at their parent record, indexed with their order)."""
    md = sa.MetaData()
    t = sa.Table(f"t_{table_id}", md, *record_columns(table_id, [], rows=parent_id is not None))
    sa.Index(f"ix_t{table_id}_owner", t.c.owner_id)
    if parent_id is not None:
        sa.Table(f"t_{parent_id}", md, sa.Column("id", ID, primary_key=True))
        t.append_constraint(
            sa.ForeignKeyConstraint(
                ["parent_id"], [f"t_{parent_id}.id"], name=f"fk_t{table_id}_parent"
            )
        )
        sa.Index(f"ix_t{table_id}_parent", t.c.parent_id, t.c.position)
    t.create(conn)


def add_column(conn: sa.Connection, table_id: int, f: Field, ft: FieldType) -> None:
    _add(conn, table_id, sa.Column(f.column_name, ft.storage_type(f)))
    if f.sensitive:
        _add(conn, table_id, sa.Column(f.index_column_name, BLIND_INDEX))
    sync_indexes(conn, table_id, f, ft)


def _add(conn: sa.Connection, table_id: int, col: sa.Column) -> None:
    sa.Table(f"t_{table_id}", sa.MetaData(), col)
    ddl = CreateColumn(col).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {_q(conn, f't_{table_id}')} ADD COLUMN {ddl}")


def drop_indexes(conn: sa.Connection, table_id: int, field_id: int) -> None:
    """Every index of a field (its column is dropped or changes type)."""
    drop_automatic_indexes(conn, table_id, field_id)
    for namer in (unique_index_name, blind_index_name):
        name = namer(table_id, field_id)
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, name)}")


def drop_automatic_indexes(conn: sa.Connection, table_id: int, field_id: int) -> None:
    """The indexes the platform made by itself that hold a field (it is deleted, or its column
    changes type), composite ones included, and their register entries. Queries that still
    need one get it again (``store.index_advisor``)."""
    existing = index_names(conn, table_id)
    names = [n for n in field_index_names(existing, table_id, field_id) if n in existing]
    for name in names:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, name)}")
    auto_indexes.forget(conn, names)


def sync_indexes(conn: sa.Connection, table_id: int, f: Field, ft: FieldType) -> None:
    """A partial unique index (live records only) when the field is unique, none otherwise.
    Plain indexes come later, when queries use the field (``cairn.store.indexes``).

    A sensitive field's indexes are on its blind index ``f_<id>_bi``: the unique one, or else a
    plain one at once (every equality filter on the field reads it)."""
    ux = unique_index_name(table_id, f.id)
    bx = blind_index_name(table_id, f.id)
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, ux)}")
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_q(conn, bx)}")
    column, column_type = f.column_name, ft.column_type(f)
    if f.sensitive:
        column, column_type = f.index_column_name, BLIND_INDEX
    table = sa.Table(
        f"t_{table_id}",
        sa.MetaData(),
        sa.Column("deleted_at", sa.DateTime),
        sa.Column(column, column_type),
    )
    if not (f.unique and ft.supports_unique):
        if f.sensitive:
            sa.Index(bx, table.c[column]).create(conn)
        return
    where = table.c.deleted_at.is_(None)
    sa.Index(ux, table.c[column], unique=True, sqlite_where=where, postgresql_where=where).create(
        conn
    )


def make_sensitive(conn: sa.Connection, table_id: int, f: Field, ft: FieldType) -> None:
    """Turn ``f``'s column into one that holds ciphertext and add its blind-index column
    (``f`` as it will be: sensitive). The caller fills both, then calls ``sync_indexes``."""
    drop_indexes(conn, table_id, f.id)
    _set_type(conn, table_id, f.column_name, sa.Text())
    _add(conn, table_id, sa.Column(f.index_column_name, BLIND_INDEX))


def make_plain(conn: sa.Connection, table_id: int, f: Field, ft: FieldType) -> None:
    """Undo ``make_sensitive`` (``f`` as it will be: not sensitive) once the values are
    decrypted in place: the column gets its type back and the blind index goes. The caller
    then calls ``sync_indexes``."""
    drop_indexes(conn, table_id, f.id)
    drop_column(conn, table_id, f.index_column_name)
    _set_type(conn, table_id, f.column_name, ft.column_type(f))


def _set_type(conn: sa.Connection, table_id: int, column: str, type_: sa.types.TypeEngine) -> None:
    """PostgreSQL changes the column's type; SQLite stores text whatever the declared length."""
    if conn.dialect.name != "postgresql":
        return
    compiled = type_.compile(dialect=conn.dialect)
    col = _q(conn, column)
    conn.exec_driver_sql(
        f"ALTER TABLE {_q(conn, f't_{table_id}')} ALTER COLUMN {col} TYPE {compiled}"
        f" USING {col}::{compiled}"
    )


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
