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
