"""Reading sub-form rows for many parents at once: one query per sub-form field per page of
parents (500 parents a query), never one per parent.

``rows_of`` is the loader every reader of sub-forms uses (a record's value, and what sums,
exports or reports over the rows need): the rows of many parents, in order, with every
field's value as a record read computes it (formulas, lookups, rollups). ``row_counts`` is
what a page of parents shows instead of the rows (``RowDump`` decides).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock
from cairn.meta import Field
from cairn.query.expand import record_columns
from cairn.store import Catalog, TableSchema

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
    t = child.sa_table
    columns = [*record_columns(cat, child, fields, clock), t.c.parent_id, t.c.position]
    ids = list(dict.fromkeys(parent_ids))
    out: dict[int, list[Any]] = {}
    for start in range(0, len(ids), CHUNK):
        q = (
            sa.select(*columns)
            .where(t.c.parent_id.in_(ids[start : start + CHUNK]), t.c.deleted_at.is_(None))
            .order_by(t.c.parent_id, t.c.position, t.c.id)
        )
        for r in conn.execute(q):
            out.setdefault(r.parent_id, []).append(r)
    return out


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
