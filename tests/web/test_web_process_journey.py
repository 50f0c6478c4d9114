"""Issue 16's journey in one browser test: on a blank app, a new user (who manages the app)
draws a three-step approval with an exclusive gateway (over 50,000 goes to the finance
manager) from the bpmn-js palette, sets the assignees and a 4-working-hour limit with an
escalation in the panel, deploys it, creates a record and starts the process from its 流程 tab;
her manager approves, the finance manager returns it to step 1 (a comment is required), she
resubmits, both approve again, and the instance page's timeline shows every step in order and
who did it. A second instance is moved past its deadline with the test clock: the task is red
in the manager's inbox, and an hour later the manager's manager has the escalated task.

Everything the people do goes through the browser; the API only sets up the people and the
blank app, reads results to check them, and moves the test clock. The module runs its own
server with ``CAIRN_TEST_CLOCK=true`` (the clock only moves forward)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from process_ui import (
    act,
    condition,
    deploy,
    draw_approval,
    dropdowns_closed,
    duration,
    flow_to,
    new_process,
    pick,
    validate,
    working_hours_limit,
)
from ui import choose, field, type_into
from webserver import Server, server_with_clock

APP = "flow"
TABLE = "requests"
KEY = "purchase"
PASSWORD = "Journey2024check"
#: alice draws and starts (销售部); bob manages 销售部, carol 总部 (its parent), fin 财务部.
PEOPLE = {"alice": "Alice 王", "bob": "Bob 李", "carol": "Carol 张", "fin": "Fin 赵"}
SUBMIT, REVIEW, FINANCE = "提交申请", "经理审批", "财务经理审批"


server = server_with_clock("cairn-journey")


@pytest.fixture(scope="module")
def org(server: Server) -> dict[str, int]:
    """The departments and people, and a blank app with one table (title, amount), as an
    administrator would set them up. Alice's role manages the app; everyone may create, read
    and update its records. User name → id."""
    hq = server.api("POST", "/api/v1/departments", {"name": "总部"})
    sales = server.api("POST", "/api/v1/departments", {"name": "销售部", "parent_id": hq["id"]})
    finance = server.api("POST", "/api/v1/departments", {"name": "财务部", "parent_id": hq["id"]})
    dept = {"alice": sales, "bob": sales, "carol": hq, "fin": finance}
    ids: dict[str, int] = {}
    for name, display in PEOPLE.items():
        body = {
            "username": name,
            "password": PASSWORD,
            "display_name": display,
            "department_id": dept[name]["id"],
        }
        ids[name] = server.api("POST", "/api/v1/users", body)["id"]
    for d, boss in ((hq, "carol"), (sales, "bob"), (finance, "fin")):
        server.api("PATCH", f"/api/v1/departments/{d['id']}", {"manager_id": ids[boss]})
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "采购"})
    fields = [
        {"key": "title", "name": "事由", "type": "text", "required": True},
        {"key": "amount", "name": "金额", "type": "number"},
    ]
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {"key": TABLE, "name": "采购申请", "display_field": "title", "fields": fields},
    )
    rw = {"app": APP, "table": TABLE, "actions": ["create", "read", "update"]}
    server.api(
        "POST",
        "/api/v1/roles",
        {"key": "staff", "name": "员工", "members": list(PEOPLE), "tables": [rw]},
    )
    server.api(
        "POST",
        "/api/v1/roles",
        {"key": "builders", "name": "流程设计", "members": ["alice"], "manages_apps": [APP]},
    )
    return ids


def person(browser: Any, server: Server, name: str) -> tuple[Any, Any]:
    """A browser context signed in as ``name`` (through the sign-in API: the sign-in page has
    its own tests) and a page in it that collects the page's script errors."""
    ctx = browser.new_context(
        locale="zh-CN", viewport={"width": 1440, "height": 900}, base_url=server.url
    )
    r = ctx.request.post("/api/v1/auth/login", data={"username": name, "password": PASSWORD})
    assert r.ok, r.text()
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    return ctx, page


def call(page: Any, path: str) -> Any:
    """A GET as the page's user (to check what the UI did)."""
    r = page.context.request.get(path)
    assert r.ok, f"GET {path}: {r.status} {r.text()[:300]}"
    return r.json()


def wait_until(check: Callable[[], Any], what: str, seconds: float = 40) -> Any:
    """Poll ``check`` (the server's worker acts on the test clock in its own time)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def new_record(page: Any, title: str, amount: int) -> int:
    """Create a record on the new-record page; the page is left on the record."""
    page.goto(f"/apps/{APP}/tables/{TABLE}/records/new")
    type_into(field(page, "title"), title)
    type_into(field(page, "amount"), str(amount))
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/records/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def start_from_record_page(page: Any, process_name: str) -> None:
    """On the record page: the 流程 tab, "start a process", this process. The starter lands on
    step 1 (her own task)."""
    page.get_by_role("tab", name="流程").click()
    page.locator("[data-test=start-process]").click()
    page.locator(f"[data-test=start-{KEY}]", has_text=process_name).click()
    page.wait_for_url("**/tasks/*")
    page.locator("[data-test=task-form]").wait_for()
    assert page.locator("[data-test=task-title]").inner_text() == SUBMIT


def open_task(page: Any, step_name: str, title: str) -> None:
    """From the inbox, open the task of this step on the record titled ``title``."""
    page.goto("/tasks")
    row = page.locator("[data-test=task-table] .el-table__row", has_text=title)
    row.locator("[data-test=task-link]", has_text=step_name).first.click()
    page.wait_for_url("**/tasks/*")
    page.locator("[data-test=task-form]").wait_for()
    assert page.locator("[data-test=task-title]").inner_text() == step_name


def done(page: Any) -> None:
    """After an action the task page goes back to the inbox."""
    page.wait_for_url("**/tasks")


def draw_and_deploy(page: Any, server: Server, shoot: Callable[[Any, str], Path]) -> None:
    """Alice draws, sets up and deploys the approval in the designer."""
    new_process(page, server.url, APP, "采购审批", KEY, "采购申请")
    ids = draw_approval(page, manager=REVIEW, finance=FINANCE, end="结束")

    # Step 1 (the initiator's own): title and amount editable (she may correct them after a
    # return). Then the manager's step: the initiator's manager, within 4 working hours; an hour past the
    # deadline it goes up to that manager's manager.
    pick(page, "submit")
    for key in ("title", "amount"):
        choose(page, page.locator(f"[data-test=field-access][data-field={key}] .el-select"), "必填")
        dropdowns_closed(page)
    pick(page, ids["manager"])
    page.locator("[data-test=add-rule]").click()
    choose(page, page.locator("[data-test=assignee-kind]").last, "发起人的上级")
    working_hours_limit(page, 4)
    page.locator("[data-test=add-level]").click()
    level = page.locator("[data-test=escalation-level]")
    duration(page, level, 1, "小时")
    level.locator(".el-checkbox", has_text="将任务转给该主管").click()
    # The finance step: the manager of 财务部.
    pick(page, ids["finance"])
    page.locator("[data-test=add-rule]").click()
    choose(page, page.locator("[data-test=assignee-kind]").last, "部门负责人")
    choose(page, page.locator("[data-test=assignee-department]").last, "财务部")
    # The gateway: over 50,000 to finance, otherwise (the default) straight to the end.
    pick(page, ids["gateway"])
    condition(page, FINANCE, "amount", " > 50000")
    flow_to(page, "结束").locator("[data-test=flow-default]").click()
    expect(flow_to(page, "结束").locator(".el-checkbox")).to_have_class(re.compile("is-checked"))
    validate(page)
    ok = page.locator("[data-test=no-problems]")
    try:
        ok.wait_for()
    except Exception:  # say which problems the designer showed instead
        shoot(page, "journey-designer-problems")
        raise AssertionError(page.locator("[data-test=problems]").inner_text()) from None
    shoot(page, "journey-designer")
    deploy(page, APP)
    page.locator("[data-test=current-version]", has_text="v1").wait_for()

    # What was deployed (read back to check the panel wrote what it showed).
    d = server.api("GET", f"/api/v1/apps/{APP}/processes/{KEY}")
    steps = {s["id"]: s for s in d["steps"]}
    review = steps[ids["manager"]]
    assert review["assignees"] == [{"type": "initiator_manager", "value": "1"}]
    assert review["deadline"]["duration_seconds"] == 4 * 3600
    assert review["deadline"]["calendar"] == "working"
    assert review["escalations"] == [{"after_seconds": 3600, "notify": True, "reassign": True}]
    assert steps[ids["finance"]]["assignees"][0]["type"] == "department_manager"
    assert {"key": "amount", "access": "edit", "required": True} in steps["submit"]["form"]
    assert steps["submit"]["actions"] == ["approve"]


def timeline(page: Any) -> list[tuple[str, str, str]]:
    """The instance page's timeline as shown: (action, step, who) top to bottom."""
    page.locator("[data-test=timeline-entry]").first.wait_for()
    return [
        tuple(x)
        for x in page.locator("[data-test=timeline-entry]").evaluate_all(
            "els => els.map(e => [e.dataset.action, e.dataset.step || '',"
            " e.querySelector('[data-test=timeline-actor]')?.dataset.actor || ''])"
        )
    ]


def test_a_new_user_draws_deploys_and_runs_an_approval_with_a_return_and_an_escalation(
    browser: Any, server: Server, org: dict[str, int], shoot: Callable[[Any, str], Path]
) -> None:
    people = {name: person(browser, server, name) for name in PEOPLE}
    alice, bob, carol, fin = (people[n][1] for n in ("alice", "bob", "carol", "fin"))
    try:
        draw_and_deploy(alice, server, shoot)

        # --- First instance: over 50,000, with a return from finance to step 1. ---
        rid = new_record(alice, "服务器采购", 80000)
        start_from_record_page(alice, "采购审批")
        act(alice, "complete")
        done(alice)
        open_task(bob, REVIEW, "服务器采购")
        assert "80" in field(bob, "amount").inner_text()
        act(bob, "approve", comment="同意采购")
        done(bob)
        # The finance manager returns it to step 1: without a comment the dialog refuses.
        open_task(fin, FINANCE, "服务器采购")
        act(fin, "return", target=SUBMIT)
        dialog = fin.locator(".el-dialog:visible")
        dialog.filter(has_text="必须填写意见").wait_for()
        shoot(fin, "journey-return-needs-comment")
        dialog.locator("textarea[data-test=action-comment]").fill("请补充三家报价")
        dialog.locator("[data-test=action-confirm]").click()
        done(fin)
        # Alice has step 1 again (the comment is shown to her), changes the amount, resubmits.
        open_task(alice, SUBMIT, "服务器采购")
        alice.locator("[data-test=timeline-comment]", has_text="请补充三家报价").wait_for()
        type_into(field(alice, "amount"), "76000")
        act(alice, "complete", comment="已附三家报价")
        done(alice)
        open_task(bob, REVIEW, "服务器采购")
        act(bob, "approve")
        done(bob)
        open_task(fin, FINANCE, "服务器采购")
        act(fin, "approve", comment="预算内")
        done(fin)
        rec = server.api("GET", f"/api/v1/apps/{APP}/tables/{TABLE}/records/{rid}")
        assert rec["amount"] == 76000

        # The record's 流程 tab links the finished instance; its page tells the whole story.
        alice.goto(f"/apps/{APP}/tables/{TABLE}/records/{rid}")
        alice.get_by_role("tab", name="流程").click()
        alice.locator("[data-test=record-process]").first.click()
        alice.wait_for_url("**/process-instances/*")
        alice.locator("[data-test=instance-status]", has_text="已完成").wait_for()
        a, b, f = PEOPLE["alice"], PEOPLE["bob"], PEOPLE["fin"]
        assert timeline(alice) == [
            ("started", "", a),
            ("opened", SUBMIT, ""),
            ("complete", SUBMIT, a),
            ("opened", REVIEW, ""),
            ("approve", REVIEW, b),
            ("opened", FINANCE, ""),
            ("return", FINANCE, f),
            ("opened", SUBMIT, ""),  # back to step 1, then through every step again
            ("complete", SUBMIT, a),
            ("opened", REVIEW, ""),
            ("approve", REVIEW, b),
            ("opened", FINANCE, ""),
            ("approve", FINANCE, f),
            ("completed", "", ""),
        ]
        comments = alice.locator("[data-test=timeline-comment]").all_inner_texts()
        assert comments == ["同意采购", "请补充三家报价", "已附三家报价", "预算内"]
        # The diagram draws its markers once bpmn-js has imported it (slower under load).
        wait_until(
            lambda: alice.locator("[data-test=diagram] .cairn-done").count() >= 4,
            "the done markers on the diagram",
        )
        shoot(alice, "journey-instance-done")

        # --- Second instance: past the deadline, then escalated. ---
        new_record(alice, "办公椅", 3000)
        start_from_record_page(alice, "采购审批")
        act(alice, "complete")
        done(alice)
        [task] = [
            t for t in call(bob, "/api/v1/tasks?box=mine")["items"] if t["record_title"] == "办公椅"
        ]
        assert task["name"] == REVIEW and task["due_at"], task
        due = datetime.fromisoformat(task["due_at"].replace("Z", "+00:00"))
        clock = "/api/v1/test-clock/advance"
        server.api("POST", clock, {"to": (due + timedelta(minutes=5)).isoformat()})
        wait_until(
            lambda: any(
                t["id"] == task["id"] for t in call(bob, "/api/v1/tasks?box=overdue")["items"]
            ),
            "the task to be overdue",
        )
        bob.goto("/tasks")
        row = bob.locator("[data-test=task-table] .el-table__row", has_text="办公椅")
        tag = row.locator("[data-test=overdue-tag]")
        tag.wait_for()
        assert "已超时" in tag.inner_text()
        assert tag.evaluate("e => getComputedStyle(e).color") == "rgb(245, 108, 108)"
        expect(bob.locator("[data-test=count-overdue]")).to_have_text("1")
        shoot(bob, "journey-inbox-overdue")
        # An hour past the deadline the escalation gives it to Bob's manager, Carol.
        server.api("POST", clock, {"to": (due + timedelta(minutes=70)).isoformat()})
        wait_until(
            lambda: any(
                t["id"] == task["id"] for t in call(carol, "/api/v1/tasks?box=mine")["items"]
            ),
            "the escalation to reach Carol",
        )
        carol.goto("/tasks")
        carol.locator("[data-test=task-table] .el-table__row", has_text="办公椅").locator(
            "[data-test=overdue-tag]"
        ).wait_for()
        open_task(carol, REVIEW, "办公椅")
        carol.locator("[data-test=task-overdue]").wait_for()
        escalated = carol.locator("[data-test=timeline-entry][data-action=escalated]")
        escalated.wait_for()
        assert PEOPLE["carol"] in escalated.inner_text()
        shoot(carol, "journey-task-escalated")
        bob.goto("/tasks")
        bob.locator("[data-test=task-table]").wait_for()
        expect(
            bob.locator("[data-test=task-table] .el-table__row", has_text="办公椅")
        ).to_have_count(0)
        for name, (_, p) in people.items():
            assert not p.errors, (name, p.errors)
    finally:
        for ctx, _ in people.values():
            ctx.close()
