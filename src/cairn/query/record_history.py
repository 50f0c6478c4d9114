"""A record's history as a reader sees it: newest first, fields hidden from them left out,
masked ones masked, and the creation last when the whole history fits."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import sqlalchemy as sa

from cairn.meta.values import dump_time
from cairn.store import Catalog, TableSchema, history


def history_items(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    record_id: int,
    created: Any,
    limit: int,
    timezone: Any,
    *,
    hidden: Collection[int],
    masked: Collection[int],
    unrestricted: bool,
    mask: Callable[[Any], Any],
) -> list[dict[str, Any]]:
    """The entries of ``record_id`` (``created``: its creation row); a field deleted
    since shows only to an unrestricted reader."""
    entries = []
    logged = history.for_record(conn, s.id, record_id, limit=limit)
    for h in logged:
        changes = []
        for fid, (before, after) in h.changes.items():
            f = cat.all_fields.get(int(fid))
            if int(fid) in hidden or (f is None and not unrestricted):
                continue
            if int(fid) in masked:
                before, after = mask(before), mask(after)
            changes.append(
                {
                    "field": f.key if f else None,
                    "name": f.name if f else None,
                    "before": before,
                    "after": after,
                }
            )
        entries.append(
            {
                "id": h.id,
                "version": h.version,
                "action": h.action,
                "at": dump_time(h.at, timezone),
                "actor_id": h.actor_id,
                "changes": changes,
            }
        )
    if len(logged) < limit:  # the whole history: it starts with the creation
        entries.append(
            {
                "id": None,
                "version": 1,
                "action": "create",
                "at": dump_time(created.created_at, timezone),
                "actor_id": created.created_by,
                "changes": [],
            }
        )
    return entries
