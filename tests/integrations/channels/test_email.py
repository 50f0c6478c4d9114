"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS, implicit TLS,
login, UTF-8 subjects, and which failures are worth retrying."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult

from cairn.integrations import (
    ChannelConfig,
    ChannelEnv,
    ChannelError,
    ChannelMessage,
    ChannelRegistry,
)
from cairn.integrations.channels.email import EmailChannel
from support.receiver import closed_port, self_signed_tls, smtp_server

MSG = ChannelMessage(
    recipient="张经理 <manager@example.cn>",
    subject="【定检提醒】B-1234 还有 30 天",
    body="您好：\n飞机 B-1234 的定检日期为 2026-02-01。",
    link="https://crm.example.cn/r/7",
    idempotency_key="rule:1|email|x",
)


def config(port: int, **settings) -> ChannelConfig:
    return ChannelConfig(
        "email",
        "email",
        {"host": "127.0.0.1", "port": port, "sender": "航服中心 <noreply@cairn.test>", **settings},
    )


def test_plain_smtp_delivers_utf8_subject_body_and_link(channels: ChannelRegistry) -> None:
    with smtp_server() as (mailbox, port):
        d = channels.get("email").send(MSG, config(port, security="plain"))
    assert d.status == "sent" and d.detail["message_id"]
    [m] = mailbox.messages
    assert m["Subject"] == "【定检提醒】B-1234 还有 30 天"
    assert m["To"] == "张经理 <manager@example.cn>"
    assert "航服中心" in m["From"]
    assert m["X-Cairn-Idempotency-Key"] == "rule:1|email|x"
    text = m.get_content()
    assert "飞机 B-1234 的定检日期为 2026-02-01。" in text and MSG.link in text
    assert mailbox.envelopes == [("noreply@cairn.test", ["manager@example.cn"])]


def test_html_alternative(channels: ChannelRegistry) -> None:
    html = "<p>您好 <b>张经理</b></p>"
    with smtp_server() as (mailbox, port):
        channels.get("email").send(
            ChannelMessage(recipient="a@example.cn", subject="s", body="t", data={"html": html}),
            config(port, security="plain"),
        )
    [m] = mailbox.messages
    assert m.get_body(("html",)).get_content().strip() == html


def _auth(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = auth_data.login == b"cairn" and auth_data.password == b"s3cret-pw"
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def test_starttls_with_login(channels: ChannelRegistry, tmp_path: Path) -> None:
    tls, pem = self_signed_tls(tmp_path)
    with smtp_server(
        tls_context=tls,
        require_starttls=True,
        authenticator=_auth,
        auth_require_tls=True,
    ) as (mailbox, port):
        cfg = config(port, security="starttls", ca_pem=pem, username="cairn", password="s3cret-pw")
        channels.get("email").send(MSG, cfg)
        assert len(mailbox.messages) == 1
        wrong = config(port, security="starttls", ca_pem=pem, username="cairn", password="x")
        with pytest.raises(ChannelError) as e:
            channels.get("email").send(MSG, wrong)
        assert e.value.retryable is False and "535" in e.value.detail, e.value.detail
        with pytest.raises(ChannelError) as e:  # smtplib logs in with ASCII only: say so
            channels.get("email").send(
                MSG,
                config(port, security="starttls", ca_pem=pem, username="cairn", password="密码"),
            )
        assert e.value.retryable is False and "ASCII" in e.value.detail
        # An untrusted certificate is a configuration problem, not a passing one.
        with pytest.raises(ChannelError) as e:
            channels.get("email").send(MSG, config(port, security="starttls"))
        assert e.value.retryable is False and "TLS" in e.value.detail


def test_implicit_tls(channels: ChannelRegistry, tmp_path: Path) -> None:
    tls, pem = self_signed_tls(tmp_path)
    with smtp_server(ssl_context=tls) as (mailbox, port):
        channels.get("email").send(MSG, config(port, security="ssl", ca_pem=pem))
    assert len(mailbox.messages) == 1


def test_refused_recipient_5xx_is_final_4xx_is_retryable(channels: ChannelRegistry) -> None:
    with smtp_server() as (mailbox, port):
        mailbox.refuse = {
            "gone@example.cn": "550 5.1.1 no such mailbox",
            "grey@example.cn": "451 4.7.1 greylisted, try later",
        }
        email = channels.get("email")
        with pytest.raises(ChannelError) as e:
            email.send(
                ChannelMessage(recipient="gone@example.cn", subject="s", body="b"),
                config(port, security="plain"),
            )
        assert e.value.retryable is False
        with pytest.raises(ChannelError) as e:
            email.send(
                ChannelMessage(recipient="grey@example.cn", subject="s", body="b"),
                config(port, security="plain"),
            )
        assert e.value.retryable is True
        assert mailbox.messages == []


def test_no_server_is_retryable_no_settings_is_final(channels: ChannelRegistry) -> None:
    with pytest.raises(ChannelError) as e:
        channels.get("email").send(MSG, config(closed_port(), security="plain"))
    assert e.value.retryable is True
    with pytest.raises(ChannelError) as e:
        channels.get("email").send(MSG, ChannelConfig("email", "email", {}))
    assert e.value.retryable is False


def test_smtp_defaults_from_settings_are_overridden_by_the_config(env: ChannelEnv) -> None:
    with smtp_server() as (mailbox, port):
        env.smtp_defaults = {
            "host": "127.0.0.1",
            "port": closed_port(),
            "security": "plain",
            "sender": "default@cairn.test",
        }
        channel = EmailChannel(env)
        channel.send(MSG, ChannelConfig("email", "email", {"port": port}))
    [m] = mailbox.messages
    assert m["From"] == "default@cairn.test"


def test_multiline_subject_cannot_inject_headers(channels: ChannelRegistry) -> None:
    msg = ChannelMessage(recipient="a@example.cn", subject="提醒\nBcc: evil@example.com", body="b")
    with smtp_server() as (mailbox, port):
        channels.get("email").send(msg, config(port, security="plain"))
        with pytest.raises(ChannelError) as e:
            bad = ChannelMessage(recipient="a@example.cn\r\nBcc: x@example.com", subject="s")
            channels.get("email").send(bad, config(port, security="plain"))
        assert e.value.retryable is False
    [m] = mailbox.messages
    assert m["Subject"] == "提醒 Bcc: evil@example.com" and m["Bcc"] is None
    assert mailbox.envelopes[0][1] == ["a@example.cn"]
