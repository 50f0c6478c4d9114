"""The form designer's form variants, linkage rules and default formulas (issue 19): a variant
made beside the default form, a rule "when 状态 = 已驳回 show and require 驳回原因" built with
the visual condition builder and tried live, then a new record opened with that form where the
field appears and becomes required; a condition the server refuses shows its message at the
condition; a default formula TODAY()+7 fills a new record's date (and a bad one is refused at
its input). Screenshots at desk and phone width, in Chinese and English."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect
from ui import choose, close_dropdowns, field, type_into
from webserver import Server

APP = "designer_rules"
T = f"/api/v1/apps/{APP}/tables/tickets"


@pytest.fixture
def tickets(server: Server) -> str:
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "表单设计测试"})
    choices = {"choices": [{"value": v} for v in ("待处理", "已驳回", "已完成")]}
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {
            "key": "tickets",
            "name": "工单",
            "display_field": "title",
            "fields": [
                {"key": "title", "name": "标题", "type": "text", "required": True},
                {"key": "status", "name": "状态", "type": "single_select", "options": choices},
                {"key": "reason", "name": "驳回原因", "type": "text"},
                {"key": "due", "name": "到期日", "type": "date"},
                {"key": "note", "name": "备注", "type": "long_text"},
            ],
        },
    )
    return APP


def design(page: Any, server: Server, query: str = "") -> None:
    page.goto(f"{server.url}/apps/{APP}/tables/tickets/design{query}")
    page.locator("[data-test=canvas-field][data-key=title]").wait_for(state="attached")


def placed_on(layout: dict[str, Any]) -> list[str]:
    return [k for s in layout["sections"] for r in s["rows"] for k in r if k]


def until(page: Any, check: Callable[[], Any], what: str) -> Any:
    """The first truthy result of ``check`` (the UI's saves go through in the background)."""
    for _ in range(80):
        got = check()
        if got:
            return got
        page.wait_for_timeout(100)
    raise AssertionError(what)


def rule_card(page: Any, i: int) -> Any:
    return page.locator("[data-test=linkage-rule]").nth(i)


def test_variant_with_a_linkage_rule_and_a_default_formula(
    signed_in: Any, server: Server, tickets: str, shoot: Any
) -> None:
    page = signed_in
    design(page, server)
    assert page.locator("[data-test=form-tab-default]").is_visible()

    # A variant beside the default form, starting as a copy of it.
    page.locator("[data-test=new-variant]").click()
    dialog = page.locator(".el-dialog", has=page.locator("[data-test=variant-name]"))
    type_into(dialog.locator("[data-test=variant-name]"), "驳回处理")
    type_into(dialog.locator("[data-test=variant-key]"), "reject")
    dialog.locator("[data-test=variant-save]").click()
    page.locator("[data-test=form-tab-reject]").wait_for()
    page.wait_for_url(re.compile(r".*form=reject.*"))
    page.locator("[data-test=canvas-field][data-key=reason]").wait_for()
    forms = server.api("GET", f"{T}/forms")["items"]
    assert [f["key"] for f in forms] == ["default", "reject"]
    variant = server.api("GET", f"{T}/forms/reject")
    assert placed_on(variant["layout"]) == ["title", "status", "reason", "due", "note"]

    # Taken off the variant, a field waits in its palette (the table keeps it).
    page.locator("[data-test=canvas-field][data-key=note] [data-test=take-off]").click()
    page.locator("[data-test=unplaced-note]").wait_for()
    until(
        page,
        lambda: "note" not in placed_on(server.api("GET", f"{T}/forms/reject")["layout"]),
        "the variant still places the note",
    )
    shoot(page, "designer-variant")

    # The rule, built visually: when 状态 = 已驳回, show and require 驳回原因.
    page.locator("[data-test=view-rules]").click()
    page.locator("[data-test=add-rule]").click()
    rule = rule_card(page, 0)
    type_into(rule.locator("[data-test=rule-name]"), "驳回须填原因")
    rule.locator("[data-test=condition-add]").click()
    choose(page, rule.locator("[data-test=condition-field]"), "状态")
    choose(page, rule.locator("[data-test=condition-value]"), "已驳回")
    expect(rule.locator("[data-test=condition-formula-preview]")).to_contain_text(
        '{status} = "已驳回"'
    )
    show = rule.locator("[data-test=linkage-action]").nth(0)
    choose(page, show.locator("[data-test=action-fields]"), "驳回原因")
    close_dropdowns(page)
    rule.locator("[data-test=add-action]").click()
    require = rule.locator("[data-test=linkage-action]").nth(1)
    choose(page, require.locator("[data-test=action-type]"), "必填")
    choose(page, require.locator("[data-test=action-fields]"), "驳回原因")
    close_dropdowns(page)
    page.locator("[data-test=save-rules]").click()
    saved = until(
        page,
        lambda: (lay := server.api("GET", f"{T}/forms/reject")["layout"]).get("rules") and lay,
        "the rules were not saved",
    )
    expect(page.locator("[data-test=save-rules]")).to_be_disabled()
    assert saved["rules"] == [
        {
            "name": "驳回须填原因",
            "when": '{status} = "已驳回"',
            "actions": [
                {"type": "show", "fields": ["reason"], "sections": []},
                {"type": "require", "fields": ["reason"]},
            ],
        }
    ]
    assert server.api("GET", f"{T}/forms/default")["layout"] is None  # the default is as it was

    # Try it: the saved rule runs on sample values.
    preview = page.locator("[data-test=form-preview]")
    expect(preview.locator(".field-item[data-field=reason]")).to_be_hidden()
    choose(page, preview.locator(".field-item[data-field=status]"), "已驳回")
    reason = preview.locator(".field-item[data-field=reason]")
    expect(reason).to_be_visible()
    expect(reason).to_have_class(re.compile("is-required"))
    shoot(page, "designer-rules")

    # A condition the server refuses: its message is at the condition, nothing is saved.
    page.locator("[data-test=add-rule]").click()
    bad = rule_card(page, 1)
    bad.locator("[data-test=mode-formula]").click()
    type_into(bad.locator("[data-test=condition-formula]"), "WORKDAY(TODAY(), 3) > TODAY()")
    choose(page, bad.locator("[data-test=action-fields]"), "备注")
    close_dropdowns(page)
    page.locator("[data-test=save-rules]").click()
    when_error = page.locator("[data-loc='rules.1.when'] [data-test=formula-error]")
    expect(when_error).to_contain_text("WORKDAY")
    assert len(server.api("GET", f"{T}/forms/reject")["layout"]["rules"]) == 1
    shoot(page, "designer-rule-error")
    page.locator("[data-test=discard-rules]").click()
    expect(page.locator("[data-test=linkage-rule]")).to_have_count(1)

    # A default formula on the due date, in its settings (a bad one first: its error shows).
    page.locator("[data-test=view-layout]").click()
    page.locator("[data-test=form-tab-default]").click()
    page.wait_for_url(re.compile(r"^(?!.*form=reject).*$"))
    page.locator("[data-test=canvas-field][data-key=due]").click()
    formula = page.locator("[data-test=field-default-formula]")
    type_into(formula, '"next week"')
    page.locator("[data-test=save-field]").click()
    expect(page.locator("[data-test=default-formula] [data-test=formula-error]")).to_be_visible()
    type_into(formula, "TODAY()+7")
    page.locator("[data-test=save-field]").click()
    expect(page.locator("[data-test=default-formula] [data-test=formula-error]")).to_be_hidden()
    until(
        page,
        lambda: any(
            f["key"] == "due" and f["options"].get("default_formula") == "TODAY()+7"
            for f in server.api("GET", T)["fields"]
        ),
        "the default formula was not saved",
    )
    shoot(page, "designer-default-formula")

    # A new record in the variant: the date is a week ahead, 驳回原因 appears and is required.
    today = dt.date.fromisoformat(server.api("GET", f"{T}/forms/reject")["env"]["today"])
    week = (today + dt.timedelta(days=7)).isoformat()
    page.goto(f"{server.url}/apps/{APP}/tables/tickets/records/new?form=reject")
    field(page, "title").wait_for()
    expect(field(page, "due").locator("input").first).to_have_value(week)
    expect(field(page, "reason")).to_be_hidden()
    assert field(page, "note").count() == 0  # not on this form
    type_into(field(page, "title"), "发动机异响")
    choose(page, field(page, "status"), "已驳回")
    expect(field(page, "reason")).to_be_visible()
    expect(field(page, "reason")).to_have_class(re.compile("is-required"))
    page.locator("[data-test=save-record]").click()
    expect(field(page, "reason").locator(".el-form-item__error")).to_contain_text("驳回须填原因")
    assert server.api("GET", f"{T}/records")["items"] == []
    shoot(page, "variant-record-required")
    type_into(field(page, "reason"), "缺少质检报告")
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/tables/tickets/records/\d+$"))
    [rec] = server.api("GET", f"{T}/records")["items"]
    assert (rec["status"], rec["reason"], rec["due"]) == ("已驳回", "缺少质检报告", week)

    # The designer in English and on a phone.
    design(page, server, "?form=reject&view=rules")
    page.locator("[data-test=lang-switch]").click()
    page.locator("[data-test=lang-en]").click()
    expect(page.locator("[data-test=view-rules]")).to_contain_text("Linkage rules")
    expect(page.locator("[data-test=linkage-action]").nth(1)).to_contain_text("Require")
    shoot(page, "designer-rules")
    page.set_viewport_size({"width": 390, "height": 844})
    rule_card(page, 0).scroll_into_view_if_needed()
    shoot(page, "designer-rules")
    page.locator("[data-test=form-preview]").scroll_into_view_if_needed()
    shoot(page, "designer-try-it")
    page.locator("[data-test=lang-switch]").click()
    page.locator("[data-test=lang-zh-CN]").click()
    expect(page.locator("[data-test=view-rules]")).to_contain_text("联动规则")
    rule_card(page, 0).scroll_into_view_if_needed()
    shoot(page, "designer-rules")
    page.locator("[data-test=view-layout]").click()
    page.locator("[data-test=canvas-field][data-key=reason]").wait_for()
    shoot(page, "designer-variant")


@pytest.fixture
def quotes(server: Server) -> str:
    """A table whose own layout has a second section without a key."""
    app = "designer_rules_q"
    server.api("POST", "/api/v1/apps", {"key": app, "name": "报价联动"})
    choices = lambda *vs: {"choices": [{"value": v} for v in vs]}  # noqa: E731
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {
            "key": "quotes",
            "name": "报价",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {"key": "status", "name": "状态", "type": "single_select", "options": choices("草稿", "已驳回")},
                {"key": "kind", "name": "类型", "type": "single_select", "options": choices("整车", "配件")},
                {"key": "priority", "name": "优先级", "type": "single_select", "options": choices("高", "中", "低")},
                {"key": "amount", "name": "金额", "type": "number", "options": {"decimals": 2}},
                {"key": "gross", "name": "含税金额", "type": "number", "options": {"decimals": 2}},
                {"key": "reason", "name": "驳回原因", "type": "text"},
            ],
        },
    )  # fmt: skip
    layout = {
        "sections": [
            {"title": "", "rows": [["title", "status"], ["kind", "priority"], ["amount", "gross"]]},
            {"title": "驳回", "rows": [["reason"]]},
        ]
    }
    server.api("PUT", f"/api/v1/apps/{app}/tables/quotes/layout", layout)
    server.api("POST", "/api/v1/roles", {"key": "quote_desk", "name": "报价专员"})
    return app


def test_default_form_rules_sections_options_values_and_roles(
    signed_in: Any, server: Server, quotes: str, shoot: Any
) -> None:
    page = signed_in
    q = f"/api/v1/apps/{quotes}/tables/quotes"
    page.goto(f"{server.url}/apps/{quotes}/tables/quotes/design?view=rules")
    page.locator("[data-test=add-rule]").wait_for()

    # 1: the section 驳回 (no key yet) shows when the status is 已驳回.
    page.locator("[data-test=add-rule]").click()
    r = rule_card(page, 0)
    type_into(r.locator("[data-test=rule-name]"), "驳回")
    r.locator("[data-test=condition-add]").click()
    choose(page, r.locator("[data-test=condition-field]"), "状态")
    choose(page, r.locator("[data-test=condition-value]"), "已驳回")
    page.locator(".el-select-dropdown__item:visible").first.wait_for(state="hidden")
    choose(page, r.locator("[data-test=action-sections]"), "驳回")
    close_dropdowns(page)
    # 2: 整车 keeps 高 and 中 of the priority.
    page.locator("[data-test=add-rule]").click()
    r = rule_card(page, 1)
    type_into(r.locator("[data-test=rule-name]"), "整车")
    r.locator("[data-test=condition-add]").click()
    choose(page, r.locator("[data-test=condition-field]"), "类型")
    choose(page, r.locator("[data-test=condition-value]"), "整车")
    choose(page, r.locator("[data-test=action-type]"), "限定选项")
    choose(page, r.locator("[data-test=action-field]"), "优先级")
    choose(page, r.locator("[data-test=action-options]"), "高")
    page.locator(".el-select-dropdown__item:visible", has_text="中").click()  # still open
    close_dropdowns(page)
    # 3: a formula condition and a value set by a formula; then moved up above 整车.
    page.locator("[data-test=add-rule]").click()
    r = rule_card(page, 2)
    type_into(r.locator("[data-test=rule-name]"), "含税")
    r.locator("[data-test=mode-formula]").click()
    type_into(r.locator("[data-test=condition-formula]"), "NOT(ISBLANK({amount}))")
    choose(page, r.locator("[data-test=action-type]"), "赋值")
    choose(page, r.locator("[data-test=action-field]"), "含税金额")
    type_into(r.locator("[data-test=action-value]"), "{amount} * 1.13")
    r.locator("[data-test=rule-up]").click()
    expect(rule_card(page, 1).locator("[data-test=rule-name]")).to_have_value("含税")
    page.locator("[data-test=save-rules]").click()

    layout = until(
        page,
        lambda: (got := server.api("GET", f"{q}/layout")["layout"]).get("rules") and got,
        "the rules were not saved",
    )
    assert layout["sections"][1]["key"] == "section_2"  # given when a rule named it
    assert layout["rules"] == [
        {"name": "驳回", "when": '{status} = "已驳回"', "actions": [{"type": "show", "fields": [], "sections": ["section_2"]}]},
        {"name": "含税", "when": "NOT(ISBLANK({amount}))", "actions": [{"type": "set", "field": "gross", "value": "{amount} * 1.13"}]},
        {"name": "整车", "when": '{kind} = "整车"', "actions": [{"type": "options", "field": "priority", "options": ["高", "中"]}]},
    ]  # fmt: skip

    # Try it: the section appears, the gross follows the amount, the priority offers two.
    preview = page.locator("[data-test=form-preview]")
    expect(preview.locator("[data-section=section_2]")).to_be_hidden()
    choose(page, preview.locator(".field-item[data-field=status]"), "已驳回")
    expect(preview.locator("[data-section=section_2]")).to_be_visible()
    type_into(preview.locator(".field-item[data-field=amount]"), "100")
    gross = preview.locator(".field-item[data-field=gross] input").first
    expect(gross).to_have_value(re.compile(r"^113(\.00)?$"))
    choose(page, preview.locator(".field-item[data-field=kind]"), "整车")
    page.locator(".el-select-dropdown__item:visible").first.wait_for(state="hidden")
    preview.locator(".field-item[data-field=priority] .el-select__wrapper").first.click()
    options = page.locator(".el-select-dropdown__item:visible")
    options.first.wait_for()
    assert options.all_inner_texts() == ["高", "中"]
    close_dropdowns(page)
    shoot(page, "designer-default-rules")

    # The canvas shows the section's key; a variant for a role, renamed later.
    page.locator("[data-test=view-layout]").click()
    expect(page.locator("[data-test=section-key]")).to_have_text("section_2")
    page.locator("[data-test=new-variant]").click()
    dialog = page.locator(".el-dialog", has=page.locator("[data-test=variant-name]"))
    type_into(dialog.locator("[data-test=variant-name]"), "Quick quote")
    expect(dialog.locator("[data-test=variant-key]")).to_have_value("quick_quote")
    choose(page, dialog.locator("[data-test=variant-roles]"), "报价专员")
    close_dropdowns(page)
    dialog.locator("[data-test=start-empty]").click()
    dialog.locator("[data-test=variant-save]").click()
    page.locator("[data-test=form-tab-quick_quote]").wait_for()
    expect(page.locator("[data-test=variant-roles-shown]")).to_contain_text("报价专员")
    [_, quick] = server.api("GET", f"{q}/forms")["items"]
    assert (quick["key"], quick["roles"]) == ("quick_quote", ["quote_desk"])
    assert server.api("GET", f"{q}/forms/quick_quote")["layout"] == {"sections": []}
    page.locator("[data-test=unplaced-title]").click()  # a click places it (keyboards, phones)
    until(
        page,
        lambda: placed_on(server.api("GET", f"{q}/forms/quick_quote")["layout"]) == ["title"],
        "the title was not placed",
    )

    # Someone else renames it meanwhile: the designer says so and shows it as it is now.
    version = server.api("GET", f"{q}/forms/quick_quote")["version"]
    server.api("PATCH", f"{q}/forms/quick_quote", {"name": "快速报价", "version": version})
    page.locator("[data-test=unplaced-amount]").click()
    page.locator(".el-message--warning").wait_for()
    expect(page.locator("[data-test=form-tab-quick_quote]")).to_have_text("快速报价")
    page.locator("[data-test=canvas-field][data-key=amount]").wait_for(state="detached")
    assert placed_on(server.api("GET", f"{q}/forms/quick_quote")["layout"]) == ["title"]

    # Deleted: the default form is back.
    page.locator("[data-test=delete-variant]").click()
    page.locator(".el-message-box .el-button--primary").click()
    page.locator("[data-test=form-tab-quick_quote]").wait_for(state="detached")
    assert [f["key"] for f in server.api("GET", f"{q}/forms")["items"]] == ["default"]
