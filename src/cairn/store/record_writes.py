"""Writing prepared records: inserts with their auto numbers and links, updates of what
changed (with the before and after that history, the audit log and the event keep)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.meta.values import json_value, same
from cairn.store import records
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.numbering import assign_numbers
from cairn.store.record_input import Prepared
from cairn.store.sensitive import sealed


def insert_prepared(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    creates: list[Prepared],
    now: datetime,
    actor_id: int | None,
    extra: dict[str, list[Any]] | None = None,
) -> list[int]:
    """Insert ``creates`` (numbering their auto-number fields) and their links; sets each
    one's ``record_id`` and returns the new ids in order. ``extra``: more columns, one value
    per record (a sub-form row's ``parent_id`` and ``position``)."""
    for f in s.fields:
        if s.types[f.id].sequenced:
            numbers = assign_numbers(conn, f, [now] * len(creates), cat.ctx.timezone)
            for p, number in zip(creates, numbers, strict=True):
                p.columns[f.id] = number
    if s.sealers:
        rows = [s.row_values(p.columns) for p in creates]
        names = sorted({c for r in rows for c in r})
        columns = {c: [r.get(c) for r in rows] for c in names}
    else:  # by column straight from the coerced values: no dictionary per row
        values = [p.columns for p in creates]
        fids = set(values[0]).union(*values[1:]) if values else set()
        columns = {f.column_name: [v.get(f.id) for v in values] for f in s.fields if f.id in fids}
    if extra:
        columns.update(extra)
    ids = records.insert_rows(conn, s, len(creates), columns, now, actor_id)
    for p, rid in zip(creates, ids, strict=True):
        p.record_id = rid
    for f in s.fields:
        if f.is_relation:
            links = {p.record_id: p.links[f.id] for p in creates if p.links.get(f.id)}
            records.replace_links(conn, cat, f, links)  # type: ignore[arg-type]
    return ids


def update_prepared(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    p: Prepared,
    row: Any,
    old_links: dict[int, dict[int, list[int]]],
    now: datetime,
    actor_id: int | None,
    *,
    extra: dict[str, Any] | None = None,
    more: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> tuple[int, dict[str, Any], dict[str, Any]] | None:
    """Write what ``p`` changes in the locked ``row`` (None when nothing): its new version,
    the changes by field id (for history) and by field key (for the audit log and event); a
    sensitive field's change says that it changed, not to what. ``extra``: system columns to
    set besides (a sub-form row's ``position``); ``more``: changes written elsewhere (the
    record's sub-form rows, by field id and by key) that make a new version too."""
    m = row._mapping
    changes: dict[str, Any] = {}
    key_changes: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for fid, v in p.columns.items():
        f = s.by_id[fid]
        old = m[f.column_name]
        sealer = s.sealers.get(fid)
        if sealer is not None:
            old = sealer.open(old)
        if same(old, v):
            continue
        if sealer is not None:
            values.update(s.row_values({fid: v}))
            pair = [sealed(old), sealed(v)]
        else:
            values[f.column_name] = v
            d = s.dumpers[fid]
            pair = [d(old) if d else json_value(old), d(v) if d else json_value(v)]
        changes[str(fid)] = pair
        key_changes[f.key] = pair
    for fid, v in p.links.items():
        old = old_links.get(fid, {}).get(p.record_id, [])  # type: ignore[arg-type]
        if sorted(old) == sorted(v):
            continue
        records.replace_links(conn, cat, s.by_id[fid], {p.record_id: v})  # type: ignore[dict-item]
        changes[str(fid)] = [old, v]
        key_changes[s.by_id[fid].key] = [old, v]
    if more is not None:
        changes.update(more[0])
        key_changes.update(more[1])
    if extra:
        values.update(extra)
    if not changes and not extra:
        return None
    version = records.update_row(conn, s, p.record_id, p.version, values, now, actor_id)  # type: ignore[arg-type]
    return version, changes, key_changes
