"""The rule engine on a real worker process: the periodic scan fires what came due while no
worker ran (marked late), and a worker killed outright mid-way leaves every action done exactly
once in effect after a restart."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_worker import env_for, start_worker, stop, wait_for

from cairn.auth import SYSTEM as SYSTEM_ADMIN
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import outbox, system
from factories import make_services
from rulesdata import make_ops


@pytest.fixture
def clock() -> FrozenClock:
    # The worker runs on the real clock: the test's writes happen a little in its past.
    return FrozenClock(datetime.now(UTC) - timedelta(hours=2))


@pytest.fixture
def services(db_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", clock)
    yield s
    s.close()


def count(s: Services, table: sa.Table | str, where: sa.ColumnElement[bool] | None = None) -> int:
    with unit_of_work(s, write=False) as uow:
        t = table if isinstance(table, sa.Table) else uow.catalog.table("ops", table).sa_table
        q = sa.select(sa.func.count()).select_from(t)
        if where is not None:
            q = q.where(where)
        return uow.conn.execute(q).scalar_one()


def test_reminders_due_while_no_worker_ran_fire_once_when_it_starts_marked_late(
    services: Services, db_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    make_ops(services)
    services.schema.create_field(
        "ops", "tickets", {"key": "deadline", "name": "截止", "type": "datetime"}
    )
    services.rules.create(
        SYSTEM_ADMIN,
        "ops",
        {
            "key": "deadline_reminder",
            "name": "截止提醒",
            "table": "tickets",
            "trigger": {"type": "date", "field": "deadline", "offset": -30, "unit": "minutes"},
            "actions": [
                {"type": "create_record", "table": "tasks", "values": {"title": "{title}"}}
            ],
        },
    )
    start = clock.now()
    for i in range(3):  # due 20, 40 and 60 minutes after the rule was made: all in the past now
        deadline = start + timedelta(minutes=50 + 20 * i)
        services.records.create(
            "ops", "tickets", {"title": f"T{i}", "deadline": deadline.isoformat()}
        )
    proc = start_worker(env_for(db_url, tmp_path / "data"))
    try:
        assert wait_for(lambda: count(services, "tasks") >= 3), "the reminders did not fire"
        assert wait_for(
            lambda: count(services, system.rule_runs, system.rule_runs.c.status == "ok") == 3
        )
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
    assert count(services, "tasks") == 3
    runs = system.rule_runs
    assert count(services, runs, runs.c.late.is_(True)) == 3


EVENTS = 5000


def test_a_worker_killed_mid_way_leaves_every_action_done_exactly_once(
    services: Services, db_url: str, tmp_path: Path
) -> None:
    users = make_ops(services)
    services.rules.create(
        SYSTEM_ADMIN,
        "ops",
        {
            "key": "follow_up",
            "name": "跟进",
            "table": "tickets",
            "trigger": {"type": "record.created"},
            "actions": [
                {"type": "create_record", "table": "tasks", "values": {"title": "{title}"}},
                {
                    "type": "notify",
                    "channel": "inapp",
                    "to": [f"user:{users['director']}"],
                    "subject": "{{ title }}",
                },
            ],
        },
    )
    for start in range(0, EVENTS, 1000):
        services.records.bulk(
            "ops",
            "tickets",
            [{"title": f"T{i}"} for i in range(start, start + 1000)],
            return_items=False,
        )
    env = env_for(db_url, tmp_path / "data")
    proc = start_worker(env)
    try:
        assert wait_for(lambda: count(services, "tasks") >= EVENTS // 4, timeout=300)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    done_before = count(services, "tasks")
    assert done_before < EVENTS, "the worker finished before it was killed"
    # The dead worker's leases would run out after 5 minutes; let them run out now.
    with unit_of_work(services) as uow:
        o = system.outbox
        uow.conn.execute(
            sa.update(o).where(o.c.processed_at.is_(None)).values(available_at=uow.now)
        )
    proc = start_worker(env)
    try:
        assert wait_for(lambda: _pending(services) == 0, timeout=600)
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
    tasks = services.records.query("ops", "tasks", limit=1, count=True)["total"]
    assert tasks == EVENTS
    with unit_of_work(services, write=False) as uow:
        t = uow.catalog.table("ops", "tasks").sa_table
        title = t.c[uow.catalog.table("ops", "tasks").by_key["title"].column_name]
        distinct = uow.conn.execute(sa.select(sa.func.count(sa.distinct(title)))).scalar_one()
    assert distinct == EVENTS
    n = system.notifications
    assert count(services, n, n.c.user_id == users["director"]) == EVENTS
    runs = system.rule_runs
    assert count(services, runs, runs.c.status == "ok") == EVENTS


def _pending(s: Services) -> int:
    with unit_of_work(s, write=False) as uow:
        return outbox.pending_count(uow.conn)
