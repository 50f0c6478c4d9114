"""Deliveries over HTTP (administrators): a rule's webhook that fails is listed with its rule
and record, retried by the worker on the clock, replayed (each replay one more attempt,
recorded and audit-logged), replayed in bulk per channel or rule; the dead-letter count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.worker.dispatch import Dispatcher
from factories import make_crm, make_user
from support.receiver import Answer, Receiver

D = "/api/v1/deliveries"
RULES = "/api/v1/apps/crm/rules"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as r:
        yield r


@pytest.fixture
def crm(services: Services, client: TestClient, receiver: Receiver) -> TestClient:
    make_crm(services)
    r = client.post(
        "/api/v1/channels",
        json={"key": "webhook:erp", "settings": {"url": receiver.url + "/erp", "secret": "k"}},
    )
    assert r.status_code == 201, r.text
    return client


def hook_rule(client: TestClient, key: str = "to_erp") -> dict[str, Any]:
    r = client.post(
        RULES,
        json={
            "key": key,
            "name": "推送 ERP",
            "table": "customers",
            "trigger": {"type": "record.created"},
            "actions": [
                {"type": "webhook", "channel": "webhook:erp", "body": '{"name": "{{ name }}"}'},
            ],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def customer(client: TestClient, services: Services, name: str) -> int:
    r = client.post("/api/v1/apps/crm/tables/customers/records", json={"name": name})
    assert r.status_code == 201, r.text
    Dispatcher(services, services.event_handlers).drain()
    return int(r.json()["id"])


def test_a_failing_webhook_is_listed_retried_on_the_clock_and_replayed(
    crm: TestClient, services: Services, receiver: Receiver, frozen_clock: FrozenClock
) -> None:
    client = crm
    rule = hook_rule(client)
    receiver.default = Answer(503, {"error": "erp down"})
    rid = customer(client, services, "华东通航")
    page = client.get(D).json()
    assert page["total"] == 1
    [item] = page["items"]
    assert item["status"] == "retrying" and item["attempts"] == 1
    assert item["kind"] == "webhook" and item["channel"] == "webhook:erp"
    assert "503" in item["error"] and "erp down" in item["response"]
    assert item["rule"] == {"id": rule["id"], "key": "to_erp", "name": "推送 ERP", "app": "crm"}
    assert item["record"] == {"app": "crm", "table": "customers", "id": rid}
    assert item["run_id"] and item["next_attempt_at"] == "2026-01-05T09:01:00Z"
    assert client.get(D + "/summary").json() == {"dead": 0, "retrying": 1}
    # The worker's retries on the clock: 1 min, then 5 min later it goes through.
    frozen_clock.advance(timedelta(minutes=1))
    assert services.deliveries.retry_due()["retrying"] == 1
    receiver.default = Answer(200, {"ok": True})
    frozen_clock.advance(timedelta(minutes=5))
    assert services.deliveries.retry_due()["sent"] == 1
    detail = client.get(f"{D}/{item['id']}").json()
    assert detail["status"] == "sent" and detail["attempt_count"] == 3
    assert [a["status"] for a in detail["attempts"]] == ["failed", "failed", "sent"]
    assert detail["payload"]["data"] == {"name": "华东通航"}
    assert "k" not in detail["payload"].get("secret", "")
    assert len(receiver.requests) == 3
    # Replaying twice sends it once more each time and records both attempts.
    for n in (4, 5):
        r = client.post(f"{D}/{item['id']}/replay")
        assert r.status_code == 200, r.text
        assert r.json()["attempt_count"] == n
    detail = client.get(f"{D}/{item['id']}").json()
    assert [a["status"] for a in detail["attempts"]] == ["failed", "failed", "sent", "sent", "sent"]
    admin = client.get("/api/v1/auth/me").json()["user"]["id"]
    assert [a["replay_by"] for a in detail["attempts"]] == [None, None, None, admin, admin]
    assert len(receiver.requests) == 5
    keys = {r.headers["X-Cairn-Idempotency-Key"] for r in receiver.requests}
    assert len(keys) == 1  # the same idempotency key on every attempt
    audit = client.get("/api/v1/audit", params={"action": "delivery.*"}).json()["items"]
    assert [e["action"] for e in audit] == ["delivery.replay", "delivery.replay"]
    # The rule's run went on: the delivery owns its retries (the run log names it).
    runs = client.get(f"{RULES}/{rule['id']}/runs").json()["items"]
    assert runs[0]["status"] == "partial"
    assert runs[0]["actions"][0]["result"]["deliveries"] == [item["id"]]


def test_filters_replay_all_and_the_dead_letter_count(
    crm: TestClient, services: Services, receiver: Receiver
) -> None:
    client = crm
    rule = hook_rule(client)
    receiver.default = Answer(400, {"error": "bad request"})  # final: dead at once
    for name in ("甲", "乙", "丙"):
        customer(client, services, name)
    receiver.default = Answer(200, {"ok": True})
    client.post("/api/v1/channels/webhook:erp/test", json={})  # one sent, outside the rule
    assert client.get(D + "/summary").json() == {"dead": 3, "retrying": 0}
    dead = client.get(D, params={"status": "dead"}).json()
    assert dead["total"] == 3 and all(i["rule"]["id"] == rule["id"] for i in dead["items"])
    assert client.get(D, params={"status": "dead,sent"}).json()["total"] == 4
    assert client.get(D, params={"rule_id": rule["id"]}).json()["total"] == 3
    assert client.get(D, params={"channel": "webhook:erp"}).json()["total"] == 4
    assert client.get(D, params={"q": "bad request"}).json()["total"] == 3
    assert client.get(D, params={"q": "nothing like it"}).json()["total"] == 0
    assert client.get(D, params={"since": "2026-01-05T10:00:00Z"}).json()["total"] == 0
    assert client.get(D, params={"until": "2026-01-05T10:00:00Z"}).json()["total"] == 4
    first = client.get(D, params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["total"] == 4 and first["next_cursor"]
    rest = client.get(D, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert client.get(D, params={"status": "failed"}).status_code == 422
    # Replay every failed one of the rule.
    assert client.post(D + "/replay", json={}).status_code == 422
    r = client.post(D + "/replay", json={"rule_id": rule["id"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"replayed": 3, "sent": 3, "failed": 0}
    assert client.get(D + "/summary").json() == {"dead": 0, "retrying": 0}
    assert client.post(D + "/replay", json={"channel": "webhook:erp"}).json()["replayed"] == 0
    audit = client.get("/api/v1/audit", params={"action": "delivery.*"}).json()["items"]
    assert [e["action"] for e in audit] == ["delivery.replay_all", "delivery.replay_all"]
    assert client.get(f"{D}/999999").status_code == 404
    assert client.post(f"{D}/999999/replay").status_code == 404


def test_members_may_not_see_or_replay_deliveries(services: Services) -> None:
    _, token = make_user(services, "member")
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        assert c.get(D).status_code == 403
        assert c.get(D + "/summary").status_code == 403
        assert c.post(D + "/replay", json={"channel": "webhook"}).status_code == 403
        assert c.post(f"{D}/1/replay").status_code == 403
