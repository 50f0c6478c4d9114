"""A forecast counts firings without building each one (``TriggerType.outlook`` of the date,
schedule and inactivity triggers); what it answers is what building every firing ``due``
lists and counting them answers (the trigger base's ``outlook``): the same first items in
the same order, the same total, the same firings per moment. On SQLite and PostgreSQL, with
firings already made, deleted records, a filter, and lists cut short."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from cairn.core import FrozenClock
from cairn.rules.date_trigger import DateRelative
from cairn.rules.inactivity_trigger import Inactivity
from cairn.rules.schedule_trigger import Schedule
from cairn.rules.spec import DateTrigger, InactivityTrigger, ScheduleTrigger
from cairn.rules.trigger_base import Outlook, ScanContext, TriggerType
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import rules as rule_store

RULE_ID = 4242
FIRST = (1, 3, 40, 1000)
CHINA = {"field": "name", "op": "contains", "value": "c"}


def shape(o: Outlook) -> tuple[Any, ...]:
    return ([(d.record_id, d.fire_key, d.due_at) for d in o.items], o.total, dict(o.moments))


@pytest.fixture
def customers(services: Services, users: dict[str, int], frozen_clock: FrozenClock) -> list[int]:
    """Customers with insurance dates over the next months (several on one date, some none,
    one deleted), some with interactions at different times."""
    r = services.records
    base = frozen_clock.now().date()
    ids = []
    for i in range(40):
        d = None if i % 11 == 0 else base + timedelta(days=(i * 7) % 30 - 10)
        body = {"name": f"{'abc'[i % 3]}{i}", "insurance_expiry": d and d.isoformat()}
        ids.append(r.create("ops", "customers", body)["id"])
    r.delete("ops", "customers", ids[5])
    for i, rid in enumerate(ids[::4]):
        frozen_clock.advance(timedelta(hours=7 * i + 1))
        r.create("ops", "interactions", {"note": "call", "customer": rid})
    return ids


def contexts(services: Services, now: datetime, armed: datetime) -> Iterator[ScanContext]:
    with unit_of_work(services, write=False) as uow:
        yield ScanContext(
            uow.conn,
            uow.catalog,
            uow.catalog.table("ops", "customers"),
            RULE_ID,
            armed,
            now,
            FrozenClock(now.replace(tzinfo=UTC)),
            None,
        )


def fired(services: Services, rows: list[tuple[int, str]], at: datetime) -> None:
    with unit_of_work(services) as uow:
        rule_store.insert_firings(
            uow.conn,
            [
                {
                    "rule_id": RULE_ID,
                    "record_id": rid,
                    "fire_key": key,
                    "due_at": at,
                    "fired_at": at,
                    "late": False,
                }
                for rid, key in rows
            ],
        )


def same(trigger: TriggerType, spec: Any, ctx: ScanContext, days: int = 30) -> int:
    """The trigger's outlook against every firing built and counted, cut at each length."""
    until = ctx.now + timedelta(days=days)
    total = -1
    for first in FIRST:
        got = trigger.outlook(spec, ctx, until, first)
        want = TriggerType.outlook(trigger, spec, ctx, until, first)
        assert shape(got) == shape(want), first
        total = got.total
    return total


@pytest.mark.parametrize(
    "body",
    [
        {"offset": -30, "at": "09:00"},
        {"offset": 0},
        {"offset": 3, "at": "23:30", "filter": CHINA},
        {"offset": -90, "unit": "minutes", "at": "00:30"},
    ],
)
def test_a_date_forecast_counts_what_every_firing_counts(
    services: Services, customers: list[int], frozen_clock: FrozenClock, body: dict[str, Any]
) -> None:
    spec = DateTrigger(type="date", field="insurance_expiry", **body)
    now = frozen_clock.now().replace(tzinfo=None)
    armed = now - timedelta(days=5)
    for ctx in contexts(services, now, armed):
        before = same(DateRelative(), spec, ctx)
        dues = DateRelative().due(spec, ctx, now + timedelta(days=30))
    assert before > 3
    fired(services, [(d.record_id, d.fire_key) for d in dues[1:4]], now)
    for ctx in contexts(services, now, armed):
        assert same(DateRelative(), spec, ctx) == before - 3


def test_a_schedule_forecast_counts_what_every_firing_counts(
    services: Services, customers: list[int], frozen_clock: FrozenClock
) -> None:
    now = frozen_clock.now().replace(tzinfo=None)
    armed = now - timedelta(days=2, hours=3)  # missed occurrences, due now
    past = (now - timedelta(days=1)).replace(hour=1, minute=0)  # 09:00 in Shanghai
    fired(services, [(customers[1], past.isoformat(timespec="minutes"))], now)
    for cron, f in (("0 9 * * *", None), ("0 */6 * * 1-5", CHINA), ("*/20 * * * *", None)):
        spec = ScheduleTrigger(type="schedule", cron=cron, filter=f)
        for ctx in contexts(services, now, armed):
            assert same(Schedule(), spec, ctx, days=7) > 0


@pytest.mark.parametrize("days", [1, 3])
def test_an_inactivity_forecast_counts_what_every_firing_counts(
    services: Services, customers: list[int], frozen_clock: FrozenClock, days: int
) -> None:
    spec = InactivityTrigger.model_validate(
        {"type": "inactivity", "sources": [{"relation": "interactions"}], "days": days}
    )
    now = frozen_clock.now().replace(tzinfo=None)
    for ctx in contexts(services, now, now):
        total = same(Inactivity(), spec, ctx)
        dues = Inactivity().due(spec, ctx, now + timedelta(days=30))
    assert total == len(customers) - 1
    fired(services, [(d.record_id, d.fire_key) for d in dues[:2]], now)
    for ctx in contexts(services, now, now):
        assert same(Inactivity(), spec, ctx) == total - 2


def test_dates_of_a_forecast_are_read_once_per_value(
    services: Services, customers: list[int], frozen_clock: FrozenClock
) -> None:
    """Several records on one date share its moment; per moment they are all counted."""
    spec = DateTrigger(type="date", field="insurance_expiry", offset=-1, at="09:00")
    now = frozen_clock.now().replace(tzinfo=None)
    for ctx in contexts(services, now, now - timedelta(days=30)):
        out = DateRelative().outlook(spec, ctx, now + timedelta(days=90), 1000)
    assert sum(out.moments.values()) == out.total == len(out.items)
    assert max(out.moments.values()) > 1
    assert all(isinstance(d.due_at, datetime) and date.fromisoformat(d.fire_key) for d in out.items)
