"""A record's history as a reader sees it: newest first, fields hidden from them left out,
masked ones masked, and the creation last when the whole history fits."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import sqlalchemy as sa

from cairn.meta.values import dump_time
from cairn.query.tag_filter import TAGS_FIELD
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
            if fid == TAGS_FIELD:  # the record's tags (names before and after)
                changes.append({"field": fid, "name": None, "before": before, "after": after})
                continue
            f = cat.all_fields.get(int(fid))
            if int(fid) in hidden or (f is None and not unrestricted):
                continue
            item: dict[str, Any] = {
                "field": f.key if f else None,
                "name": f.name if f else None,
            }
            if f is not None and f.is_subform:
                shown = mask if int(fid) in masked else None
                item.update(row_changes(cat, before, after, shown, unrestricted))
            else:
                if int(fid) in masked:
                    before, after = mask(before), mask(after)
                item.update(before=before, after=after)
            changes.append(item)
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


def row_changes(
    cat: Catalog,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    mask: Callable[[Any], Any] | None,
    unrestricted: bool,
) -> dict[str, Any]:
    """A sub-form's change (``store.subforms``: the old state of the rows it removed,
    changed or moved, the new state of those it added, changed or moved; columns by field
    id) as a history reader sees it: ``before`` and ``after`` with column keys, and ``rows``,
    one entry a row: ``{"op": "added", "id", "position", "values"}``, ``{"op": "removed",
    "id", "values"}``, ``{"op": "changed", "id", "changes": [{field, name, before, after}]}``
    (with ``position: [old, new]`` when it moved too) or ``{"op": "moved", "id",
    "position": [old, new]}``. ``mask``: the sub-form is masked to the reader."""

    def cells(row: dict[str, Any]) -> list[tuple[str, Any, Any]]:
        """(column id, its field or None, value) of a row's columns the reader sees."""
        out = []
        for k, v in row.items():
            if k in ("id", "position"):
                continue
            f = cat.all_fields.get(int(k)) if k.isdecimal() else None
            if f is None and not unrestricted:
                continue
            out.append((k, f, mask(v) if mask else v))
        return out

    def keyed(row: dict[str, Any]) -> dict[str, Any]:
        out = {"id": row.get("id")}
        if "position" in row:
            out["position"] = row["position"]
        for k, f, v in cells(row):
            out[f.key if f else k] = v
        return out

    old = {r.get("id"): r for r in before or []}
    new = {r.get("id"): r for r in after or []}
    rows: list[dict[str, Any]] = []
    for rid, r in new.items():
        if rid not in old:
            values = {(f.key if f else k): v for k, f, v in cells(r)}
            rows.append({"op": "added", "id": rid, "position": r.get("position"), "values": values})
            continue
        was = old[rid]
        entry: dict[str, Any] = {"op": "changed", "id": rid}
        was_cells = {k: v for k, _, v in cells(was)}
        changes = [
            {
                "field": f.key if f else None,
                "name": f.name if f else None,
                "before": was_cells.get(k),
                "after": v,
            }
            for k, f, v in cells(r)
        ]
        if "position" in r:
            entry["position"] = [was.get("position"), r["position"]]
        if changes:
            entry["changes"] = changes
        elif "position" in r:
            entry["op"] = "moved"
        else:
            continue  # only columns the reader does not see changed
        rows.append(entry)
    for rid, r in old.items():
        if rid not in new:
            values = {(f.key if f else k): v for k, f, v in cells(r)}
            rows.append({"op": "removed", "id": rid, "values": values})
    return {
        "before": [keyed(r) for r in before or []],
        "after": [keyed(r) for r in after or []],
        "rows": rows,
    }
