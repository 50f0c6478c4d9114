"""Change events for computed values: formula, lookup and rollup fields are never stored, so a
write that changes them says so itself (what is read, and when: ``cairn.query.computed``).

A write's own records that a computed change touches get it in the ``changes`` of their update
event; other records whose lookups or rollups changed get an update event of their own, with
``"computed": true`` and the cause. So a rule can trigger on "订单总额 rose above 100,000"
although nobody wrote that record."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from cairn.core import Event
from cairn.core import events as ev
from cairn.meta import Field
from cairn.query.computed import (
    Through,
    diff,
    linked_ids,
    looking_in,
    read_values,
    sealed_changes,
)
from cairn.store import TableSchema

if TYPE_CHECKING:
    from cairn.services.uow import UnitOfWork


class ComputedWatch:
    def __init__(self, services: Any, uow: UnitOfWork, s: TableSchema) -> None:
        self.services = services
        self.uow = uow
        self.s = s
        self.own = [f for f in s.fields if f.is_computed]
        self.through = looking_in(uow.catalog, s)
        self._own_before: dict[int, dict[str, Any]] = {}

    @property
    def active(self) -> bool:
        return bool(self.own or self.through)

    # -- reading ---------------------------------------------------------------------------
    def values(
        self, schema: TableSchema, fields: Sequence[Field], ids: Iterable[int]
    ) -> dict[int, dict[str, Any]]:
        """``{record id: {"_version": v, key: JSON value}}`` of live records."""
        uow = self.uow
        return read_values(uow.conn, uow.catalog, self.services.clock, schema, fields, ids)

    def linked(self, th: Through, written: Iterable[int]) -> set[int]:
        """Records of ``th.schema`` linked through ``th.relation`` to ``written`` records."""
        return linked_ids(self.uow.conn, self.uow.catalog, th.relation, written)

    # -- around the write ------------------------------------------------------------------
    def before(self, updated: Sequence[int], links: Sequence[dict[int, list[int]]]) -> None:
        """Read what the write may change. ``links``: the relation values being written."""
        self._own_before = self.values(self.s, self.own, updated)
        for th in self.through:
            ids = self.linked(th, updated)
            if th.pair is not None:
                for lk in links:
                    ids.update(lk.get(th.pair.id, ()))
            th.before = self.values(th.schema, th.fields, ids)

    def before_removal(self, record_ids: Sequence[int]) -> None:
        """Before records are deleted (or restored): what links to them elsewhere."""
        for th in self.through:
            th.before = self.values(th.schema, th.fields, self.linked(th, record_ids))

    def after(self, updated: Sequence[int], written: Sequence[int]) -> None:
        """Compare, and put what changed into the events of this unit of work."""
        uow = self.uow
        if self.own and updated:
            after = self.values(self.s, self.own, updated)
            extra = {
                rid: sealed_changes(
                    self.uow.catalog, self.s, diff(self._own_before.get(rid), values)
                )
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
            after = self.values(th.schema, th.fields, th.before)
            for rid in sorted(after):
                changes = sealed_changes(uow.catalog, th.schema, diff(th.before[rid], after[rid]))
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
