from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cairn.core import Event
from cairn.store import create_engine, migrate, outbox


@pytest.fixture
def engine(db_url: str):
    e = create_engine(db_url)
    migrate(e)
    yield e
    e.dispose()


def test_claim_ack_and_redelivery(engine) -> None:
    t0 = datetime(2026, 1, 5, 9, 0)
    with engine.begin() as c:
        outbox.append(c, [Event("record.created", 1, 1, i, {"n": i}) for i in range(5)], t0)
    with engine.begin() as c:
        first = outbox.claim(c, "w1", t0, limit=3)
    assert [r.record_id for r in first] == [0, 1, 2]
    with engine.begin() as c:
        second = outbox.claim(c, "w2", t0, limit=10)
    assert [r.record_id for r in second] == [3, 4]  # claimed events are not handed out twice
    with engine.begin() as c:
        outbox.ack(c, [r.id for r in first], t0)
        outbox.release(c, second[0].id, "smtp down", t0 + timedelta(seconds=30))
    with engine.begin() as c:
        # Acknowledged events never return; the released one is not due before its retry time.
        assert outbox.claim(c, "w1", t0 + timedelta(seconds=29)) == []
    # A lease that runs out without an ack hands the event out again: at least once.
    with engine.begin() as c:
        again = outbox.claim(c, "w3", t0 + timedelta(minutes=6), limit=10)
    assert {r.record_id for r in again} == {3, 4}
    assert all(r.attempts >= 2 for r in again)
    with engine.begin() as c:
        assert outbox.pending_count(c) == 2


def test_events_roll_back_with_their_transaction(engine) -> None:
    t0 = datetime(2026, 1, 5, 9, 0)
    with pytest.raises(RuntimeError), engine.begin() as c:
        outbox.append(c, [Event("record.created", 1, 1, 1)], t0)
        raise RuntimeError("the write failed")
    with engine.begin() as c:
        assert outbox.pending_count(c) == 0


def test_purge_keeps_the_newest_event_so_ids_never_go_back(engine) -> None:
    t0 = datetime(2026, 1, 5, 9, 0)
    with engine.begin() as c:
        outbox.append(c, [Event("record.created", 1, 1, i) for i in range(3)], t0)
        taken = outbox.claim(c, "w1", t0, limit=10)
        outbox.ack(c, [r.id for r in taken], t0)
        newest = outbox.last_id(c)
    assert newest == max(r.id for r in taken)
    with engine.begin() as c:
        assert outbox.purge(c, t0 + timedelta(days=8)) == 2
        assert outbox.last_id(c) == newest  # SQLite would number the next event from here
        outbox.append(c, [Event("record.created", 1, 1, 9)], t0)
        assert outbox.last_id(c) == newest + 1


def test_meta_goes_into_every_payload_over_copy_and_insert(engine) -> None:
    """A unit of work's event meta (an import's id, "no rules") is merged into each payload;
    a payload many events share (a bulk create's) is merged once and stored for each. 30
    events: PostgreSQL takes them by COPY (JSON serialised once), SQLite by executemany."""
    t0 = datetime(2026, 1, 5, 9, 0)
    shared = {"version": 1}
    events = [Event("record.created", 1, 1, i, shared) for i in range(30)]
    events.append(Event("record.updated", 1, 1, 99, {"version": 2, "changes": {"a": 1}}))
    meta = {"import_id": 7, "no_rules": True}
    with engine.begin() as c:
        outbox.append(c, events, t0, meta)
    with engine.begin() as c:
        rows = outbox.claim(c, "w1", t0, limit=100)
    payloads = {r.record_id: r.payload for r in rows}
    assert len(payloads) == 31
    assert all(payloads[i] == {"version": 1, **meta} for i in range(30))
    assert payloads[99] == {"version": 2, "changes": {"a": 1}, **meta}
    assert shared == {"version": 1}  # the events' own payloads are left as they were
