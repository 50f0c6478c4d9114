"""The automation pages in the browser (issue 17): the app's rule list (per table, the enable
switch saving at once), a rule's run log showing the run of a rule created through the API and
fired by a record change (the server's worker runs it), the editor refusing a save with the
error on its input, "test on a record" and the forecast of a date rule; the form designer's
link; the pages at desk and phone width in both languages.

The rules live on a table of their own (保单), so the other browser tests' records fire none."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from ui import switch_language
from webserver import Server

APP = "general_aviation"
TABLE = "policies"
RULES = f"/api/v1/apps/{APP}/rules"
RECORDS = f"/api/v1/apps/{APP}/tables/{TABLE}/records"


def _wait(check: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def setup(server: Server) -> dict[str, Any]:
    """A table of insurance policies, two rules on it (a status change notifies the owner; a
    reminder the day before the policy expires at 09:00) and the records that fire them."""
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {
            "key": TABLE,
            "name": "保单",
            "display_field": "title",
            "fields": [
                {"key": "title", "name": "标题", "type": "text", "required": True},
                {
                    "key": "state",
                    "name": "状态",
                    "type": "single_select",
                    "options": {
                        "choices": [
                            {"id": "active", "value": "生效"},
                            {"id": "claimed", "value": "已理赔"},
                        ]
                    },
                },
                {"key": "expires", "name": "到期日", "type": "date"},
            ],
        },
    )
    me = server.api("GET", "/api/v1/auth/me")["user"]
    notify = server.api(
        "POST",
        RULES,
        {
            "key": "claimed_notice",
            "name": "理赔后通知负责人",
            "table": TABLE,
            "trigger": {"type": "record.updated", "fields": ["state"], "to": "已理赔"},
            "actions": [
                {
                    "type": "notify",
                    "channel": "inapp",
                    "to": ["owner", f"user:{me['id']}"],
                    "subject": "保单 {{ title }} 已理赔",
                    "body": "请跟进保单 {{ title }}。",
                }
            ],
        },
    )
    reminder = server.api(
        "POST",
        RULES,
        {
            "key": "expiry_reminder",
            "name": "到期前一天提醒",
            "table": TABLE,
            "trigger": {
                "type": "date",
                "field": "expires",
                "offset": -1,
                "unit": "days",
                "at": "09:00",
            },
            "actions": [
                {
                    "type": "notify",
                    "channel": "inapp",
                    "to": ["owner"],
                    "body": "{{ title }} 明天到期",
                }
            ],
        },
    )
    soon = date.today() + timedelta(days=6)
    ids = [
        server.api(
            "POST",
            RECORDS,
            {
                "title": f"规则保单{i}",
                "state": "生效",
                "expires": (soon + timedelta(days=i)).isoformat(),
            },
        )["id"]
        for i in range(3)
    ]
    first = server.api("GET", f"{RECORDS}/{ids[0]}")
    server.api("PATCH", f"{RECORDS}/{ids[0]}", {"state": "已理赔", "version": first["version"]})
    _wait(
        lambda: server.api("GET", f"{RULES}/{notify['id']}/runs")["items"],
        "the notify rule's run",
    )
    return {"notify": notify["id"], "reminder": reminder["id"], "records": ids, "me": me}


def test_the_list_shows_the_rules_and_the_switch_saves(
    signed_in: Any, server: Server, setup: dict[str, Any], shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}")
    page.locator("[data-test=menu-rules]").click()
    page.wait_for_url(f"**/apps/{APP}/rules")
    row = page.locator("[data-test=rule-row][data-key=claimed_notice]")
    expect(row).to_contain_text("理赔后通知负责人")
    tr = page.locator(".el-table__row", has=row)
    expect(tr.locator("[data-test=rule-trigger]")).to_have_text("状态 变为 已理赔 时")
    expect(tr.locator("[data-test=rule-last-status]")).to_have_text("成功")
    reminder = page.locator(
        ".el-table__row", has=page.locator("[data-test=rule-row][data-key=expiry_reminder]")
    )
    expect(reminder.locator("[data-test=rule-trigger]")).to_have_text("到期日 前 1 天 09:00")
    expect(reminder).to_contain_text("尚未运行")

    # The switch saves at once: off, then on again.
    reminder.locator("[data-test=rule-enabled]").click()
    _wait(lambda: not server.api("GET", f"{RULES}/{setup['reminder']}")["enabled"], "the rule off")
    expect(reminder.locator("[data-test=rule-enabled]")).not_to_have_class("is-checked")
    reminder.locator("[data-test=rule-enabled]").click()
    _wait(lambda: server.api("GET", f"{RULES}/{setup['reminder']}")["enabled"], "the rule on")

    # The table filter is in the address; another table has none of these rules.
    page.goto(f"{server.url}/apps/{APP}/rules?table=customers")
    expect(page.locator("[data-test=rule-row][data-key=claimed_notice]")).to_have_count(0)
    page.goto(f"{server.url}/apps/{APP}/rules?table={TABLE}")
    expect(page.locator("[data-test=rule-row]")).to_have_count(2)
    shoot(page, "rules-list")

    # The form designer links to its table's rules.
    page.goto(f"{server.url}/apps/{APP}/tables/{TABLE}/design")
    page.locator("[data-test=table-rules]").click()
    page.wait_for_url(f"**/apps/{APP}/rules?table={TABLE}")
    expect(page.locator("[data-test=rule-row]")).to_have_count(2)


def test_the_run_log_shows_the_run_and_links_the_record(
    signed_in: Any, server: Server, setup: dict[str, Any], shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/rules/{setup['notify']}?tab=runs")
    log = page.locator("[data-test=run-log]")
    run = log.locator(".el-table__row").first
    expect(run.locator("[data-test=run-status]")).to_have_text("成功")
    expect(run.locator("[data-test=run-condition]")).to_have_text("无条件")
    expect(run.locator("[data-test=run-record]")).to_have_text("规则保单0")
    run.locator(".el-table__expand-icon").click()
    action = log.locator("[data-test=run-detail] [data-test=run-action]").first
    expect(action).to_contain_text("发送通知")
    expect(action.locator("[data-test=action-status]")).to_have_text("成功")
    expect(action.locator("[data-test=action-on-error]")).to_contain_text("继续后续动作")
    shoot(page, "rules-runlog")

    # A filter that matches nothing empties the list.
    page.locator("[data-test=runs-status]").click()
    page.get_by_role("option", name="失败", exact=True).click()
    expect(log.locator(".el-table__row")).to_have_count(0)
    expect(log.locator(".el-empty")).to_be_visible()
    page.locator("[data-test=runs-status] .el-select__wrapper").hover()
    page.locator("[data-test=runs-status] .el-select__clear").click()
    expect(log.locator(".el-table__row")).to_have_count(1)

    # The record link opens the record.
    log.locator("[data-test=run-record]").first.click()
    page.wait_for_url(f"**/tables/{TABLE}/records/{setup['records'][0]}")


def test_a_save_the_server_refuses_shows_the_error_on_the_input(
    signed_in: Any, server: Server, setup: dict[str, Any], shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/rules/{setup['notify']}")
    name = page.locator("[data-test=rule-name]")
    expect(name).to_have_value("理赔后通知负责人")
    page.locator("[data-test=rule-builder]").wait_for()
    page.wait_for_load_state("networkidle")
    shoot(page, "rules-settings")
    name.fill("")
    expect(page.locator("[data-test=rule-unsaved]")).to_be_visible()
    page.locator("[data-test=save-rule]").click()
    item = page.locator(".el-form-item", has=page.locator("[data-test=rule-name]"))
    expect(item.locator(".el-form-item__error")).not_to_be_empty()
    assert server.api("GET", f"{RULES}/{setup['notify']}")["name"] == "理赔后通知负责人"
    name.fill("理赔后通知负责人（改）")
    page.locator("[data-test=save-rule]").click()
    expect(page.locator("[data-test=rule-unsaved]")).to_have_count(0)
    assert server.api("GET", f"{RULES}/{setup['notify']}")["name"] == "理赔后通知负责人（改）"
    server.api(
        "PUT",
        f"{RULES}/{setup['notify']}",
        {**_draft(server, setup["notify"]), "name": "理赔后通知负责人"},
    )


def _draft(server: Server, rule_id: int) -> dict[str, Any]:
    r = server.api("GET", f"{RULES}/{rule_id}")
    keys = (
        "key",
        "name",
        "description",
        "table",
        "enabled",
        "trigger",
        "condition",
        "actions",
        "version",
    )
    return {k: r[k] for k in keys}


def test_test_on_a_record_shows_what_each_action_would_do(
    signed_in: Any, server: Server, setup: dict[str, Any], shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/rules/{setup['notify']}?tab=test")
    picker = page.locator("[data-test=test-record]")
    picker.locator(".el-select__wrapper").click()
    page.keyboard.type("规则保单2")
    # The search for the text typed has answered (the list held every record before).
    expect(page.locator(".el-select-dropdown__item:visible")).to_have_count(1)
    page.locator(".el-select-dropdown__item:visible", has_text="规则保单2").click()
    expect(page.locator("[data-test=run-test]")).to_be_enabled()
    page.locator("[data-test=run-test]").click()
    expect(page.locator("[data-test=test-condition]")).to_have_text("无条件")
    expect(page.locator("[data-test=test-would-run]")).to_have_text("会执行以下动作")
    action = page.locator("[data-test=test-action]").first
    expect(action).to_contain_text("发送通知")
    expect(action.locator("[data-test=test-subject]")).to_have_text("保单 规则保单2 已理赔")
    expect(action.locator("[data-test=test-body]")).to_have_text("请跟进保单 规则保单2。")
    me = setup["me"]
    expect(action.locator("[data-test=test-recipients] .el-tag").first).to_have_text(
        me["display_name"] or me["username"]
    )
    shoot(page, "rules-test")


def test_the_forecast_lists_the_firings_and_draws_them_per_day(
    signed_in: Any, server: Server, setup: dict[str, Any], shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/rules/{setup['reminder']}?tab=forecast")
    items = page.locator("[data-test=forecast-item]")
    expect(items).to_have_count(3)
    expect(items.first.locator("[data-test=forecast-record]")).to_have_text("规则保单0")
    expect(page.locator("[data-test=forecast-total]")).to_have_text("共 3 次触发")
    expect(page.locator("[data-test=forecast-chart] canvas")).to_have_count(1)
    shoot(page, "rules-forecast")
    # A rule fired by a record change has no forecast.
    page.goto(f"{server.url}/apps/{APP}/rules/{setup['notify']}?tab=forecast")
    expect(page.locator("[data-test=forecast-not-timed]")).to_be_visible()


def test_rule_pages_at_phone_width_and_in_english(
    signed_in: Any, server: Server, setup: dict[str, Any], shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/rules/{setup['notify']}?tab=runs")
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        card = page.locator("[data-test=run-card]").first
        expect(card.locator("[data-test=run-status]")).to_have_text("成功")
        card.locator(".card-top").click()
        expect(card.locator("[data-test=run-action]")).to_contain_text("发送通知")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shoot(page, "rules-runlog")
        page.goto(f"{server.url}/apps/{APP}/rules?table={TABLE}")
        expect(page.locator("[data-test=rule-row]")).to_have_count(2)
        shoot(page, "rules-list")
        page.goto(f"{server.url}/apps/{APP}/rules/{setup['reminder']}")
        page.locator("[data-test=rule-builder]").wait_for()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shoot(page, "rules-settings")
        page.goto(f"{server.url}/apps/{APP}/rules/{setup['reminder']}?tab=forecast")
        expect(page.locator("[data-test=forecast-item]")).to_have_count(3)
        shoot(page, "rules-forecast")
        switch_language(page, "en")
        expect(page.locator("[data-test=forecast-total]")).to_have_text("3 firings")
        shoot(page, "rules-forecast")
        page.goto(f"{server.url}/apps/{APP}/rules/{setup['notify']}?tab=runs")
        expect(page.locator("[data-test=run-card] [data-test=run-status]").first).to_have_text("OK")
        shoot(page, "rules-runlog")
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(f"{server.url}/apps/{APP}/rules?table={TABLE}")
        tr = page.locator(
            ".el-table__row", has=page.locator("[data-test=rule-row][data-key=claimed_notice]")
        )
        expect(tr.locator("[data-test=rule-trigger]")).to_have_text("When 状态 becomes 已理赔")
        shoot(page, "rules-list")
        page.goto(f"{server.url}/apps/{APP}/rules/{setup['notify']}?tab=runs")
        expect(page.locator("[data-test=run-status]").first).to_have_text("OK")
        page.locator(".el-table__expand-icon").first.click()
        shoot(page, "rules-runlog")
        page.goto(f"{server.url}/apps/{APP}/rules/{setup['notify']}?tab=test")
        shoot(page, "rules-test")
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})
        if page.evaluate("document.documentElement.lang") == "en":
            switch_language(page, "zh-CN")
