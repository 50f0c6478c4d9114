"""What a records write may name and change beyond its own values, as its principal: linked
records, users and files that exist and that they may use, and records of other tables that
the write re-points (``store.relations``)."""

from __future__ import annotations

import json
from typing import Any

from cairn.auth.guard import guard
from cairn.core import FieldErrors, Forbidden, Message
from cairn.services.files import attachable
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema, merges, records
from cairn.store import files as store_files
from cairn.store import users as store_users
from cairn.store.record_input import Prepared, prefix_of
from cairn.store.relations import Repoints, check_single_reverse, lock_repoints, moves


def resolve_merged(uow: UnitOfWork, s: TableSchema, items: list[Prepared]) -> None:
    """Links to a merged tombstone (One-ID) are written to its survivor: an integration that
    kept the loser's id goes on working. One indexed query per relation field written."""
    for f in s.fields:
        if not f.is_relation:
            continue
        ids = {x for p in items for x in p.links.get(f.id, ())}
        if not ids:
            continue
        into = merges.survivors(uow.conn, int(f.options["target_table_id"]), ids)
        if not into:
            continue
        for p in items:
            if f.id in p.links:
                p.links[f.id] = list(dict.fromkeys(into.get(x, x) for x in p.links[f.id]))


def check_references(
    uow: UnitOfWork,
    s: TableSchema,
    items: list[Prepared],
    errors: FieldErrors,
    single: bool,
    current: dict[int, Any] | None = None,
) -> None:
    """Every record, user and file a write names must exist and be one the principal may
    use: a linked record one they may read (row scope included), a file one they may read
    or their own upload no record holds yet (a file the record holds already stays). What
    they may not use gets exactly the answer of what does not exist. One query per field
    for the whole batch. ``current``: the updated records' rows as they are."""
    cat = uow.catalog
    g = guard(uow)
    for f in s.fields:
        ref = s.types[f.id].references
        if ref is None:
            continue
        values: list[tuple[Prepared, list[Any]]] = []
        kept: dict[int, set[str]] = {}
        for p in items:
            v = p.links.get(f.id) if ref == "record" else p.columns.get(f.id)
            if v is None:
                continue
            if ref == "file":
                v = json.loads(v)
                row = current.get(p.record_id) if current and p.record_id else None
                holds = row._mapping[f.column_name] if row is not None else None
                if holds:
                    kept[p.index] = set(json.loads(holds))
            values.append((p, v if isinstance(v, list) else [v]))
        wanted = {x for p, vals in values for x in vals if x not in kept.get(p.index, ())}
        if not wanted:
            continue
        if ref == "record":
            target = cat.schema(f.options["target_table_id"])
            if g.access(target).can("read"):
                where = g.row_where(target, "read")
                found = records.live_ids(uow.conn, target, wanted, where)
            else:
                found = set()
            missing_key, params = "value.relation_missing", {"table": target.table.name}
        elif ref == "user":
            found = store_users.active_ids(uow.conn, wanted)
            missing_key, params = "value.user", {}
        else:
            found = attachable(uow, wanted)
            missing_key, params = "value.attachment_missing", {}
        missing = wanted - found
        refused = store_files.outside_limits(uow.conn, found, f) if ref == "file" else {}
        for p, vals in values:
            held = kept.get(p.index, ())
            bad = [x for x in vals if x in missing and x not in held]
            prefix = prefix_of(single, p.index)
            if bad:
                key = "value" if ref == "user" else "ids"
                errors.add(prefix + f.key, Message(missing_key, {**params, key: bad}))
            for x in vals:
                if x in refused and x not in held:
                    errors.add(prefix + f.key, refused[x])
        if ref == "record":
            check_single_reverse(uow.conn, cat, f, items, errors, single, missing)


def check_repoints(
    uow: UnitOfWork,
    s: TableSchema,
    items: list[Prepared],
    old_links: dict[int, dict[int, list[int]]],
    errors: FieldErrors,
    single: bool,
) -> list[Repoints]:
    """A relation whose links live on the other records is written on those records: every
    record that gains or loses a link is updated, as if the principal had changed its
    relation field. So they need the update permission on that table, the record in its
    update row scope (else ``value.relation_locked``) and the field writable; the records
    are locked and their links read now, to be logged once written. Set-based: a few
    queries per relation field per batch."""
    g = guard(uow)
    found = moves(uow.catalog, s, items, old_links)
    for m in found if not g.unrestricted else ():
        a = g.require(m.target, "update")
        if a.fields and not a.writable(m.other.id):
            raise Forbidden("auth.field_denied", field=m.field.key)
        if a.scoped("update"):
            mine = g.in_scope(m.target, list(m.causes), "update")
            for index, moved in m.touched.items():
                bad = [t for t in moved if t not in mine]
                if bad:
                    params = {"ids": bad, "table": m.target.table.name}
                    errors.add(
                        prefix_of(single, index) + m.field.key,
                        Message("value.relation_locked", params),
                    )
    if errors:
        return []
    return lock_repoints(uow.conn, uow.catalog, found)
