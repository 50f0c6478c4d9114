"""Segments' outbox handler: the records an event touches are re-checked against every dynamic
segment whose condition they may change (``insight.segments``): records of the segment's own
table directly, records of a related table through the relations that link them (a lookup, a
rollup or an aggregate over them).

A claimed batch is re-checked at once: first in a reading transaction (for each segment one
query for the touched records that meet the condition, one for those that are members), and
only when something differs, again in a writing transaction that makes the change. Compiled
conditions are kept per segment version and catalogue (a time-based one is compiled each time:
the clock's date is in its SQL)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cairn.core import Invalid
from cairn.insight import segments as engine
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import segments as store
from cairn.store.outbox import OutboxEvent

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)

#: Compiled conditions kept (segment versions × catalogues); the oldest go first.
CACHE_SIZE = 256


class SegmentEvents:
    """The ``BatchHandler`` that keeps dynamic segments up to date on record events."""

    name = "segments"

    def __init__(self, services: Services) -> None:
        self.s = services
        self._conditions: dict[tuple[Any, ...], engine.Condition] = {}

    def wants(self, event: OutboxEvent) -> bool:
        return event.type in engine.RECORD_EVENTS and event.table_id is not None

    def handle(self, event: OutboxEvent) -> None:
        error = self.handle_batch([event]).get(event.id)
        if error is not None:
            raise error

    def handle_batch(self, events: Sequence[OutboxEvent]) -> dict[int, Exception]:
        """Every event of the batch at once (a re-check is idempotent: a replay finds the
        members already right). It raises only before it wrote anything."""
        touched: dict[int, tuple[set[int], list[dict[str, Any]]]] = {}
        for e in events:
            if e.table_id is None:
                continue
            ids, payloads = touched.setdefault(e.table_id, (set(), []))
            payload = e.payload or {}
            ids |= engine.own_ids(e.type, e.record_id, payload)
            payloads.append(payload)
        if not touched:
            return {}
        with unit_of_work(self.s, write=False, reads_only=True) as uow:
            rechecks, items = [], []
            for row, ids in self._rechecks(uow, touched):
                try:
                    s, cond = self._compiled(uow, row)
                except Invalid as e:  # a field it names was deleted since: it waits for a fix
                    log.warning("segment %s: its condition no longer compiles: %s", row.id, e)
                    continue
                rechecks.append((row, ids))
                items.append((row.id, s, cond, ids))
            found = engine.differences_many(uow.conn, items)
            todo = [(row, ids) for row, ids in rechecks if any(found[row.id])]
        if todo:
            with unit_of_work(self.s) as uow:
                for row, ids in todo:
                    s, cond = self._compiled(uow, row)
                    engine.evaluate(uow, row, s, self.s.clock, "event", ids, cond=cond)
        return {}

    def _rechecks(
        self, uow: UnitOfWork, touched: dict[int, tuple[set[int], list[dict[str, Any]]]]
    ) -> list[tuple[Any, list[int]]]:
        """(segment row, the ids of its table to re-check) for every dynamic segment that an
        event of the batch may concern."""
        cat = uow.catalog
        out = []
        for row in store.by_tables(uow.conn):
            s = cat.schemas.get(row.table_id)
            if row.kind != "dynamic" or s is None:
                continue
            ids: set[int] = set()
            for table_id, (own, payloads) in touched.items():
                if table_id == row.table_id:
                    ids |= own
                else:
                    ids |= engine.affected(uow.conn, cat, s, table_id, own, payloads)
            if ids:
                out.append((row, sorted(ids)))
        return out

    def _compiled(self, uow: UnitOfWork, row: Any) -> tuple[Any, engine.Condition]:
        cat = uow.catalog
        s = cat.schemas[row.table_id]
        key = (row.id, row.updated_at, cat.version)
        cond = self._conditions.get(key)
        if cond is None:
            cond = engine.condition(cat, s, row.filter, self.s.clock)
            if not cond.time_based:
                if len(self._conditions) >= CACHE_SIZE:
                    self._conditions.pop(next(iter(self._conditions)))
                self._conditions[key] = cond
        return s, cond
