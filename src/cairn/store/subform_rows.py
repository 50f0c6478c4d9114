"""Sub-form rows in SQL: where a list's rows go (``place``: positions with gaps), the live
rows of many parents, removing rows from a list, and the rows following their parent into the
recycle bin, back out of it, or away for good (see ``store.subforms`` for the write)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.store.catalog import Catalog, TableSchema

#: The distance between the positions of rows written in order.
GAP = 1024
#: Positions stay below this (renumbered from GAP when a list would pass it).
MAX_POSITION = 2**30
#: Parents per ``IN (…)`` query.
CHUNK = 500


# -- positions --------------------------------------------------------------------------------


def place(old: Sequence[int | None]) -> list[int]:
    """Positions for a list whose items sit at ``old`` (None: a new row), growing along the
    list and keeping as many of ``old`` as can be kept: the longest run of rows still in
    order keeps theirs, the others get positions between their neighbours."""
    n = len(old)
    anchors = _longest_increasing([(i, v) for i, v in enumerate(old) if v is not None])
    new: list[int | None] = [None] * n
    for i in anchors:
        new[i] = old[i]
    i = 0
    while i < n:
        if new[i] is not None:
            i += 1
            continue
        j = i
        while j < n and new[j] is None:
            j += 1
        lo = new[i - 1] if i > 0 else 0
        hi = new[j] if j < n else None
        k = j - i
        if hi is None:
            fill = [lo + GAP * (m + 1) for m in range(k)]  # type: ignore[operator]
        else:
            step = (hi - lo) // (k + 1)  # type: ignore[operator]
            if step < 1:
                return [GAP * (m + 1) for m in range(n)]
            fill = [lo + step * (m + 1) for m in range(k)]  # type: ignore[operator]
        new[i:j] = fill
        i = j
    if n and new[-1] > MAX_POSITION:  # type: ignore[operator]
        return [GAP * (m + 1) for m in range(n)]
    return new  # type: ignore[return-value]


def _longest_increasing(items: list[tuple[int, int]]) -> set[int]:
    """The indexes of a longest strictly increasing run (by value) of ``(index, value)``."""
    tails: list[int] = []  # value at the end of the best run of each length
    ends: list[int] = []  # its item number
    back: list[int] = [-1] * len(items)
    for k, (_, v) in enumerate(items):
        at = bisect_left(tails, v)
        if at == len(tails):
            tails.append(v)
            ends.append(k)
        else:
            tails[at], ends[at] = v, k
        back[k] = ends[at - 1] if at else -1
    out: set[int] = set()
    k = ends[-1] if ends else -1
    while k >= 0:
        out.add(items[k][0])
        k = back[k]
    return out


# -- rows as SQL --------------------------------------------------------------------------------


def live_rows(
    conn: sa.Connection, child: TableSchema, parent_ids: Iterable[int]
) -> dict[int, list[Any]]:
    """The live rows of each parent (whole rows of the table), in order: one query per 500
    parents."""
    t = child.sa_table
    ids = list(dict.fromkeys(parent_ids))
    out: dict[int, list[Any]] = {}
    for start in range(0, len(ids), CHUNK):
        q = (
            sa.select(t)
            .where(t.c.parent_id.in_(ids[start : start + CHUNK]), t.c.deleted_at.is_(None))
            .order_by(t.c.parent_id, t.c.position, t.c.id)
        )
        for r in conn.execute(q):
            out.setdefault(r.parent_id, []).append(r)
    return out


def remove_rows(
    conn: sa.Connection, child: TableSchema, ids: list[int], now: datetime, actor_id: int | None
) -> None:
    """Rows left out of their list: deleted, their position cleared (so restoring the parent
    does not bring them back)."""
    t = child.sa_table
    conn.execute(
        sa.update(t)
        .where(t.c.id.in_(ids))
        .values(
            deleted_at=now,
            position=None,
            version=t.c.version + 1,
            updated_at=now,
            updated_by=actor_id,
        )
    )


def row_tables(cat: Catalog, s: TableSchema) -> list[sa.TableClause]:
    """The tables of the rows of every sub-form field ``s`` has or had (one in the recycle
    bin keeps its rows): their columns as the parent's deletion and restoring use them."""
    out = []
    for t in cat.all_tables.values():
        pf = cat.all_fields.get(t.parent_field_id) if t.parent_field_id else None
        if pf is not None and pf.table_id == s.id:
            out.append(
                sa.table(
                    t.sql_name,
                    *(
                        sa.column(c)
                        for c in (
                            "id",
                            "parent_id",
                            "position",
                            "deleted_at",
                            "version",
                            "updated_at",
                            "updated_by",
                        )
                    ),
                )
            )
    return out


def delete_with_parent(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    record_id: int,
    now: datetime,
    actor_id: int | None,
) -> None:
    """A parent record goes to the recycle bin: its live rows go with it (keeping their
    positions)."""
    for t in row_tables(cat, s):
        conn.execute(
            sa.update(t)
            .where(t.c.parent_id == record_id, t.c.deleted_at.is_(None))
            .values(deleted_at=now, version=t.c.version + 1, updated_at=now, updated_by=actor_id)
        )


def restore_with_parent(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    record_id: int,
    now: datetime,
    actor_id: int | None,
) -> None:
    """A parent record comes back: so do the rows deleted with it (those removed from its
    list before have no position)."""
    for t in row_tables(cat, s):
        conn.execute(
            sa.update(t)
            .where(
                t.c.parent_id == record_id,
                t.c.deleted_at.is_not(None),
                t.c.position.is_not(None),
            )
            .values(deleted_at=None, version=t.c.version + 1, updated_at=now, updated_by=actor_id)
        )


def purge_with_parent(conn: sa.Connection, cat: Catalog, s: TableSchema, record_id: int) -> None:
    """A parent record deleted for good: its rows (live or not) and their links go first."""
    for t in row_tables(cat, s):
        child = next((c for c in s.subforms.values() if c.sa_table.name == t.name), None)
        mine = sa.select(t.c.id).where(t.c.parent_id == record_id)
        for f in child.fields if child is not None else ():
            if f.is_relation:
                owner = cat.all_fields[f.options.get("reverse_of") or f.id]
                j = cat.junction(owner)
                side = "dst_id" if f.options.get("reverse_of") else "src_id"
                conn.execute(sa.delete(j).where(j.c[side].in_(mine)))
        conn.execute(sa.delete(t).where(t.c.parent_id == record_id))
