"""Channel configs over HTTP: admins only, secrets masked, audited, a test send."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.integrations.signing import verify_webhook
from cairn.services import Services
from factories import make_user
from support.receiver import Answer, Receiver

C = "/api/v1/channels"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as r:
        yield r


def test_admin_creates_a_robot_and_never_sees_its_secrets(
    client: TestClient, receiver: Receiver
) -> None:
    url = f"{receiver.url}/robot/send?access_token=tok-123"
    r = client.post(
        C,
        json={
            "key": "dingtalk:service",
            "name": "服务群",
            "settings": {"url": url, "secret": "SECabc", "msgtype": "text"},
        },
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["kind"] == "dingtalk"
    assert "tok-123" not in r.text and "SECabc" not in r.text
    listed = client.get(C).json()
    assert "SECabc" not in str(listed) and "tok-123" not in str(listed)
    assert {k["kind"] for k in listed["kinds"]} >= {"email", "sms", "wecom", "dingtalk", "webhook"}
    # Sending the masked values back keeps the secrets; the test message still signs.
    got = client.get(f"{C}/dingtalk:service").json()
    r = client.patch(
        f"{C}/dingtalk:service", json={"settings": {**got["settings"], "msgtype": "markdown"}}
    )
    assert r.status_code == 200, r.text
    t = client.post(f"{C}/dingtalk:service/test", json={})
    assert t.status_code == 200, t.text
    [req] = receiver.requests
    assert req.query["access_token"] == "tok-123"
    assert req.json()["msgtype"] == "markdown"
    assert "sign" in req.query
    actions = [
        e["action"]
        for e in client.get("/api/v1/audit", params={"action": "channel.*"}).json()["items"]
    ]
    assert actions == ["channel.update", "channel.create"]
    assert "SECabc" not in str(client.get("/api/v1/audit").json())


def test_bad_settings_and_keys_are_refused(client: TestClient) -> None:
    r = client.post(C, json={"key": "wecom:x", "settings": {"msgtype": "voice"}})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert "settings.url" in fields and "settings.msgtype" in fields
    assert client.post(C, json={"key": "Bad Key!", "settings": {}}).status_code == 422
    assert client.post(C, json={"key": "fax", "settings": {}}).status_code == 422
    ok = {"key": "sms", "settings": {"url": "http://127.0.0.1:9/sms"}}
    assert client.post(C, json=ok).status_code == 201
    assert client.post(C, json=ok).status_code == 422  # key taken
    assert client.delete(f"{C}/sms").status_code == 204
    assert client.get(f"{C}/sms").status_code == 404


def test_a_failed_test_send_shows_the_providers_answer(
    client: TestClient, receiver: Receiver
) -> None:
    receiver.default = Answer(200, {"errcode": 310000, "errmsg": "keywords not in content"})
    client.post(
        C, json={"key": "wecom", "settings": {"url": receiver.url + "/cgi-bin/webhook/send?key=k"}}
    )
    r = client.post(f"{C}/wecom/test", json={})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ok"] is False
    [d] = out["deliveries"]
    assert d["status"] == "dead" and "310000" in d["error"]  # a test is not retried later
    assert d["response"].startswith("HTTP 200") and "keywords not in content" in d["response"]
    receiver.default = Answer(200, {"errcode": 0, "errmsg": "ok"})
    out = client.post(f"{C}/wecom/test", json={}).json()
    assert out["ok"] is True and out["deliveries"][0]["status"] == "sent"
    assert '"errmsg":"ok"' in out["deliveries"][0]["response"].replace(" ", "")


def test_webhook_test_send_is_signed(client: TestClient, receiver: Receiver) -> None:
    client.post(C, json={"key": "webhook:erp", "settings": {"url": receiver.url, "secret": "k"}})
    assert client.post(f"{C}/webhook:erp/test", json={}).status_code == 200
    [req] = receiver.requests
    assert verify_webhook("k", req.body, req.headers["X-Cairn-Signature"])


def test_members_may_not_touch_channels(services: Services) -> None:
    _, token = make_user(services, "member")
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        assert c.get(C).status_code == 403
        assert c.post(C, json={"key": "sms", "settings": {"url": "http://x"}}).status_code == 403


def test_deliveries_show_failures(client: TestClient, receiver: Receiver) -> None:
    client.post(C, json={"key": "webhook", "settings": {"url": receiver.url}})
    receiver.answers = [Answer(500, {})]
    assert client.post(f"{C}/webhook/test", json={}).json()["ok"] is False
    assert client.post(f"{C}/webhook/test", json={}).json()["ok"] is True
    failed = client.get("/api/v1/deliveries", params={"status": "dead"}).json()["items"]
    assert len(failed) == 1 and "500" in failed[0]["error"]
    page = client.get("/api/v1/deliveries", params={"limit": 1}).json()
    assert page["items"][0]["status"] == "sent" and page["next_cursor"]
    assert client.get("/api/v1/deliveries", params={"status": "nope"}).status_code == 422


def test_settings_are_checked_when_saved_with_the_place_of_the_error(client: TestClient) -> None:
    def errors(r: Any) -> dict[str, str]:
        assert r.status_code == 422, r.text
        return {e["field"]: e["message"] for e in r.json()["errors"]}

    # An SMS body template that is not JSON: refused at save, with its line and column.
    body = '{\n  "mobile": "{{ phone }}",\n  "content": "{{ text }}"\n'
    r = client.post(
        C, json={"key": "sms", "settings": {"url": "https://sms.example.com/send", "body": body}}
    )
    assert "line 4, column 1" in errors(r)["settings.body"]
    body = '{"mobile": "{{ phone }}" "content": "{{ text }}"}'
    r = client.post(
        C, json={"key": "sms", "settings": {"url": "https://sms.example.com/send", "body": body}}
    )
    assert "line 1, column 26" in errors(r)["settings.body"]
    zh = client.post(
        C,
        json={"key": "sms", "settings": {"url": "https://sms.example.com/send", "body": body}},
        headers={"accept-language": "zh-CN"},
    )
    assert "第 1 行第 26 列" in errors(zh)["settings.body"]
    r = client.post(
        C,
        json={
            "key": "sms",
            "settings": {"url": "https://sms.example.com/send", "body": '{"to": "{{ nope }}"}'},
        },
    )
    assert "nope" in errors(r)["settings.body"]
    r = client.post(
        C,
        json={
            "key": "sms",
            "settings": {
                "url": "https://sms.example.com/send",
                "method": "GET",
                "body": '["{{ phone }}"]',
            },
        },
    )
    assert "settings.body" in errors(r)
    # Template blocks are fine where the rendered text is JSON.
    ok = '{"to": "{{ phone }}"{% if subject %}, "title": "{{ subject }}"{% endif %}}'
    r = client.post(
        C, json={"key": "sms", "settings": {"url": "https://sms.example.com/send", "body": ok}}
    )
    assert r.status_code == 201, r.text
    # Addresses, e-mail senders, header names, mobiles.
    r = client.post(C, json={"key": "webhook:x", "settings": {"url": "ftp://files.example.com"}})
    assert "settings.url" in errors(r)
    r = client.post(C, json={"key": "webhook:x", "settings": {"headers": {"Bad Header": "v"}}})
    assert "settings.headers" in errors(r)
    r = client.post(
        C,
        json={
            "key": "email",
            "settings": {"host": "smtp example", "sender": "noreply", "port": 70000},
        },
    )
    assert set(errors(r)) == {"settings.port"}  # the types first
    r = client.post(
        C, json={"key": "email", "settings": {"host": "smtp example", "sender": "noreply"}}
    )
    assert set(errors(r)) == {"settings.host", "settings.sender"}
    r = client.post(
        C,
        json={
            "key": "email",
            "settings": {"host": "smtp.example.com", "sender": "航服中心 <noreply@example.com>"},
        },
    )
    assert r.status_code == 201, r.text
    r = client.post(
        C,
        json={
            "key": "wecom",
            "settings": {"url": "https://qyapi.weixin.qq.com/x", "mentioned_mobiles": ["abc"]},
        },
    )
    assert "settings.mentioned_mobiles" in errors(r)
    # A change is checked the same way.
    r = client.patch(f"{C}/sms", json={"settings": {"url": "not a url"}})
    assert "settings.url" in errors(r)


def test_kinds_say_what_a_recipient_is_and_title_their_settings(client: TestClient) -> None:
    kinds = {k["kind"]: k for k in client.get(C).json()["kinds"]}
    assert {k: v["recipient_kind"] for k, v in kinds.items()}.items() >= {
        "email": "email",
        "sms": "phone",
        "wecom": "",
        "dingtalk": "",
        "webhook": "",
    }.items()
    sms = kinds["sms"]
    assert sms["title"] == "SMS gateway" and sms["secret_fields"] == ["headers"]
    props = sms["settings_schema"]["properties"]
    assert props["body"]["title"] == "Body template (JSON)" and props["body"]["description"]
    assert all(
        "title" in p for k in kinds.values() for p in k["settings_schema"]["properties"].values()
    )
