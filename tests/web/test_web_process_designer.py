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
from ui import choose, type_into
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


def shape(page: Any, element_id: str) -> Any:
    return page.locator(f".djs-element[data-element-id={element_id}]").first


def pick(page: Any, element_id: str) -> None:
    """Select a shape: clear the selection first by clicking the empty canvas (an open context
    pad may cover the shape; the first click after drawing a connection only ends that tool),
    then click the shape."""
    cb = page.locator("[data-test=canvas]").bounding_box()
    for _ in range(3):
        page.mouse.click(cb["x"] + 30, cb["y"] + cb["height"] - 30)
        if page.locator(".djs-element.selected").count() == 0:
            break
    x, y = centre(shape(page, element_id))
    page.mouse.click(x, y)
    page.wait_for_function(
        "id => document.querySelector('[data-test=properties]')?.dataset.element === id",
        arg=element_id,
    )


def centre(loc: Any) -> tuple[float, float]:
    b = loc.bounding_box()
    assert b, "element not on screen"
    return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2


def palette_drag(page: Any, action: str, x: float, y: float) -> str:
    """Drag an entry of the bpmn-js palette to (x, y) with the mouse; the id of the new shape
    (bpmn-js selects what it created)."""
    entry = page.locator(f".djs-palette .entry[data-action='{action}']")
    sx, sy = centre(entry)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 20, sy + 10, steps=4)
    page.mouse.move(x, y, steps=15)
    page.mouse.move(x + 1, y + 1, steps=2)
    page.mouse.up()
    props = page.locator("[data-test=properties]")
    props.wait_for()
    page.wait_for_function(
        "() => { const el = document.querySelector('[data-test=properties]');"
        " return el && !['bpmn:Process', ''].includes(el.dataset.type) }"
    )
    # bpmn-js opens the label editor on a new task: leave it (the name is set in the panel).
    editing = page.locator(".djs-direct-editing-parent:visible")
    if editing.count():
        cb = page.locator("[data-test=canvas]").bounding_box()
        page.mouse.click(cb["x"] + 30, cb["y"] + cb["height"] - 30)
        editing.wait_for(state="hidden")
    return props.get_attribute("data-element")


def to_user_task(page: Any, element_id: str) -> None:
    """Turn the selected task into a user task with the context pad's replace menu."""
    pick(page, element_id)
    page.locator(".djs-context-pad [data-action=replace]").click()
    page.locator(".djs-popup [data-id=replace-with-user-task]").click()
    page.wait_for_function(
        "() => document.querySelector('[data-test=properties]')?.dataset.type === 'bpmn:UserTask'"
    )


def connect(page: Any, source: str, target: str) -> None:
    """Select ``source``, pick "connect" in its context pad, click ``target``."""
    pick(page, source)
    page.locator(".djs-context-pad [data-action=connect]").click()
    x, y = centre(shape(page, target))
    before = page.locator(".djs-connection").count()
    page.mouse.move(x - 5, y - 5, steps=5)
    page.mouse.move(x, y, steps=3)
    page.mouse.click(x, y)
    page.wait_for_function(
        "n => document.querySelectorAll('.djs-connection').length === n", arg=before + 1
    )


def name_selected(page: Any, name: str) -> None:
    box = page.locator("[data-test=element-name]")
    box.fill(name)
    box.press("Enter")
    page.wait_for_function(
        "n => [...document.querySelectorAll('.djs-element .djs-label')].some(l => l.textContent === n)",
        arg=name,
    )


def add_user_rule(page: Any, username: str) -> None:
    page.locator("[data-test=add-rule]").click()
    rule = page.locator("[data-test=assignee-rule]").last
    picker = rule.locator("[data-test=assignee-users]")
    picker.locator(".el-select__wrapper").click()
    page.keyboard.type(username)
    page.locator(".el-select-dropdown__item:visible", has_text=f"@{username}").first.click()
    page.keyboard.press("Escape")


def validate(page: Any) -> None:
    with page.expect_response(lambda r: r.url.endswith("/processes/validate")):
        page.locator("[data-test=validate]").click()


def deploy(page: Any) -> None:
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/apps/{APP}/processes")
    ) as resp:
        page.locator("[data-test=deploy]").click()
    assert resp.value.status == 201, resp.value.text()


def test_draw_validate_and_deploy_a_three_step_approval(
    signed_in: Any, server: Server, app: str, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{app}/processes")
    page.locator("[data-test=process-list]").wait_for()
    page.locator("[data-test=new-process]").click()
    type_into(page.locator("[data-test=new-process-name]"), "采购审批")
    type_into(page.locator("[data-test=new-process-key]"), "purchase_approval")
    choose(page, page.locator("[data-test=new-process-table]"), "采购申请")
    page.locator("[data-test=create-process]").click()
    shape(page, "submit").wait_for()
    page.locator("[data-test=new-process-name]").wait_for(state="hidden")

    # The initial diagram: start → submit → end. The end goes (with its flow); a new one comes
    # from the palette further right.
    pick(page, "end")
    page.locator(".djs-context-pad [data-action=delete]").click()
    shape(page, "end").wait_for(state="detached")
    assert page.locator(".djs-connection[data-element-id=flow_end]").count() == 0
    # Pan the canvas left (drag on its background) to make room on the right.
    cb = page.locator("[data-test=canvas]").bounding_box()
    page.mouse.move(cb["x"] + cb["width"] - 60, cb["y"] + cb["height"] - 60)
    page.mouse.down()
    page.mouse.move(cb["x"] + cb["width"] - 120, cb["y"] + cb["height"] - 60, steps=5)
    page.mouse.move(cb["x"] + cb["width"] - 290, cb["y"] + cb["height"] - 60, steps=10)
    page.mouse.up()
    sx, sy = centre(shape(page, "submit"))
    assert sx + 560 < cb["x"] + cb["width"], "no room to draw"
    end = palette_drag(page, "create.end-event", sx + 530, sy)
    name_selected(page, "结束")

    # Drawn from the palette: the manager's step, the gateway, the finance step.
    manager = palette_drag(page, "create.task", sx + 150, sy)
    to_user_task(page, manager)
    name_selected(page, "经理审批")
    gateway = palette_drag(page, "create.exclusive-gateway", sx + 280, sy)
    finance = palette_drag(page, "create.task", sx + 400, sy - 140)
    to_user_task(page, finance)
    name_selected(page, "财务审批")

    # Connected with the context pad.
    connect(page, "submit", manager)
    connect(page, manager, gateway)
    connect(page, gateway, finance)
    connect(page, finance, end)
    connect(page, gateway, end)
    flows = page.evaluate(
        "() => [...document.querySelectorAll('.djs-connection')].map(e => e.dataset.elementId)"
    )
    assert len(flows) == 6, flows

    # The manager's step: the initiator's manager, 4 working hours.
    pick(page, manager)
    page.locator("[data-test=add-rule]").click()
    choose(page, page.locator("[data-test=assignee-kind]").last, "发起人的上级")
    levels = page.locator("[data-test=assignee-levels] input")
    levels.fill("2")  # two levels up the department tree
    levels.press("Tab")
    page.locator("[data-test=limit-duration]").click()
    amount = page.locator("[data-test=deadline-duration] [data-test=duration-amount] input")
    amount.fill("4")
    amount.press("Tab")
    choose(page, page.locator("[data-test=deadline-duration] [data-test=duration-unit]"), "小时")
    page.locator("[data-test=calendar-working]").click()
    # Field access at this step: the amount read-only, the date editable and required.
    choose(page, page.locator("[data-test=field-access][data-field=needed_by] .el-select"), "必填")
    # The finance step: a named user.
    pick(page, finance)
    add_user_rule(page, server.login[0])
    page.locator("[data-test=sign-sequence]").click()  # 依次审批
    page.locator("[data-test=sign-sequence-hint]").wait_for()

    # The gateway: amount > 50000 goes to finance (typed with the field picker).
    pick(page, gateway)
    to_fin = page.locator("[data-test=flow-condition]").filter(
        has=page.locator(".el-link", has_text="财务审批")
    )
    to_fin.locator("[data-test=field-picker]").click()
    page.locator(".el-dropdown-menu__item:visible[data-test=pick-amount]").click()
    box = to_fin.locator("textarea[data-test=formula]")
    box.press("End")
    box.type(" > 50000")
    box.blur()

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
    to_end = page.locator("[data-test=flow-condition]").filter(
        has=page.locator(".el-link", has_text="结束")
    )
    to_end.locator("[data-test=flow-default]").click()
    validate(page)
    page.locator("[data-test=no-problems]").wait_for()
    assert page.locator(".djs-element.cairn-problem").count() == 0

    deploy(page)
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
    deploy(page)
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
    deploy(page)
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
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.evaluate(f"localStorage.setItem('cairn.lang', '{lang}')")
    page.goto(f"{server.url}/apps/{app}/processes/new/design")
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
