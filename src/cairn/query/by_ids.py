"""Reading records by id (a record's page, a process task's record, a rule's record): the
query built and prepared once per catalogue snapshot.

A table whose formula reads a sub-form (``SUM({明细.金额})``) selects a correlated subquery
of hundreds of SQL nodes, and SQLAlchemy does not cache the compiled form of a formula
(``ByDialect``): building and compiling that SELECT on every read cost more than running
it. The query is kept per catalogue snapshot (a schema change makes a new snapshot, so the
next read builds the query anew), per table, per row scope (the reader's own when it is
resolved in SQL; a role's row filter is never kept) and per day (a formula's TODAY() is in
its SQL). One whose formulas read the time of day (NOW()) is built for each read. A kept
query runs as a statement prepared once (``store.fastread``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa

from cairn.core import Clock
from cairn.core.clock import clock_reads
from cairn.query.dialects import IdsIn
from cairn.query.expand import record_columns
from cairn.query.plans import PlanCache
from cairn.store import Catalog, TableSchema, fastread

#: The row scope's condition, asked only when the query is built.
RowWhere = Callable[[], sa.ColumnElement[bool] | None]


@dataclass
class IdsQuery:
    """The live records of a table by id: one id bound as ``id``, or several as ``ids``
    (a JSON array: one statement whatever their number)."""

    select: sa.Select[Any]
    param: str
    #: The same SQL all day (no NOW()): kept, and run through ``prepared``.
    reusable: bool
    prepared: fastread.Prepared | None = None

    def fetch(self, conn: sa.Connection, ids: Sequence[int]) -> list[Any]:
        value: Any = int(ids[0]) if self.param == "id" else json.dumps([int(i) for i in ids])
        if self.prepared is not None:
            return self.prepared.fetch(conn, self.prepared.params_with(**{self.param: value}))
        return list(conn.execute(self.select, {self.param: value}).all())


#: Per catalogue snapshot: the queries by key (bounded: a reader's row scope is in the key).
_QUERIES: WeakKeyDictionary[Catalog, PlanCache] = WeakKeyDictionary()


def read_by_ids(
    conn: sa.Connection,
    cat: Catalog,
    schema: TableSchema,
    ids: Sequence[int],
    *,
    clock: Clock,
    row_where: RowWhere,
    scope: str | None = "",
) -> list[Any]:
    """The live records of ``schema`` among ``ids`` (any order), as SQL rows holding the
    public system columns and every field's value labelled ``f_<field id>`` (formulas,
    lookups, rollups as a record read computes them), limited by ``row_where``.

    ``scope`` says what ``row_where`` depends on besides the schema: "" nothing (no row
    scope), a reader's key (``Guard.scope_key``: resolved in SQL when it runs), None it
    cannot be kept (a role's row filter)."""
    if not ids:
        return []
    param = "id" if len(ids) == 1 else "ids"
    key = None if scope is None else f"{conn.dialect.name}:{schema.id}:{param}:{_day(cat, clock)}"
    if key is not None and scope:
        key = f"{key}|{scope}"
    kept = _QUERIES.get(cat)
    if kept is None:
        kept = _QUERIES.setdefault(cat, PlanCache(256))
    q = kept.get(key, lambda: _build(conn, cat, schema, param, clock, row_where, key is not None))
    return q.fetch(conn, ids)


def _day(cat: Catalog, clock: Clock) -> str:
    """The day (and the zone's offset) a formula's TODAY() is compiled for."""
    now = clock.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    local = now.astimezone(cat.ctx.timezone)
    return f"{local.date().isoformat()}{local.strftime('%z')}"


def _build(
    conn: sa.Connection,
    cat: Catalog,
    schema: TableSchema,
    param: str,
    clock: Clock,
    row_where: RowWhere,
    keep: bool,
) -> IdsQuery:
    _, times = clock_reads()
    t = schema.sa_table
    by_id = (
        t.c.id == sa.bindparam("id", 0, type_=sa.BigInteger())
        if param == "id"
        else IdsIn(t.c.id, "ids")
    )
    where = [t.c.deleted_at.is_(None), by_id]
    scope = row_where()
    if scope is not None:
        where.append(scope)
    select = sa.select(*record_columns(cat, schema, None, clock)).where(*where)
    reusable = keep and clock_reads()[1] == times
    prepared = fastread.prepare(select, conn.dialect) if reusable else None
    return IdsQuery(select, param, reusable, prepared)
