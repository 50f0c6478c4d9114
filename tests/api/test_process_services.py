"""Service tasks run rule-engine actions: record writes inside the step's transaction,
outside deliveries (webhooks) through the outbox, each exactly once; a failing action puts the
instance in status ``error`` (visible in the timeline) until an admin retries it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.store import system
from cairn.worker.dispatch import Dispatcher
from processdata import Org, act, deploy, only_task, timeline
from support.receiver import Answer, Receiver

FIELDS = [
    {"key": "customer", "name": "客户", "type": "text"},
    {"key": "status", "name": "状态", "type": "text"},
    {"key": "amount", "name": "金额", "type": "number"},
    {"key": "agent", "name": "经办人", "type": "user"},
]

FLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="intake" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="orders"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="accept"/>
    <bpmn:serviceTask id="accept" name="受理">
      <bpmn:extensionElements>
        <cairn:action>{"type": "update_record", "values": {"status": "\\"已受理\\"", "amount": "{amount} * 2"}}</cairn:action>
        <cairn:action>{"type": "create_record", "table": "tickets", "values": {"code": "\\"T-\\" &amp; {customer}"}}</cairn:action>
        <cairn:action type="notify">{"to": ["field:agent"], "subject": "{{ customer }} 已受理"}</cairn:action>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="accept" targetRef="check"/>
    <bpmn:userTask id="check" name="确认"><bpmn:extensionElements><cairn:assignee type="initiator"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="sync"/>
    <bpmn:serviceTask id="sync" name="同步 ERP">
      <bpmn:extensionElements>
        <cairn:action>{"type": "webhook", "url": "RECEIVER/erp", "body": "{\\"customer\\": \\"{{ customer }}\\"}"}</cairn:action>
        <cairn:action>{"type": "update_record", "values": {"status": "\\"已同步\\""}}</cairn:action>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="sync" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""

ORDERS = "/api/v1/apps/shop/tables/orders/records"
TICKETS = "/api/v1/apps/shop/tables/tickets/records"


@pytest.fixture
def receiver(services: Services) -> Iterator[Receiver]:
    with Receiver().running() as r:
        services.channel_configs.create(cli(), {"key": "webhook", "settings": {"secret": "s"}})
        yield r


def setup(client: TestClient, receiver: Receiver) -> str:
    assert client.post("/api/v1/apps", json={"key": "shop", "name": "店"}).status_code == 201
    for key, fields in (
        ("orders", FIELDS),
        ("tickets", [{"key": "code", "name": "编号", "type": "text", "unique": True}]),
    ):
        r = client.post(
            "/api/v1/apps/shop/tables", json={"key": key, "name": key, "fields": fields}
        )
        assert r.status_code == 201, r.text
    return FLOW.replace("RECEIVER", receiver.url)


def start(client: TestClient, customer: str) -> tuple[int, int]:
    me = client.get("/api/v1/auth/me").json()["user"]["id"]
    r = client.post(ORDERS, json={"customer": customer, "amount": 5, "agent": me})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = client.post("/api/v1/apps/shop/processes/intake/start", json={"record_id": rid})
    assert r.status_code == 201, r.text
    return rid, r.json()["id"]


def actions(tl: dict, kind: str) -> list[dict]:
    return [e for e in tl["events"] if e["action"] == kind]


def test_deploy_checks_service_actions_like_rule_actions(
    services: Services, client: TestClient, receiver: Receiver
) -> None:
    xml = setup(client, receiver)
    url = "/api/v1/apps/shop/processes"
    cases = [
        (
            xml.replace('"status": "\\"已受理\\""', '"nope": "1"'),
            "bpmn.accept.actions.0.values.nope",
        ),
        (xml.replace('{"type": "update_record"', '{"type": "wait"'), "bpmn.accept.actions.0.type"),
        (xml.replace('"table": "tickets"', '"table": "ghosts"'), "bpmn.accept.actions.1.table"),
        (xml.replace("{amount} * 2", "{amount} *"), "bpmn.accept.actions.0"),
        (xml.replace('"to": ["field:agent"]', '"to": "owner"'), "bpmn.accept.actions.2.to"),
        (xml.replace('{"type": "webhook"', '{"type": webhook'), "bpmn.sync.actions.0"),
    ]
    for bad, where in cases:
        r = client.post(url, json={"bpmn": bad})
        assert r.status_code == 422, (where, r.text)
        assert any(e["field"].startswith(where) for e in r.json()["errors"]), (where, r.text)
    assert client.get(url).json()["items"] == []
    assert client.post(url, json={"bpmn": xml}).status_code == 201


def test_service_tasks_run_rule_actions_exactly_once(
    services: Services, client: TestClient, receiver: Receiver
) -> None:
    deploy(client, "shop", setup(client, receiver))
    rid, iid = start(client, "甲")
    # The first service task ran inside the start's transaction: record updated, ticket
    # created, in-app notification to the owner.
    order = client.get(f"{ORDERS}/{rid}").json()
    assert (order["status"], order["amount"]) == ("已受理", 10)
    assert [t["code"] for t in client.get(TICKETS).json()["items"]] == ["T-甲"]
    notes = client.get("/api/v1/notifications").json()["items"]
    assert [n["title"] for n in notes] == ["甲 已受理"], notes
    tl = timeline(client, iid)
    assert [e["details"]["type"] for e in actions(tl, "service_action")] == [
        "update_record",
        "create_record",
        "notify",
    ]
    history = client.get(f"{ORDERS}/{rid}/history").json()["items"]
    assert None in [h["actor_id"] for h in history]  # the service task wrote as the system
    # The second one: the webhook goes out from the worker, then the flow goes on.
    act(client, only_task(client)["id"], "complete")
    tl = timeline(client, iid)
    assert tl["status"] == "running" and tl["current"] == []
    assert actions(tl, "service_queued")[0]["details"] == {"index": 0, "type": "webhook"}
    assert receiver.requests == []
    dispatcher = Dispatcher(services, services.event_handlers)
    dispatcher.drain()
    assert [r.json() for r in receiver.requests if r.path == "/erp"] == [{"customer": "甲"}]
    tl = timeline(client, iid)
    assert tl["status"] == "completed"
    assert client.get(f"{ORDERS}/{rid}").json()["status"] == "已同步"
    # Every event delivered again (a crash before the acknowledgement): nothing twice.
    with services.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE outbox SET processed_at = NULL, available_at = created_at")
    dispatcher.drain()
    assert len([r for r in receiver.requests if r.path == "/erp"]) == 1
    assert len(client.get(TICKETS).json()["items"]) == 1
    assert len(actions(timeline(client, iid), "service_action")) == 5


def test_a_failing_action_is_an_incident_an_admin_retries(
    services: Services, client: TestClient, receiver: Receiver
) -> None:
    deploy(client, "shop", setup(client, receiver))
    start(client, "甲")
    # A second order of 甲: the ticket code is taken, so the create fails.
    rid, iid = start(client, "甲")
    tl = timeline(client, iid)
    assert tl["status"] == "error" and tl["current"] == []
    assert tl["incident"]["step"] == "accept" and tl["incident"]["index"] == 1
    # Named as drawn, and told in both languages (the administrators' page shows either):
    # the field's own complaint, not the general "the input is not valid" above it.
    incident = tl["incident"]
    assert incident["name"] == "受理" and set(incident["errors"]) == {"en", "zh-CN"}
    assert incident["errors"]["en"] == incident["error"] and incident["error"].startswith("code: ")
    assert incident["errors"]["zh-CN"].startswith("code: ") and "甲" in incident["errors"]["zh-CN"]
    assert incident["errors"]["zh-CN"] != incident["errors"]["en"]
    [failed] = actions(tl, "service_failed")
    assert failed["step"] == "accept" and failed["details"]["type"] == "create_record"
    assert "code" in failed["details"]["error"] or "unique" in failed["details"]["error"].lower()
    # Action 0 (the update) is done and stays done; the failed one left nothing behind.
    assert client.get(f"{ORDERS}/{rid}").json()["amount"] == 10
    assert len(client.get(TICKETS).json()["items"]) == 1
    with services.engine.begin() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(system.notifications)).scalar()
    assert n == 1  # only the first order's
    # Only an admin retries, only a failed instance.
    org = Org(services)
    org.user("clerk")
    with org.client("clerk") as clerk:
        assert clerk.post(f"/api/v1/process-instances/{iid}/retry").status_code == 403
    r = client.post(f"/api/v1/process-instances/{iid}/retry")
    assert r.status_code == 200 and r.json()["status"] == "error"  # the code is still taken
    assert len(actions(r.json(), "service_failed")) == 2
    [ticket] = client.get(TICKETS).json()["items"]
    r = client.delete(f"{TICKETS}/{ticket['id']}", params={"version": ticket["version"]})
    assert r.status_code in (200, 204), r.text
    r = client.post(f"/api/v1/process-instances/{iid}/retry")
    assert r.status_code == 200 and r.json()["status"] == "running"
    assert [c["step"] for c in r.json()["current"]] == ["check"]
    assert actions(r.json(), "retried")[-1]["details"]["type"] == "create_record"
    # The update ran once (not again on retry); the ticket and the notification now exist.
    assert client.get(f"{ORDERS}/{rid}").json()["amount"] == 10
    assert [t["code"] for t in client.get(TICKETS).json()["items"]] == ["T-甲"]
    with services.engine.begin() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(system.notifications)).scalar()
    assert n == 2
    assert client.post(f"/api/v1/process-instances/{iid}/retry").status_code == 409
    audit = client.get("/api/v1/audit", params={"limit": 100}).json()["items"]
    assert "process.retry" in {e["action"] for e in audit}


def test_a_webhook_that_keeps_failing_stops_the_instance_until_retried(
    services: Services, client: TestClient, receiver: Receiver, frozen_clock: FrozenClock
) -> None:
    deploy(client, "shop", setup(client, receiver))
    rid, iid = start(client, "乙")
    act(client, only_task(client)["id"], "complete")
    dispatcher = Dispatcher(services, services.event_handlers)
    # A 503 may pass: tried again after a back-off, and a 503 again.
    receiver.answers = [Answer(status=503), Answer(status=503), Answer(status=400)]
    dispatcher.drain()
    assert timeline(client, iid)["status"] == "running"
    frozen_clock.advance(timedelta(hours=1))
    dispatcher.drain()
    assert timeline(client, iid)["status"] == "running"
    # A 400 will not pass by waiting: an incident.
    frozen_clock.advance(timedelta(hours=1))
    dispatcher.drain()
    tl = timeline(client, iid)
    assert tl["status"] == "error" and tl["incident"]["type"] == "webhook"
    assert "HTTP 400" in actions(tl, "service_failed")[0]["details"]["error"]
    assert client.get(f"{ORDERS}/{rid}").json()["status"] == "已受理"  # action 1 not run
    r = client.post(f"/api/v1/process-instances/{iid}/retry")
    assert r.status_code == 200 and r.json()["status"] == "running"
    assert len(actions(r.json(), "service_queued")) == 2
    dispatcher.drain()
    tl = timeline(client, iid)
    assert tl["status"] == "completed" and tl["incident"] is None
    assert client.get(f"{ORDERS}/{rid}").json()["status"] == "已同步"
    assert [r.path for r in receiver.requests] == ["/erp"] * 4
