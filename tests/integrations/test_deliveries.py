"""Deliveries own their retries (``integrations.redelivery`` through ``services.deliveries``):
back-off 1 min, 5 min, 30 min, 2 h on the test clock, then dead; the same idempotency key on
every attempt; a replay is one more attempt each time, recorded with who asked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cairn.auth import cli
from cairn.core import FrozenClock, Settings
from cairn.integrations import ChannelError
from cairn.integrations.retries import RetryPolicy
from cairn.services import Services
from cairn.services.notify import OutboundMessage
from cairn.store import system
from factories import make_services, make_user
from support.receiver import Answer, Receiver


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    yield s
    s.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as r:
        yield r


def delivery(services: Services) -> dict:
    with services.engine.connect() as conn:
        [row] = conn.execute(sa.select(system.deliveries)).mappings().all()
        return dict(row)


def attempts(services: Services) -> list[dict]:
    t = system.delivery_attempts
    with services.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t).order_by(t.c.id)).mappings()]


def test_the_back_off_schedule_and_the_dead_letter() -> None:
    p = RetryPolicy()
    now = FrozenClock().now()
    waits = [p.after_failure(n, True, now) for n in range(1, 6)]
    assert [(s, (at - now) if at else None) for s, at in waits] == [
        ("retrying", timedelta(minutes=1)),
        ("retrying", timedelta(minutes=5)),
        ("retrying", timedelta(minutes=30)),
        ("retrying", timedelta(hours=2)),
        ("dead", None),
    ]
    assert p.after_failure(1, False, now) == ("dead", None)  # a 4xx: no retry helps
    assert RetryPolicy(max_attempts=8).after_failure(7, True, now)[1] == now + timedelta(hours=2)
    assert Settings().delivery_max_attempts == 5


def test_a_down_receiver_is_retried_on_the_clock_then_dead(
    services: Services, receiver: Receiver, frozen_clock: FrozenClock
) -> None:
    receiver.default = Answer(503, {"error": "down"})
    msg = OutboundMessage(
        "webhook",
        url=receiver.url + "/orders",
        data={"order": "T-1"},
        idempotency_key="rule:1:event:2:0",
        app_id=None,
        record_id=9,
    )
    with pytest.raises(ChannelError) as e:
        services.notify.send(msg)
    assert e.value.delivery_ids == [delivery(services)["id"]]  # type: ignore[attr-defined]
    d = delivery(services)
    assert d["kind"] == "webhook" and d["record_id"] == 9
    assert d["payload"]["data"] == {"order": "T-1"} and d["payload"]["url"].endswith("/orders")
    # Not due before its time; then once per step of the back-off.
    for wait in (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30)):
        frozen_clock.advance(wait - timedelta(seconds=1))
        assert services.deliveries.retry_due()["tried"] == 0
        frozen_clock.advance(timedelta(seconds=1))
        assert services.deliveries.retry_due() == {
            "tried": 1,
            "sent": 0,
            "retrying": 1,
            "dead": 0,
        }
    frozen_clock.advance(timedelta(hours=2))
    assert services.deliveries.retry_due()["dead"] == 1
    frozen_clock.advance(timedelta(days=1))
    assert services.deliveries.retry_due()["tried"] == 0  # dead stays dead
    d = delivery(services)
    assert (d["status"], d["attempts"], d["next_attempt_at"]) == ("dead", 5, None)
    assert len(receiver.requests) == 5
    assert {r.headers["X-Cairn-Idempotency-Key"] for r in receiver.requests} == {
        f"rule:1:event:2:0|webhook|{receiver.url}/orders"
    }
    assert [a["status"] for a in attempts(services)] == ["failed"] * 5


def test_a_4xx_is_dead_at_once_and_a_replay_twice_sends_twice(
    services: Services, receiver: Receiver
) -> None:
    admin, _ = make_user(services, "admin", is_admin=True)
    receiver.answers = [Answer(400, {"error": "bad"})]
    msg = OutboundMessage("webhook", url=receiver.url, data={"a": 1}, idempotency_key="k")
    with pytest.raises(ChannelError):
        services.notify.send(msg)
    assert delivery(services)["status"] == "dead"
    d_id = delivery(services)["id"]
    first = services.deliveries.replay(cli(admin), d_id)
    assert first["status"] == "sent" and first["attempt_count"] == 2
    second = services.deliveries.replay(cli(admin), d_id)  # a sent one may be replayed too
    assert second["status"] == "sent" and second["attempt_count"] == 3
    assert len(receiver.requests) == 3  # once more each time
    assert len({r.headers["X-Cairn-Idempotency-Key"] for r in receiver.requests}) == 1
    assert [a["status"] for a in second["attempts"]] == ["failed", "sent", "sent"]
    assert [a["replay_by"] for a in second["attempts"]] == [None, admin, admin]
    assert '"error":"bad"' in second["attempts"][0]["response"].replace(" ", "")


def test_a_disabled_channel_is_dead_and_retries_go_with_the_config_as_it_is_now(
    services: Services, receiver: Receiver, frozen_clock: FrozenClock
) -> None:
    services.channel_configs.create(
        cli(), {"key": "webhook:erp", "settings": {"url": receiver.url + "/old", "secret": "s"}}
    )
    receiver.answers = [Answer(502, {})]
    with pytest.raises(ChannelError):
        services.notify.send(OutboundMessage("webhook:erp", data={"x": 1}, idempotency_key="e"))
    services.channel_configs.update(
        cli(), "webhook:erp", {"settings": {"url": receiver.url + "/new", "secret": "••••••"}}
    )
    frozen_clock.advance(timedelta(minutes=1))
    assert services.deliveries.retry_due()["sent"] == 1
    assert [r.path for r in receiver.requests] == ["/old", "/new"]
    assert "X-Cairn-Signature" in receiver.requests[1].headers
    assert "s" not in str(delivery(services)["payload"].get("secret", ""))
    services.channel_configs.update(cli(), "webhook:erp", {"enabled": False})
    replayed = services.deliveries.replay(cli(), delivery(services)["id"])
    assert replayed["status"] == "dead" and "disabled" in replayed["error"]
    assert len(receiver.requests) == 2
