"""Work notices through the notify service: ``user:<id>`` becomes the user's WeCom / DingTalk
id (a clear error when they have none), one delivery each; the ids live on the user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.auth import cli
from cairn.core import Conflict, FrozenClock
from cairn.integrations import ChannelError
from cairn.services import Services
from cairn.services.notify import OutboundMessage
from factories import make_services, make_user
from fakes import transport
from fakes.dingtalk import FakeDingTalk
from fakes.wecom import FakeWeCom


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    yield s
    s.close()


@pytest.fixture
def fakes(services: Services, frozen_clock: FrozenClock) -> tuple[FakeWeCom, FakeDingTalk]:
    wecom, dingtalk = FakeWeCom(frozen_clock), FakeDingTalk(frozen_clock)
    wecom.users = [{"userid": "zhangsan", "name": "张三", "department": [1]}]
    services.channel_env.transport = transport(wecom, dingtalk)
    services.channel_configs.create(
        cli(),
        {
            "key": "wecom_app",
            "settings": {"corp_id": "ww-corp", "secret": "wx-secret", "agent_id": 1000002},
        },
    )
    services.channel_configs.create(
        cli(),
        {
            "key": "dingtalk_app",
            "settings": {"app_key": "ding-key", "app_secret": "ding-secret", "agent_id": 2000001},
        },
    )
    return wecom, dingtalk


def test_user_recipient_goes_to_their_platform_id(services: Services, fakes) -> None:
    wecom, dingtalk = fakes
    alice, _ = make_user(services, "alice", wecom_userid="zhangsan", dingtalk_userid="u1")
    bob, _ = make_user(services, "bob")
    [d] = services.notify.send(
        OutboundMessage(
            "wecom_app", [f"user:{alice}"], subject="提醒", body="hi", idempotency_key="k1"
        )
    )
    assert d.recipient == f"user:{alice}" and d.detail["address"] == "zhangsan"
    assert wecom.sent[0]["touser"] == "zhangsan"
    services.notify.send(OutboundMessage("dingtalk_app", [f"user:{alice}"], body="hi"))
    assert dingtalk.notices[0]["userid_list"] == "u1"
    with pytest.raises(ChannelError) as e:
        services.notify.send(OutboundMessage("dingtalk_app", [f"user:{bob}"], body="hi"))
    assert "no DingTalk user id" in e.value.detail and not e.value.retryable
    # Replayed with the same key: nothing sent twice.
    again = services.notify.send(
        OutboundMessage(
            "wecom_app", [f"user:{alice}"], subject="提醒", body="hi", idempotency_key="k1"
        )
    )
    assert again[0].replayed and len(wecom.sent) == 1


def test_platform_ids_on_users_are_unique_and_cleared_with_blank(services: Services) -> None:
    alice, _ = make_user(services, "alice", wecom_userid="zhangsan")
    bob, _ = make_user(services, "bob")
    with pytest.raises(Conflict):
        services.directory.update_user(cli(), bob, {"wecom_userid": "zhangsan"})
    u = services.directory.update_user(cli(), alice, {"wecom_userid": " ", "dingtalk_userid": "u9"})
    assert u["wecom_userid"] is None and u["dingtalk_userid"] == "u9"
    u = services.directory.update_user(cli(), bob, {"wecom_userid": "zhangsan"})
    assert u["wecom_userid"] == "zhangsan"
