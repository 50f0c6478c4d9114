"""SMS gateway, WeCom and DingTalk robots and outbound webhooks against a local HTTP receiver:
what goes over the wire (bodies, signatures) and which failures are worth retrying."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

import httpx
import pytest

from cairn.core import FrozenClock
from cairn.integrations import (
    ChannelConfig,
    ChannelEnv,
    ChannelError,
    ChannelMessage,
    ChannelRegistry,
)
from cairn.integrations.signing import verify_webhook
from support.receiver import Answer, Receiver, closed_port

MSG = ChannelMessage(
    recipient="+8613800138000",
    subject="满意度调查",
    body='您的工单已解决，请评价："很好" 或 \\ 不好',
    link="https://crm.example.cn/s/9",
)


# -- SMS --------------------------------------------------------------------------------------
def sms(url: str, **settings) -> ChannelConfig:
    return ChannelConfig("sms", "sms", {"url": url, **settings})


def test_sms_default_body_is_json_with_phone_and_text(
    channels: ChannelRegistry, receiver: Receiver
) -> None:
    d = channels.get("sms").send(MSG, sms(receiver.url + "/send", sign="【航服】"))
    assert d.recipient == "+8613800138000"
    [req] = receiver.requests
    assert req.method == "POST" and req.path == "/send"
    body = req.json()  # quotes and backslashes in the text still make valid JSON
    assert body["phone"] == "+8613800138000"
    assert body["text"] == "【航服】" + MSG.body + " " + MSG.link


def test_sms_custom_template_headers_and_success_check(
    channels: ChannelRegistry, receiver: Receiver
) -> None:
    cfg = sms(
        receiver.url + "/api/sms",
        headers={"X-Api-Key": "k-1"},
        body='{"mobiles": ["{{ phone }}"], "content": "{{ text }}", "tpl": "T1"}',
        success_field="result.code",
        success_value="0",
    )
    receiver.answers = [
        Answer(200, {"result": {"code": 0}}),
        Answer(200, {"result": {"code": 17, "msg": "blacklisted"}}),
    ]
    channels.get("sms").send(MSG, cfg)
    req = receiver.requests[0]
    assert req.headers["X-Api-Key"] == "k-1"
    assert req.json()["mobiles"] == ["+8613800138000"] and req.json()["tpl"] == "T1"
    with pytest.raises(ChannelError) as e:
        channels.get("sms").send(MSG, cfg)
    assert e.value.retryable is False and "result.code" in e.value.detail


def test_sms_get_sends_query_parameters(channels: ChannelRegistry, receiver: Receiver) -> None:
    channels.get("sms").send(MSG, sms(receiver.url + "/q", method="GET"))
    [req] = receiver.requests
    assert req.method == "GET" and req.query["phone"] == "+8613800138000"
    assert req.query["text"].startswith("您的工单已解决")


def test_sms_broken_body_template_is_a_final_error(
    channels: ChannelRegistry, receiver: Receiver
) -> None:
    with pytest.raises(ChannelError) as e:
        channels.get("sms").send(MSG, sms(receiver.url, body="{{ phone }"))
    assert e.value.retryable is False
    assert receiver.requests == []


# -- WeCom ------------------------------------------------------------------------------------
def test_wecom_text_and_markdown(channels: ChannelRegistry, receiver: Receiver) -> None:
    url = receiver.url + "/cgi-bin/webhook/send?key=abc"
    wecom = channels.get("wecom")
    wecom.send(
        MSG, ChannelConfig("wecom:svc", "wecom", {"url": url, "mentioned_mobiles": ["13800138000"]})
    )
    wecom.send(MSG, ChannelConfig("wecom:svc", "wecom", {"url": url, "msgtype": "markdown"}))
    text, md = (r.json() for r in receiver.requests)
    assert receiver.requests[0].query == {"key": "abc"}
    assert text == {
        "msgtype": "text",
        "text": {
            "content": f"{MSG.subject}\n{MSG.body}\n{MSG.link}",
            "mentioned_mobile_list": ["13800138000"],
        },
    }
    assert md["msgtype"] == "markdown"
    assert md["markdown"]["content"].startswith("**满意度调查**\n")


def test_wecom_errcode_decides(channels: ChannelRegistry, receiver: Receiver) -> None:
    cfg = ChannelConfig("wecom", "wecom", {"url": receiver.url})
    receiver.answers = [Answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    with pytest.raises(ChannelError) as e:
        channels.get("wecom").send(MSG, cfg)
    assert e.value.retryable is False and "93000" in e.value.detail
    receiver.answers = [Answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})]
    with pytest.raises(ChannelError) as e:
        channels.get("wecom").send(MSG, cfg)
    assert e.value.retryable is True


# -- DingTalk ---------------------------------------------------------------------------------
def test_dingtalk_signature_matches_dingtalks_algorithm(
    env: ChannelEnv, channels: ChannelRegistry, receiver: Receiver
) -> None:
    secret = "SEC000000000000000000000000000000000000000000000000000000000000000"
    cfg = ChannelConfig(
        "dingtalk",
        "dingtalk",
        {
            "url": receiver.url + "/robot/send?access_token=t0k",
            "secret": secret,
            "at_mobiles": ["13800138000"],
        },
    )
    channels.get("dingtalk").send(MSG, cfg)
    [req] = receiver.requests
    ts = req.query["timestamp"]
    assert int(ts) == int(env.clock.now().timestamp() * 1000)
    # The receiver's side, written from DingTalk's documentation (parse_qs already unquoted).
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert req.query["sign"] == expected
    assert req.query["access_token"] == "t0k"
    assert req.json()["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}
    assert req.json()["text"]["content"].startswith("满意度调查\n")


def test_dingtalk_signature_survives_url_encoding() -> None:
    """A sign with '+' and '/' must arrive intact: quote_plus, not a raw base64 string."""
    from cairn.integrations.signing import dingtalk_sign

    for ts in range(1_700_000_000_000, 1_700_000_000_050):
        raw = urllib.parse.unquote_plus(dingtalk_sign("SECx", ts))
        assert base64.b64decode(raw)


def test_dingtalk_without_secret_and_errors(channels: ChannelRegistry, receiver: Receiver) -> None:
    cfg = ChannelConfig(
        "dingtalk", "dingtalk", {"url": receiver.url + "/robot/send?access_token=t"}
    )
    receiver.answers = [Answer(200, {"errcode": 310000, "errmsg": "sign not match"})]
    with pytest.raises(ChannelError) as e:
        channels.get("dingtalk").send(MSG, cfg)
    assert e.value.retryable is False
    assert "sign" not in receiver.requests[0].query
    receiver.answers = [Answer(502, {})]
    with pytest.raises(ChannelError) as e:
        channels.get("dingtalk").send(MSG, cfg)
    assert e.value.retryable is True


# -- outbound webhook ---------------------------------------------------------------------------
def test_webhook_hmac_of_the_exact_body(channels: ChannelRegistry, receiver: Receiver) -> None:
    cfg = ChannelConfig("webhook", "webhook", {"secret": "whsec", "headers": {"X-Tenant": "ga"}})
    msg = ChannelMessage(
        url=receiver.url + "/in", data={"客户": "华东通航", "n": 1}, idempotency_key="k|webhook|x"
    )
    channels.get("webhook").send(msg, cfg)
    [req] = receiver.requests
    mac = hmac.new(b"whsec", req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Cairn-Signature"] == f"sha256={mac}"
    assert verify_webhook("whsec", req.body, req.headers["X-Cairn-Signature"])
    assert req.headers["X-Tenant"] == "ga"
    assert req.headers["X-Cairn-Idempotency-Key"] == "k|webhook|x"
    assert req.json() == {"客户": "华东通航", "n": 1}


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(500, True), (503, True), (429, True), (400, False), (401, False), (404, False), (422, False)],
)
def test_webhook_status_codes(
    channels: ChannelRegistry, receiver: Receiver, status: int, retryable: bool
) -> None:
    receiver.default = Answer(status, {})
    with pytest.raises(ChannelError) as e:
        channels.get("webhook").send(
            ChannelMessage(url=receiver.url), ChannelConfig("webhook", "webhook")
        )
    assert e.value.retryable is retryable
    assert str(status) in e.value.detail


def test_webhook_timeout_refused_and_bad_url(channels: ChannelRegistry, receiver: Receiver) -> None:
    hook = channels.get("webhook")
    receiver.default = Answer(hang=True)
    with pytest.raises(ChannelError) as e:
        hook.send(
            ChannelMessage(url=receiver.url), ChannelConfig("webhook", "webhook", {"timeout": 0.2})
        )
    assert e.value.retryable is True
    with pytest.raises(ChannelError) as e:
        hook.send(
            ChannelMessage(url=f"http://127.0.0.1:{closed_port()}/"),
            ChannelConfig("webhook", "webhook"),
        )
    assert e.value.retryable is True
    for url in ("ftp://127.0.0.1/x", "file:///etc/passwd", ""):
        with pytest.raises(ChannelError) as e:
            hook.send(ChannelMessage(url=url), ChannelConfig("webhook", "webhook"))
        assert e.value.retryable is False


def test_the_transport_is_injectable(frozen_clock: FrozenClock) -> None:
    """Unit tests may use httpx.MockTransport instead of a receiver."""
    from cairn.integrations import builtin_channels

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"errcode": 0})

    channels = builtin_channels(ChannelEnv(frozen_clock, httpx.MockTransport(handler)))
    channels.get("wecom").send(
        MSG, ChannelConfig("wecom", "wecom", {"url": "https://robot.invalid/send"})
    )
    assert seen[0].url.host == "robot.invalid"


def test_internal_targets_can_be_refused(
    env: ChannelEnv, channels: ChannelRegistry, receiver: Receiver
) -> None:
    env.block_private = True
    for url in (
        receiver.url,
        "http://localhost:9/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]:9/",
    ):
        with pytest.raises(ChannelError) as e:
            channels.get("webhook").send(
                ChannelMessage(url=url), ChannelConfig("webhook", "webhook")
            )
        assert e.value.retryable is False and "internal address" in e.value.detail
    assert receiver.requests == []
    env.block_private = False
    channels.get("webhook").send(
        ChannelMessage(url=receiver.url), ChannelConfig("webhook", "webhook")
    )
    assert len(receiver.requests) == 1
