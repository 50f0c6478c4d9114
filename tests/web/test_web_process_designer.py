"""The process designer in a real browser: a three-step approval drawn from the bpmn-js palette
and set up in Cairn's properties panel, validated (problems marked red on the diagram), deployed
twice (versions 1 and 2); a Camunda Modeler file with a parallel gateway imported, deployed and
run to its end; screenshots at desktop and phone width in both languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from process_ui import (
    add_user_rule,
    condition,
    deploy,
    draw_approval,
    flow_to,
    new_process,
    pick,
    shape,
    validate,
    working_hours_limit,
)
from ui import choose, open_as, type_into
from webserver import Server

APP = "approvals"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def app(server: Server) -> str:
    """A blank app with one table: purchase requests with an amount."""
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "审批"})
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {
            "key": "purchases",
            "name": "采购申请",
            "display_field": "title",
            "fields": [
                {"key": "title", "name": "事由", "type": "text", "required": True},
                {"key": "amount", "name": "金额", "type": "number"},
                {"key": "needed_by", "name": "需要日期", "type": "date"},
            ],
        },
    )
    return APP


def test_draw_validate_and_deploy_a_three_step_approval(
    signed_in: Any, server: Server, app: str, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    new_process(page, server.url, app, "采购审批", "purchase_approval", "采购申请")
    drawn = draw_approval(page, manager="经理审批", finance="财务审批", end="结束")
    manager, gateway, finance = drawn["manager"], drawn["gateway"], drawn["finance"]

    # The manager's step: the initiator's manager, 4 working hours.
    pick(page, manager)
    page.locator("[data-test=add-rule]").click()
    choose(page, page.locator("[data-test=assignee-kind]").last, "发起人的上级")
    levels = page.locator("[data-test=assignee-levels] input")
    levels.fill("2")  # two levels up the department tree
    levels.press("Tab")
    working_hours_limit(page, 4)
    # Field access at this step: the amount read-only, the date editable and required.
    choose(page, page.locator("[data-test=field-access][data-field=needed_by] .el-select"), "必填")
    # The finance step: a named user.
    pick(page, finance)
    add_user_rule(page, server.login[0])
    # 依次审批: clicked again when the first click landed on the user picker's dropdown as it
    # faded out (as a person would click again).
    hint = page.locator("[data-test=sign-sequence-hint]")
    for _ in range(3):
        page.locator("[data-test=sign-sequence]").click()
        try:
            hint.wait_for(timeout=3000)
            break
        except PlaywrightTimeout:
            continue
    hint.wait_for()

    # The gateway: amount > 50000 goes to finance (typed with the field picker).
    pick(page, gateway)
    condition(page, "财务审批", "amount", " > 50000")

    # Validate: the gateway has no default flow → red on the diagram and in the list.
    validate(page)
    page.locator("[data-test=problems]").wait_for()
    marked = page.locator(f".djs-element.cairn-problem[data-element-id={gateway}]")
    marked.wait_for()
    shoot(page, "process-designer-problems")
    row = page.locator(f"[data-test=problem][data-element={gateway}]").first
    row.click()
    page.wait_for_function(
        f"() => document.querySelector('[data-test=properties]')?.dataset.element === '{gateway}'"
    )
    # Fix it: the flow straight to the end is the default.
    flow_to(page, "结束").locator("[data-test=flow-default]").click()
    validate(page)
    page.locator("[data-test=no-problems]").wait_for()
    assert page.locator(".djs-element.cairn-problem").count() == 0

    deploy(page, app)
    page.wait_for_url("**/processes/purchase_approval/design")
    page.locator("[data-test=current-version]", has_text="v1").wait_for()
    d = server.api("GET", f"/api/v1/apps/{app}/processes/purchase_approval")
    steps = {s["id"]: s for s in d["steps"]}
    assert steps[manager]["assignees"] == [{"type": "initiator_manager", "value": "2"}]
    assert steps[manager]["sign"] is None and steps[finance]["sign"] == "sequence"
    assert re.search(r'<bpmn:multiInstanceLoopCharacteristics [^>]*isSequential="true"', d["bpmn"])
    assert steps[manager]["deadline"]["duration_seconds"] == 4 * 3600
    assert steps[manager]["deadline"]["calendar"] == "working"
    assert {"key": "needed_by", "access": "edit", "required": True} in steps[manager]["form"]
    assert steps[finance]["assignees"] == [{"type": "user", "value": server.login[0]}]
    assert "{amount} &gt; 50000" in d["bpmn"] or "{amount} > 50000" in d["bpmn"]
    assert re.search(rf'<bpmn:exclusiveGateway id="{gateway}"[^>]* default="', d["bpmn"])

    # The list shows version 1; deploying again gives version 2.
    page.locator("[data-test=back]").click()
    card = page.locator("[data-test=process-card][data-key=purchase_approval]")
    card.locator("[data-test=version]", has_text="v1").wait_for()
    card.locator("[data-test=design]").click()
    shape(page, gateway).wait_for()
    deploy(page, app)
    page.locator("[data-test=current-version]", has_text="v2").wait_for()
    page.locator("[data-test=back]").click()
    card.locator("[data-test=version]", has_text="v2").wait_for()
    assert card.locator("[data-test=version]").all_inner_texts() == ["v2", "v1"]
    shoot(page, "process-list")


def test_import_a_camunda_file_with_a_parallel_gateway_and_run_it(
    signed_in: Any, server: Server, app: str
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{app}/processes")
    page.locator("[data-test=process-list]").wait_for()
    page.locator("[data-test=import-file]").set_input_files(str(DATA / "camunda_parallel.bpmn"))
    page.wait_for_url("**/processes/process_onboarding/design")
    for el in ("Activity_Review", "Gateway_Split", "Activity_Quality", "Activity_Finance"):
        shape(page, el).wait_for()
    # Camunda's file has no table: bind it in the process settings (click the empty canvas).
    b = page.locator("[data-test=canvas]").bounding_box()
    page.mouse.click(b["x"] + 40, b["y"] + b["height"] - 40)
    choose(page, page.locator("[data-test=process-table]"), "采购申请")
    deploy(page, app)
    page.wait_for_url("**/processes/process_onboarding/design")
    page.locator("[data-test=current-version]", has_text="v1").wait_for()
    xml = server.api("GET", f"/api/v1/apps/{app}/processes/process_onboarding")["bpmn"]
    assert 'camunda:assignee="admin"' in xml  # Camunda's own attributes are kept

    # Run it through the API: start on a record, do the review, then both parallel checks.
    rec = server.api("POST", f"/api/v1/apps/{app}/tables/purchases/records", {"title": "新供应商"})
    inst = server.api(
        "POST", f"/api/v1/apps/{app}/processes/process_onboarding/start", {"record_id": rec["id"]}
    )
    done: list[str] = []
    for _ in range(3):
        tasks = server.api("GET", f"/api/v1/tasks?box=mine&instance_id={inst['id']}")["items"]
        assert tasks, done
        for t in tasks:
            server.api("POST", f"/api/v1/tasks/{t['id']}/complete", {})
            done.append(t["step"])
        if len(done) == 3:
            break
    assert done[0] == "Activity_Review"
    assert sorted(done[1:]) == ["Activity_Finance", "Activity_Quality"]
    assert server.api("GET", f"/api/v1/process-instances/{inst['id']}")["status"] == "completed"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("size", [(1440, 900), (390, 844)])
def test_designer_screenshots(
    signed_in: Any,
    server: Server,
    app: str,
    lang: str,
    size: tuple[int, int],
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    open_as(page, f"{server.url}/apps/{app}/processes/new/design", size, lang)
    type_into(page.locator("[data-test=new-process-name]"), "Leave request")
    page.locator("[data-test=create-process]").click()
    shape(page, "submit").click()
    if size[0] < 768:
        page.locator(".el-drawer [data-test=properties]").wait_for()
    else:
        page.locator("[data-test=panel] [data-test=properties]").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    shoot(page, "process-designer")
    if size[0] < 768:
        page.keyboard.press("Escape")
        page.locator(".el-drawer").first.wait_for(state="hidden")
    validate(page)
    page.locator("[data-test=problems], [data-test=no-problems]").first.wait_for()
    shoot(page, "process-designer-checked")
