"""A rule reacts only to events committed after it was enabled: a change whose event was still
in the outbox when the rule was created (or re-enabled after being off) does not fire it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import system
from rulesdata import Worker, make_ops

RULES = "/api/v1/apps/ops/rules"
TICKETS = "/api/v1/apps/ops/tables/tickets/records"


def inapp(services: Services, user_id: int) -> list[str]:
    n = system.notifications
    with unit_of_work(services, write=False) as uow:
        q = sa.select(n.c.title).where(n.c.user_id == user_id).order_by(n.c.id)
        return list(uow.conn.execute(q).scalars())


def ticket(client: TestClient, title: str) -> dict[str, Any]:
    r = client.post(TICKETS, json={"title": title})
    assert r.status_code == 201, r.text
    return r.json()


def test_events_committed_before_a_rule_is_enabled_do_not_fire_it(
    client: TestClient, services: Services
) -> None:
    users = make_ops(services)
    worker = Worker(services)
    body = {
        "key": "new_ticket",
        "name": "新工单",
        "table": "tickets",
        "trigger": {"type": "record.created"},
        "actions": [
            {
                "type": "notify",
                "channel": "inapp",
                "to": [f"user:{users['director']}"],
                "subject": "{{ title }}",
            }
        ],
    }
    ticket(client, "before the rule")  # its event waits in the outbox
    r = client.post(RULES, json=body)
    assert r.status_code == 201, r.text
    rule = r.json()
    ticket(client, "after the rule")
    worker.drain()
    assert inapp(services, users["director"]) == ["after the rule"]

    # Off, a change, on again, all before the worker gets to it: that change stays quiet too.
    r = client.put(f"{RULES}/{rule['id']}", json=body | {"enabled": False, "version": 1})
    assert r.status_code == 200, r.text
    ticket(client, "while off")
    r = client.put(f"{RULES}/{rule['id']}", json=body | {"enabled": True, "version": 2})
    assert r.status_code == 200, r.text
    ticket(client, "on again")
    # An edit of an enabled rule moves nothing: what came before it still counts.
    ticket(client, "before an edit")
    edited = body | {"name": "新工单通知", "enabled": True, "version": 3}
    assert client.put(f"{RULES}/{rule['id']}", json=edited).status_code == 200
    worker.drain()
    assert inapp(services, users["director"]) == [
        "after the rule",
        "on again",
        "before an edit",
    ]
    runs = client.get(f"{RULES}/{rule['id']}/runs").json()["items"]
    assert len(runs) == 3
