"""The Python back end of SUMIF over real rows: a process gateway's condition over a record's
sub-form rows (``SUMIF({明细.金额}, {明细.品名} <> "螺丝") > 100``) routes by them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from processdata import act, deploy, only_task

T = "/api/v1/apps/crm/tables"
ORD = f"{T}/orders/records"
CONDITION = 'SUMIF({明细.金额}, {明细.品名} &lt;&gt; "螺丝") &gt; 100'
FLOW = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="quote" name="报价" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="orders" autoStart="manual"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fill"/>
    <bpmn:userTask id="fill" name="填写明细">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator"/>
        <cairn:form><cairn:field key="lines" access="edit"/></cairn:form>
        <cairn:actions allow="approve"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="fill" targetRef="big"/>
    <bpmn:exclusiveGateway id="big" default="f_small"/>
    <bpmn:sequenceFlow id="f_big" sourceRef="big" targetRef="review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{CONDITION}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="big" targetRef="end"/>
    <bpmn:userTask id="review" name="大额复核">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator"/>
        <cairn:actions allow="approve"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_gateway_condition_with_sumif_over_the_rows(crm: TestClient) -> None:
    r = crm.post(f"{T}/orders/fields", json={"key": "lines", "name": "明细", "type": "subform"})
    assert r.status_code == 201, r.text
    for body in (
        {"key": "item", "name": "品名", "type": "text"},
        {"key": "amount", "name": "金额", "type": "currency"},
    ):
        assert crm.post(f"{T}/orders_lines/fields", json=body).status_code == 201
    deploy(crm, "crm", FLOW)

    def run(title: str, lines: list[dict[str, object]]) -> bool:
        """Whether the order reaches the review step."""
        rec = crm.post(ORD, json={"title": title}).json()
        r = crm.post("/api/v1/apps/crm/processes/quote/start", json={"record_id": rec["id"]})
        assert r.status_code == 201, r.text
        task = crm.get(f"/api/v1/tasks/{only_task(crm, 'fill')['id']}").json()
        act(crm, task["id"], "approve", version=task["version"], data={"lines": lines})
        mine = crm.get("/api/v1/tasks", params={"box": "mine"}).json()["items"]
        reviews = [t for t in mine if t["step"] == "review"]
        for t in reviews:
            full = crm.get(f"/api/v1/tasks/{t['id']}").json()
            act(crm, t["id"], "approve", version=full["version"])
        return bool(reviews)

    # 90 without the screws: no review, though the rows add up to 190
    assert not run("小单", [{"item": "滑油", "amount": 90}, {"item": "螺丝", "amount": 100}])
    assert run("大单", [{"item": "滑油", "amount": 90}, {"item": "滤芯", "amount": 20}])
