"""Reading sub-form rows for many parents at once: one query per sub-form field per page of
parents (500 parents a query), never one per parent.

``rows_of`` is the loader every reader of sub-forms uses (a record's value, and what sums,
exports or reports over the rows need): the rows of many parents, in order, with every
field's value as a record read computes it (formulas, lookups, rollups). ``row_counts`` is
what a page of parents shows instead of the rows (``RowDump`` decides).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa

from cairn.core import Clock, SystemClock
from cairn.core.clock import clock_reads
from cairn.meta import Field
from cairn.query.dialects import IdsIn
from cairn.query.expand import record_columns
from cairn.store import Catalog, TableSchema, fastread

#: Parents per ``IN (…)`` query.
CHUNK = 500


def rows_of(
    conn: sa.Connection,
    cat: Catalog,
    child: TableSchema,
    parent_ids: Iterable[int],
    fields: Sequence[Field] | None = None,
    clock: Clock | None = None,
) -> dict[int, list[Any]]:
    """``{parent id: [row, …]}``: the live rows of each parent in list order (parents
    without rows are left out), as SQL rows holding the public system columns, ``parent_id``,
    ``position`` and the values of ``fields`` (all when None) labelled ``f_<field id>``."""
    q = _rows_query(cat, child, fields, clock, conn.dialect)
    ids = list(dict.fromkeys(parent_ids))
    out: dict[int, list[Any]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = json.dumps(ids[start : start + CHUNK])
        if q.prepared is not None:
            rows = q.prepared.fetch(conn, q.prepared.params_with(parents=chunk))
        else:
            rows = conn.execute(q.select, {"parents": chunk}).all()
        for r in rows:
            out.setdefault(r.parent_id, []).append(r)
    return out


@dataclass
class RowsQuery:
    """The rows query of a rows' table, and the same prepared for the driver (None where
    Core runs it)."""

    select: sa.Select[Any]
    prepared: fastread.Prepared | None
    day: date


#: Per catalogue snapshot, per (rows' table, fields, database): the rows query, built for a
#: day (a formula's TODAY() is in its SQL). Building and compiling it costs far more than
#: running it when the rows have formulas; one whose formulas read the time of day (NOW())
#: is built each time.
_QUERIES: WeakKeyDictionary[Catalog, dict[Any, RowsQuery]] = WeakKeyDictionary()


def _rows_query(
    cat: Catalog,
    child: TableSchema,
    fields: Sequence[Field] | None,
    clock: Clock | None,
    dialect: Any,
) -> RowsQuery:
    key = (child.id, None if fields is None else tuple(f.id for f in fields), dialect.name)
    today = (clock or SystemClock()).now().astimezone(cat.ctx.timezone).date()
    kept = _QUERIES.setdefault(cat, {})
    hit = kept.get(key)
    if hit is not None and hit.day == today:
        return hit
    _, times = clock_reads()
    t = child.sa_table
    select = (
        sa.select(*record_columns(cat, child, fields, clock), t.c.parent_id, t.c.position)
        .where(IdsIn(t.c.parent_id, "parents"), t.c.deleted_at.is_(None))
        .order_by(t.c.parent_id, t.c.position, t.c.id)
    )
    q = RowsQuery(select, fastread.prepare(select, dialect), today)
    if clock_reads()[1] == times:
        kept[key] = q
    return q


def row_counts(
    conn: sa.Connection, child: TableSchema, parent_ids: Iterable[int]
) -> dict[int, int]:
    """``{parent id: number of live rows}`` (parents without rows are left out)."""
    t = child.sa_table
    ids = list(dict.fromkeys(parent_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        q = (
            sa.select(t.c.parent_id, sa.func.count())
            .where(t.c.parent_id.in_(ids[start : start + CHUNK]), t.c.deleted_at.is_(None))
            .group_by(t.c.parent_id)
        )
        out.update({pid: n for pid, n in conn.execute(q)})
    return out
