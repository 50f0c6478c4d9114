"""A table's recycle bin as a page: deleted records, last deleted first, with a title, when
and by whom; keyset cursors."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from cairn.query.paging import decode_cursor, encode_cursor, seek_condition, sort_signature
from cairn.store import TableSchema, system
from cairn.store.merges import MERGED
from cairn.store.tables.identity import identity_merges as M


def title_column(s: TableSchema, hidden: Collection[int], masked: Collection[int]) -> Any:
    """The display field's column when the reader sees it in clear (else titles are #id)."""
    f = s.display_field
    if f is None or f.id in s.sealers or not s.type_of(f).stored:
        return None
    if f.id in hidden or f.id in masked:
        return None
    return s.column(f)


def title_of(s: TableSchema, value: Any) -> Any:
    """A display field's stored value as its title."""
    dump = s.dumpers.get(s.display_field.id) if s.display_field is not None else None
    return dump(value) if dump and value is not None else value


def deleted_page(
    conn: sa.Connection,
    s: TableSchema,
    scope: sa.ColumnElement[bool] | None,
    title: Any,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None, int]:
    """The deleted records within ``scope`` (a row condition), after ``cursor``: the page's
    items, the next cursor and the total; ``title``: the column titling them (``title_column``)."""
    t = s.sa_table
    # A merged tombstone (One-ID) is no deleted record to restore: its merge is undone instead.
    merged = sa.select(M.c.loser_id).where(M.c.table_id == s.id, M.c.status == MERGED)
    where: list[Any] = [t.c.deleted_at.is_not(None), t.c.id.not_in(merged)]
    if scope is not None:
        where.append(scope)
    total = conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar_one()
    signature = sort_signature(s.id, [("deleted_at", "desc"), ("id", "desc")])
    keys = [(t.c.deleted_at, True), (t.c.id, True)]
    if cursor:
        where.append(seek_condition(keys, decode_cursor(cursor, signature, 2)))
    u = system.users
    rows = conn.execute(
        sa.select(
            t.c.id,
            t.c.deleted_at,
            t.c.updated_by,
            u.c.display_name,
            *([title] if title is not None else []),
        )
        .select_from(t.outerjoin(u, u.c.id == t.c.updated_by))
        .where(*where)
        .order_by(t.c.deleted_at.desc(), t.c.id.desc())
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    dump = s.dumpers.get(s.display_field.id) if title is not None and s.display_field else None
    items = []
    for r in rows:
        shown = r[4] if title is not None else None
        if shown is not None and dump is not None:
            shown = dump(shown)
        items.append(
            {
                "id": r.id,
                "title": str(shown) if shown not in (None, "") else f"#{r.id}",
                "deleted_at": r.deleted_at.isoformat() + "Z",
                "deleted_by": (
                    {"id": r.updated_by, "name": r.display_name}
                    if r.updated_by is not None
                    else None
                ),
            }
        )
    next_cursor = encode_cursor(signature, [rows[-1].deleted_at, rows[-1].id]) if more else None
    return items, next_cursor, total
