"""A process whose flow cannot go on is refused at deploy (422 naming the element, in zh-CN
and en), one test per kind of structural defect; a sound one with loops, boundary events and
link events deploys."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cairn.services import Services

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="defs" targetNamespace="https://cairn.dev/tests">
  <bpmn:process id="shape" name="形状" isExecutable="true">
"""
TAIL = """
  </bpmn:process>
</bpmn:definitions>
"""


def xml(body: str) -> str:
    return HEAD + body + TAIL


def cond(text: str) -> str:
    return f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{text}</bpmn:conditionExpression>'


def staffed(body: str) -> str:
    """Every bare user task of ``body`` done by the initiator (a task nobody does is refused:
    these flows are about shape)."""
    who = (
        "<bpmn:extensionElements>"
        '<cairn:assignee xmlns:cairn="https://cairn.dev/bpmn" type="initiator"/>'
        "</bpmn:extensionElements>"
    )
    return re.sub(r"(<bpmn:userTask [^>]*?)/>", rf"\1>{who}</bpmn:userTask>", body)


def setup_app(client: TestClient) -> None:
    assert client.post("/api/v1/apps", json={"key": "ga", "name": "通航"}).status_code == 201


def refused(client: TestClient, body: str, element: str, code: str, lang: str = "en") -> str:
    r = client.post(
        "/api/v1/apps/ga/processes",
        json={"bpmn": xml(body)},
        headers={"accept-language": lang},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    errors = r.json()["errors"]
    mine = [e for e in errors if e["field"] == f"bpmn.{element}" and e["code"] == code]
    assert mine, errors
    assert client.get("/api/v1/apps/ga/processes").json()["items"] == []  # nothing deployed
    return mine[0]["message"]


DEAD_END_GATEWAY = """
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="审核"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="通过？"/>
"""


def test_a_gateway_without_an_outgoing_flow_is_named(
    services: Services, client: TestClient
) -> None:
    setup_app(client)
    text = refused(client, DEAD_END_GATEWAY, "gw", "process.gateway_dead_end")
    assert "通过？" in text and "(gw)" in text and "no outgoing sequence flow" in text
    text = refused(client, DEAD_END_GATEWAY, "gw", "process.gateway_dead_end", "zh-CN")
    assert "网关“通过？”（gw）没有流出的顺序流" in text
    for kind in ("parallelGateway", "inclusiveGateway", "eventBasedGateway"):
        body = DEAD_END_GATEWAY.replace("exclusiveGateway", kind)
        refused(client, body, "gw", "process.gateway_dead_end")


def test_a_task_that_leads_nowhere_is_named(services: Services, client: TestClient) -> None:
    setup_app(client)
    body = """
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="审核"/>
    """
    text = refused(client, body, "review", "process.dead_end")
    assert "“审核” (review)" in text


def test_a_flow_to_a_missing_element_is_named(services: Services, client: TestClient) -> None:
    setup_app(client)
    body = """
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="审核"/>
    <bpmn:sequenceFlow id="f1" name="去归档" sourceRef="review" targetRef="archive"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    """
    text = refused(client, body, "f1", "process.flow_ref")
    assert "“去归档” (f1)" in text and "targetRef “archive”" in text
    body = body.replace(
        'sourceRef="review" targetRef="archive"', 'sourceRef="gone" targetRef="end"'
    )
    assert "sourceRef“gone”" in refused(client, body, "f1", "process.flow_ref", "zh-CN")


def test_an_exclusive_split_needs_conditions_or_a_default(
    services: Services, client: TestClient
) -> None:
    setup_app(client)
    body = f"""
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="金额？"/>
    <bpmn:sequenceFlow id="big" sourceRef="gw" targetRef="end">{cond("1 &gt; 0")}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="gw" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    """
    text = refused(client, body, "gw", "process.gateway_condition")
    assert "“金额？” (gw)" in text and "small" in text
    wrong = body.replace('id="gw" name="金额？"', 'id="gw" name="金额？" default="f0"')
    refused(client, wrong, "gw", "process.gateway_default")
    # With the default (or a condition on each) it deploys.
    ok = body.replace('id="gw" name="金额？"', 'id="gw" name="金额？" default="small"')
    r = client.post("/api/v1/apps/ga/processes", json={"bpmn": xml(ok)})
    assert r.status_code == 201, r.text


def test_an_element_no_start_reaches_is_named(services: Services, client: TestClient) -> None:
    setup_app(client)
    body = """
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="end"/>
    <bpmn:userTask id="orphan" name="孤立步骤"/>
    <bpmn:sequenceFlow id="f1" sourceRef="orphan" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    """
    text = refused(client, body, "orphan", "process.unreachable", "zh-CN")
    assert "“孤立步骤”（orphan）" in text


def test_a_loop_without_a_way_out_is_named(services: Services, client: TestClient) -> None:
    setup_app(client)
    body = """
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="a"/>
    <bpmn:userTask id="a" name="甲"/>
    <bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="b"/>
    <bpmn:userTask id="b" name="乙"/>
    <bpmn:sequenceFlow id="f2" sourceRef="b" targetRef="a"/>
    <bpmn:endEvent id="end"/>
    """
    refused(client, body, "a", "process.no_end")
    refused(client, body, "b", "process.no_end")


def test_a_process_without_a_start_event_is_named(services: Services, client: TestClient) -> None:
    setup_app(client)
    body = """
    <bpmn:userTask id="a" name="甲"/>
    <bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    """
    assert "“形状” (shape)" in refused(client, body, "shape", "process.no_start")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            f"""
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="审核"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="again"/>
    <bpmn:sequenceFlow id="done" sourceRef="gw" targetRef="end">{cond("{approved}")}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="again" sourceRef="gw" targetRef="review"/>
    <bpmn:boundaryEvent id="late" attachedToRef="review">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="late" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    """,
            id="loop-with-exit-and-boundary-timer",
        ),
        pytest.param(
            """
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:sequenceFlow id="f1" sourceRef="split" targetRef="a"/>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="b"/>
    <bpmn:userTask id="a"/>
    <bpmn:userTask id="b"/>
    <bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="join"/>
    <bpmn:sequenceFlow id="f4" sourceRef="b" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="join" targetRef="sub"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="s_start"/>
      <bpmn:sequenceFlow id="s0" sourceRef="s_start" targetRef="s_task"/>
      <bpmn:userTask id="s_task"/>
      <bpmn:sequenceFlow id="s1" sourceRef="s_task" targetRef="s_end"/>
      <bpmn:endEvent id="s_end"/>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f6" sourceRef="sub" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    """,
            id="parallel-and-sub-process",
        ),
    ],
)
def test_a_sound_flow_deploys(services: Services, client: TestClient, body: str) -> None:
    setup_app(client)
    r = client.post("/api/v1/apps/ga/processes", json={"bpmn": xml(staffed(body))})
    assert r.status_code == 201, r.text


def test_a_dead_end_inside_a_sub_process_is_named(services: Services, client: TestClient) -> None:
    setup_app(client)
    body = """
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="sub"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="s_start"/>
      <bpmn:sequenceFlow id="s0" sourceRef="s_start" targetRef="s_gw"/>
      <bpmn:inclusiveGateway id="s_gw" name="内部网关"/>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f1" sourceRef="sub" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    """
    refused(client, body, "s_gw", "process.gateway_dead_end")
