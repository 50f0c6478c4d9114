"""The process engine's outbox handler: auto-start on create, deadline fields on update, and
the outside deliveries of service tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cairn.process import record_events, repo
from cairn.process.runtime import Runtime
from cairn.process.service_tasks import EVENT as SERVICE_EVENT
from cairn.services.process_ports import ServicesProcessPorts
from cairn.services.uow import unit_of_work
from cairn.store.outbox import MAX_ATTEMPTS, OutboxEvent

if TYPE_CHECKING:
    from cairn.services.context import Services


class ProcessEvents:
    """The process engine's ``EventHandler``: auto-start on create, deadline fields on update."""

    name = "process"

    def __init__(self, services: Services) -> None:
        self.s = services
        self.runtime = Runtime(
            ServicesProcessPorts(services), services.process_cache, services.clock
        )

    def wants(self, event: OutboxEvent) -> bool:
        if event.type == SERVICE_EVENT:
            return True
        return event.type in ("record.created", "record.updated") and event.table_id is not None

    def handle(self, event: OutboxEvent) -> None:
        runtime = self.runtime
        if event.type == SERVICE_EVENT:
            last_try = event.attempts >= MAX_ATTEMPTS
            runtime.service_tasks.deliver(event.payload or {}, last_try)
        elif event.type == "record.created":
            record_events.auto_start(runtime, event.table_id, event.record_id, event.actor_id)
        else:
            changed = set((event.payload or {}).get("changes") or {})
            if not changed or event.table_id is None or event.record_id is None:
                return
            record_events.follow_deadlines(runtime, event.table_id, event.record_id, changed)
            record_events.follow_title(runtime, event.table_id, event.record_id, changed)

    def handle_batch(self, events: Sequence[OutboxEvent]) -> dict[int, Exception]:
        """``handle`` for the events that may concern a process, found with one look-up for
        the batch: creations in tables with a process to start, updates of records with an
        open task (the others have nothing to do). Failures by event id."""
        updated: list[tuple[int, int]] = []
        for e in events:
            if e.type == "record.updated" and e.table_id is not None and e.record_id is not None:
                updated.append((e.table_id, e.record_id))
        created = {e.table_id for e in events if e.type == "record.created"}
        with unit_of_work(self.s, write=False) as uow:
            busy = repo.records_with_open_tasks(uow.conn, updated) if updated else set()
            starting = {t for t in created if t and repo.auto_start_definitions(uow.conn, t)}
        errors: dict[int, Exception] = {}
        for e in events:
            if e.type == "record.created" and e.table_id not in starting:
                continue
            if e.type == "record.updated" and (e.table_id, e.record_id) not in busy:
                continue
            try:
                self.handle(e)
            except Exception as x:  # the event comes back later
                errors[e.id] = x
        return errors
