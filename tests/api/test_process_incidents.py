"""A run-time engine error on completing a task (a condition that errors, a split where no
condition holds) is an incident on the instance, never a 500 or a task silently stuck: the
completion stands, the instance stops in status ``error`` with the incident in its timeline,
what the failed engine step had done is undone with it, and an administrator's retry goes on
from the completed task once the cause is fixed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.process import structure
from cairn.services import Services
from processdata import Org, act, app_with_table, deploy, only_task, timeline

FIELDS = [
    {"key": "customer", "name": "客户", "type": "text"},
    {"key": "status", "name": "状态", "type": "text"},
    {"key": "amount", "name": "金额", "type": "number"},
    {"key": "discount", "name": "折扣", "type": "number"},
]

FLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="quote" name="报价" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="orders"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="审核报价">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator"/>
        <cairn:form><cairn:field key="discount" access="edit"/></cairn:form>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="mark"/>
    <bpmn:serviceTask id="mark" name="标记">
      <bpmn:extensionElements>
        <cairn:action>{"type": "update_record", "values": {"status": "\\"已审核\\""}}</cairn:action>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="mark" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="折后金额？"/>
    <bpmn:sequenceFlow id="big" sourceRef="gw" targetRef="approve">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">CONDITION_BIG</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="gw" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">CONDITION_SMALL</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:userTask id="approve" name="经理批准">
      <bpmn:extensionElements><cairn:assignee type="initiator"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""

ORDERS = "/api/v1/apps/shop/tables/orders/records"


def setup(client: TestClient, big: str, small: str) -> None:
    app_with_table(client, "shop", "店", {"key": "orders", "name": "订单", "fields": FIELDS})
    xml = FLOW.replace("CONDITION_BIG", big).replace("CONDITION_SMALL", small)
    deploy(client, "shop", xml)


def start(c: TestClient, **values: Any) -> tuple[int, int]:
    r = c.post(ORDERS, json={"customer": "甲", **values})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = c.post("/api/v1/apps/shop/processes/quote/start", json={"record_id": rid})
    assert r.status_code == 201, r.text
    return rid, r.json()["id"]


def record(c: TestClient, rid: int) -> dict[str, Any]:
    r = c.get(f"{ORDERS}/{rid}")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_condition_that_errors_is_an_incident_an_admin_retries(
    services: Services, client: TestClient
) -> None:
    setup(client, "{amount} / {discount} &gt; 10", "{amount} / {discount} &lt;= 10")
    org = Org(services)
    org.user("clerk")
    org.role(
        "staff",
        ["clerk"],
        [{"app": "shop", "table": "orders", "actions": ["create", "read", "update"]}],
    )
    with org.client("clerk") as clerk:
        rid, iid = start(clerk, amount=100)
        task = only_task(clerk, "review")
        r = clerk.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"discount": 0}})
        assert r.status_code == 200, r.text  # the clerk's part is done, not a 500
        out = r.json()
        assert out["task"]["status"] == "done"
        assert out["instance"]["status"] == "error" and out["instance"]["current"] == []
        incident = out["instance"]["incident"]
        assert incident["step"] == "gw" and incident["name"] == "折后金额？"
        assert incident["task_step"] == "review" and "DIV" in incident["error"].upper()
        # The completion stands (the form edit is kept); the engine step's effects are undone
        # with it: the service task's update did not happen, no further task was opened.
        assert record(clerk, rid)["discount"] == 0 and record(clerk, rid)["status"] is None
        tl = timeline(clerk, iid)
        assert tl["status"] == "error" and tl["incident"]["step"] == "gw"
        kinds = [e["action"] for e in tl["events"]]
        assert kinds[-2:] == ["complete", "incident"] and "service" not in kinds
        assert next(e for e in tl["events"] if e["action"] == "incident")["step"] == "gw"
        assert clerk.get("/api/v1/tasks").json()["items"] == []
        # Nobody but an administrator retries, and not before the cause is fixed.
        assert clerk.post(f"/api/v1/process-instances/{iid}/retry").status_code == 403
    r = client.post(f"/api/v1/process-instances/{iid}/retry")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "error"  # still dividing by zero: a new incident
    assert [e["action"] for e in r.json()["events"]][-2:] == ["retried", "incident"]
    version = record(client, rid)["version"]
    r = client.patch(f"{ORDERS}/{rid}", json={"discount": 5, "version": version})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/process-instances/{iid}/retry")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "running" and r.json()["incident"] is None
    assert [s["step"] for s in r.json()["current"]] == ["approve"]  # 100 / 5 > 10
    assert record(client, rid)["status"] == "已审核"  # the service task ran, once
    assert [e["action"] for e in r.json()["events"]].count("service") == 1
    assert client.post(f"/api/v1/process-instances/{iid}/retry").status_code == 409
    with org.client("clerk") as clerk:
        act(clerk, only_task(clerk, "approve")["id"], "approve")
        assert timeline(clerk, iid)["status"] == "completed"


def test_a_split_where_no_condition_holds_is_an_incident(
    services: Services, client: TestClient
) -> None:
    setup(client, "{amount} &gt; 1000", "{amount} &lt; 0")
    rid, iid = start(client, amount=100)
    task = only_task(client, "review")
    r = client.post(
        f"/api/v1/tasks/{task['id']}/approve",
        json={"comment": "ok"},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 200, r.text
    incident = r.json()["instance"]["incident"]
    assert r.json()["instance"]["status"] == "error" and incident["step"] == "gw"
    # The task is done (409 on acting again, problem+json), nothing else is open.
    r = client.post(f"/api/v1/tasks/{task['id']}/approve", json={})
    assert r.status_code == 409 and r.json()["code"] == "task.not_open"
    assert client.get("/api/v1/tasks").json()["items"] == []
    version = record(client, rid)["version"]
    r = client.patch(f"{ORDERS}/{rid}", json={"amount": 5000, "version": version})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/process-instances/{iid}/retry")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "running"
    assert [s["step"] for s in r.json()["current"]] == ["approve"]
    step = next(s for s in r.json()["steps"] if s["step"] == "review")
    assert step["status"] == "done" and step["action"] == "approve" and step["comment"] == "ok"


def test_a_dead_end_deployed_before_the_shape_check_is_an_incident_not_a_500(
    services: Services, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.post("/api/v1/apps", json={"key": "shop", "name": "店"}).status_code == 201
    dead_end = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="old" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="审核">
      <bpmn:extensionElements><cairn:assignee type="initiator"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="通过？"/>
  </bpmn:process>
</bpmn:definitions>"""
    with monkeypatch.context() as m:  # as an older Cairn deployed it, before the check
        m.setattr(structure, "check", lambda *args: None)
        deploy(client, "shop", dead_end)
    r = client.post("/api/v1/apps/shop/processes/old/start", json={})
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    task = only_task(client, "review")
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", json={})
    assert r.status_code == 200, r.text
    incident = r.json()["instance"]["incident"]
    assert incident["step"] == "gw" and incident["name"] == "通过？"
    assert "At least one output required" in incident["error"]
    # No way forward in this version: an administrator cancels the failed instance.
    r = client.post(f"/api/v1/process-instances/{iid}/cancel", json={"reason": "坏的版本"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["incident"] is None
