"""Drawing in the process designer with the mouse (bpmn-js palette, context pad, Cairn's
properties panel), shared by the browser tests that draw a process."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from ui import choose, type_into


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


def deploy(page: Any, app: str) -> None:
    """Click "deploy" and check that the API took it (201)."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/apps/{app}/processes")
    ) as resp:
        page.locator("[data-test=deploy]").click()
    assert resp.value.status == 201, resp.value.text()


def new_process(page: Any, url: str, app: str, name: str, key: str, table: str) -> None:
    """From the app's process list, "new process" with a name, key and table: the designer opens
    on the initial diagram (start → submit → end)."""
    page.goto(f"{url}/apps/{app}/processes")
    page.locator("[data-test=process-list]").wait_for()
    page.locator("[data-test=new-process]").click()
    type_into(page.locator("[data-test=new-process-name]"), name)
    type_into(page.locator("[data-test=new-process-key]"), key)
    choose(page, page.locator("[data-test=new-process-table]"), table)
    page.locator("[data-test=create-process]").click()
    shape(page, "submit").wait_for()
    page.locator("[data-test=new-process-name]").wait_for(state="hidden")


def draw_approval(page: Any, *, manager: str, finance: str, end: str) -> dict[str, str]:
    """On the initial diagram, draw submit → manager → exclusive gateway → finance → end (and
    gateway → end) with the palette and the context pad; the ids of the new shapes."""
    # The initial end goes (with its flow); a new one comes from the palette further right.
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
    ids = {"end": palette_drag(page, "create.end-event", sx + 530, sy)}
    name_selected(page, end)

    # Drawn from the palette: the manager's step, the gateway, the finance step.
    ids["manager"] = palette_drag(page, "create.task", sx + 150, sy)
    to_user_task(page, ids["manager"])
    name_selected(page, manager)
    ids["gateway"] = palette_drag(page, "create.exclusive-gateway", sx + 280, sy)
    ids["finance"] = palette_drag(page, "create.task", sx + 400, sy - 140)
    to_user_task(page, ids["finance"])
    name_selected(page, finance)

    # Connected with the context pad.
    connect(page, "submit", ids["manager"])
    connect(page, ids["manager"], ids["gateway"])
    connect(page, ids["gateway"], ids["finance"])
    connect(page, ids["finance"], ids["end"])
    connect(page, ids["gateway"], ids["end"])
    flows = page.evaluate(
        "() => [...document.querySelectorAll('.djs-connection')].map(e => e.dataset.elementId)"
    )
    assert len(flows) == 6, flows
    return ids


def working_hours_limit(page: Any, hours: int) -> None:
    """On the selected user task: a time limit of ``hours`` counted in working time."""
    page.locator("[data-test=limit-duration]").click()
    duration(page, page.locator("[data-test=deadline-duration]"), hours, "小时")
    page.locator("[data-test=calendar-working]").click()


def duration(page: Any, box: Any, amount: int, unit: str) -> None:
    """Set a duration input: the unit first (the amount's change re-renders the panel when it
    is committed on blur, which would close a unit dropdown opened right after it), then the
    amount; waits until the panel shows what was typed. No other dropdown may be fading out
    meanwhile (its options would match the unit's name too)."""
    dropdowns_closed(page)
    choose(page, box.locator("[data-test=duration-unit]"), unit)
    dropdowns_closed(page)
    field = box.locator("[data-test=duration-amount] input")
    field.fill(str(amount))
    field.press("Tab")
    page.wait_for_function("([el, v]) => el.value === v", arg=[field.element_handle(), str(amount)])
    box.locator("[data-test=duration-unit]", has_text=unit).wait_for()


def flow_to(page: Any, target_name: str) -> Any:
    """On the selected gateway: the row of its flow to the step named ``target_name``."""
    return page.locator("[data-test=flow-condition]").filter(
        has=page.locator(".el-link", has_text=target_name)
    )


def condition(page: Any, target_name: str, field_key: str, rest: str) -> None:
    """On the selected gateway: the flow to ``target_name`` (no condition yet) is taken when
    the field (picked with the field picker) followed by ``rest`` is true. After the pick one
    types on without clicking back into the box: the caret is after the field."""
    row = flow_to(page, target_name)
    box = row.locator("textarea[data-test=formula]")
    want = "{" + field_key + "}" + rest
    row.locator("[data-test=field-picker]").click()
    page.locator(f"[data-test=pick-{field_key}]:visible").click()
    expect(box).to_have_value("{" + field_key + "}")
    page.keyboard.type(rest)
    expect(box).to_have_value(want)
    box.blur()


def dropdowns_closed(page: Any) -> None:
    """Wait until no select dropdown is shown (one closing still fades out for a moment)."""
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.el-select-dropdown')]"
        ".some(e => e.checkVisibility())"
    )


def act(page: Any, action: str, comment: str | None = None, target: str | None = None) -> None:
    """Click an action of the task page, fill its dialog (a return's target step, a comment)
    and confirm."""
    page.locator(f"[data-test=act-{action}]").click()
    dialog = page.locator(".el-dialog:visible")
    dialog.wait_for()
    if target:
        dialog.locator("[data-test=return-target] .el-select__wrapper").click()
        page.locator(".el-select-dropdown__item:visible", has_text=target).click()
    if comment is not None:
        dialog.locator("textarea[data-test=action-comment]").fill(comment)
    dialog.locator("[data-test=action-confirm]").click()
