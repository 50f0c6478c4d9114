"""The SQL of the customer timeline: which records a relation path reaches from one customer
(semi-joins through the junctions, never a join that multiplies rows), and one page of one
kind of entry, newest first, past a keyset cursor.

Every kind is read by its own query ordered by its date (desc) and id (desc) with
``LIMIT limit + 1``; ``cairn.insight.timeline`` merges them. A date field (``DATE``) places a
record at midnight of its day: the comparisons below say so without casting the column, so the
index on (date, id) serves them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from cairn.meta import junction_sides
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.indexes import build_index, index_names

#: ``(schema, alias) -> condition or None``: the reader's row scope on a table.
RowWhere = Callable[[TableSchema, Any], sa.ColumnElement[bool] | None]


@dataclass(frozen=True)
class Cursor:
    """The last entry a page showed: the next page starts after it."""

    at: datetime
    kind: str
    id: int


@dataclass(frozen=True)
class Window:
    """What a page of one kind asks for."""

    kind: str
    limit: int
    cursor: Cursor | None = None
    start: datetime | None = None  # at >= start
    end: datetime | None = None  # at < end


def reach(
    catalog: Catalog,
    tables: Sequence[TableSchema],
    relations: Sequence[Any],
    customer_id: int,
    row_where: RowWhere,
) -> sa.Select[Any]:
    """SELECT of the ids the path reaches from the customer: through each junction in turn;
    a record on the way counts only when it is live and in the reader's row scope (the last
    table's rows are filtered by the caller's query)."""
    ids: Any = None
    for hop, rel in enumerate(relations):
        this, other = junction_sides(rel)
        j = catalog.junction(rel).alias(f"tl_j{hop}")
        cond = j.c[this] == customer_id if ids is None else j.c[this].in_(ids)
        ids = sa.select(j.c[other]).where(cond)
        nxt = tables[hop + 1]
        if hop + 1 < len(relations):
            t = nxt.sa_table.alias(f"tl_t{hop + 1}")
            where = [t.c.id.in_(ids), t.c.deleted_at.is_(None)]
            scope = row_where(nxt, t)
            if scope is not None:
                where.append(scope)
            ids = sa.select(t.c.id).where(*where)
    assert ids is not None
    return ids


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time())


def _lt(col: Any, at: datetime, is_date: bool) -> sa.ColumnElement[bool]:
    """col (placed at midnight when a date) < at."""
    if not is_date:
        return col < at
    return col < at.date() if at.time() == time() else col <= at.date()


def _le(col: Any, at: datetime, is_date: bool) -> sa.ColumnElement[bool]:
    return col <= (at.date() if is_date else at)


def _eq(col: Any, at: datetime, is_date: bool) -> sa.ColumnElement[bool]:
    if not is_date:
        return col == at
    return col == at.date() if at.time() == time() else sa.false()


def _ge(col: Any, at: datetime, is_date: bool) -> sa.ColumnElement[bool]:
    if not is_date:
        return col >= at
    return col >= at.date() if at.time() == time() else col > at.date()


def page_of(
    query: sa.Select[Any], at: Any, id_col: Any, w: Window, *, is_date: bool = False
) -> sa.Select[Any]:
    """``query`` (selecting ``at`` and ``id`` among its columns) limited to the window, newest
    first. The order of the whole timeline is (at, kind, id) descending; in one kind's query
    the kind is a constant, so the cursor's condition takes one of three forms."""
    where = [at.is_not(None)]
    c = w.cursor
    if c is not None:
        if w.kind < c.kind:
            where.append(_le(at, c.at, is_date))
        elif w.kind > c.kind:
            where.append(_lt(at, c.at, is_date))
        else:
            where.append(
                sa.or_(_lt(at, c.at, is_date), sa.and_(_eq(at, c.at, is_date), id_col < c.id))
            )
    if w.start is not None:
        where.append(_ge(at, w.start, is_date))
    if w.end is not None:
        where.append(_lt(at, w.end, is_date))
    return query.where(*where).order_by(at.desc(), id_col.desc()).limit(w.limit + 1)


def as_time(value: Any) -> datetime:
    """A fetched date or timestamp as a naive timestamp (a date at midnight)."""
    if isinstance(value, datetime):
        return value
    return _midnight(value)


def bounded_count(conn: sa.Connection, query: sa.Select[Any], cap: int) -> tuple[int, bool]:
    """How many rows ``query`` gives, counting no further than ``cap`` (then ``more``)."""
    sub = query.order_by(None).limit(cap + 1).subquery()
    n = int(conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one())
    return min(n, cap), n > cap


def end_of_day(d: date) -> datetime:
    return _midnight(d) + timedelta(days=1)


def timeline_index_name(table_id: int, column: str) -> str:
    """The index a source's page walks: (date, id) over live records."""
    return f"ix_t{table_id}_tl_{column}"


def ensure_indexes(engine: sa.Engine, wanted: Sequence[tuple[int, str]]) -> list[str]:
    """Build the missing (date, id) indexes of the source tables ``(table id, date column)``
    (``CONCURRENTLY`` on PostgreSQL); the names built."""
    built = []
    for table_id, column in dict.fromkeys(wanted):
        name = timeline_index_name(table_id, column)
        with engine.connect() as conn:
            if name in index_names(conn, table_id):
                continue
        build_index(engine, table_id, name, [column, "id"], live_only=True)
        built.append(name)
    return built
