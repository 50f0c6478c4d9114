"""Automations end to end in the browser (issue 17's journeys), on the demo app:

- "when 状态 becomes 已解决, notify the owner in-app, wait 24 hours, e-mail the customer (the
  ticket's 客户邮箱)" built in the rule builder alone (the demo's own notice on 已解决 switched
  off in the rule list first), a ticket resolved on its record page, the notification in the
  bell, a test clock moved 24 hours on and the e-mail in a local SMTP sink (aiosmtpd), and the
  run in the rule's run log with every action done (filtered by its trigger);
- "30 days before 保险到期日 at 09:00" built, saved and forecast: the firings listed and drawn
  per day;
- the journey's pages at desk and phone width, in Chinese and English.

The module runs its own server with ``CAIRN_TEST_CLOCK=true`` (the clock only moves forward)
and the ``CAIRN_SMTP_*`` settings pointing at the sink."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from ui import choose, field, switch_language, type_into, wait_until
from webserver import Server, launch_with_clock

from support.receiver import Mailbox, smtp_server

APP = "general_aviation"
TICKETS = "service_tickets"
RULES = f"/api/v1/apps/{APP}/rules"
RECORDS = f"/api/v1/apps/{APP}/tables/{TICKETS}/records"
SENDER = "cairn@example.com"
SUBJECT = "工单 {{ ticket_no }} 已解决，请回访"
MAIL_SUBJECT = "您的工单 {{ ticket_no }} 已解决"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """People in China: the page shows times in the app's zone (a date rule's 09:00)."""
    return {**browser_context_args, "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="module")
def sink() -> Iterator[tuple[Mailbox, int]]:
    """A local SMTP server (aiosmtpd) for the server's e-mail: (its mailbox, its port)."""
    with smtp_server() as found:
        yield found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sink: tuple[Mailbox, int]) -> Iterator[Server]:
    """This module's own server: a test clock, and e-mail sent to the sink."""
    smtp = {
        "CAIRN_SMTP_HOST": "127.0.0.1",
        "CAIRN_SMTP_PORT": str(sink[1]),
        "CAIRN_SMTP_SECURITY": "plain",
        "CAIRN_SMTP_SENDER": SENDER,
    }
    # The journey signs in again after a day: sessions idle out after 12 hours here.
    with launch_with_clock(tmp_path_factory, "cairn-automations", session_hours=12, env=smtp) as s:
        yield s


@pytest.fixture(scope="module")
def ticket(server: Server) -> dict[str, Any]:
    """A ticket in progress, its customer one with an e-mail address and its owner the
    administrator (the demo's tickets have no owner; a record belongs to whoever created it)."""
    customers = server.api("GET", f"/api/v1/apps/{APP}/tables/customers/records?limit=100")
    customer = next(c for c in customers["items"] if c.get("email"))
    made = server.api(
        "POST",
        RECORDS,
        {
            "title": "旅程工单：起落架异响",
            "customer": customer["id"],
            "priority": "高",
            "status": "处理中",
        },
    )
    assert made["customer_email"] == customer["email"], made
    return made


def _add_action(page: Any, type_: str) -> Any:
    before = page.locator("[data-test=action-card]").count()
    page.locator("[data-test=action-add]").click()
    page.locator(f".el-dropdown-menu__item[data-test=add-{type_}]:visible").click()
    card = page.locator("[data-test=action-card]").nth(before)
    card.wait_for()
    return card


def _rule_id(page: Any) -> int:
    m = re.search(r"/rules/(\d+)", page.url)
    assert m, page.url
    return int(m.group(1))


def _mail_to(box: Mailbox, address: str) -> list[EmailMessage]:
    return [
        m for m, (_, rcpts) in zip(box.messages, box.envelopes, strict=True) if address in rcpts
    ]


def _sign_in_again(page: Any, server: Server) -> None:
    """The sign-in page the app sends an ended session to; it goes back where it was."""
    page.wait_for_url("**/sign-in**")
    page.locator("input[name=username]").fill(server.login[0])
    page.locator("input[name=password]").fill(server.login[1])
    page.locator("[data-test=sign-in]").click()


def _tab(page: Any, name: str) -> None:
    page.locator(".rule-tabs .el-tabs__item", has_text=name).click()


def resolved_ticket_notifies_the_owner_and_mails_the_customer_a_day_later(
    signed_in: Any,
    server: Server,
    ticket: dict[str, Any],
    sink: tuple[Mailbox, int],
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    box = sink[0]
    address = ticket["customer_email"]

    # The demo's own notice on 已解决 is switched off in the rule list (one notification).
    page.goto(f"{server.url}/apps/{APP}/rules?table={TICKETS}")
    demo = page.locator(
        ".el-table__row", has=page.locator("[data-test=rule-row][data-key=ticket_resolved]")
    )
    expect(demo.locator("[data-test=rule-enabled]")).to_have_class(re.compile("is-checked"))
    demo.locator("[data-test=rule-enabled]").click()
    expect(demo.locator("[data-test=rule-enabled]")).not_to_have_class(re.compile("is-checked"))
    demo_rule = next(r for r in server.api("GET", RULES)["items"] if r["key"] == "ticket_resolved")
    wait_until(lambda: not server.api("GET", f"{RULES}/{demo_rule['id']}")["enabled"], "it off")

    # A new rule on the tickets, from the list.
    page.locator("[data-test=new-rule]").click()
    page.wait_for_url(f"**/apps/{APP}/rules/new?table={TICKETS}")
    page.locator("[data-test=rule-builder] [data-test=trigger-form]").wait_for()
    type_into(page.locator("[data-test=rule-name]"), "工单解决：通知负责人，次日邮件客户")

    # When 状态 becomes 已解决.
    choose(page, page.locator("[data-test=trigger-type]"), "修改记录时")
    choose(page, page.locator("[data-test=trigger-fields]"), "状态")
    page.keyboard.press("Escape")
    page.locator("[data-test=trigger-to-on]").click()
    choose(page, page.locator("[data-test=trigger-to]"), "已解决")

    # Then 1: the owner, in-app.
    notify = _add_action(page, "notify")
    expect(notify.locator("[data-test=to-owner]")).to_have_class(re.compile("is-checked"))
    type_into(notify.locator("[data-test=notify-subject]"), SUBJECT)
    type_into(notify.locator("[data-test=notify-body]"), "{{ title }}：请在 24 小时内回访客户。")
    # 2: wait 24 hours.
    wait = _add_action(page, "wait")
    wait.locator("[data-test=wait-amount] input").fill("24")
    wait.locator("[data-test=wait-amount] input").press("Tab")
    expect(wait.locator("[data-test=wait-unit]")).to_contain_text("小时")
    # 3: an e-mail to the customer, at the ticket's 客户邮箱 (a lookup of the customer's 邮箱).
    mail = _add_action(page, "notify")
    choose(page, mail.locator("[data-test=notify-channel]"), "邮件")
    mail.locator("[data-test=to-owner]").click()
    choose(page, mail.locator("[data-test=to-fields]"), "客户邮箱")
    page.keyboard.press("Escape")
    type_into(mail.locator("[data-test=notify-subject]"), MAIL_SUBJECT)
    type_into(mail.locator("[data-test=notify-body]"), "您好，工单“{{ title }}”已处理完毕。")
    # The live check finds nothing wrong.
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-test=rule-errors]")).to_have_count(0)
    shoot(page, "journey-builder")

    page.locator("[data-test=save-rule]").click()
    page.wait_for_url(re.compile(r"/rules/\d+"))
    rule_id = _rule_id(page)
    saved = server.api("GET", f"{RULES}/{rule_id}")
    assert saved["trigger"] == {
        **saved["trigger"],
        "type": "record.updated",
        "fields": ["status"],
        "to": "已解决",
    }
    assert [a["type"] for a in saved["actions"]] == ["notify", "wait", "notify"]
    assert saved["actions"][0]["to"] == ["owner"]
    assert saved["actions"][0]["channel"] == "inapp"
    assert (saved["actions"][1]["amount"], saved["actions"][1]["unit"]) == (24, "hours")
    assert saved["actions"][2]["channel"] == "email"
    assert saved["actions"][2]["to"] == ["field:customer_email"]

    # The ticket resolved on its record page.
    unread = server.api("GET", "/api/v1/notifications/unread-count")["unread"]
    page.goto(f"{server.url}/apps/{APP}/tables/{TICKETS}/records/{ticket['id']}")
    choose(page, field(page, "status"), "已解决")
    # The demo's ticket form asks for the resolution once the ticket is resolved.
    type_into(field(page, "resolution"), "已更换滑油滤芯，试车正常。")
    page.locator("[data-test=save-record]").click()
    wait_until(
        lambda: server.api("GET", f"{RECORDS}/{ticket['id']}")["status"] == "已解决",
        "the ticket saved",
    )
    subject = f"工单 {ticket['ticket_no']} 已解决，请回访"
    wait_until(
        lambda: [
            n
            for n in server.api("GET", "/api/v1/notifications?limit=20")["items"]
            if n.get("title") == subject or n.get("subject") == subject
        ],
        "the in-app notification",
    )
    assert server.api("GET", "/api/v1/notifications/unread-count")["unread"] == unread + 1

    # The bell shows it (the page asks again on load).
    page.reload()
    expect(page.locator("[data-test=bell-count] sup")).to_have_text(str(unread + 1))
    page.locator("[data-test=bell]").click()
    item = page.locator("[data-test=notification]", has_text=subject)
    expect(item).to_be_visible()
    shoot(page, "journey-bell")
    page.keyboard.press("Escape")

    # The run waits a day: no e-mail yet.
    runs = wait_until(
        lambda: server.api("GET", f"{RULES}/{rule_id}/runs")["waiting"], "the run to wait"
    )
    assert len(runs) == 1
    assert not _mail_to(box, address)

    # A day later (the test clock), the e-mail reaches the sink.
    server.api("POST", "/api/v1/test-clock/advance", {"by": "24h1m"})
    [message] = wait_until(lambda: _mail_to(box, address), "the e-mail to the customer", 90)
    assert message["Subject"] == f"您的工单 {ticket['ticket_no']} 已解决"
    assert SENDER in message["From"]
    assert ticket["title"] in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # The run log: one run, every action done.
    def finished() -> Any:
        found = server.api("GET", f"{RULES}/{rule_id}/runs")["items"]
        return found if found and found[0]["status"] == "ok" else None

    [run] = wait_until(finished, "the run to finish")
    assert [a["status"] for a in run["actions"]] == ["ok", "ok", "ok"]
    # A day on, the session has ended (12 idle hours): signed in again, back to the rule.
    page.goto(f"{server.url}/apps/{APP}/rules/{rule_id}")
    _sign_in_again(page, server)
    page.wait_for_url(f"**/apps/{APP}/rules/{rule_id}")
    _tab(page, "运行日志")
    page.wait_for_url(re.compile(r"tab=runs"))
    log = page.locator("[data-test=run-log]")
    row = log.locator(".el-table__row").first
    expect(row.locator("[data-test=run-status]")).to_have_text("成功")
    expect(row.locator("[data-test=run-record]")).to_have_text(ticket["title"])
    expect(row).to_contain_text("更新记录")
    row.locator(".el-table__expand-icon").click()
    actions = log.locator("[data-test=run-detail] [data-test=run-action]")
    expect(actions).to_have_count(3)
    for i in range(3):
        expect(actions.nth(i).locator("[data-test=action-status]")).to_have_text("成功")
    expect(actions.nth(2)).to_contain_text(address)
    shoot(page, "journey-runlog")

    # Filtered by trigger: a date trigger never ran this rule; a change did.
    choose(page, page.locator("[data-test=runs-trigger]"), "日期")
    expect(log.locator(".el-table__row")).to_have_count(0)
    choose(page, page.locator("[data-test=runs-trigger]"), "更新记录")
    expect(log.locator(".el-table__row")).to_have_count(1)
    expect(page.locator("[data-test=runs-total]")).to_have_text("共 1 次")


def a_date_rule_thirty_days_before_the_insurance_expires_is_forecast(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/rules?table=aircraft")
    page.locator("[data-test=new-rule]").click()
    page.wait_for_url(f"**/apps/{APP}/rules/new?table=aircraft")
    page.locator("[data-test=rule-builder] [data-test=trigger-form]").wait_for()
    type_into(page.locator("[data-test=rule-name]"), "保险到期前 30 天 9 点提醒负责人")
    choose(page, page.locator("[data-test=trigger-type]"), "按日期字段")
    choose(page, page.locator("[data-test=date-field]"), "保险到期日")
    page.locator("[data-test=date-amount] input").fill("30")
    page.locator("[data-test=date-amount] input").press("Tab")
    choose(page, page.locator("[data-test=date-direction]"), "之前")
    summary = page.locator("[data-test=date-summary]")
    expect(summary).to_contain_text("保险到期日")
    expect(summary).to_contain_text("前 30 天")
    expect(summary).to_contain_text("09:00")
    notify = _add_action(page, "notify")
    type_into(notify.locator("[data-test=notify-subject]"), "{{ registration }} 的保险将到期")
    type_into(
        notify.locator("[data-test=notify-body]"), "保险 {{ insurance_expiry }} 到期，请联系续保。"
    )
    page.locator("[data-test=save-rule]").click()
    page.wait_for_url(re.compile(r"/rules/\d+"))
    rule_id = _rule_id(page)
    saved = server.api("GET", f"{RULES}/{rule_id}")
    assert saved["trigger"]["type"] == "date"
    assert saved["trigger"]["field"] == "insurance_expiry"
    assert (saved["trigger"]["offset"], saved["trigger"]["unit"]) == (-30, "days")
    assert saved["trigger"]["at"] == "09:00"
    # Edited again, the live check knows it is this rule: its own key is not "taken".
    with page.expect_response("**/rules/validate") as checked:
        type_into(page.locator("[data-test=rule-description]"), "提醒负责人联系续保")
    assert checked.value.json()["ok"], checked.value.json()
    key_item = page.locator(".el-form-item", has=page.locator("[data-test=rule-key]"))
    expect(key_item.locator(".el-form-item__error")).to_have_count(0)
    page.locator("[data-test=save-rule]").click()
    expect(page.locator("[data-test=rule-unsaved]")).to_have_count(0)

    # The forecast: the next 30 days as the server counts them (the demo's 20 aircraft may
    # have none due then), then 90 days, with firings listed and drawn per day.
    # The aircraft whose reminder day is past already fire now (a date inside the window
    # when the rule is saved); then the forecast holds only what is to come.
    wait_until(
        lambda: (
            not any(
                i["overdue"]
                for i in server.api("GET", f"{RULES}/{rule_id}/forecast?days=90")["items"]
            )
        ),
        "the reminders already due to fire",
    )
    _tab(page, "预测")
    page.wait_for_url(re.compile(r"tab=forecast"))
    month = server.api("GET", f"{RULES}/{rule_id}/forecast?days=30")
    expect(page.locator("[data-test=forecast-total]")).to_have_text(f"共 {month['total']} 次触发")
    choose(page, page.locator("[data-test=forecast-days]"), "90 天")
    quarter = server.api("GET", f"{RULES}/{rule_id}/forecast?days=90")
    assert quarter["total"] >= 1, quarter
    expect(page.locator("[data-test=forecast-total]")).to_have_text(f"共 {quarter['total']} 次触发")
    items = page.locator("[data-test=forecast-item]")
    expect(items).to_have_count(min(quarter["total"], 50))
    # The first firing's aircraft, by its registration (the table's display field).
    first = quarter["items"][0]
    plane = server.api("GET", f"/api/v1/apps/{APP}/tables/aircraft/records/{first['record_id']}")
    expect(items.first.locator("[data-test=forecast-record]")).to_have_text(plane["registration"])
    assert "09:00" in items.first.locator(".due").inner_text()
    expect(page.locator("[data-test=forecast-chart] canvas")).to_have_count(1)
    shoot(page, "journey-forecast")


def the_journey_pages_at_phone_width_and_in_english(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    """The pages of the two journeys (after them: their rules, runs and forecast) at phone
    width in Chinese, then in English at phone and desk width: nothing wider than the screen."""
    page = signed_in
    rules = server.api("GET", RULES)["items"]
    journey = next(r for r in rules if r["name"].startswith("工单解决"))
    reminder = next(r for r in rules if r["name"].startswith("保险到期前 30 天 9 点"))
    base = f"{server.url}/apps/{APP}/rules"

    def fits() -> None:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    try:
        for lang, width, height in (("zh-CN", 390, 844), ("en", 390, 844), ("en", 1440, 900)):
            page.set_viewport_size({"width": width, "height": height})
            if page.evaluate("document.documentElement.lang") != lang:
                switch_language(page, lang)
            page.goto(f"{base}?table={TICKETS}")
            expect(page.locator("[data-test=rule-row]")).to_have_count(2)
            fits()
            shoot(page, "journey-rules")
            page.goto(f"{base}/{journey['id']}")
            page.locator("[data-test=rule-builder] [data-test=action-card]").nth(2).wait_for()
            page.wait_for_load_state("networkidle")
            expect(page.locator("[data-test=rule-errors]")).to_have_count(0)
            fits()
            shoot(page, "journey-builder")
            page.locator("[data-test=action-card]").nth(2).scroll_into_view_if_needed()
            shoot(page, "journey-builder-mail")
            page.goto(f"{base}/{journey['id']}?tab=runs")
            ok = "成功" if lang == "zh-CN" else "OK"
            if width < 768:
                card = page.locator("[data-test=run-card]").first
                expect(card.locator("[data-test=run-status]")).to_have_text(ok)
                card.locator(".card-top").click()
                expect(card.locator("[data-test=run-action]")).to_have_count(3)
            else:
                expect(page.locator("[data-test=run-status]").first).to_have_text(ok)
                page.locator(".el-table__expand-icon").first.click()
            fits()
            shoot(page, "journey-runlog")
            page.goto(f"{base}/{reminder['id']}?tab=forecast")
            page.locator("[data-test=forecast-total]").wait_for()
            choose(page, page.locator("[data-test=forecast-days]"), "90")
            page.locator("[data-test=forecast-item]").first.wait_for()
            fits()
            shoot(page, "journey-forecast")
            page.locator("[data-test=bell]").click()
            page.locator("[data-test=notification]").first.wait_for()
            shoot(page, "journey-bell")
            page.keyboard.press("Escape")
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})
        if page.evaluate("document.documentElement.lang") == "en":
            switch_language(page, "zh-CN")


def test_the_automation_journeys(
    signed_in: Any,
    server: Server,
    ticket: dict[str, Any],
    sink: tuple[Mailbox, int],
    shoot: Callable[[Any, str], Path],
) -> None:
    """The two journeys, then their pages at phone width and in English, in one test: the later
    parts read what the earlier made, and pytest-xdist may give a module's tests to different
    workers, each with its own server."""
    resolved_ticket_notifies_the_owner_and_mails_the_customer_a_day_later(
        signed_in, server, ticket, sink, shoot
    )
    a_date_rule_thirty_days_before_the_insurance_expires_is_forecast(signed_in, server, shoot)
    the_journey_pages_at_phone_width_and_in_english(signed_in, server, shoot)
