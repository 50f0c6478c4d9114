"""A BPMN file without diagram layout (no bpmndi shapes: written by hand and deployed through the
API) is drawn anyway: the instance page shows it laid out left to right with its flows and the
current step highlighted; the designer opens it with every shape, and a version deployed from
there keeps every ``cairn:`` extension element, condition and default flow of the original."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ui import open_as
from webserver import Server

APP = "layouts"
CAR_REPAIR = Path(__file__).parents[1] / "process" / "bpmn" / "car_repair.bpmn"
KEY = "job_review"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
}
CAIRN = "{https://cairn.dev/bpmn}"
FLOW_NODES = ["start", "submit", "big", "review", "mark", "end"]
FLOWS = ["f0", "f1", "f_big", "f_small", "f2", "f3"]


def handwritten(admin: str) -> str:
    """No bpmndi, no bpmn:incoming/outgoing: the way people write BPMN by hand."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:cairn="https://cairn.dev/bpmn" id="defs" targetNamespace="https://cairn.dev/tests">
  <bpmn:process id="{KEY}" name="工单审核" isExecutable="true">
    <bpmn:extensionElements>
      <cairn:binding table="jobs" autoStart="manual"/>
      <cairn:starters users="{admin}"/>
      <cairn:return policy="resume"/>
    </bpmn:extensionElements>
    <bpmn:startEvent id="start" name="开始"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="submit"/>
    <bpmn:userTask id="submit" name="提交">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator"/>
        <cairn:form>
          <cairn:field key="title" access="edit" required="true"/>
          <cairn:field key="amount" access="edit"/>
        </cairn:form>
        <cairn:deadline duration="PT4H" calendar="working" reminder="PT1H"/>
        <cairn:escalation after="PT2H" notify="true" reassign="false"/>
        <cairn:actions allow="approve"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="submit" targetRef="big"/>
    <bpmn:exclusiveGateway id="big" name="金额超过 1000？" default="f_small"/>
    <bpmn:sequenceFlow id="f_big" sourceRef="big" targetRef="review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{{amount}} &gt; 1000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="big" targetRef="mark"/>
    <bpmn:userTask id="review" name="审核">
      <bpmn:extensionElements>
        <cairn:assignee type="user" value="{admin}"/>
        <cairn:form><cairn:field key="amount" access="view"/></cairn:form>
        <cairn:reject outcome="end"/>
        <cairn:actions allow="approve,reject,return" returnTo="submit" commentRequired="approve"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="mark"/>
    <bpmn:serviceTask id="mark" name="标记完成">
      <bpmn:extensionElements>
        <cairn:action type="update_record">{{"values": {{"status": "\\"已审核\\""}}}}</cairn:action>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="mark" targetRef="end"/>
    <bpmn:endEvent id="end" name="结束"/>
  </bpmn:process>
</bpmn:definitions>
"""


def cairn_settings(xml: str) -> dict[str, list[tuple[str, tuple[tuple[str, str], ...], str]]]:
    """Every ``cairn:`` element of the file, per process or flow node id: tag, attributes and
    text, in document order."""
    root = ET.fromstring(xml.encode())
    out: dict[str, list[tuple[str, tuple[tuple[str, str], ...], str]]] = {}
    for owner in root.iter():
        ext = owner.find("bpmn:extensionElements", NS)
        if ext is None:
            continue
        out[owner.get("id") or ""] = [
            (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip())
            for el in ext.iter()
            if el.tag.startswith(CAIRN)
        ]
    return out


def flow_logic(xml: str) -> dict[str, Any]:
    """The conditions, the gateway's default and the flows' ends."""
    root = ET.fromstring(xml.encode())
    flows = {
        f.get("id"): (
            f.get("sourceRef"),
            f.get("targetRef"),
            (f.findtext("bpmn:conditionExpression", "", NS) or "").strip(),
        )
        for f in root.iter(f"{{{NS['bpmn']}}}sequenceFlow")
    }
    gw = root.find(".//bpmn:exclusiveGateway", NS)
    return {"flows": flows, "default": gw.get("default") if gw is not None else None}


def shapes(xml: str) -> set[str]:
    root = ET.fromstring(xml.encode())
    return {s.get("bpmnElement") or "" for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}


@pytest.fixture(scope="module")
def instance(server: Server) -> dict[str, Any]:
    """The process deployed through the API (no layout), started on a record over 1000 and
    submitted: the instance waits at the review."""
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "排版"})
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {
            "key": "jobs",
            "name": "工单",
            "display_field": "title",
            "fields": [
                {"key": "title", "name": "标题", "type": "text", "required": True},
                {"key": "amount", "name": "金额", "type": "number"},
                {"key": "status", "name": "状态", "type": "text"},
            ],
        },
    )
    xml = handwritten(server.login[0])
    check = server.api(
        "POST", f"/api/v1/apps/{APP}/processes/validate", {"bpmn": xml, "table": "jobs"}
    )
    assert check == {"ok": True, "problems": []}, check
    server.api("POST", f"/api/v1/apps/{APP}/processes", {"bpmn": xml, "key": KEY})
    stored = server.api("GET", f"/api/v1/apps/{APP}/processes/{KEY}")["bpmn"]
    assert not shapes(stored)  # deployed as written: nothing to draw it with
    rec = server.api(
        "POST", f"/api/v1/apps/{APP}/tables/jobs/records", {"title": "换轮胎", "amount": 5000}
    )
    inst = server.api("POST", f"/api/v1/apps/{APP}/processes/{KEY}/start", {"record_id": rec["id"]})
    (task,) = server.api("GET", f"/api/v1/tasks?box=mine&instance_id={inst['id']}")["items"]
    assert task["step"] == "submit"
    server.api("POST", f"/api/v1/tasks/{task['id']}/complete", {})
    (task,) = server.api("GET", f"/api/v1/tasks?box=mine&instance_id={inst['id']}")["items"]
    assert task["step"] == "review"
    return {"id": inst["id"], "xml": xml}


def centre_x(page: Any, element_id: str) -> float:
    b = page.locator(f"[data-test=diagram] .djs-element[data-element-id={element_id}]").first
    box = b.bounding_box()
    assert box, element_id
    return box["x"] + box["width"] / 2


def test_the_instance_page_draws_a_file_without_layout(
    signed_in: Any, server: Server, instance: dict[str, Any], shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    page.goto(f"{server.url}/process-instances/{instance['id']}")
    diagram = page.locator("[data-test=diagram]")
    diagram.locator(".djs-element.cairn-current[data-element-id=review]").wait_for()
    assert diagram.locator(".djs-element.cairn-done[data-element-id=submit]").count() == 1
    assert diagram.locator("[data-test=diagram-empty]").count() == 0
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('[data-test=diagram] .djs-element')]"
        ".map(e => e.dataset.elementId)"
    )
    for el in FLOW_NODES + FLOWS:
        assert el in drawn, (el, drawn)
    # Laid out along the flows, left to right (not one shape under the other).
    xs = [centre_x(page, el) for el in ("start", "submit", "big", "review", "end")]
    assert xs == sorted(xs) and xs[-1] - xs[0] > 400, xs
    shoot(page, "process-instance-laid-out")
    assert not getattr(page, "errors", None)


def test_the_designer_opens_it_laid_out_and_a_redeploy_keeps_every_setting(
    signed_in: Any, server: Server, instance: dict[str, Any], shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/processes/{KEY}/design")
    for el in FLOW_NODES:
        page.locator(f"[data-test=canvas] .djs-shape[data-element-id={el}]").wait_for()
    assert page.locator("[data-test=canvas] .djs-connection").count() == len(FLOWS)
    page.locator(".laid-out-note").wait_for()
    assert page.locator("[data-test=current-version]").inner_text() == "v1"
    shoot(page, "process-designer-laid-out")

    # A change of one setting: the review step's name, in the properties panel.
    review = page.locator("[data-test=canvas] .djs-shape[data-element-id=review]")
    review.click()
    page.wait_for_function(
        "() => document.querySelector('[data-test=properties]')?.dataset.element === 'review'"
    )
    box = page.locator("[data-test=element-name]")
    box.fill("主管审核")
    box.press("Enter")
    page.locator("[data-test=canvas] .djs-label", has_text="主管审核").wait_for()
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/apps/{APP}/processes")
    ) as resp:
        page.locator("[data-test=deploy]").click()
    assert resp.value.status == 201, resp.value.text()
    page.locator("[data-test=current-version]", has_text="v2").wait_for()

    v2 = server.api("GET", f"/api/v1/apps/{APP}/processes/{KEY}?version=2")
    assert {s["id"]: s["name"] for s in v2["steps"]}["review"] == "主管审核"
    original = instance["xml"]
    assert cairn_settings(v2["bpmn"]) == cairn_settings(original)
    assert sum(len(v) for v in cairn_settings(original).values()) == 16
    assert flow_logic(v2["bpmn"]) == flow_logic(original)
    assert shapes(v2["bpmn"]) >= set(FLOW_NODES)  # the generated layout is saved with it
    v1 = server.api("GET", f"/api/v1/apps/{APP}/processes/{KEY}?version=1")
    for a, b in zip(v1["steps"], v2["steps"], strict=True):
        assert {**a, "name": ""} == {**b, "name": ""}


@pytest.mark.parametrize(("lang", "size"), [("en", (1440, 900)), ("zh-CN", (390, 844))])
def test_instance_page_screenshots(
    signed_in: Any,
    server: Server,
    instance: dict[str, Any],
    lang: str,
    size: tuple[int, int],
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    open_as(page, f"{server.url}/process-instances/{instance['id']}", size, lang)
    page.locator("[data-test=diagram] .djs-element.cairn-current").first.wait_for()
    page.locator("[data-test=diagram]").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    shoot(page, "process-instance-laid-out")


def test_importing_a_file_without_layout_draws_it(
    signed_in: Any, server: Server, instance: dict[str, Any], shoot: Callable[[Any, str], Path]
) -> None:
    """The car repair example (hand-written, with a loop back and a timer) imported from the
    process list opens in the designer with every step drawn, left to right."""
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/processes")
    page.locator("[data-test=process-list]").wait_for()
    page.locator("[data-test=import-file]").set_input_files(str(CAR_REPAIR))
    page.wait_for_url("**/processes/repair/design")
    steps = ["start", "appointment", "reception", "dispatch", "repair_work", "qc", "qc_ok"]
    steps += ["delivery", "wait_24h", "follow_up", "end"]
    for el in steps:
        page.locator(f"[data-test=canvas] .djs-shape[data-element-id={el}]").wait_for()
    assert page.locator("[data-test=canvas] .djs-connection").count() == 11
    page.locator(".laid-out-note").wait_for()
    xs = [
        page.locator(f"[data-test=canvas] .djs-shape[data-element-id={el}]").bounding_box()["x"]
        for el in ("start", "dispatch", "qc", "follow_up", "end")
    ]
    assert xs == sorted(xs), xs
    shoot(page, "process-designer-imported-laid-out")


def test_a_gateway_without_default_flow_is_a_warning_that_does_not_block(
    signed_in: Any, server: Server, instance: dict[str, Any]
) -> None:
    """Every flow out of the gateway has a condition but none is the default: an instance that
    matches none would stop there, so the designer shows it in orange, and still deploys."""
    xml = (
        instance["xml"]
        .replace(' default="f_small"', "")
        .replace(
            '<bpmn:sequenceFlow id="f_small" sourceRef="big" targetRef="mark"/>',
            '<bpmn:sequenceFlow id="f_small" sourceRef="big" targetRef="mark">'
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
            "{amount} &lt;= 1000</bpmn:conditionExpression></bpmn:sequenceFlow>",
        )
    )
    key = "no_default"
    xml = xml.replace(f'id="{KEY}"', f'id="{key}"')
    check = server.api(
        "POST", f"/api/v1/apps/{APP}/processes/validate", {"bpmn": xml, "table": "jobs"}
    )
    assert check["ok"] is True
    assert [(p["element"], p["severity"]) for p in check["problems"]] == [("big", "warning")]
    server.api("POST", f"/api/v1/apps/{APP}/processes", {"bpmn": xml, "key": key})

    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/processes/{key}/design")
    page.locator("[data-test=canvas] .djs-shape[data-element-id=big]").wait_for()
    page.locator("[data-test=validate]").click()
    page.locator("[data-test=problem][data-severity=warning][data-element=big]").wait_for()
    gateway = page.locator("[data-test=canvas] .djs-element[data-element-id=big]")
    assert "cairn-warning" in (gateway.get_attribute("class") or "")
    assert "cairn-problem" not in (gateway.get_attribute("class") or "").split()
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/apps/{APP}/processes")
    ) as resp:
        page.locator("[data-test=deploy]").click()
    assert resp.value.status == 201, resp.value.text()
    page.locator("[data-test=current-version]", has_text="v2").wait_for()
