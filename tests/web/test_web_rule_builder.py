"""The rule builder in a real browser (no JSON anywhere): "when 状态 becomes 已解决, notify the
owner in-app, wait 24 hours, then e-mail the customer" put together from the trigger, condition
and action forms, saved, and read back into the same forms; the actions reordered by dragging;
a date rule "30 days before a date at 09:00"; the cron picker's presets and plain-language
preview; the visual condition written as a formula and read back; the server's errors shown on
the input their ``loc`` names. Screenshots at desktop and phone width in both languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from ui import choose, drag, type_into
from webserver import Server

APP = "general_aviation"
TABLE = "service_tickets"


def open_new_rule(page: Any, server: Server, table: str = TABLE) -> None:
    page.goto(f"{server.url}/apps/{APP}/rules/new?table={table}")
    page.locator("[data-test=rule-builder] [data-test=trigger-form]").wait_for()


def set_trigger(page: Any, label: str) -> None:
    choose(page, page.locator("[data-test=trigger-type]"), label)


def add_action(page: Any, type_: str) -> Any:
    before = page.locator("[data-test=action-card]").count()
    page.locator("[data-test=action-add]").click()
    page.locator(f".el-dropdown-menu__item[data-test=add-{type_}]:visible").click()
    card = page.locator("[data-test=action-card]").nth(before)
    card.wait_for()
    return card


def draft_of(page: Any) -> dict[str, Any]:
    """The rule as saved (read from the API after a save)."""
    m = re.search(r"/rules/(\d+)", page.url)
    assert m, page.url
    return page.evaluate(
        "id => fetch(`/api/v1/apps/general_aviation/rules/${id}`).then(r => r.json())", m.group(1)
    )


def test_build_a_notify_rule_save_it_and_read_it_back(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    open_new_rule(page, server)
    type_into(page.locator("[data-test=rule-name]"), "工单解决后通知")

    # When 状态 changes to 已解决.
    set_trigger(page, "修改记录时")
    choose(page, page.locator("[data-test=trigger-fields]"), "状态")
    page.keyboard.press("Escape")
    page.locator("[data-test=trigger-to-on]").click()
    choose(page, page.locator("[data-test=trigger-to]"), "已解决")

    # Only if 优先级 is 高 (built visually, written as the formula).
    page.locator("[data-test=condition-add]").click()
    row = page.locator("[data-test=condition-row]").first
    choose(page, row.locator("[data-test=condition-field]"), "优先级")
    choose(page, row.locator("[data-test=condition-value]"), "高")
    preview = page.locator("[data-test=condition-formula-preview]")
    assert '{priority} = "高"' in preview.inner_text()

    # Then: notify the owner in-app, with a placeholder inserted from the field picker.
    notify = add_action(page, "notify")
    body = notify.locator("[data-test=notify-body]")
    type_into(body, "工单已解决：")
    body.locator("[data-test=placeholder-picker]").click()
    page.locator(".el-dropdown-menu__item[data-test=ph-title]:visible").click()
    assert "{{ title }}" in body.locator("textarea").input_value()
    type_into(notify.locator("[data-test=notify-subject]"), "工单 {{ ticket_no }} 已解决")
    # Wait 24 hours, then an e-mail to an address.
    wait = add_action(page, "wait")
    wait.locator("[data-test=wait-amount] input").fill("24")
    mail = add_action(page, "notify")
    choose(page, mail.locator("[data-test=notify-channel]"), "邮件")
    mail.locator("[data-test=to-owner]").click()  # not the owner: an address
    addresses = mail.locator("[data-test=to-addresses]")
    addresses.locator(".el-select__wrapper").click()
    page.keyboard.type("customer@example.com")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    type_into(mail.locator("[data-test=notify-body]"), "您的工单 {{ ticket_no }} 已解决。")
    shoot(page, "rule-builder-notify")

    # The e-mail dragged above the wait: it goes at once.
    cards = page.locator("[data-test=action-card]")
    drag(page, cards.nth(2).locator("[data-test=action-drag]"), cards.nth(1), at="top")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-test=action-card]')[1]"
        "?.querySelector('[data-test=notify-channel]')?.textContent.includes('邮件')"
    )

    page.locator("[data-test=save-rule]").click()
    page.wait_for_url(re.compile(r"/rules/\d+"))
    saved = draft_of(page)
    assert saved["trigger"]["type"] == "record.updated"
    assert saved["trigger"]["fields"] == ["status"]
    assert saved["trigger"]["to"] == "已解决"
    assert saved["condition"] == '{priority} = "高"'
    assert [a["type"] for a in saved["actions"]] == ["notify", "notify", "wait"]
    assert [a.get("channel") for a in saved["actions"]] == ["inapp", "email", None]
    assert saved["actions"][1]["to"] == ["customer@example.com"]
    assert saved["actions"][0]["to"] == ["owner"]
    assert saved["actions"][2]["amount"] == 24
    assert "json" not in page.locator("[data-test=rule-builder]").inner_text().lower()

    # Read back: the forms show what was saved.
    page.reload()
    page.locator("[data-test=condition-row]").first.wait_for()
    assert (
        page.locator("[data-test=condition-formula-preview]")
        .inner_text()
        .endswith('{priority} = "高"')
    )
    assert page.locator("[data-test=action-card]").count() == 3


def test_a_date_rule_and_the_cron_picker(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    open_new_rule(page, server, "aircraft")
    set_trigger(page, "按日期字段")
    page.locator("[data-test=date-amount] input").fill("30")
    page.locator("[data-test=date-amount] input").press("Tab")
    choose(page, page.locator("[data-test=date-direction]"), "之前")
    summary = page.locator("[data-test=date-summary]")
    assert "前 30 天" in summary.inner_text()
    assert "09:00" in summary.inner_text()
    add_action(page, "notify")
    shoot(page, "rule-builder-date")

    set_trigger(page, "定时")
    words = page.locator("[data-test=cron-words]")
    assert "周一至周五" in words.inner_text() or "星期一" in words.inner_text()
    choose(page, page.locator("[data-test=cron-preset]"), "每月")
    choose(page, page.locator("[data-test=cron-day]"), "15 日")
    page.locator("[data-test=cron-advanced]").click()
    expression = page.locator("[data-test=cron-expression]")  # el-input puts it on the <input>
    assert expression.input_value() == "0 9 15 * *"
    shoot(page, "rule-builder-schedule")


def test_errors_show_on_their_inputs(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    """The server's own check of the draft (``/rules/validate`` as it is edited, then the refused
    save; the draft forecast's 422 too): each message on the input its ``loc`` names."""
    page = signed_in
    open_new_rule(page, server)
    type_into(page.locator("[data-test=rule-name]"), "永不触发的定时规则")
    set_trigger(page, "定时")
    page.locator("[data-test=cron-advanced]").click()
    type_into(page.locator("[data-test=cron-expression]"), "0 0 30 2 *")  # 30 February
    page.locator("[data-test=mode-formula]").click()
    type_into(page.locator("[data-test=condition-formula]"), "{title}")  # text, not true/false
    notify = add_action(page, "notify")
    type_into(notify.locator("[data-test=notify-body]"), "请处理 {{ nope }}")
    notify.locator("[data-test=to-roles] .el-select__wrapper").click()
    page.keyboard.type("nobody")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")

    cron = page.locator("[data-test=cron-picker] [data-test=input-error]")
    expect(cron).to_contain_text("永远不会触发")
    expect(page.locator("[data-test=formula-error]")).to_contain_text("TRUE 或 FALSE")
    expect(notify.locator("[data-test=notify-body] [data-test=input-error]")).to_contain_text(
        "不存在的名称：nope"
    )
    expect(notify.locator("[data-test=recipient-picker] [data-test=input-error]")).to_contain_text(
        "没有角色“nobody”"
    )
    expect(page.locator("[data-test=cron-next]")).to_have_count(0)  # it never fires
    shoot(page, "rule-builder-errors")

    # The save is refused with the same errors on the same inputs; nothing is saved.
    with page.expect_response(re.compile(r"/rules$")) as refused:
        page.locator("[data-test=save-rule]").click()
    assert refused.value.status == 422
    locs = sorted(e["field"] for e in refused.value.json()["errors"])
    assert locs == ["actions.0.body", "actions.0.to.1", "condition", "trigger.cron"]  # to.0: owner
    assert page.url.endswith("/rules/new?table=service_tickets")
    expect(cron).to_contain_text("永远不会触发")

    # The forecast of the draft is refused too: its locations are the editor's (no "rule.").
    page.locator(".rule-tabs .el-tabs__item", has_text="预测").click()
    problems = page.locator("[data-test=forecast-error] code")
    expect(problems).to_have_count(4)
    assert sorted(problems.all_inner_texts()) == locs
    page.locator(".rule-tabs .el-tabs__item", has_text="设置").click()
    expect(notify.locator("[data-test=recipient-picker] [data-test=input-error]")).to_be_visible()

    # Put right, the errors go and the schedule's next times show.
    type_into(page.locator("[data-test=cron-expression]"), "0 9 * * 1-5")
    expect(cron).to_have_count(0)
    expect(page.locator("[data-test=cron-next]")).to_be_visible()
