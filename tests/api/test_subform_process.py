"""Sub-forms in process steps (issue 19): a step's form shows a record's rows and its user
writes them with the step's action; a gateway's condition over the rows
(``SUM({明细.金额}) > 100``, the process engine's Python evaluator) routes by them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from processdata import act, deploy, only_task

T = "/api/v1/apps/crm/tables"
ORD = f"{T}/orders/records"

FLOW = """<?xml version="1.0" encoding="UTF-8"?>
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
        <cairn:form>
          <cairn:field key="title" access="view"/>
          <cairn:field key="lines" access="edit" required="true"/>
        </cairn:form>
        <cairn:actions allow="approve"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="fill" targetRef="big"/>
    <bpmn:exclusiveGateway id="big" default="f_small"/>
    <bpmn:sequenceFlow id="f_big" sourceRef="big" targetRef="review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">SUM({明细.金额}) &gt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="big" targetRef="end"/>
    <bpmn:userTask id="review" name="大额复核">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator"/>
        <cairn:form><cairn:field key="lines" access="view"/></cairn:form>
        <cairn:actions allow="approve"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def setup(crm: TestClient) -> None:
    r = crm.post(f"{T}/orders/fields", json={"key": "lines", "name": "明细", "type": "subform"})
    assert r.status_code == 201, r.text
    for body in (
        {"key": "item", "name": "品名", "type": "text", "required": True},
        {"key": "qty", "name": "数量", "type": "number"},
        {"key": "price", "name": "单价", "type": "currency"},
        {
            "key": "amount",
            "name": "金额",
            "type": "formula",
            "options": {"formula": "{qty}*{price}"},
        },
    ):
        assert crm.post(f"{T}/orders_lines/fields", json=body).status_code == 201
    deploy(crm, "crm", FLOW)


def start(crm: TestClient, title: str) -> tuple[int, dict[str, Any]]:
    rec = crm.post(ORD, json={"title": title}).json()
    r = crm.post("/api/v1/apps/crm/processes/quote/start", json={"record_id": rec["id"]})
    assert r.status_code == 201, r.text
    task = crm.get(f"/api/v1/tasks/{only_task(crm, 'fill')['id']}").json()
    return rec["id"], task


def test_a_step_writes_the_rows_and_a_condition_reads_them(crm: TestClient) -> None:
    setup(crm)
    rid, task = start(crm, "大单")
    assert task["record"]["lines"] == []
    # A bad row: refused at its cell, nothing written, the task still open.
    r = crm.post(
        f"/api/v1/tasks/{task['id']}/approve",
        json={"version": task["version"], "data": {"lines": [{"qty": 1}]}},
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["lines.0.item"]
    assert crm.get(f"{ORD}/{rid}").json()["lines"] == []
    lines = [{"item": "滑油", "qty": 3, "price": 30}, {"item": "滤芯", "qty": 1, "price": 20}]
    act(crm, task["id"], "approve", version=task["version"], data={"lines": lines})
    rec = crm.get(f"{ORD}/{rid}").json()
    assert [(x["item"], x["amount"]) for x in rec["lines"]] == [("滑油", 90), ("滤芯", 20)]
    # 110 > 100: the review step, whose form shows the rows.
    review = crm.get(f"/api/v1/tasks/{only_task(crm, 'review')['id']}").json()
    assert [x["item"] for x in review["record"]["lines"]] == ["滑油", "滤芯"]
    act(crm, review["id"], "approve", version=review["version"])

    # A small quote ends without the review.
    _, task2 = start(crm, "小单")
    act(
        crm,
        task2["id"],
        "approve",
        version=task2["version"],
        data={"lines": [{"item": "螺丝", "qty": 10, "price": 1}]},
    )
    assert [
        t
        for t in crm.get("/api/v1/tasks", params={"box": "mine"}).json()["items"]
        if t["step"] == "review"
    ] == []
