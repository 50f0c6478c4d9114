"""Running a process in the browser (issue 16): a three-step approval (submit, the manager's
review with a 4-working-hour limit, and the finance manager's approval when the amount is over
50,000) started from the record page, submitted, returned to step 1 with a comment, submitted
again and approved to the end, with the timeline in order; a test clock past the deadline (the
task turns red in the inbox, then the manager's manager gets it); two people on one claimable
task; a dropped connection while completing; the inbox and task page at desk and phone width.

The module runs its own server with ``CAIRN_TEST_CLOCK=true`` (the clock only moves forward, so
it is not shared with the other browser tests)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from process_ui import act
from ui import field, type_into, wait_until
from webserver import Server, server_with_clock

APP = "wf"
TABLE = "expenses"
PASSWORD = "Tasks2024check"
#: user name → display name; alice's manager is bob (销售部), bob's is carol (总部, the parent),
#: fin manages 财务部; dave and erin may claim the review of the claim process.
PEOPLE = {
    "alice": "Alice 王",
    "bob": "Bob 李",
    "carol": "Carol 张",
    "fin": "Fin 赵",
    "dave": "Dave 陈",
    "erin": "Erin 周",
}

APPROVAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:cairn="https://cairn.dev/bpmn" id="defs" targetNamespace="https://cairn.dev/tests">
  <bpmn:process id="expense" name="费用审批" isExecutable="true">
    <bpmn:extensionElements>
      <cairn:binding table="expenses" autoStart="manual"/>
      <cairn:return policy="resume"/>
    </bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="submit"/>
    <bpmn:userTask id="submit" name="提交申请">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator"/>
        <cairn:form>
          <cairn:field key="title" access="edit" required="true"/>
          <cairn:field key="amount" access="edit" required="true"/>
          <cairn:field key="reason" access="edit" required="true"/>
        </cairn:form>
        <cairn:actions allow="approve"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="submit" targetRef="review"/>
    <bpmn:userTask id="review" name="经理审批">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator_manager"/>
        <cairn:form>
          <cairn:field key="amount" access="view"/>
          <cairn:field key="reason" access="view"/>
        </cairn:form>
        <cairn:deadline duration="PT4H" calendar="working"/>
        <cairn:escalation after="PT1H" notify="true" reassign="true"/>
        <cairn:actions allow="approve,reject,return,transfer" returnTo="submit"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="big"/>
    <bpmn:exclusiveGateway id="big" name="超过 5 万？" default="f_small"/>
    <bpmn:sequenceFlow id="f_big" sourceRef="big" targetRef="finance">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{amount} &gt; 50000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="big" targetRef="end"/>
    <bpmn:userTask id="finance" name="财务经理审批">
      <bpmn:extensionElements>
        <cairn:assignee type="department_manager" value="财务部"/>
        <cairn:actions allow="approve,reject"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="finance" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d1">
    <bpmndi:BPMNPlane id="p1" bpmnElement="expense">
      <bpmndi:BPMNShape id="s_start" bpmnElement="start"><dc:Bounds x="152" y="202" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="s_submit" bpmnElement="submit"><dc:Bounds x="240" y="180" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="s_review" bpmnElement="review"><dc:Bounds x="400" y="180" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="s_big" bpmnElement="big" isMarkerVisible="true"><dc:Bounds x="555" y="195" width="50" height="50"/><bpmndi:BPMNLabel><dc:Bounds x="545" y="170" width="70" height="14"/></bpmndi:BPMNLabel></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="s_finance" bpmnElement="finance"><dc:Bounds x="660" y="180" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="s_end" bpmnElement="end"><dc:Bounds x="822" y="202" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="e_f0" bpmnElement="f0"><di:waypoint x="188" y="220"/><di:waypoint x="240" y="220"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e_f1" bpmnElement="f1"><di:waypoint x="340" y="220"/><di:waypoint x="400" y="220"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e_f2" bpmnElement="f2"><di:waypoint x="500" y="220"/><di:waypoint x="555" y="220"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e_big" bpmnElement="f_big"><di:waypoint x="605" y="220"/><di:waypoint x="660" y="220"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e_small" bpmnElement="f_small"><di:waypoint x="580" y="245"/><di:waypoint x="580" y="320"/><di:waypoint x="840" y="320"/><di:waypoint x="840" y="238"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e_f4" bpmnElement="f4"><di:waypoint x="760" y="220"/><di:waypoint x="822" y="220"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

#: One step any reviewer may claim (two people race for it).
CLAIM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:cairn="https://cairn.dev/bpmn" id="defs2" targetNamespace="https://cairn.dev/tests">
  <bpmn:process id="check" name="复核" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="expenses"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="recheck"/>
    <bpmn:userTask id="recheck" name="复核单据">
      <bpmn:extensionElements><cairn:candidates role="reviewers"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="recheck" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


server = server_with_clock("cairn-tasks")


@pytest.fixture(scope="module")
def org(server: Server) -> dict[str, int]:
    """The people, departments, roles, the expenses table and both processes (through the API,
    as an administrator would set them up). User name → id."""
    hq = server.api("POST", "/api/v1/departments", {"name": "总部"})
    sales = server.api("POST", "/api/v1/departments", {"name": "销售部", "parent_id": hq["id"]})
    finance = server.api("POST", "/api/v1/departments", {"name": "财务部", "parent_id": hq["id"]})
    dept = {
        "alice": sales,
        "bob": sales,
        "carol": hq,
        "fin": finance,
        "dave": finance,
        "erin": finance,
    }
    ids: dict[str, int] = {}
    for name, display in PEOPLE.items():
        u = server.api(
            "POST",
            "/api/v1/users",
            {
                "username": name,
                "password": PASSWORD,
                "display_name": display,
                "department_id": dept[name]["id"],
            },
        )
        ids[name] = u["id"]
    for d, boss in ((hq, "carol"), (sales, "bob"), (finance, "fin")):
        server.api("PATCH", f"/api/v1/departments/{d['id']}", {"manager_id": ids[boss]})
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "审批"})
    fields = [
        {"key": "title", "name": "事由", "type": "text"},
        {"key": "amount", "name": "金额", "type": "number"},
        {"key": "reason", "name": "说明", "type": "long_text"},
    ]
    server.api(
        "POST", f"/api/v1/apps/{APP}/tables", {"key": TABLE, "name": "费用", "fields": fields}
    )
    rw = {"app": APP, "table": TABLE, "actions": ["create", "read", "update"]}
    server.api(
        "POST",
        "/api/v1/roles",
        {"key": "wf_staff", "name": "员工", "members": list(PEOPLE), "tables": [rw]},
    )
    server.api(
        "POST", "/api/v1/roles", {"key": "reviewers", "name": "复核", "members": ["dave", "erin"]}
    )
    server.api("POST", f"/api/v1/apps/{APP}/processes", {"bpmn": APPROVAL})
    server.api("POST", f"/api/v1/apps/{APP}/processes", {"bpmn": CLAIM})
    return ids


def record(server: Server, title: str, amount: int) -> int:
    r = server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables/{TABLE}/records",
        {"title": title, "amount": amount, "reason": "客户拜访"},
    )
    return r["id"]


def person(browser: Any, server: Server, name: str, lang: str = "zh-CN", phone: bool = False):
    """A browser context signed in as ``name`` (through the sign-in API: the sign-in page has
    its own tests) and a page in it."""
    size = {"width": 390, "height": 844} if phone else {"width": 1440, "height": 900}
    ctx = browser.new_context(locale=lang, viewport=size, base_url=server.url)
    r = ctx.request.post("/api/v1/auth/login", data={"username": name, "password": PASSWORD})
    assert r.ok, r.text()
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    return ctx, page


def call(page: Any, method: str, path: str, body: Any = None) -> Any:
    """The API as the page's user (their session and CSRF cookie)."""
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "cairn_csrf")
    r = page.context.request.fetch(
        path,
        method=method,
        data=json.dumps(body) if body is not None else None,
        headers={"content-type": "application/json", "x-csrf-token": csrf},
    )
    assert r.ok, f"{method} {path}: {r.status} {r.text()[:300]}"
    return r.json()


def open_task(page: Any, step_name: str) -> None:
    """From the inbox (box "mine"), open the task of this step."""
    page.goto("/tasks")
    page.locator("[data-test=task-link]", has_text=step_name).first.click()
    page.wait_for_url("**/tasks/*")
    page.locator("[data-test=task-form]").wait_for()


def test_an_approval_runs_across_two_users_with_a_return(
    browser: Any, server: Server, org: dict[str, int], shoot: Any
) -> None:
    rid = record(server, "北京出差", 80000)
    alice_ctx, alice = person(browser, server, "alice")
    bob_ctx, bob = person(browser, server, "bob")
    fin_ctx, fin = person(browser, server, "fin")
    try:
        # Alice starts it on the record page: only the startable process is offered (the
        # claim process starts by hand too, so both are; one started by a rule would not be).
        alice.goto(f"/apps/{APP}/tables/{TABLE}/records/{rid}")
        alice.get_by_role("tab", name="流程").click()
        alice.locator("[data-test=start-process]").click()
        alice.locator("[data-test=start-expense]").click()
        # Step 1 is her own: she lands on it, with the three fields editable.
        alice.wait_for_url("**/tasks/*")
        alice.locator("[data-test=task-form]").wait_for()
        assert alice.locator("[data-test=task-title]").inner_text() == "提交申请"
        type_into(field(alice, "reason"), "拜访三家客户，含往返机票")
        shoot(alice, "task-submit")
        act(alice, "complete")
        alice.wait_for_url("**/tasks")
        # Bob (her manager) has it: amount and reason read-only, the title hidden at this step.
        open_task(bob, "经理审批")
        assert field(bob, "title").count() == 0
        assert field(bob, "amount").locator("input").count() == 0
        assert "80" in field(bob, "amount").inner_text()
        assert "往返机票" in field(bob, "reason").inner_text()
        bob.locator("[data-test=diagram] .djs-element.cairn-current").first.wait_for()
        assert bob.locator("[data-test=diagram] [data-element-id=submit].cairn-done").count() == 1
        shoot(bob, "task-review")
        # Return without a comment is refused in the dialog; with one, it goes back to step 1.
        act(bob, "return", target="提交申请")
        bob.locator(".el-dialog:visible", has_text="必须填写意见").wait_for()
        bob.locator(".el-dialog:visible textarea[data-test=action-comment]").fill("请附上发票")
        bob.locator(".el-dialog:visible [data-test=action-confirm]").click()
        bob.wait_for_url("**/tasks")
        # Alice resubmits.
        open_task(alice, "提交申请")
        type_into(field(alice, "reason"), "拜访三家客户，发票已附")
        act(alice, "complete", comment="已补发票")
        alice.wait_for_url("**/tasks")
        # Bob approves; over 50,000 it goes on to the finance manager, who approves.
        open_task(bob, "经理审批")
        act(bob, "approve", comment="同意")
        bob.wait_for_url("**/tasks")
        open_task(fin, "财务经理审批")
        act(fin, "approve")
        fin.wait_for_url("**/tasks")
        # The record page lists it as past; its page shows the whole story in order.
        alice.goto(f"/apps/{APP}/tables/{TABLE}/records/{rid}")
        alice.get_by_role("tab", name="流程").click()
        alice.locator("[data-test=record-process]").first.click()
        alice.wait_for_url("**/process-instances/*")
        alice.locator("[data-test=instance-status]", has_text="已完成").wait_for()
        alice.locator("[data-test=timeline-entry]").first.wait_for()
        actions = alice.locator("[data-test=timeline-entry]").evaluate_all(
            "els => els.map(e => e.dataset.action)"
        )
        decided = [a for a in actions if a in ("complete", "approve", "return", "completed")]
        assert decided == ["complete", "return", "complete", "approve", "approve", "completed"]
        assert actions[0] == "started"
        comments = alice.locator("[data-test=timeline-comment]").all_inner_texts()
        assert comments == ["请附上发票", "已补发票", "同意"]
        assert alice.locator("[data-test=diagram] .cairn-done").count() >= 3
        shoot(alice, "instance-done")
        for p in (alice, bob, fin):
            assert not p.errors, p.errors
    finally:
        for c in (alice_ctx, bob_ctx, fin_ctx):
            c.close()


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_past_the_deadline_the_task_is_red_and_the_manager_gets_it(
    browser: Any, server: Server, org: dict[str, int], shoot: Any
) -> None:
    rid = record(server, "上海培训", 3000)
    alice_ctx, alice = person(browser, server, "alice")
    bob_ctx, bob = person(browser, server, "bob")
    carol_ctx, carol = person(browser, server, "carol")
    try:
        inst = call(
            alice, "POST", f"/api/v1/apps/{APP}/processes/expense/start", {"record_id": rid}
        )
        [submit] = inst["current"]
        call(alice, "POST", f"/api/v1/tasks/{submit['task_id']}/complete", {})
        [review] = [
            t for t in call(bob, "GET", "/api/v1/tasks?box=mine")["items"] if t["record_id"] == rid
        ]
        assert review["due_at"], review
        due = _parse(review["due_at"])
        # Past the deadline (4 working hours on the working calendar).
        server.api(
            "POST", "/api/v1/test-clock/advance", {"to": (due + timedelta(minutes=5)).isoformat()}
        )
        wait_until(
            lambda: [
                t
                for t in call(bob, "GET", "/api/v1/tasks?box=overdue")["items"]
                if t["id"] == review["id"]
            ],
            "the task to be overdue",
        )
        bob.goto("/tasks")
        expect(bob.locator("[data-test=count-overdue]")).not_to_have_text("0")
        bob.locator("[data-test=box-overdue]").click()
        row = bob.locator(".inbox-table .el-table__row", has_text="上海培训")
        tag = row.locator("[data-test=overdue-tag]")
        tag.wait_for()
        assert "已超时" in tag.inner_text()
        assert tag.evaluate("e => getComputedStyle(e).color") == "rgb(245, 108, 108)"
        shoot(bob, "inbox-overdue")
        # An hour later the escalation gives it to Bob's manager, Carol.
        server.api(
            "POST", "/api/v1/test-clock/advance", {"to": (due + timedelta(minutes=70)).isoformat()}
        )
        wait_until(
            lambda: [
                t
                for t in call(carol, "GET", "/api/v1/tasks?box=mine")["items"]
                if t["id"] == review["id"]
            ],
            "the escalation to reach Carol",
        )
        carol.goto("/tasks")
        carol.locator(".inbox-table .el-table__row", has_text="上海培训").locator(
            "[data-test=overdue-tag]"
        ).wait_for()
        open_task(carol, "经理审批")
        carol.locator("[data-test=task-overdue]").wait_for()
        carol.locator("[data-test=timeline-entry][data-action=escalated]").wait_for()
        shoot(carol, "task-escalated")
    finally:
        for c in (alice_ctx, bob_ctx, carol_ctx):
            c.close()


def test_two_people_on_one_claimable_task(
    browser: Any, server: Server, org: dict[str, int], shoot: Any
) -> None:
    rid = record(server, "复核样本", 100)
    server.api("POST", f"/api/v1/apps/{APP}/processes/check/start", {"record_id": rid})
    dave_ctx, dave = person(browser, server, "dave")
    erin_ctx, erin = person(browser, server, "erin")
    try:
        for p in (dave, erin):
            p.goto("/tasks?box=claimable")
            p.locator("[data-test=task-table] .el-table__row", has_text="复核单据").wait_for()
        dave.locator("[data-test=task-table] .el-table__row", has_text="复核单据").locator(
            "[data-test=claim]"
        ).click()
        dave.wait_for_url("**/tasks/*")
        dave.locator("[data-test=act-approve]").wait_for()
        # Erin still sees it; her claim gets the 409, named, and her list refreshes.
        erin.locator("[data-test=task-table] .el-table__row", has_text="复核单据").locator(
            "[data-test=claim]"
        ).click()
        erin.locator(".el-message", has_text=f"已被 {PEOPLE['dave']} 认领").wait_for()
        erin.locator("[data-test=task-table] .el-table__row", has_text="复核单据").wait_for(
            state="detached"
        )
        shoot(erin, "inbox-taken")
    finally:
        dave_ctx.close()
        erin_ctx.close()


def test_a_dropped_connection_keeps_what_was_typed(
    browser: Any, server: Server, org: dict[str, int]
) -> None:
    rid = record(server, "广州参展", 1200)
    ctx, alice = person(browser, server, "alice")
    try:
        inst = call(
            alice, "POST", f"/api/v1/apps/{APP}/processes/expense/start", {"record_id": rid}
        )
        alice.goto(f"/tasks/{inst['current'][0]['task_id']}")
        alice.locator("[data-test=task-form]").wait_for()
        type_into(field(alice, "reason"), "展位费与差旅")
        alice.route("**/api/v1/tasks/*/complete", lambda route: route.abort("internetdisconnected"))
        act(alice, "complete", comment="请审批")
        alice.locator("[data-test=task-error]", has_text="无法连接服务器").wait_for()
        # Still on the task, the field and the dialog's comment as typed.
        assert "/tasks/" in alice.url
        assert field(alice, "reason").locator("textarea").input_value() == "展位费与差旅"
        assert (
            alice.locator(".el-dialog:visible textarea[data-test=action-comment]").input_value()
            == "请审批"
        )
        # Back online, the same dialog sends it.
        alice.unroute("**/api/v1/tasks/*/complete")
        alice.locator(".el-dialog:visible [data-test=action-confirm]").click()
        alice.wait_for_url("**/tasks")
        rec = server.api("GET", f"/api/v1/apps/{APP}/tables/{TABLE}/records/{rid}")
        assert rec["reason"] == "展位费与差旅"
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_inbox_and_task_page_screens(
    browser: Any, server: Server, org: dict[str, int], shoot: Any, lang: str, size: tuple[int, int]
) -> None:
    """Bob's inbox and a task at desk and phone width: the count in the menu and the title,
    the table or the cards, the form and the actions (a bottom bar on a phone)."""
    phone = size[0] < 500
    rid = record(server, f"成都调研 {lang} {size[0]}", 60000)
    ctx, alice = person(browser, server, "alice")
    bctx, bob = person(browser, server, "bob", lang=lang, phone=phone)
    try:
        inst = call(
            alice, "POST", f"/api/v1/apps/{APP}/processes/expense/start", {"record_id": rid}
        )
        call(alice, "POST", f"/api/v1/tasks/{inst['current'][0]['task_id']}/complete", {})
        mine = call(bob, "GET", "/api/v1/tasks/counts")
        bob.goto("/tasks")
        count = bob.locator("[data-test=count-mine]")
        count.wait_for()
        bob.wait_for_function(f"document.title.startsWith('({mine['mine'] + mine['claimable']})')")
        assert count.inner_text() == str(mine["mine"])
        assert bob.locator("[data-test=menu-tasks-count] sup").inner_text() == str(
            mine["mine"] + mine["claimable"]
        )
        if phone:
            card = bob.locator("[data-test=task-card]", has_text=f"成都调研 {lang} {size[0]}")
            card.wait_for()
            assert bob.locator("[data-test=task-table]").count() == 0
        else:
            card = bob.locator(
                "[data-test=task-table] .el-table__row", has_text=f"成都调研 {lang} {size[0]}"
            )
            card.wait_for()
        shoot(bob, "inbox")
        card.click()
        bob.locator("[data-test=task-form]").wait_for()
        bar = bob.locator("[data-test=task-actions]")
        assert bar.locator("[data-test=act-approve]").is_visible()
        if phone:
            assert "task-bar" in (bar.get_attribute("class") or "")
            box = bar.bounding_box()
            assert box and box["y"] + box["height"] >= size[1] - 2  # at the bottom of the screen
        else:
            bob.locator("[data-test=diagram] .djs-element.cairn-current").first.wait_for()
        shoot(bob, "task")
        assert not bob.errors, bob.errors
    finally:
        ctx.close()
        bctx.close()


def test_the_records_grid_does_not_load_bpmn_js(
    signed_in: Any, server: Server, org: dict[str, int]
) -> None:
    """bpmn-js (with bpmn-auto-layout) is its own chunk, fetched by the pages with a diagram
    only."""
    page = signed_in
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(server.url + f"/apps/{APP}/tables/{TABLE}")
    page.locator("[data-test=grid]").wait_for()
    page.wait_for_load_state("networkidle")
    diagram_code = ("/bpmn-", "DiagramViewer", "/layout-")  # layout-*.js: process/layout.ts
    assert scripts and not [s for s in scripts if any(c in s for c in diagram_code)], scripts
