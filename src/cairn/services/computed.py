"""Change events for computed values: formula, lookup and rollup fields are never stored, so a
write that changes them says so itself.

Around a records write (inside its transaction) ``ComputedWatch`` reads the computed fields
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
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa

from cairn.core import Event
from cairn.core import events as ev
from cairn.meta import Field
from cairn.meta.fieldtypes.relations import junction_sides
from cairn.store import Catalog, TableSchema

if TYPE_CHECKING:
    from cairn.services.uow import UnitOfWork

COMPUTED = ("formula", "lookup", "rollup")
CHUNK = 900


@dataclass
class _Through:
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
            if f.id not in chosen and f.type == "formula" and uses & set(chosen):
                chosen[f.id] = f
                grew = True
    return [f for f in schema.fields if f.id in chosen]


_PLANS: WeakKeyDictionary[
    Catalog, dict[int, list[tuple[TableSchema, Field, list[Field], Field | None]]]
] = WeakKeyDictionary()


def _through(cat: Catalog, s: TableSchema) -> list[_Through]:
    """What looks into ``s`` from other tables (worked out once per catalogue snapshot)."""
    plans = _PLANS.setdefault(cat, {})
    if s.id not in plans:
        plans[s.id] = _plan(cat, s)
    return [_Through(t, rel, fields, pair) for t, rel, fields, pair in plans[s.id]]


def _plan(
    cat: Catalog, s: TableSchema
) -> list[tuple[TableSchema, Field, list[Field], Field | None]]:
    out = []
    for t in cat.schemas.values():
        if t.id == s.id or t.table.deleted_at is not None:
            continue
        for rel in t.fields:
            if rel.type != "relation" or int(rel.options.get("target_table_id") or 0) != s.id:
                continue
            seeds = [
                f
                for f in t.fields
                if (f.type in ("lookup", "rollup") and f.options.get("relation_field_id") == rel.id)
                or (f.type == "formula" and rel.id in (f.options.get("uses") or ()))
            ]
            if not seeds:
                continue
            ids = {rel.id, rel.options.get("reverse_field_id"), rel.options.get("reverse_of")}
            pair = next(
                (
                    p
                    for p in s.fields
                    if p.type == "relation"
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


class ComputedWatch:
    def __init__(self, services: Any, uow: UnitOfWork, s: TableSchema) -> None:
        self.services = services
        self.uow = uow
        self.s = s
        self.own = [f for f in s.fields if f.type in COMPUTED]
        self.through = _through(uow.catalog, s)
        self._own_before: dict[int, dict[str, Any]] = {}

    @property
    def active(self) -> bool:
        return bool(self.own or self.through)

    # -- reading ---------------------------------------------------------------------------
    def _values(
        self, schema: TableSchema, fields: Sequence[Field], ids: Iterable[int]
    ) -> dict[int, dict[str, Any]]:
        """``{record id: {"_version": v, key: JSON value}}`` of live records."""
        from cairn.query import build_select
        from cairn.services.records import RecordService, _json_value

        ids = sorted(set(ids))
        out: dict[int, dict[str, Any]] = {}
        if not ids or not fields:
            return out
        cat = self.uow.catalog
        # A lookup of a sensitive field is compared as stored (ciphertext) and reported as
        # ``****`` (``_sealed``): its plaintext never reaches an event.
        dumpers = [
            (
                f.key,
                f.column_name,
                _identity
                if _shows_sensitive(cat, f)
                else RecordService._dumper(cat, schema, f) or _json_value,
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
                clock=self.services.clock,
            )
            for row in self.uow.conn.execute(plan.select):
                m = row._mapping
                values: dict[str, Any] = {"_version": m["version"]}
                for key, col, dump in dumpers:
                    v = m.get(col)
                    values[key] = dump(v) if v is not None else None
                out[m["id"]] = values
        return out

    def _linked(self, th: _Through, written: Iterable[int]) -> set[int]:
        """Records of ``th.schema`` linked through ``th.relation`` to ``written`` records."""
        written = list(set(written))
        if not written:
            return set()
        j = self.uow.catalog.junction(th.relation)
        this, other = junction_sides(th.relation)
        found: set[int] = set()
        for i in range(0, len(written), CHUNK):
            q = sa.select(j.c[this]).where(j.c[other].in_(written[i : i + CHUNK]))
            found.update(self.uow.conn.execute(q).scalars())
        return found

    # -- around the write ------------------------------------------------------------------
    def before(self, updated: Sequence[int], links: Sequence[dict[int, list[int]]]) -> None:
        """Read what the write may change. ``links``: the relation values being written."""
        self._own_before = self._values(self.s, self.own, updated)
        for th in self.through:
            ids = self._linked(th, updated)
            if th.pair is not None:
                for lk in links:
                    ids.update(lk.get(th.pair.id, ()))
            th.before = self._values(th.schema, th.fields, ids)

    def before_removal(self, record_ids: Sequence[int]) -> None:
        """Before records are deleted (or restored): what links to them elsewhere."""
        for th in self.through:
            th.before = self._values(th.schema, th.fields, self._linked(th, record_ids))

    def after(self, updated: Sequence[int], written: Sequence[int]) -> None:
        """Compare, and put what changed into the events of this unit of work."""
        uow = self.uow
        if self.own and updated:
            after = self._values(self.s, self.own, updated)
            extra = {
                rid: _sealed(self.uow.catalog, self.s, _diff(self._own_before.get(rid), values))
                for rid, values in after.items()
            }
            for e in uow.events:
                if (
                    e.type == ev.RECORD_UPDATED
                    and e.table_id == self.s.id
                    and extra.get(e.record_id or 0)
                ):
                    e.payload["changes"].update(extra[e.record_id or 0])
        # A linked record this write updated itself (a record it re-pointed through a reverse
        # relation) has its own update event: its computed changes join that one.
        own_events = {
            (e.table_id, e.record_id): e
            for e in uow.events
            if e.type == ev.RECORD_UPDATED and not e.payload.get("computed")
        }
        for th in self.through:
            # Every record linked now was linked before or is named in the links written.
            after = self._values(th.schema, th.fields, th.before)
            for rid in sorted(after):
                changes = _sealed(uow.catalog, th.schema, _diff(th.before[rid], after[rid]))
                if not changes:
                    continue
                updated = own_events.get((th.schema.id, rid))
                if updated is not None:
                    updated.payload["changes"].update(changes)
                    continue
                uow.emit(
                    Event(
                        ev.RECORD_UPDATED,
                        th.schema.app.id,
                        th.schema.id,
                        rid,
                        {
                            "version": after[rid]["_version"],
                            "changes": changes,
                            "computed": True,
                            "cause": {"table_id": self.s.id, "record_ids": sorted(written)[:100]},
                        },
                        uow.actor_id,
                    )
                )


def _diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    before = before or {}
    return {
        k: [before.get(k), v] for k, v in after.items() if k != "_version" and before.get(k) != v
    }


def _identity(v: Any) -> Any:
    return v


def _shows_sensitive(cat: Catalog, f: Field) -> bool:
    if f.type != "lookup":
        return False
    target = cat.all_fields.get(int(f.options.get("target_field_id") or 0))
    return target is not None and target.sensitive


def _sealed(cat: Catalog, schema: TableSchema, changes: dict[str, list[Any]]) -> dict[str, Any]:
    """``changes`` with the values of lookups of sensitive fields replaced by ``****``."""
    from cairn.store.sensitive import sealed

    for key, pair in changes.items():
        f = schema.by_key.get(key)
        if f is not None and _shows_sensitive(cat, f):
            changes[key] = [sealed(v) for v in pair]
    return changes
