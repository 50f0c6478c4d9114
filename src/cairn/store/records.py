"""Record rows: insert, update with an optimistic ``version``, soft delete, restore, links."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from cairn.core import Conflict, NotFound
from cairn.meta import Field
from cairn.meta.fieldtypes.relations import junction_sides
from cairn.store import system
from cairn.store.bulk import insert_columns
from cairn.store.catalog import Catalog, TableSchema


def insert_rows(
    conn: sa.Connection,
    schema: TableSchema,
    count: int,
    columns: dict[str, list[Any]],
    now: datetime,
    actor_id: int | None,
) -> list[int]:
    """Insert ``count`` live rows given by column (column name → one value per row; absent
    columns are blank) in one executemany; returns the new ids in row order.

    Ids are reserved first (the sequence on PostgreSQL; under SQLite's write lock, after the
    largest id), so the insert is a plain executemany: INSERT … RETURNING would make SQLite
    write row by row."""
    ids = reserve_ids(conn, schema, count)
    if not ids:
        return ids
    insert_columns(
        conn,
        schema.sa_table,
        {
            "id": ids,
            "created_at": [now] * count,
            "updated_at": [now] * count,
            "created_by": [actor_id] * count,
            "updated_by": [actor_id] * count,
            "owner_id": [actor_id] * count,
            "version": [1] * count,
            **columns,
        },
    )
    return ids


def reserve_ids(conn: sa.Connection, schema: TableSchema, count: int) -> list[int]:
    t = schema.sa_table
    if conn.dialect.name == "postgresql":
        seq = sa.func.pg_get_serial_sequence(t.name, "id")
        q = sa.select(sa.func.nextval(seq)).select_from(sa.func.generate_series(1, count))
        return sorted(conn.execute(q).scalars())
    # SQLite: every write transaction holds the database's write lock (BEGIN IMMEDIATE), so no
    # other writer can take these ids; soft deletes keep rows, so ids are never reused.
    top = conn.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0
    return list(range(top + 1, top + 1 + count))


def lock_rows(conn: sa.Connection, schema: TableSchema, ids: Iterable[int]) -> dict[int, Any]:
    """Current rows by id (live or deleted), locked for update on PostgreSQL."""
    t = schema.sa_table
    ids = list(ids)
    out: dict[int, Any] = {}
    for chunk in _chunks(ids, 500):
        q = sa.select(t).where(t.c.id.in_(chunk))
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        out.update({r.id: r for r in conn.execute(q)})
    return out


def update_row(
    conn: sa.Connection,
    schema: TableSchema,
    record_id: int,
    version: int,
    values: Mapping[str, Any],
    now: datetime,
    actor_id: int | None,
    *,
    deleted_at: Any = ...,
) -> int:
    """Write ``values`` if the row is still at ``version``; returns the new version."""
    t = schema.sa_table
    extra: dict[str, Any] = {}
    if deleted_at is not ...:
        extra["deleted_at"] = deleted_at
    res = conn.execute(
        sa.update(t)
        .where(t.c.id == record_id, t.c.version == version)
        .values(**values, **extra, version=version + 1, updated_at=now, updated_by=actor_id)
    )
    if res.rowcount != 1:
        current = conn.execute(sa.select(t.c.version).where(t.c.id == record_id)).scalar()
        if current is None:
            raise NotFound("record.not_found", id=record_id)
        raise Conflict("record.stale", expected=version, actual=current)
    return version + 1


def exists(conn: sa.Connection, schema: TableSchema, record_id: int) -> bool:
    """Whether the record exists, live or in the recycle bin."""
    t = schema.sa_table
    return conn.execute(sa.select(t.c.id).where(t.c.id == record_id)).first() is not None


def creation(conn: sa.Connection, schema: TableSchema, record_id: int) -> Any | None:
    """``created_at`` and ``created_by`` of a record, live or in the recycle bin; None if none."""
    t = schema.sa_table
    q = sa.select(t.c.created_at, t.c.created_by).where(t.c.id == record_id)
    return conn.execute(q).first()


def live_ids(
    conn: sa.Connection,
    schema: TableSchema,
    ids: Iterable[int],
    where: sa.ColumnElement[bool] | None = None,
) -> set[int]:
    """Which of ``ids`` are live records (and meet ``where``, e.g. a row scope)."""
    t = schema.sa_table
    found: set[int] = set()
    for chunk in _chunks(list(ids), 900):
        q = sa.select(t.c.id).where(t.c.id.in_(chunk), t.c.deleted_at.is_(None))
        if where is not None:
            q = q.where(where)
        found.update(conn.execute(q).scalars())
    return found


def bump_versions(
    conn: sa.Connection,
    schema: TableSchema,
    ids: Sequence[int],
    now: datetime,
    actor_id: int | None,
) -> dict[int, int]:
    """A new version of each of ``ids`` (changed elsewhere: their links), set-based; returns
    id → new version."""
    t = schema.sa_table
    out: dict[int, int] = {}
    for chunk in _chunks(list(ids), 900):
        q = (
            sa.update(t)
            .where(t.c.id.in_(chunk))
            .values(version=t.c.version + 1, updated_at=now, updated_by=actor_id)
            .returning(t.c.id, t.c.version)
        )
        out.update({rid: v for rid, v in conn.execute(q)})
    return out


def titles(conn: sa.Connection, schema: TableSchema, ids: Iterable[int]) -> dict[int, str]:
    """The title (display-field value) of each of ``ids``, live or in the recycle bin, in one
    query per 900 ids: how a list that names records (the audit log) shows them. None for a
    table without a stored display field, or one whose display field is encrypted."""
    f = schema.display_field
    if f is None or not schema.types[f.id].stored or f.id in schema.sealers:
        return {}
    t = schema.sa_table
    col = schema.column(f)
    dump = schema.dumpers.get(f.id)
    out: dict[int, str] = {}
    for chunk in _chunks(sorted(set(ids)), 900):
        for record_id, value in conn.execute(sa.select(t.c.id, col).where(t.c.id.in_(chunk))):
            if value is not None and value != "":
                out[record_id] = str(dump(value) if dump else value)
    return out


def existing_values(
    conn: sa.Connection,
    schema: TableSchema,
    f: Field,
    values: Iterable[Any],
    exclude_ids: Iterable[int] = (),
) -> dict[Any, int]:
    """Which of ``values`` live records other than ``exclude_ids`` hold already (value → id).
    For a sensitive field the values are blind indexes, compared with its index column."""
    t = schema.sa_table
    col = t.c[f.index_column_name] if f.id in schema.sealers else schema.column(f)
    out: dict[Any, int] = {}
    excl = list(exclude_ids)
    for chunk in _chunks(list(values), in_chunk(conn)):
        q = sa.select(col, t.c.id).where(value_in(conn, col, chunk), t.c.deleted_at.is_(None))
        if excl:
            q = q.where(t.c.id.not_in(excl))
        out.update({v: i for v, i in conn.execute(q)})
    return out


# -- relation links ------------------------------------------------------------------------


def read_links(
    conn: sa.Connection, catalog: Catalog, f: Field, record_ids: Sequence[int]
) -> dict[int, list[int]]:
    j = catalog.junction(f)
    mine, other = junction_sides(f)
    out: dict[int, list[int]] = {}
    for chunk in _chunks(list(record_ids), 900):
        q = (
            sa.select(j.c[mine], j.c[other])
            .where(j.c[mine].in_(chunk))
            .order_by(j.c[mine], j.c[other])
        )
        for a, b in conn.execute(q):
            out.setdefault(a, []).append(b)
    return out


def replace_links(
    conn: sa.Connection, catalog: Catalog, f: Field, links: Mapping[int, Sequence[int]]
) -> None:
    """Set the links of each record in ``links`` to exactly the given target ids."""
    if not links:
        return
    j = catalog.junction(f)
    mine, other = junction_sides(f)
    for chunk in _chunks(list(links), 900):
        conn.execute(sa.delete(j).where(j.c[mine].in_(chunk)))
    rows = [{mine: rid, other: tid} for rid, tids in links.items() for tid in tids]
    if rows:
        conn.execute(sa.insert(j), rows)


def linked_elsewhere(
    conn: sa.Connection,
    catalog: Catalog,
    f: Field,
    targets: Sequence[int],
    record_ids: Sequence[int],
) -> dict[int, int]:
    """For a relation whose other side is single: targets already linked to another record."""
    j = catalog.junction(f)
    mine, other = junction_sides(f)
    out: dict[int, int] = {}
    for chunk in _chunks(list(targets), 900):
        q = sa.select(j.c[other], j.c[mine]).where(j.c[other].in_(chunk))
        if record_ids:
            q = q.where(j.c[mine].not_in(list(record_ids)))
        out.update({t: r for t, r in conn.execute(q)})
    return out


# -- sequences -----------------------------------------------------------------------------


def reserve_sequence(conn: sa.Connection, field_id: int, count: int, start: int) -> int:
    """Reserve ``count`` numbers; returns the first. Safe under concurrent inserts: the counter
    row is updated in the caller's transaction (a row lock on PostgreSQL, the write lock on
    SQLite), and the column has a unique index besides."""
    seq = system.sequences
    res = conn.execute(
        sa.update(seq)
        .where(seq.c.field_id == field_id)
        .values(value=seq.c.value + count)
        .returning(seq.c.value)
    ).scalar()
    if res is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(seq).values(field_id=field_id, value=start - 1 + count))
            return start
        except sa.exc.IntegrityError:
            return reserve_sequence(conn, field_id, count, start)
    return int(res) - count + 1


#: Values per ``value_in`` query: SQLite binds each one (its limit is 999 on old builds);
#: PostgreSQL takes them all as one array.
_IN_CHUNK = {"sqlite": 900, "postgresql": 10_000}


def in_chunk(conn: sa.Connection) -> int:
    """How many values one ``value_in`` condition takes on ``conn``'s database."""
    return _IN_CHUNK.get(conn.dialect.name, 900)


def value_in(conn: sa.Connection, col: Any, values: Sequence[Any]) -> Any:
    """``col IN (values)``. On PostgreSQL ``col = ANY(array)``: one parameter for a batch of
    keys instead of one each, which SQLAlchemy renders and psycopg parses per value (the
    unique check and an import's upsert lookup of 1,000 keys spent most of their time there);
    the planner uses the column's index for both forms."""
    if conn.dialect.name == "postgresql":
        return col == sa.any_(sa.bindparam(None, list(values), type_=pg.ARRAY(col.type)))
    return col.in_(values)


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
