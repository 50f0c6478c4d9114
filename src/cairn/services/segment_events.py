"""Segments' outbox handler: the records an event touches are re-checked against every dynamic
segment whose condition they may change (``insight.segments``): records of the segment's own
table directly, records of a related table through the relations that link them (a lookup, a
rollup or an aggregate over them). One transaction per claimed batch: each segment's re-check
is one query for who enters and one for who leaves, among the touched ids only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cairn.insight import segments as engine
from cairn.services.uow import unit_of_work
from cairn.store import segments as store
from cairn.store.outbox import OutboxEvent

if TYPE_CHECKING:
    from cairn.services.context import Services


class SegmentEvents:
    """The ``BatchHandler`` that keeps dynamic segments up to date on record events."""

    name = "segments"

    def __init__(self, services: Services) -> None:
        self.s = services

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
        with unit_of_work(self.s) as uow:
            rows = [r for r in store.by_tables(uow.conn) if r.kind == "dynamic"]
            cat = uow.catalog
            for row in rows:
                s = cat.schemas.get(row.table_id)
                if s is None:
                    continue
                ids: set[int] = set()
                for table_id, (own, payloads) in touched.items():
                    if table_id == row.table_id:
                        ids |= own
                    else:
                        ids |= engine.affected(uow.conn, cat, s, table_id, own, payloads)
                if ids:
                    engine.evaluate(uow, row, s, self.s.clock, "event", sorted(ids))
        return {}
