"""Reading computed values around a write (``services.computed.ComputedWatch`` turns what
changed into events): formula, lookup and rollup fields are never stored, so a write that
changes them says so itself.

Around a records write (inside its transaction) the watch reads the computed fields
that the write can change, before and after:

- the written table's own computed fields, for the records it updates: what changed joins
  the ``changes`` of that record's update event (``{"订单总额": [900, 1200]}``);
- the computed fields of *other* tables that look through a relation into the written table
  (a customer's rollup of its orders' amounts, an order's lookup of its customer's tier), for
  the records linked to what was written, before or after: each record whose values changed
  gets an update event of its own, with ``"computed": true`` and the cause.

So a rule can trigger on "订单总额 rose above 100,000" although nobody wrote that record.
One level deep: a change that a computed value in turn causes further away is not followed.
Nothing is read when the written table has no computed fields and nothing looks into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa

from cairn.core.clock import Clock
from cairn.meta import Field
from cairn.meta.fieldtypes.relations import junction_sides
from cairn.meta.values import identity, json_value
from cairn.query.compile import build_select
from cairn.query.dump import field_dumper
from cairn.store import Catalog, TableSchema
from cairn.store.sensitive import sealed

CHUNK = 900


@dataclass
class Through:
    """Computed fields of ``schema`` that read through ``relation`` into the written table;
    ``pair``: the written table's field on the same junction (if it has one)."""

    schema: TableSchema
    relation: Field
    fields: list[Field]
    pair: Field | None
    before: dict[int, dict[str, Any]] = field(default_factory=dict)


def _closure(schema: TableSchema, seeds: Iterable[Field]) -> list[Field]:
    """``seeds`` and the formulas of ``schema`` that use them, however indirectly."""
    chosen = {f.id: f for f in seeds}
    grew = True
    while grew:
        grew = False
        for f in schema.fields:
            uses = set(f.options.get("uses") or ())
            if f.id not in chosen and f.is_formula and uses & set(chosen):
                chosen[f.id] = f
                grew = True
    return [f for f in schema.fields if f.id in chosen]


_PLANS: WeakKeyDictionary[
    Catalog, dict[int, list[tuple[TableSchema, Field, list[Field], Field | None]]]
] = WeakKeyDictionary()


def looking_in(cat: Catalog, s: TableSchema) -> list[Through]:
    """What looks into ``s`` from other tables (worked out once per catalogue snapshot)."""
    plans = _PLANS.setdefault(cat, {})
    if s.id not in plans:
        plans[s.id] = _plan(cat, s)
    return [Through(t, rel, fields, pair) for t, rel, fields, pair in plans[s.id]]


def _plan(
    cat: Catalog, s: TableSchema
) -> list[tuple[TableSchema, Field, list[Field], Field | None]]:
    out = []
    for t in cat.schemas.values():
        if t.id == s.id or t.table.deleted_at is not None:
            continue
        for rel in t.fields:
            if not rel.is_relation or int(rel.options.get("target_table_id") or 0) != s.id:
                continue
            seeds = [
                f
                for f in t.fields
                if (f.reads_through_relation and f.options.get("relation_field_id") == rel.id)
                or (f.is_formula and rel.id in (f.options.get("uses") or ()))
            ]
            if not seeds:
                continue
            ids = {rel.id, rel.options.get("reverse_field_id"), rel.options.get("reverse_of")}
            pair = next(
                (
                    p
                    for p in s.fields
                    if p.is_relation
                    and (
                        p.id in ids
                        or rel.id
                        in (p.options.get("reverse_of"), p.options.get("reverse_field_id"))
                    )
                ),
                None,
            )
            out.append((t, rel, _closure(t, seeds), pair))
    return out


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    before = before or {}
    return {
        k: [before.get(k), v] for k, v in after.items() if k != "_version" and before.get(k) != v
    }


def shows_sensitive(cat: Catalog, f: Field) -> bool:
    if not f.is_lookup:
        return False
    target = cat.all_fields.get(int(f.options.get("target_field_id") or 0))
    return target is not None and target.sensitive


def sealed_changes(
    cat: Catalog, schema: TableSchema, changes: dict[str, list[Any]]
) -> dict[str, Any]:
    """``changes`` with the values of lookups of sensitive fields replaced by ``****``."""
    for key, pair in changes.items():
        f = schema.by_key.get(key)
        if f is not None and shows_sensitive(cat, f):
            changes[key] = [sealed(v) for v in pair]
    return changes


def read_values(
    conn: sa.Connection,
    cat: Catalog,
    clock: Clock,
    schema: TableSchema,
    fields: Sequence[Field],
    ids: Iterable[int],
) -> dict[int, dict[str, Any]]:
    """``{record id: {"_version": v, key: JSON value}}`` of live records."""
    ids = sorted(set(ids))
    out: dict[int, dict[str, Any]] = {}
    if not ids or not fields:
        return out
    # A lookup of a sensitive field is compared as stored (ciphertext) and reported as
    # ``****`` (``sealed_changes``): its plaintext never reaches an event.
    dumpers = [
        (
            f.key,
            f.column_name,
            identity if shows_sensitive(cat, f) else field_dumper(cat, schema, f) or json_value,
        )
        for f in fields
    ]
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        plan = build_select(
            cat,
            schema,
            filter={"field": "id", "op": "in", "value": chunk},
            fields=[f.key for f in fields],
            limit=len(chunk),
            clock=clock,
        )
        for row in conn.execute(plan.select):
            m = row._mapping
            values: dict[str, Any] = {"_version": m["version"]}
            for key, col, dump in dumpers:
                v = m.get(col)
                values[key] = dump(v) if v is not None else None
            out[m["id"]] = values
    return out


def linked_ids(
    conn: sa.Connection, cat: Catalog, relation: Field, written: Iterable[int]
) -> set[int]:
    """Records linked through ``relation`` to ``written`` records of its target table."""
    written = list(set(written))
    if not written:
        return set()
    j = cat.junction(relation)
    this, other = junction_sides(relation)
    found: set[int] = set()
    for i in range(0, len(written), CHUNK):
        q = sa.select(j.c[this]).where(j.c[other].in_(written[i : i + CHUNK]))
        found.update(conn.execute(q).scalars())
    return found
