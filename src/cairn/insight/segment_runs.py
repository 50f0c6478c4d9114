"""Segment re-checks after record events: the records a batch of events touches are
re-checked against every dynamic segment whose condition they may change
(``segments.affected``): records of the segment's own table directly, records of a related
table through the relations that link them, one or two hops away.

A batch is re-checked in two steps: ``changed`` reads (one statement for every segment the
batch concerns: the touched records that meet each condition and those that are members) and
says which segments differ; only for those, ``write`` re-checks again in a writing unit of
work and makes the change. Compiled conditions are kept per segment version and catalogue (a
time-based one is compiled each time: the clock's date is in its SQL). The caller (the
outbox handler in ``cairn.services``) owns the transactions."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from cairn.core import Clock, Invalid
from cairn.insight import segments as engine
from cairn.insight.segment_ports import SegmentWork
from cairn.store import segments as store
from cairn.store.catalog import TableSchema

log = logging.getLogger(__name__)

#: Compiled conditions kept (segment versions × catalogues); the oldest go first.
CACHE_SIZE = 256

#: Table id → (the ids of its records that events touched, the events' payloads).
Touched = dict[int, tuple[set[int], list[dict[str, Any]]]]


class RecordEvent(Protocol):
    type: str
    table_id: int | None
    record_id: int | None
    payload: dict[str, Any] | None


def touched(events: Iterable[RecordEvent]) -> Touched:
    """What a batch of record events touched, by table."""
    out: Touched = {}
    for e in events:
        if e.table_id is None:
            continue
        ids, payloads = out.setdefault(e.table_id, (set(), []))
        payload = e.payload or {}
        ids |= engine.own_ids(e.type, e.record_id, payload)
        payloads.append(payload)
    return out


class Rechecks:
    """Re-checks of the records events touched, with the compiled conditions kept."""

    def __init__(self, clock: Clock, size: int = CACHE_SIZE) -> None:
        self.clock = clock
        self.size = size
        self._conditions: dict[tuple[Any, ...], engine.Condition] = {}

    def changed(self, work: SegmentWork, batch: Touched) -> list[tuple[Any, list[int]]]:
        """(segment row, ids) of the segments where some touched record enters or leaves
        (read only: one statement for the re-check of them all)."""
        rechecks, items = [], []
        for row, s, cond, ids in self.rechecks(work, batch):
            rechecks.append((row, ids))
            items.append((row.id, s, cond, ids))
        found = engine.differences_many(work.conn, items)
        return [(row, ids) for row, ids in rechecks if any(found[row.id])]

    def write(
        self, work: SegmentWork, todo: Sequence[tuple[Any, Sequence[int]]], cause: str = "event"
    ) -> dict[int, engine.Change]:
        """Re-check ``todo`` again in ``work``'s (writing) transaction and make the changes:
        members, history, counts, events. Keyed by segment id."""
        items = []
        rows = {}
        for row, ids in todo:
            s, cond = self.compiled(work, row)
            items.append((row.id, s, cond, ids))
            rows[row.id] = row
        found = engine.differences_many(work.conn, items)
        return {
            sid: engine.apply(work, rows[sid], entered, left, cause)
            for sid, (entered, left) in found.items()
            if entered or left
        }

    def rechecks(
        self, work: SegmentWork, batch: Touched
    ) -> list[tuple[Any, TableSchema, engine.Condition, list[int]]]:
        """(segment row, its table, its condition, the ids of its table to re-check) for
        every dynamic segment that an event of the batch may concern: the records the events
        touched in its own table, and those linked to records they touched in the tables its
        condition reads (the look-up is shared by the segments of a table that read alike)."""
        cat = work.catalog
        out = []
        linked: dict[tuple[Any, ...], set[int]] = {}
        for row in store.by_tables(work.conn):
            s = cat.schemas.get(row.table_id)
            if row.kind != "dynamic" or s is None:
                continue
            try:
                s, cond = self.compiled(work, row)
            except Invalid as e:  # a field it names was deleted since: it waits for a fix
                log.warning("segment %s: its condition no longer compiles: %s", row.id, e)
                continue
            ids: set[int] = set()
            for table_id, (own, payloads) in batch.items():
                if table_id == row.table_id:
                    ids |= own
                key = (s.id, table_id, cond.reads)
                if key not in linked:
                    linked[key] = engine.affected(
                        work.conn, cat, s, table_id, own, payloads, cond.reads
                    )
                ids |= linked[key]
            if ids:
                out.append((row, s, cond, sorted(ids)))
        return out

    def compiled(self, work: SegmentWork, row: Any) -> tuple[TableSchema, engine.Condition]:
        """The segment's table and condition, compiled once per segment version and
        catalogue (a time-based one each time)."""
        cat = work.catalog
        s = cat.schemas[row.table_id]
        key = (row.id, row.updated_at, cat.version)
        cond = self._conditions.get(key)
        if cond is None:
            cond = engine.condition(cat, s, row.filter, self.clock)
            if not cond.time_based:
                if len(self._conditions) >= self.size:
                    self._conditions.pop(next(iter(self._conditions)))
                self._conditions[key] = cond
        return s, cond
