"""The demo's process in the browser: a new user of ``make demo`` opens a service ticket, starts
维修报价审批 from its 流程 tab, fills in the quote on the task page (the linked customer shown by
name), approves it as the service manager (nobody above the administrator: the rule falls back
to the initiator), and the service task sets the ticket to 处理中."""

from __future__ import annotations

from typing import Any

from process_ui import act
from ui import type_into
from webserver import Server

APP = "general_aviation"
TICKETS = f"/api/v1/apps/{APP}/tables/service_tickets/records"


def a_ticket_with_a_customer(server: Server) -> tuple[dict[str, Any], str]:
    page = server.api("GET", f"{TICKETS}?limit=50&expand=customer")
    ticket = next(r for r in page["items"] if r.get("customer") and r["status"] != "处理中")
    return ticket, ticket["customer"]["name"]


def test_the_demo_process_runs_from_a_ticket(signed_in: Any, server: Server, shoot: Any) -> None:
    ticket, customer = a_ticket_with_a_customer(server)
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/service_tickets/records/{ticket['id']}")
    page.get_by_role("tab", name="流程").click()
    page.locator("[data-test=start-process]").click()
    page.locator("[data-test=start-repair_quote]").click()
    page.wait_for_url("**/tasks/*")
    # The quote step: the customer read-only, by name (not by its id); the cost to fill in.
    chip = page.locator(".field-item[data-field=customer] .chip")
    chip.wait_for()
    assert chip.inner_text() == customer
    type_into(page.locator(".field-item[data-field=cost]"), "36800")
    shoot(page, "demo-process-quote")
    act(page, "complete")
    page.wait_for_url("**/tasks")
    # The service manager's step (the administrator has no manager: the next rule, himself).
    page.locator("[data-test=task-link]", has_text="服务主管审批").first.click()
    page.wait_for_url("**/tasks/*")
    page.locator("[data-test=act-approve]").wait_for()
    page.locator(
        "[data-test=diagram] .djs-element.cairn-current[data-element-id=review]"
    ).wait_for()
    act(page, "approve")
    page.wait_for_url("**/tasks")
    # ¥36,800 is not over ¥50,000: no finance step; the service task set the ticket 处理中.
    after = server.api("GET", f"{TICKETS}/{ticket['id']}")
    assert after["status"] == "处理中" and float(after["cost"]) == 36800
    [inst] = [
        i
        for i in server.api(
            "GET", f"/api/v1/apps/{APP}/tables/service_tickets/records/{ticket['id']}/processes"
        )["items"]
        if i["process"]["key"] == "repair_quote"
    ]
    assert inst["status"] == "completed"
    page.goto(f"{server.url}/process-instances/{inst['id']}")
    page.locator(
        "[data-test=diagram] .djs-element.cairn-done[data-element-id=in_progress]"
    ).wait_for()
    shoot(page, "demo-process-done")
