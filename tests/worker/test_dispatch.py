"""The outbox reaches every handler at least once; failures come back later, never vanish."""

from __future__ import annotations

from datetime import timedelta

from cairn.core import FrozenClock
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import outbox
from cairn.store.outbox import OutboxEvent
from cairn.worker.dispatch import Dispatcher, purge_processed

C = ("crm", "customers")


class Recorder:
    """A handler that remembers what it saw and fails while ``failures`` is positive."""

    name = "recorder"

    def __init__(self, types: set[str] | None = None, failures: int = 0) -> None:
        self.types = types
        self.failures = failures
        self.seen: list[OutboxEvent] = []

    def wants(self, event: OutboxEvent) -> bool:
        return self.types is None or event.type in self.types

    def handle(self, event: OutboxEvent) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("the SMS gateway is down")
        self.seen.append(event)


def pending(s: Services) -> int:
    with unit_of_work(s, write=False) as uow:
        return outbox.pending_count(uow.conn)


def test_each_event_reaches_the_handlers_that_want_it_once(services: Services) -> None:
    rec = services.records.create(*C, {"name": "A"})
    services.records.update(*C, rec["id"], {"version": 1, "name": "B"})
    everything, updates = Recorder(), Recorder({"record.updated"})
    d = Dispatcher(services, [everything, updates])
    assert d.drain() == 2
    assert [e.type for e in everything.seen] == ["record.created", "record.updated"]
    assert [e.record_id for e in updates.seen] == [rec["id"]]
    assert updates.seen[0].payload["changes"] == {"name": ["A", "B"]}
    assert pending(services) == 0
    assert d.drain() == 0  # acknowledged: not delivered again


def test_a_failing_handler_gets_the_event_again_after_a_back_off(
    services: Services, frozen_clock: FrozenClock
) -> None:
    services.records.create(*C, {"name": "A"})
    flaky = Recorder(failures=2)
    d = Dispatcher(services, [flaky])
    assert d.run_once() == 1 and flaky.seen == []
    assert d.run_once() == 0  # not due before its back-off (5 s)
    with unit_of_work(services, write=False) as uow:
        row = uow.conn.execute(outbox.system.outbox.select()).one()
    assert "SMS gateway is down" in row.last_error and row.processed_at is None
    frozen_clock.advance(timedelta(seconds=5))
    assert d.run_once() == 1 and flaky.seen == []  # second failure: next try after 10 s
    frozen_clock.advance(timedelta(seconds=9))
    assert d.run_once() == 0
    frozen_clock.advance(timedelta(seconds=1))
    assert d.run_once() == 1
    assert [e.attempts for e in flaky.seen] == [3]
    assert pending(services) == 0


def test_after_the_last_attempt_an_event_is_failed_visible_and_retryable(
    services: Services, frozen_clock: FrozenClock
) -> None:
    services.records.create(*C, {"name": "A"})
    broken = Recorder(failures=10)
    d = Dispatcher(services, [broken], max_attempts=3)
    for _ in range(3):
        d.run_once()
        frozen_clock.advance(timedelta(hours=1))
    assert pending(services) == 0  # settled ...
    with unit_of_work(services, write=False) as uow:
        failed = outbox.failed(uow.conn)
    assert len(failed) == 1 and "gateway" in failed[0].last_error  # ... as failed, visible
    broken.failures = 0
    with unit_of_work(services) as uow:
        assert outbox.retry(uow.conn, failed[0].id, uow.now)
    assert d.drain() == 1 and len(broken.seen) == 1


def test_a_worker_that_dies_mid_batch_leaves_its_events_to_the_next(
    services: Services, frozen_clock: FrozenClock
) -> None:
    services.records.create(*C, {"name": "A"})
    with unit_of_work(services) as uow:  # claimed by a worker that then died
        assert len(outbox.claim(uow.conn, "dead", uow.now, lease=timedelta(minutes=5))) == 1
    rec = Recorder()
    d = Dispatcher(services, [rec])
    assert d.drain() == 0  # leased
    frozen_clock.advance(timedelta(minutes=5))
    assert d.drain() == 1 and len(rec.seen) == 1


def test_two_dispatchers_never_take_the_same_event(services: Services) -> None:
    services.records.bulk(*C, [{"name": f"c{i}"} for i in range(30)], return_items=False)
    a, b = Recorder(), Recorder()
    da = Dispatcher(services, [a], batch=7, worker="a")
    db = Dispatcher(services, [b], batch=7, worker="b")
    while da.run_once() + db.run_once():
        pass
    ids = [e.id for e in a.seen + b.seen]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert a.seen and b.seen


def test_purge_forgets_old_acknowledged_events_only(
    services: Services, frozen_clock: FrozenClock
) -> None:
    services.records.create(*C, {"name": "ok"})
    Dispatcher(services, [Recorder()]).drain()
    services.records.create(*C, {"name": "failing"})
    Dispatcher(services, [Recorder(failures=5)], max_attempts=1).drain()
    services.records.create(*C, {"name": "pending"})
    frozen_clock.advance(timedelta(days=8))
    assert purge_processed(services, timedelta(days=7)) == 1
    with unit_of_work(services, write=False) as uow:
        assert len(outbox.failed(uow.conn)) == 1
        assert outbox.pending_count(uow.conn) == 1


class BatchRecorder(Recorder):
    """A batch handler: takes the claimed events at once, fails those of the records in ``bad``."""

    def __init__(self, bad: set[int] | None = None, broken: bool = False) -> None:
        super().__init__()
        self.bad = bad or set()
        self.broken = broken
        self.batches: list[list[int]] = []

    def handle_batch(self, events: list[OutboxEvent]) -> dict[int, Exception]:
        if self.broken:
            raise RuntimeError("the batch cannot be taken")
        self.batches.append([e.id for e in events])
        errors: dict[int, Exception] = {}
        for e in events:
            if e.record_id in self.bad:
                errors[e.id] = RuntimeError("no such recipient")
            else:
                self.seen.append(e)
        return errors


def test_a_batch_handler_takes_the_batch_at_once_and_only_its_failures_come_back(
    services: Services, frozen_clock: FrozenClock
) -> None:
    ids = services.records.bulk(*C, [{"name": f"c{i}"} for i in range(5)], return_items=False)
    batch, after = BatchRecorder(bad={ids["ids"][2]}), Recorder()
    d = Dispatcher(services, [batch, after])
    assert d.run_once() == 5
    assert len(batch.batches) == 1 and len(batch.batches[0]) == 5  # one call, in event order
    assert batch.batches[0] == sorted(batch.batches[0])
    assert len(batch.seen) == 4
    assert len(after.seen) == 4  # the failed event goes to no later handler ...
    assert pending(services) == 1  # ... and comes back after its back-off
    with unit_of_work(services, write=False) as uow:
        row = uow.conn.execute(
            outbox.system.outbox.select().where(outbox.system.outbox.c.processed_at.is_(None))
        ).one()
    assert "no such recipient" in row.last_error and row.attempts == 1
    batch.bad = set()
    frozen_clock.advance(timedelta(seconds=5))
    assert d.run_once() == 1 and pending(services) == 0
    assert len(after.seen) == 5


def test_a_batch_handler_that_raises_gets_the_events_one_by_one(services: Services) -> None:
    services.records.bulk(*C, [{"name": f"c{i}"} for i in range(3)], return_items=False)
    broken = BatchRecorder(broken=True)
    d = Dispatcher(services, [broken])
    assert d.run_once() == 3
    assert len(broken.seen) == 3 and pending(services) == 0
