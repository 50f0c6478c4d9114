"""Consuming the outbox: every event reaches every handler that wants it, at least once.

A dispatcher claims a batch of pending events (a lease: a worker that dies mid-batch leaves
them to come back when the lease ends), hands each to the handlers that want it (the whole
batch at once to a handler that has ``handle_batch``, each handler in event order), and then
acknowledges it. A handler that raises puts its event back with an exponential back-off and
the error text; after ``max_attempts`` the event is marked failed (``processed_at`` and
``last_error`` both set): it stays visible and can be retried, it is never dropped.

Delivery is at least once, so handlers must be idempotent: the rule engine keys every action by
(rule, event, action), so a replay after a crash has no second effect.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from cairn.services.uow import unit_of_work
from cairn.store import outbox
from cairn.store.outbox import MAX_ATTEMPTS, OutboxEvent

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)


class EventHandler(Protocol):
    """What the engines register to react to record events (the rule engine, processes)."""

    name: str

    def wants(self, event: OutboxEvent) -> bool: ...

    def handle(self, event: OutboxEvent) -> None:
        """Act on the event; must be idempotent (it may see the same event again)."""
        ...


class BatchHandler(EventHandler, Protocol):
    """A handler that takes a claimed batch at once (fewer transactions per event).

    ``handle_batch`` acts on the events in order, as ``handle`` would one by one, and returns
    the failures by event id (those come back later); an event it does not name succeeded. It
    may raise only when it did nothing durable: the dispatcher then hands the events to
    ``handle`` one by one."""

    def handle_batch(self, events: Sequence[OutboxEvent]) -> dict[int, Exception]: ...


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Dispatcher:
    def __init__(
        self,
        services: Services,
        handlers: Sequence[EventHandler],
        *,
        worker: str | None = None,
        batch: int = 100,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = MAX_ATTEMPTS,
        first_retry: timedelta = timedelta(seconds=5),
        last_retry: timedelta = timedelta(hours=1),
    ) -> None:
        self.s = services
        self.handlers = list(handlers)
        self.worker = worker or worker_name()
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts
        self.first_retry = first_retry
        self.last_retry = last_retry

    def run_once(self) -> int:
        """Claim, handle and settle one batch; returns how many events it took."""
        with unit_of_work(self.s) as uow:
            rows = outbox.claim(uow.conn, self.worker, uow.now, self.batch, self.lease)
        if not rows:
            return 0
        events = [OutboxEvent.from_row(row) for row in rows]
        errors: dict[int, Exception] = {}
        # Handler by handler over the batch, each in event order; an event that failed in one
        # handler goes to no later one (it comes back whole).
        for handler in self.handlers:
            todo = [e for e in events if e.id not in errors and handler.wants(e)]
            if not todo:
                continue
            batch = getattr(handler, "handle_batch", None)
            if batch is not None and len(todo) > 1:
                try:
                    errors.update(batch(todo))
                    continue
                except Exception:
                    log.warning("%s: batch failed, one by one", handler.name, exc_info=True)
            for event in todo:
                try:
                    handler.handle(event)
                except Exception as e:  # a handler's failure must not stop the others' events
                    errors[event.id] = e
        done: list[int] = []
        failed: list[tuple[OutboxEvent, str]] = []
        for event in events:
            error = errors.get(event.id)
            if error is None:
                done.append(event.id)
                continue
            log.warning(
                "event %s (%s) failed: %s",
                event.id,
                event.type,
                error,
                exc_info=(type(error), error, error.__traceback__),
            )
            failed.append((event, f"{type(error).__name__}: {error}"))
        with unit_of_work(self.s) as uow:
            if done:
                outbox.ack(uow.conn, done, uow.now)
            for event, error in failed:
                if event.attempts >= self.max_attempts:
                    outbox.fail(uow.conn, event.id, error, uow.now)
                else:
                    outbox.release(
                        uow.conn, event.id, error, uow.now + self.backoff(event.attempts)
                    )
        return len(rows)

    def backoff(self, attempts: int) -> timedelta:
        """5 s, 10 s, 20 s … after the 1st, 2nd, 3rd failure, at most an hour."""
        return min(self.first_retry * (2 ** max(attempts - 1, 0)), self.last_retry)

    def drain(self, max_batches: int = 1000) -> int:
        """Run batches until none is due (tests, one-shot runs); returns the events taken."""
        total = 0
        for _ in range(max_batches):
            n = self.run_once()
            if not n:
                break
            total += n
        return total


def purge_processed(services: Services, older_than: timedelta = timedelta(days=7)) -> int:
    """Delete acknowledged events older than ``older_than`` (failed ones stay); returns how many."""
    with unit_of_work(services) as uow:
        return outbox.purge(uow.conn, uow.now - older_than)
