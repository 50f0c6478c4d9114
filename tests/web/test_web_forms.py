"""A form's linkage rules, live in the record form: 驳回原因 appears and becomes required when
状态 is 已驳回, a VIN field appears for 整车 with the priority's options limited, 含税金额 is
computed as the amount is typed, a default formula fills the due date; and a rule the server
holds (added after the page opened) names itself on the field it refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ui import choose, close_dropdowns, field, type_into
from webserver import Server

from formsdata import LINKAGE_RULES

APP = "linkage_demo"
T = f"/api/v1/apps/{APP}/tables/tickets"
LAYOUT: dict[str, Any] = {
    "sections": [
        {"title": "", "rows": [["title", "status"], ["kind", "vin", "priority"], ["amount", "gross", "due"]]},
        {"key": "s_reject", "title": "驳回", "rows": [["reason"]]},
        {"title": "备注", "rows": [["note"]]},
    ],
    "rules": LINKAGE_RULES,
}  # fmt: skip


@pytest.fixture
def tickets(server: Server) -> str:
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "联动测试"})
    choices = lambda *vs: {"choices": [{"value": v} for v in vs]}  # noqa: E731
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {
            "key": "tickets",
            "name": "工单",
            "display_field": "title",
            "fields": [
                {"key": "title", "name": "标题", "type": "text", "required": True},
                {"key": "status", "name": "状态", "type": "single_select", "options": choices("待处理", "已驳回", "已完成")},
                {"key": "reason", "name": "驳回原因", "type": "text"},
                {"key": "kind", "name": "类型", "type": "single_select", "options": choices("整车", "配件")},
                {"key": "vin", "name": "VIN", "type": "text"},
                {"key": "priority", "name": "优先级", "type": "single_select", "options": choices("高", "中", "低")},
                {"key": "amount", "name": "金额", "type": "number", "options": {"decimals": 2}},
                {"key": "gross", "name": "含税金额", "type": "number", "options": {"decimals": 2}},
                {"key": "due", "name": "到期日", "type": "date", "options": {"default_formula": "TODAY() + 7"}},
                {"key": "note", "name": "备注", "type": "long_text"},
            ],
        },
    )  # fmt: skip
    server.api("PUT", f"{T}/layout", LAYOUT)
    return APP


def shown(page: Any, key: str) -> bool:
    return field(page, key).is_visible()


def test_fields_appear_and_become_required_as_the_status_changes(
    signed_in: Any, server: Server, tickets: str, shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/tickets/records/new")
    field(page, "title").wait_for()
    # The default formula filled the due date; the rules hide what they show only when they hold.
    due = field(page, "due").locator("input").first
    page.wait_for_function(
        "el => /^\\d{4}-\\d{2}-\\d{2}$/.test(el.value)", arg=due.element_handle()
    )
    assert not shown(page, "reason") and not shown(page, "vin")
    assert not page.locator("[data-section=s_reject]").is_visible()
    type_into(field(page, "title"), "发动机异响")
    shoot(page, "linkage-before")

    choose(page, field(page, "status"), "已驳回")
    field(page, "reason").wait_for(state="visible")
    assert page.locator("[data-section=s_reject]").is_visible()
    assert "is-required" in (field(page, "reason").get_attribute("class") or "")
    shoot(page, "linkage-rejected")

    # Save without a reason: the rule is named at the field, nothing is created.
    page.locator("[data-test=save-record]").click()
    error = field(page, "reason").locator(".el-form-item__error")
    error.wait_for()
    assert "驳回须填原因" in error.inner_text()
    assert server.api("GET", f"{T}/records")["items"] == []
    shoot(page, "linkage-required")

    # 整车: the VIN appears, and the priority offers 高 and 中 only.
    choose(page, field(page, "kind"), "整车")
    field(page, "vin").wait_for(state="visible")
    page.locator(".el-select-dropdown__item:visible", has_text="配件").wait_for(state="hidden")
    field(page, "priority").locator(".el-select__wrapper").first.click()
    options = page.locator(".el-select-dropdown__item:visible")
    options.first.wait_for()
    assert options.all_inner_texts() == ["高", "中"]
    close_dropdowns(page)

    # 含税金额 follows the amount as it is typed.
    type_into(field(page, "amount"), "100")
    gross = field(page, "gross").locator("input").first
    page.wait_for_function(
        "el => el.value === '113' || el.value === '113.00'", arg=gross.element_handle()
    )

    type_into(field(page, "reason"), "缺少质检报告")
    type_into(field(page, "vin"), "LSVAU2180N2183294")
    choose(page, field(page, "priority"), "高")
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/tables/tickets/records/\d+$"))
    field(page, "reason").wait_for(state="visible")
    [rec] = server.api("GET", f"{T}/records")["items"]
    assert (rec["status"], rec["reason"], rec["gross"]) == ("已驳回", "缺少质检报告", 113)

    # Back to 待处理: the section goes away again.
    choose(page, field(page, "status"), "待处理")
    field(page, "reason").wait_for(state="hidden")
    assert not page.locator("[data-section=s_reject]").is_visible()

    # A rule added while the page is open: the server refuses the save and names it.
    layout = {**LAYOUT, "rules": [*LAYOUT["rules"], {"name": "须写备注", "when": "TRUE", "actions": [{"type": "require", "fields": ["note"]}]}]}  # fmt: skip
    server.api("PUT", f"{T}/layout", layout)
    type_into(field(page, "title"), "发动机异响（复查）")
    page.locator("[data-test=save-record]").click()
    note_error = field(page, "note").locator(".el-form-item__error")
    note_error.wait_for()
    assert "须写备注" in note_error.inner_text()
    shoot(page, "linkage-server-rule")

    # The designer keeps the rules and the section keys when the layout changes there.
    page.goto(f"{server.url}/apps/{APP}/tables/tickets/design")
    page.locator("[data-test=section-collapsed]").nth(2).click()
    for _ in range(50):
        saved = server.api("GET", f"{T}/layout")["layout"]
        if saved["sections"][2]["collapsed"]:
            break
        page.wait_for_timeout(100)
    assert saved["sections"][2]["collapsed"] and saved["sections"][1]["key"] == "s_reject"
    assert [r["name"] for r in saved["rules"]] == [r["name"] for r in layout["rules"]]

    # In English and on a phone.
    page.goto(f"{server.url}/apps/{APP}/tables/tickets/records/new")
    field(page, "title").wait_for()
    page.locator("[data-test=lang-switch]").click()
    page.locator("[data-test=lang-en]").click()
    choose(page, field(page, "status"), "已驳回")
    field(page, "reason").wait_for(state="visible")
    page.locator("[data-test=save-record]").click()
    error = field(page, "reason").locator(".el-form-item__error")
    error.wait_for()
    assert "Required by the rule '驳回须填原因'" in error.inner_text()
    shoot(page, "linkage-rejected")
    page.set_viewport_size({"width": 390, "height": 844})
    field(page, "reason").scroll_into_view_if_needed()
    shoot(page, "linkage-rejected")
