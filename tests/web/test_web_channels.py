"""Channels and deliveries in the browser (issue 17): a webhook channel configured in the form
made from its settings schema (its secret kept when left blank), a test sent to a local receiver
that is down (its answer shown; a dead letter counted on the admin menu), a rule's webhook that
fails three times seen retrying on the deliveries page and replayed from it until the receiver
is back (every attempt recorded, one idempotency key); and channel settings checked when saved,
the error shown on the input (an SMS body template that is not JSON, a required URL left
empty)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect
from ui import choose, switch_language, type_into
from webserver import Server


class Receiver:
    """A local HTTP receiver: answers 500 ``fails`` times, then 200."""

    def __init__(self) -> None:
        self.fails = 0
        self.bodies: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    receiver.keys.append(self.headers.get("X-Cairn-Idempotency-Key") or "")
                    receiver.bodies.append(json.loads(raw or b"{}"))
                    if receiver.fails > 0:
                        receiver.fails -= 1
                        code, answer = 500, {"error": "receiver down"}
                    else:
                        code, answer = 200, {"ok": True, "ticket": "R-42"}
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    t = threading.Thread(target=r.http.serve_forever, daemon=True)
    t.start()
    yield r
    r.http.shutdown()
    r.http.server_close()


def _to_admin(page: Any, key: str) -> None:
    """Administration through the user menu, then the page in the admin menu."""
    page.locator("[data-test=user-menu]").click()
    page.locator("[data-test=menu-admin]").click()
    page.locator("[data-test=admin-users]").wait_for()
    page.locator(f"[data-test=admin-menu-{key}]").click()
    page.locator(f"[data-test=admin-{key}]").wait_for()


def _setting(dialog: Any, key: str) -> Any:
    return dialog.locator(f"[data-test=setting-{key}]")


def _new_channel(page: Any, kind_label: str, suffix: str, name: str) -> Any:
    page.locator("[data-test=new-channel]").click()
    dialog = page.locator("[data-test=channel-dialog]")
    dialog.wait_for()
    choose(page, dialog.locator("[data-test=channel-kind]"), kind_label)
    type_into(dialog.locator("[data-test=channel-suffix]"), suffix)
    type_into(dialog.locator("[data-test=channel-name]"), name)
    return dialog


def _deliveries(server: Server, channel: str) -> list[dict[str, Any]]:
    return server.api("GET", f"/api/v1/deliveries?channel={channel}")["items"]


APP = "chan_web"


def _hook_rule(server: Server) -> dict[str, Any]:
    """An app with a table and a rule that posts each new record to the receiver's channel
    (made through the API: the rule builder has its own tests)."""
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "渠道测试"})
    server.api(
        "POST",
        f"/api/v1/apps/{APP}/tables",
        {
            "key": "orders",
            "name": "订单",
            "display_field": "name",
            "fields": [{"key": "name", "name": "名称", "type": "text"}],
        },
    )
    return server.api(
        "POST",
        f"/api/v1/apps/{APP}/rules",
        {
            "key": "to_erp",
            "name": "推送 ERP",
            "table": "orders",
            "trigger": {"type": "record.created"},
            "actions": [
                {
                    "type": "webhook",
                    "channel": "webhook:receiver",
                    "body": '{"order": "{{ name }}"}',
                }
            ],
        },
    )


def _wait_for(what: Any, timeout: float = 20.0) -> Any:
    """Poll ``what()`` until it gives something (the worker runs rules in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_a_failing_webhook_is_replayed_from_the_deliveries_page(
    signed_in: Any, server: Server, shoot: Any, receiver: Receiver
) -> None:
    page = signed_in
    _to_admin(page, "channels")
    shoot(page, "admin-channels-empty")

    # 1. A webhook channel to the local receiver, its secret typed as a password.
    dialog = _new_channel(page, "Webhook", "receiver", "工单系统回调")
    _setting(dialog, "url").locator("input").fill(receiver.url + "/hook")
    secret = _setting(dialog, "secret").locator("input")
    assert secret.get_attribute("type") == "password"
    secret.fill("s3cret-value")
    shoot(page, "admin-channels-dialog")
    dialog.locator("[data-test=save-channel]").click()
    expect(dialog).to_be_hidden()
    row = page.locator("[data-test=channel-webhook\\:receiver]")
    expect(row).to_contain_text("工单系统回调")
    stored = server.api("GET", "/api/v1/channels/webhook:receiver")
    assert stored["settings"]["secret"] != "s3cret-value"  # masked

    # Edited with the secret left blank: it is kept.
    page.locator("[data-test=edit-webhook\\:receiver]").click()
    dialog = page.locator("[data-test=channel-dialog]")
    expect(_setting(dialog, "secret")).to_contain_text("留空保持不变")
    assert _setting(dialog, "secret").locator("input").input_value() == ""
    type_into(dialog.locator("[data-test=channel-name]"), "工单系统")
    dialog.locator("[data-test=save-channel]").click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text("工单系统")

    # 2. A test while the receiver is down: the failure and the receiver's own answer. A test
    # is not retried: it is a dead letter at once, counted on the admin menu.
    receiver.fails = 1
    page.locator("[data-test=test-webhook\\:receiver]").click()
    test = page.locator("[data-test=test-dialog]")
    expect(test).to_contain_text("无需填写接收方")
    test.locator("[data-test=test-send]").click()
    expect(test.locator("[data-test=test-outcome]")).to_contain_text("发送失败")
    expect(test.locator("[data-test=test-answer]")).to_contain_text("500")
    expect(test.locator("[data-test=test-answer]")).to_contain_text("receiver down")
    shoot(page, "admin-channels-test")
    test.locator(".el-dialog__headerbtn").click()
    assert receiver.bodies[-1].get("subject") and receiver.keys[-1]
    expect(page.locator("[data-test=admin-menu-deliveries-count]")).to_contain_text("1")

    # 3. A rule posts each new order to the receiver, which fails three times: the first
    # attempt fails and the delivery waits for its retry.
    receiver.fails = 3
    rule = _hook_rule(server)
    server.api("POST", f"/api/v1/apps/{APP}/tables/orders/records", {"name": "订单 A-1"})
    [d] = _wait_for(
        lambda: [
            x
            for x in _deliveries(server, "webhook:receiver")
            if x["rule"] and x["status"] != "pending"
        ],
        30,
    )
    did = d["id"]
    assert d["status"] == "retrying" and d["attempts"] == 1
    assert d["rule"]["id"] == rule["id"]

    page.locator("[data-test=deliveries-webhook\\:receiver]").click()
    page.locator("[data-test=admin-deliveries]").wait_for()
    expect(page.locator(f"[data-test=dl-status-of-{did}]")).to_have_text("等待重试")
    expect(page.locator(f"[data-test=dl-error-{did}]")).to_contain_text("500")
    expect(page.locator(f"[data-test=delivery-{did}]")).to_be_visible()
    shoot(page, "admin-deliveries")

    # Replayed from the row: fails again (second), and from the drawer (third).
    page.locator(f"[data-test=dl-replay-{did}]").click()
    expect(page.locator(f"[data-test=dl-attempts-{did}]")).to_have_text("2")
    page.locator(f"[data-test=dl-open-{did}]").click()
    drawer = page.locator("[data-test=delivery-drawer]")
    expect(drawer.locator("[data-test=attempt]")).to_have_count(2)
    drawer.locator("[data-test=detail-replay]").click()
    expect(drawer.locator("[data-test=attempt]")).to_have_count(3)
    expect(drawer.locator("[data-test=detail-status]")).to_have_text("等待重试")
    expect(drawer.locator("[data-test=detail-attempts]")).to_contain_text("receiver down")
    expect(drawer.locator("[data-test=detail-payload]")).to_contain_text("订单 A-1")
    shoot(page, "admin-deliveries-detail")
    drawer.locator(".el-drawer__close-btn").click()
    expect(drawer).to_be_hidden()

    # 4. The receiver is back: "replay all" of the rule sends it; four attempts, one key.
    assert receiver.fails == 0
    choose(page, page.locator("[data-test=dl-rule]"), "推送 ERP")
    expect(page.locator(f"[data-test=delivery-{did}]")).to_be_visible()
    page.locator("[data-test=replay-all]").click()
    page.locator(".el-message-box .el-button--primary").click()
    expect(page.locator(".el-message").last).to_contain_text("成功 1 条")
    expect(page.locator(f"[data-test=dl-status-of-{did}]")).to_have_text("已发送")
    detail = server.api("GET", f"/api/v1/deliveries/{did}")
    assert detail["status"] == "sent"
    assert [a["status"] for a in detail["attempts"]][-1] == "sent"
    assert len(detail["attempts"]) == 4
    hook_keys = {k for k, b in zip(receiver.keys, receiver.bodies, strict=True) if "order" in b}
    assert len(hook_keys) == 1  # the same idempotency key every time

    # Replaying a sent one is one more recorded attempt (each replay sends once more).
    page.locator(f"[data-test=dl-open-{did}]").click()
    expect(drawer.locator("[data-test=attempt]")).to_have_count(4)
    drawer.locator("[data-test=detail-replay]").click()
    expect(drawer.locator("[data-test=attempt]")).to_have_count(5)
    expect(drawer.locator("[data-test=attempt-replay]").first).to_be_visible()
    drawer.locator(".el-drawer__close-btn").click()

    # The dead letter of the test, under its filter.
    rule_filter = page.locator("[data-test=dl-rule]")
    rule_filter.hover()
    rule_filter.locator(".el-select__clear").click()
    page.locator("[data-test=dl-status-dead]").click()
    [dead] = [x for x in _deliveries(server, "webhook:receiver") if x["status"] == "dead"]
    expect(page.locator(f"[data-test=dl-status-of-{dead['id']}]")).to_have_text("死信")
    expect(page.locator(f"[data-test=delivery-{did}]")).to_have_count(0)
    shoot(page, "admin-deliveries-dead")

    # Phone width and English.
    page.locator("[data-test=dl-status-all]").click()
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("[data-test=dl-cards]").wait_for()
    expect(page.locator(f"[data-test=delivery-{did}]")).to_be_visible()
    shoot(page, "admin-deliveries")
    page.locator(f"[data-test=dl-open-{did}]").click()
    expect(drawer.locator("[data-test=attempt]")).to_have_count(5)
    shoot(page, "admin-deliveries-detail")
    drawer.locator(".el-drawer__close-btn").click()
    switch_language(page, "en")
    expect(page.locator(f"[data-test=dl-status-of-{did}]")).to_have_text("Sent")
    shoot(page, "admin-deliveries")
    page.set_viewport_size({"width": 1440, "height": 900})
    shoot(page, "admin-deliveries")
    page.locator(f"[data-test=dl-open-{did}]").click()
    expect(drawer).to_contain_text("replayed by")
    shoot(page, "admin-deliveries-detail")
    drawer.locator(".el-drawer__close-btn").click()
    switch_language(page, "zh-CN")


def test_channel_settings_are_checked_on_their_inputs(
    signed_in: Any, server: Server, shoot: Any
) -> None:
    page = signed_in
    _to_admin(page, "channels")

    # An SMS gateway whose body template is not JSON: refused at save, on the body input.
    dialog = _new_channel(page, "短信网关", "gateway", "短信平台")
    body = _setting(dialog, "body")
    assert "{{ phone }}" in body.locator("textarea").input_value()  # the default template
    _setting(dialog, "url").locator("input").fill("https://sms.example.com/send")
    body.locator("textarea").fill('{"phone": "{{ phone }}", "text": {{ text }}')
    dialog.locator("[data-test=save-channel]").click()
    error = body.locator(".el-form-item__error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile(r"第 \d+ 行第 \d+ 列"))
    shoot(page, "admin-channels-sms-error")
    body.locator("textarea").fill('{"phone": "{{ phone }}", "text": "{{ text }}"}')
    dialog.locator("[data-test=save-channel]").click()
    expect(dialog).to_be_hidden()
    assert server.api("GET", "/api/v1/channels/sms:gateway")["settings"]["url"].endswith("/send")

    # A group robot with its required URL left empty: the error is on the URL input.
    dialog = _new_channel(page, "企业微信群机器人", "ops", "运维群")
    dialog.locator("[data-test=save-channel]").click()
    expect(_setting(dialog, "url").locator(".el-form-item__error")).to_be_visible()
    dialog.locator(".el-dialog__footer .el-button").first.click()

    # A DingTalk application's config: its secret as a password, and the directory sync
    # (never run yet) under its settings.
    server.api(
        "POST",
        "/api/v1/channels",
        {
            "key": "dingtalk_app:corp",
            "name": "钉钉应用",
            "settings": {"app_key": "ding-key", "app_secret": "s", "agent_id": 42},
        },
    )
    page.locator("[data-test=ch-refresh]").click()  # the list again
    page.locator("[data-test=edit-dingtalk_app\\:corp]").click()
    dialog = page.locator("[data-test=channel-dialog]")
    assert _setting(dialog, "app_secret").locator("input").get_attribute("type") == "password"
    expect(dialog.locator("[data-test=directory-sync-none]")).to_be_visible()
    shoot(page, "admin-channels-dingtalk")
    dialog.locator(".el-dialog__headerbtn").click()

    # Phone width and English: the list as cards, the form in one column.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("[data-test=channel-cards]").wait_for()
    shoot(page, "admin-channels")
    page.locator("[data-test=edit-sms\\:gateway]").click()
    expect(page.locator("[data-test=channel-dialog]")).to_be_visible()
    shoot(page, "admin-channels-dialog")
    page.locator("[data-test=channel-dialog] .el-dialog__headerbtn").click()
    switch_language(page, "en")
    expect(page.locator("[data-test=channel-sms\\:gateway]")).to_contain_text("SMS gateway")
    shoot(page, "admin-channels")
    page.set_viewport_size({"width": 1440, "height": 900})
    shoot(page, "admin-channels")
    page.locator("[data-test=edit-sms\\:gateway]").click()
    expect(page.locator("[data-test=setting-body]")).to_contain_text("Body template")
    shoot(page, "admin-channels-dialog")
    page.locator("[data-test=channel-dialog] .el-dialog__headerbtn").click()
    switch_language(page, "zh-CN")
