"""The rule engine over a claimed batch of events: in-app notifications written together, every
run logged, replays without a second effect, a failing rule isolated, the order per record kept."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import outbox, system
from cairn.store.outbox import OutboxEvent
from rulesdata import Worker, make_ops

RULES = "/api/v1/apps/ops/rules"
TICKETS = "/api/v1/apps/ops/tables/tickets/records"


@pytest.fixture(autouse=True)
def users(services: Services) -> dict[str, int]:
    return make_ops(services)


@pytest.fixture
def worker(services: Services, users: dict[str, int]) -> Worker:
    return Worker(services)


def create_rule(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(RULES, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def notify_rule(key: str, to: str, **more: Any) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "table": "tickets",
        "trigger": {"type": "record.updated", "fields": ["title"]},
        "actions": [
            {"type": "notify", "channel": "inapp", "to": [to], "subject": "{{ title }}"},
            {"type": "notify", "channel": "inapp", "to": [to], "subject": "again {{ title }}"},
        ],
        **more,
    }


def tickets(services: Services, n: int, **values: Any) -> list[int]:
    """``n`` tickets, each then updated once (the updates are the events under test)."""
    ids = services.records.bulk(
        "ops", "tickets", [{"title": f"t{i}", **values} for i in range(n)], return_items=False
    )["ids"]
    services.records.bulk(
        "ops",
        "tickets",
        [{"id": i, "version": 1, "title": f"u{n}"} for n, i in enumerate(ids)],
        return_items=False,
    )
    return ids


def titles(services: Services, user_id: int) -> list[str]:
    n = system.notifications
    with unit_of_work(services, write=False) as uow:
        q = sa.select(n.c.title).where(n.c.user_id == user_id).order_by(n.c.id)
        return list(uow.conn.execute(q).scalars())


def runs(client: TestClient, rule: dict[str, Any]) -> list[dict[str, Any]]:
    r = client.get(f"{RULES}/{rule['id']}/runs", params={"limit": 500})
    assert r.status_code == 200, r.text
    return r.json()["items"][::-1]  # oldest first


def update_events(services: Services) -> list[OutboxEvent]:
    o = system.outbox
    with unit_of_work(services, write=False) as uow:
        rows = uow.conn.execute(
            o.select().where(o.c.type == "record.updated").order_by(o.c.id)
        ).all()
    return [OutboxEvent.from_row(r) for r in rows]


def pending(services: Services) -> int:
    with unit_of_work(services, write=False) as uow:
        return outbox.pending_count(uow.conn)


def test_a_batch_of_events_notifies_once_per_action_and_logs_every_run(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    director = users["director"]
    rule = create_rule(
        client, notify_rule("watch", f"user:{director}", condition='{priority} = "高"')
    )
    ids = tickets(services, 30, priority="高")
    services.records.update("ops", "tickets", ids[3], {"version": 2, "priority": "低"})
    worker.drain()
    # ids[3]'s title event ran after its priority changed: the condition is read at run time
    expected = [t for n in range(30) if n != 3 for t in (f"u{n}", f"again u{n}")]
    assert titles(services, director) == expected
    log = runs(client, rule)
    assert len(log) == 30
    assert [r["status"] for r in log] == ["ok"] * 3 + ["skipped"] + ["ok"] * 26
    assert log[3]["condition"] is False and log[0]["condition"] is True
    assert [r["record_id"] for r in log] == ids
    assert [a["status"] for a in log[0]["actions"]] == ["ok", "ok"]
    assert log[0]["actions"][0]["result"]["deliveries"] == [
        {"channel": "inapp", "recipient": f"user:{director}", "status": "sent"}
    ]
    assert pending(services) == 0
    # Delivered again (a worker died before its acknowledgement): no second effect.
    events = update_events(services)
    assert services.rule_engine.handle_batch(events) == {}
    assert len(titles(services, director)) == 58 and len(runs(client, rule)) == 30


def test_a_replayed_notification_is_not_written_twice(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    """A notification already there under the action's key (its run row lost): reported as
    replayed in the run, not written again."""
    director = users["director"]
    rule = create_rule(client, notify_rule("watch", f"user:{director}"))
    tickets(services, 3)
    worker.drain()
    with unit_of_work(services) as uow:
        uow.conn.execute(sa.delete(system.rule_runs))
    assert services.rule_engine.handle_batch(update_events(services)) == {}
    assert len(titles(services, director)) == 6
    log = runs(client, rule)
    assert [r["status"] for r in log] == ["ok"] * 3
    deliveries = log[0]["actions"][0]["result"]["deliveries"]
    assert deliveries[0]["replayed"] is True


def test_a_failing_rule_in_a_batch_leaves_the_others_alone(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    director = users["director"]
    bad = create_rule(client, notify_rule("nobody", "user:999999"))
    good = create_rule(client, notify_rule("watch", f"user:{director}"))
    tickets(services, 5)
    worker.drain()
    assert len(titles(services, director)) == 10
    assert [r["status"] for r in runs(client, good)] == ["ok"] * 5
    failed = runs(client, bad)
    # A notification's failure lets the run finish (on_error "continue" by default).
    assert [r["status"] for r in failed] == ["partial"] * 5
    assert "no such user" in failed[0]["error"]
    assert failed[0]["actions"][0]["on_error"] == "continue"
    assert pending(services) == 0  # a recipient that does not exist is not retried


def test_runs_keep_the_order_of_their_events_when_some_run_on_their_own(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    """In-app rules are written in batches, a rule that writes records runs on its own: the
    runs still follow the events (and, per event, the rules) in order."""
    director = users["director"]
    notify = create_rule(client, notify_rule("watch", f"user:{director}"))
    task = create_rule(
        client,
        {
            "key": "follow_up",
            "name": "跟进",
            "table": "tickets",
            "trigger": {"type": "record.updated", "fields": ["title"]},
            "actions": [
                {"type": "create_record", "table": "tasks", "values": {"title": "{title}"}}
            ],
        },
    )
    ids = tickets(services, 4)
    worker.drain()
    rr = system.rule_runs
    with unit_of_work(services, write=False) as uow:
        order = uow.conn.execute(
            sa.select(rr.c.record_id, rr.c.rule_id)
            .where(rr.c.rule_id.in_([notify["id"], task["id"]]))
            .order_by(rr.c.id)
        ).all()
    assert [tuple(r) for r in order] == [
        (i, rule) for i in ids for rule in (notify["id"], task["id"])
    ]
    assert len(titles(services, director)) == 8
