"""Segments' outbox handler: the records an event touches are re-checked against every dynamic
segment whose condition they may change (``insight.segment_runs``).

A claimed batch is re-checked at once: first in a reading unit of work (one statement for
every segment the batch concerns), and only when something differs, again in a writing unit
of work that makes the change (on PostgreSQL without waiting for its WAL flush: see
``ASYNC_COMMIT``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from cairn.insight import segment_runs as runs
from cairn.insight import segments as engine
from cairn.services.uow import unit_of_work
from cairn.store.outbox import OutboxEvent

if TYPE_CHECKING:
    from cairn.services.context import Services

#: The membership change commits without waiting for its WAL flush (PostgreSQL): it is
#: derived from the events, and the dispatcher acknowledges them in a later, synchronous
#: commit, whose flush takes this one's WAL with it. A crash before that flush loses both:
#: the events come back and are re-checked (idempotent). The wait was most of a change's time.
ASYNC_COMMIT = sa.text("SET LOCAL synchronous_commit TO OFF")


class SegmentEvents:
    """The ``BatchHandler`` that keeps dynamic segments up to date on record events."""

    name = "segments"

    def __init__(self, services: Services) -> None:
        self.s = services
        self.rechecks = runs.Rechecks(services.clock)

    def wants(self, event: OutboxEvent) -> bool:
        return event.type in engine.RECORD_EVENTS and event.table_id is not None

    def handle(self, event: OutboxEvent) -> None:
        error = self.handle_batch([event]).get(event.id)
        if error is not None:
            raise error

    def handle_batch(self, events: Sequence[OutboxEvent]) -> dict[int, Exception]:
        """Every event of the batch at once (a re-check is idempotent: a replay finds the
        members already right). It raises only before it wrote anything."""
        batch = runs.touched(events)
        if not batch:
            return {}
        with unit_of_work(self.s, write=False, reads_only=True) as uow:
            todo = self.rechecks.changed(uow, batch)
        if todo:
            with unit_of_work(self.s) as uow:
                if uow.conn.dialect.name == "postgresql":
                    uow.conn.execute(ASYNC_COMMIT)
                self.rechecks.write(uow, todo)
        return {}
