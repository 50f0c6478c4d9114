"""Sending (``integrations.sending``, through ``services.notify``): recipients resolved, one
delivery each, recorded, idempotent by key, failures recorded and raised with whether a retry
may help."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cairn.auth import cli
from cairn.core import FrozenClock, Invalid
from cairn.integrations import ChannelError
from cairn.integrations.signing import verify_webhook
from cairn.services import Services
from cairn.services.notify import OutboundMessage
from cairn.services.uow import unit_of_work
from cairn.store import system
from factories import make_services, make_user
from support.receiver import Answer, Receiver, closed_port, smtp_server


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    yield s
    s.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as r:
        yield r


def rows(services: Services, table: sa.Table) -> list[dict]:
    with services.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def test_inapp_goes_to_each_user_once_per_key(services: Services) -> None:
    alice, _ = make_user(services, "alice")
    bob, _ = make_user(services, "bob")
    msg = OutboundMessage(
        "inapp",
        [f"user:{alice}", f"user:{bob}"],
        subject="定检提醒",
        body="B-1234 的定检日期是 2026-02-01",
        link="/apps/ga/aircraft/7",
        app_id=1,
        table_id=2,
        record_id=7,
        idempotency_key="rule:1:event:9:action:0",
    )
    first = services.notify.send(msg)
    assert [d.recipient for d in first] == [f"user:{alice}", f"user:{bob}"]
    assert not any(d.replayed for d in first)
    again = services.notify.send(msg)
    assert all(d.replayed for d in again)
    notes = rows(services, system.notifications)
    assert [(n["user_id"], n["title"], n["record_id"]) for n in notes] == [
        (alice, "定检提醒", 7),
        (bob, "定检提醒", 7),
    ]
    assert services.notifications.unread_count(principal_of(alice)) == 1


def principal_of(user_id: int):
    from cairn.auth import Principal

    return Principal(user_id, "u", False, "token")


def test_inapp_unknown_user_is_a_final_error_but_the_others_get_theirs(services: Services) -> None:
    alice, _ = make_user(services, "alice")
    with pytest.raises(ChannelError) as e:
        services.notify.send(OutboundMessage("inapp", [f"user:{alice}", "user:999"], body="hi"))
    assert e.value.retryable is False
    assert "user:999" in str(e.value)
    assert len(e.value.deliveries) == 1  # type: ignore[attr-defined]
    assert [n["user_id"] for n in rows(services, system.notifications)] == [alice]


def test_send_in_commits_with_the_callers_transaction(services: Services) -> None:
    alice, _ = make_user(services, "alice")
    msg = OutboundMessage("inapp", [f"user:{alice}"], body="x")
    with pytest.raises(RuntimeError), unit_of_work(services) as uow:
        services.notify.send_in(uow, msg)
        raise RuntimeError("the caller's change failed")
    assert rows(services, system.notifications) == []
    with unit_of_work(services) as uow:
        services.notify.send_in(uow, msg)
    assert len(rows(services, system.notifications)) == 1
    with pytest.raises(Invalid), unit_of_work(services) as uow:
        services.notify.send_in(uow, OutboundMessage("webhook", url="http://127.0.0.1:1/"))


def test_unknown_channel_is_invalid(services: Services) -> None:
    with pytest.raises(Invalid):
        services.notify.send(OutboundMessage("fax", ["123"]))
    with pytest.raises(Invalid):
        services.notify.check_channel("pigeon:1")
    services.notify.check_channel("wecom:service-group")


def test_webhook_is_signed_and_sent_once_per_key(services: Services, receiver: Receiver) -> None:
    services.channel_configs.create(
        cli(), {"key": "webhook", "settings": {"secret": "s3cr3t", "timeout": 5}}
    )
    msg = OutboundMessage(
        "webhook",
        url=receiver.url + "/hooks/orders",
        data={"event": "order.waiting", "订单": "T-001"},
        idempotency_key="k1",
    )
    [d] = services.notify.send(msg)
    assert d.status == "sent" and not d.replayed
    [again] = services.notify.send(msg)
    assert again.replayed
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    assert req.path == "/hooks/orders"
    assert req.json() == {"event": "order.waiting", "订单": "T-001"}
    assert verify_webhook("s3cr3t", req.body, req.headers["X-Cairn-Signature"])
    assert not verify_webhook("wrong", req.body, req.headers["X-Cairn-Signature"])
    assert req.headers["X-Cairn-Timestamp"].isdigit()
    [row] = rows(services, system.deliveries)
    assert (row["status"], row["attempts"]) == ("sent", 1)


def test_webhook_5xx_is_retrying_and_the_worker_sends_it_once_more_with_the_same_key(
    services: Services, receiver: Receiver, frozen_clock: FrozenClock
) -> None:
    receiver.answers = [Answer(503, {"busy": True})]
    msg = OutboundMessage("webhook", url=receiver.url, data={"a": 1}, idempotency_key="k2")
    with pytest.raises(ChannelError) as e:
        services.notify.send(msg)
    assert e.value.retryable is True
    [row] = rows(services, system.deliveries)
    assert row["status"] == "retrying" and "503" in row["error"]
    assert row["next_attempt_at"] == frozen_clock.now().replace(tzinfo=None) + timedelta(minutes=1)
    assert row["response"].startswith("HTTP 503") and '"busy"' in row["response"]
    # The caller sending the same key meanwhile sends nothing: the retry is the worker's.
    with pytest.raises(ChannelError):
        services.notify.send(msg)
    assert len(receiver.requests) == 1
    assert services.deliveries.retry_due() == {"tried": 0, "sent": 0, "retrying": 0, "dead": 0}
    frozen_clock.advance(timedelta(minutes=1))
    assert services.deliveries.retry_due()["sent"] == 1
    assert services.notify.send(msg)[0].replayed  # and a replay after it does nothing
    assert len(receiver.requests) == 2
    keys = {r.headers["X-Cairn-Idempotency-Key"] for r in receiver.requests}
    assert keys == {"k2|webhook|" + receiver.url}
    [row] = rows(services, system.deliveries)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("sent", 2, None)
    tries = rows(services, system.delivery_attempts)
    assert [(t["status"], t["replay_by"]) for t in tries] == [("failed", None), ("sent", None)]


def test_webhook_4xx_is_final(services: Services, receiver: Receiver) -> None:
    receiver.default = Answer(400, {"error": "bad payload"})
    with pytest.raises(ChannelError) as e:
        services.notify.send(OutboundMessage("webhook", url=receiver.url, data={"a": 1}))
    assert e.value.retryable is False


def test_refused_connection_and_timeout_are_retryable(
    services: Services, receiver: Receiver
) -> None:
    with pytest.raises(ChannelError) as e:
        services.notify.send(
            OutboundMessage("webhook", url=f"http://127.0.0.1:{closed_port()}/x", data={"a": 1})
        )
    assert e.value.retryable is True
    services.channel_configs.create(cli(), {"key": "webhook", "settings": {"timeout": 0.2}})
    receiver.default = Answer(hang=True)
    with pytest.raises(ChannelError) as e:
        services.notify.send(OutboundMessage("webhook", url=receiver.url, data={"a": 1}))
    assert e.value.retryable is True
    assert "no answer" in e.value.detail


def test_email_to_a_user_through_a_real_smtp_server(services: Services) -> None:
    alice, _ = make_user(services, "alice", email="alice@example.cn")
    nomail, _ = make_user(services, "nomail")
    with smtp_server() as (mailbox, port):
        services.channel_configs.create(
            cli(),
            {
                "key": "email",
                "settings": {
                    "host": "127.0.0.1",
                    "port": port,
                    "security": "plain",
                    "sender": "航服中心 <noreply@cairn.test>",
                },
            },
        )
        msg = OutboundMessage(
            "email",
            [f"user:{alice}", "ops@example.cn", f"user:{nomail}"],
            subject="定检提醒：B-1234",
            body="您好，飞机 B-1234 将于 2026-02-01 定检。",
            link="https://crm.example.cn/r/7",
            idempotency_key="mail-1",
        )
        with pytest.raises(ChannelError) as e:
            services.notify.send(msg)
        assert e.value.retryable is False
        assert "no e-mail" in str(e.value)
        sent = e.value.deliveries  # type: ignore[attr-defined]
        assert [d.recipient for d in sent] == [f"user:{alice}", "ops@example.cn"]
        assert sent[0].detail["address"] == "alice@example.cn"
        assert len(mailbox.messages) == 2
        first = mailbox.messages[0]
        assert first["Subject"] == "定检提醒：B-1234"
        assert first["To"] == "alice@example.cn"
        assert "B-1234 将于 2026-02-01 定检" in first.get_content()
        assert "https://crm.example.cn/r/7" in first.get_content()
        assert mailbox.envelopes[1][1] == ["ops@example.cn"]
        # The retry sends nothing again to those who got it.
        with pytest.raises(ChannelError):
            services.notify.send(msg)
        assert len(mailbox.messages) == 2
    statuses = sorted((r["recipient"], r["status"]) for r in rows(services, system.deliveries))
    assert statuses == [
        ("ops@example.cn", "sent"),
        (f"user:{alice}", "sent"),
        (f"user:{nomail}", "dead"),  # no retry gives the user an address
    ]


def test_preview_resolves_and_sends_nothing(services: Services, receiver: Receiver) -> None:
    alice, _ = make_user(services, "alice", mobile="+8613800138000")
    p = services.notify.preview(OutboundMessage("sms", [f"user:{alice}", "abc"], body="您好"))
    assert p["problem"] == "not_configured"
    assert p["recipients"] == [
        {"recipient": f"user:{alice}", "address": "+8613800138000", "error": None},
        {"recipient": "abc", "address": None, "error": "not a phone number"},
    ]
    assert rows(services, system.deliveries) == []


def test_render_uses_the_sandbox(services: Services) -> None:
    assert (
        services.notify.render("您好，{{ 客户名称 }}", {"客户名称": "华东通航"}) == "您好，华东通航"
    )
    with pytest.raises(Invalid):
        services.notify.render("{{ ''.__class__.__mro__ }}", {})
    with pytest.raises(Invalid):
        services.notify.render("{{ nope }}", {})


def test_robot_recipients_are_mentioned_by_mobile(services: Services, receiver: Receiver) -> None:
    director, _ = make_user(services, "director", mobile="+86 138-0013-8000")
    nophone, _ = make_user(services, "nophone")
    services.channel_configs.create(
        cli(), {"key": "wecom:service-group", "settings": {"url": receiver.url + "/send?key=k"}}
    )
    msg = OutboundMessage(
        "wecom:service-group",
        [f"user:{director}", f"user:{nophone}"],
        subject="高优先级工单",
        body="工单 T-88 优先级：高",
        idempotency_key="ticket-88",
    )
    preview = services.notify.preview(msg)
    assert preview["recipients"][0]["mentions"] == ["+86 138-0013-8000"]
    [d] = services.notify.send(msg)
    assert d.recipient == "wecom:service-group"
    [req] = receiver.requests
    assert req.json()["text"]["mentioned_mobile_list"] == ["13800138000"]
    assert req.json()["text"]["content"] == "高优先级工单\n工单 T-88 优先级：高"
    assert services.notify.send(msg)[0].replayed
    assert len(receiver.requests) == 1


def test_inapp_links_are_paths_or_http_only(services: Services) -> None:
    alice, _ = make_user(services, "alice")
    for i, link in enumerate(
        [
            "/apps/crm/r/1",
            "https://x.example/a",
            "javascript:alert(1)",
            "//evil.example",
            "data:text/html,x",
        ]
    ):
        services.notify.send(
            OutboundMessage("inapp", [f"user:{alice}"], body="x", link=link, idempotency_key=str(i))
        )
    links = [n["link"] for n in rows(services, system.notifications)]
    assert links == ["/apps/crm/r/1", "https://x.example/a", None, None, None]


def test_purge_keeps_unread_and_failed(
    services: Services, receiver: Receiver, frozen_clock: FrozenClock
) -> None:
    alice, _ = make_user(services, "alice")
    services.notify.send(OutboundMessage("inapp", [f"user:{alice}"], body="old, read"))
    services.notify.send(OutboundMessage("inapp", [f"user:{alice}"], body="old, unread"))
    services.notifications.mark_read(
        principal_of(alice), rows(services, system.notifications)[0]["id"]
    )
    services.notify.send(OutboundMessage("webhook", url=receiver.url, data={"a": 1}))
    receiver.default = Answer(404, {})
    with pytest.raises(ChannelError):
        services.notify.send(OutboundMessage("webhook", url=receiver.url, data={"a": 2}))
    frozen_clock.advance(timedelta(days=91))
    assert services.notify.purge(keep_days=90) == {"notifications": 1, "deliveries": 1}
    assert [n["body"] for n in rows(services, system.notifications)] == ["old, unread"]
    assert [d["status"] for d in rows(services, system.deliveries)] == ["dead"]
