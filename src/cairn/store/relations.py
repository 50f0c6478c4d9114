"""Links a write changes beyond its own records: one-to-one targets, and relations whose links
live on the other records (``links_elsewhere``: a customer's orders, each order holding its
customer), which a write re-points on those records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.core import FieldErrors, Message
from cairn.meta import Field
from cairn.store import history, records
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.record_input import Prepared, prefix_of


@dataclass
class Move:
    """Relation ``field`` of the written table re-points records of ``target`` through their
    field ``other``: per item index the records it re-points, per record why (item index,
    field key written)."""

    field: Field
    other: Field
    target: TableSchema
    touched: dict[int, list[int]]
    causes: dict[int, tuple[int, str]]


@dataclass
class Repoints:
    """The records of one table that a write re-points through relations whose links live on
    them: why each is touched (item index, field key written), the relation fields holding
    those links on them, and those links before the write."""

    schema: TableSchema
    causes: dict[int, tuple[int, str]] = field(default_factory=dict)
    fields: list[Field] = field(default_factory=list)
    before: dict[int, dict[int, list[int]]] = field(default_factory=dict)


def links_elsewhere(cat: Catalog, f: Field) -> Field | None:
    """When the links of relation ``f`` live on the records it links to, their field holding
    them (the paired field on the other table); else None. A link lives on the side holding
    one record (an order holds its customer: a customer's ``orders`` live on the orders); when
    both sides hold one or both hold many, on the side that defined the relation (the owner of
    the junction), so writing the reverse side changes the other records."""
    if not f.is_relation:
        return None
    other_id = f.options.get("reverse_of") or f.options.get("reverse_field_id")
    other = cat.all_fields.get(int(other_id)) if other_id else None
    if other is None or other.deleted_at is not None:  # no field of theirs shows the links
        return None
    mine_many = bool(f.options.get("multiple", True))
    other_many = bool(other.options.get("multiple", True))
    if mine_many != other_many:
        return other if mine_many else None
    return other if f.options.get("reverse_of") else None


def old_links(
    conn: sa.Connection, cat: Catalog, s: TableSchema, updates: list[Prepared]
) -> dict[int, dict[int, list[int]]]:
    """The current links of the updated records, per relation field the write sets (one
    query per field)."""
    out: dict[int, dict[int, list[int]]] = {}
    for f in s.fields:
        if f.is_relation and any(f.id in p.links for p in updates):
            ids = [p.record_id for p in updates if f.id in p.links]
            out[f.id] = records.read_links(conn, cat, f, ids)  # type: ignore[arg-type]
    return out


def check_single_reverse(
    conn: sa.Connection,
    cat: Catalog,
    f: Field,
    items: list[Prepared],
    errors: FieldErrors,
    single: bool,
    missing: set[Any],
) -> None:
    """When the other side holds one record only, a target may be linked from one record.
    (Targets answered as missing are not looked at: that would tell they exist.)"""
    other_id = f.options.get("reverse_of") or f.options.get("reverse_field_id")
    other = cat.all_fields.get(other_id) if other_id else None
    if other is None or other.options.get("multiple", True):
        return
    seen: dict[int, int] = {}
    targets = []
    for p in items:
        for t in p.links.get(f.id, []):
            if t in missing:
                continue
            if t in seen and seen[t] != p.index:
                errors.add(
                    prefix_of(single, p.index) + f.key,
                    Message("value.relation_taken", {"ids": [t]}),
                )
            seen[t] = p.index
            targets.append(t)
    if targets:
        mine = [p.record_id for p in items if p.record_id and f.id in p.links]
        taken = records.linked_elsewhere(conn, cat, f, targets, mine)
        for p in items:
            bad = [t for t in p.links.get(f.id, []) if t in taken]
            if bad:
                errors.add(
                    prefix_of(single, p.index) + f.key,
                    Message("value.relation_taken", {"ids": bad}),
                )


def moves(
    cat: Catalog,
    s: TableSchema,
    items: list[Prepared],
    old: dict[int, dict[int, list[int]]],
) -> list[Move]:
    """Per relation of ``s`` whose links live on the other records: which records the write's
    ``items`` (creates and updates) link or unlink, as the records' own field changes."""
    out = []
    for f in s.fields:
        other = links_elsewhere(cat, f)
        ts = cat.schemas.get(int(f.options.get("target_table_id") or 0))
        if other is None or ts is None:
            continue
        was_linked = old.get(f.id, {})
        touched: dict[int, list[int]] = {}  # item index → the records it re-points
        causes: dict[int, tuple[int, str]] = {}
        for p in items:
            if f.id not in p.links:
                continue
            now = set(p.links[f.id])
            was = set(was_linked.get(p.record_id, ())) if p.record_id else set()
            moved = sorted(now ^ was)
            if moved:
                touched[p.index] = moved
                for t in moved:
                    causes.setdefault(t, (p.index, f.key))
        if touched:
            out.append(Move(f, other, ts, touched, causes))
    return out


def lock_repoints(conn: sa.Connection, cat: Catalog, found: list[Move]) -> list[Repoints]:
    """The moves per re-pointed table, their records locked and their links read as they
    were (to be logged once written, ``write_repoints``)."""
    plans: dict[int, Repoints] = {}
    for m in found:
        rp = plans.get(m.target.id)
        if rp is None:
            rp = plans[m.target.id] = Repoints(m.target)
        rp.fields.append(m.other)
        for t, cause in m.causes.items():
            rp.causes.setdefault(t, cause)
    for rp in plans.values():
        ids = sorted(rp.causes)
        records.lock_rows(conn, rp.schema, ids)
        for other in rp.fields:
            rp.before[other.id] = records.read_links(conn, cat, other, ids)
    return list(plans.values())


def write_repoints(
    conn: sa.Connection,
    cat: Catalog,
    rp: Repoints,
    single: bool,
    now: datetime,
    actor_id: int | None,
) -> tuple[dict[int, int], dict[int, dict[str, Any]]]:
    """Once the links are written: each re-pointed record whose links changed gets a new
    version and a history entry; returns their versions and changes by field key. A required
    relation left empty fails the write (at the item and field that caused it)."""
    ts = rp.schema
    ids = sorted(rp.causes)
    changes: dict[int, dict[str, Any]] = {}
    key_changes: dict[int, dict[str, Any]] = {}
    errors = FieldErrors()
    for other in rp.fields:
        after = records.read_links(conn, cat, other, ids)
        before = rp.before[other.id]
        for rid in ids:
            was, now_ = before.get(rid, []), after.get(rid, [])
            if was == now_:
                continue
            changes.setdefault(rid, {})[str(other.id)] = [was, now_]
            key_changes.setdefault(rid, {})[other.key] = [was, now_]
            if other.required and not now_:
                index, key = rp.causes[rid]
                params = {"ids": [rid], "table": ts.table.name, "field": other.name}
                errors.add(
                    prefix_of(single, index) + key, Message("value.relation_required", params)
                )
    errors.raise_if_any()
    if not changes:
        return {}, {}
    changed = sorted(changes)
    versions = records.bump_versions(conn, ts, changed, now, actor_id)
    history.append(
        conn,
        [
            history.entry(ts.id, rid, versions[rid], "update", changes[rid], actor_id, now)
            for rid in changed
        ],
    )
    return versions, key_changes
