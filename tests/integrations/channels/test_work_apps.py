"""WeCom and DingTalk applications (``wecom_app``, ``dingtalk_app``) against local fakes of
their APIs: a message to one person, the access token kept until it expires and renewed when
the platform says it lapsed, to-dos and task cards, and the directory read page by page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cairn.core import FrozenClock
from cairn.integrations import ChannelConfig, ChannelEnv, ChannelError, ChannelMessage
from cairn.integrations.channels import TaskItem, builtin_channels
from fakes import transport
from fakes.dingtalk import FakeDingTalk
from fakes.wecom import FakeWeCom


@pytest.fixture
def wecom(frozen_clock: FrozenClock) -> FakeWeCom:
    fake = FakeWeCom(frozen_clock)
    fake.departments = [
        {"id": 1, "name": "广州航服", "parentid": 0, "order": 1},
        {"id": 2, "name": "客服部", "parentid": 1, "order": 2},
    ]
    fake.users = [
        {
            "userid": "zhangsan",
            "name": "张三",
            "department": [1, 2],
            "main_department": 2,
            "mobile": "13800000001",
            "status": 1,
        },
        {"userid": "lisi", "name": "李四", "department": [2], "status": 5},
    ]
    return fake


@pytest.fixture
def dingtalk(frozen_clock: FrozenClock) -> FakeDingTalk:
    fake = FakeDingTalk(frozen_clock)
    fake.departments.append({"dept_id": 10, "name": "销售部", "parent_id": 1})
    fake.users = [
        {
            "userid": f"u{i}",
            "unionid": f"union-{i}",
            "name": f"员工{i}",
            "dept_id_list": [10],
            "mobile": f"1390000000{i}",
        }
        for i in range(5)
    ]
    return fake


@pytest.fixture
def channels(frozen_clock: FrozenClock, wecom: FakeWeCom, dingtalk: FakeDingTalk):
    return builtin_channels(ChannelEnv(frozen_clock, transport(wecom, dingtalk)))


WECOM = ChannelConfig(
    "wecom_app",
    "wecom_app",
    {
        "corp_id": "ww-corp",
        "secret": "wx-secret",
        "agent_id": 1000002,
        "link_base": "https://crm.example.cn",
    },
)
DINGTALK = ChannelConfig(
    "dingtalk_app",
    "dingtalk_app",
    {
        "app_key": "ding-key",
        "app_secret": "ding-secret",
        "agent_id": 2000001,
        "link_base": "https://crm.example.cn",
    },
)


def test_wecom_message_to_one_member_with_the_token_kept(channels, wecom, frozen_clock) -> None:
    ch = channels.get("wecom_app")
    d = ch.send(ChannelMessage("zhangsan", "工单已解决", "请评价"), WECOM)
    assert d.detail["msgid"]
    ch.send(ChannelMessage("zhangsan", "第二条", "hi", link="/apps/crm/tickets/1"), WECOM)
    assert wecom.token_requests == 1  # the token is kept
    first, second = wecom.sent
    assert first["touser"] == "zhangsan" and first["agentid"] == 1000002
    assert first["text"]["content"] == "工单已解决\n请评价"
    assert second["msgtype"] == "textcard"
    assert second["textcard"]["url"] == "https://crm.example.cn/apps/crm/tickets/1"
    # Expired (two hours on): a new token before the call, not a failed call.
    frozen_clock.advance(timedelta(hours=2))
    ch.send(ChannelMessage("zhangsan", "", "三"), WECOM)
    assert wecom.token_requests == 2 and len(wecom.sent) == 3


def test_wecom_token_revoked_is_renewed_once_and_the_call_made(channels, wecom) -> None:
    ch = channels.get("wecom_app")
    ch.send(ChannelMessage("zhangsan", "", "一"), WECOM)
    wecom.revoke_tokens()
    ch.send(ChannelMessage("zhangsan", "", "二"), WECOM)
    assert wecom.token_requests == 2 and len(wecom.sent) == 2
    assert wecom.calls.count("/cgi-bin/message/send") == 3  # 40014, then again


def test_wecom_unknown_member_and_wrong_secret_are_final(channels, wecom) -> None:
    ch = channels.get("wecom_app")
    with pytest.raises(ChannelError) as e:
        ch.send(ChannelMessage("nobody", "", "x"), WECOM)
    assert not e.value.retryable and "nobody" in e.value.detail
    bad = ChannelConfig("wecom_app:x", "wecom_app", {**WECOM.settings, "secret": "wrong"})
    with pytest.raises(ChannelError) as e:
        ch.send(ChannelMessage("zhangsan", "", "x"), bad)
    assert not e.value.retryable and "40001" in e.value.detail


def test_wecom_task_card_then_marked_done(channels, wecom) -> None:
    ch = channels.get("wecom_app")
    pushed = ch.push_task(WECOM, "zhangsan", None, TaskItem(7, "审批报价", "工单 #12", "/tasks/7"))
    [card] = wecom.sent
    assert card["msgtype"] == "template_card"
    assert card["template_card"]["task_id"] == "cairn-task-7"
    assert card["template_card"]["button_list"][0]["url"] == "https://crm.example.cn/tasks/7"
    ch.close_task(WECOM, "zhangsan", None, pushed.remote_id)
    [update] = wecom.card_updates
    assert update["button"] == {"replace_name": "已处理"} and update["userids"] == ["zhangsan"]
    with pytest.raises(ChannelError):  # a response_code is good once
        ch.close_task(WECOM, "zhangsan", None, pushed.remote_id)


def test_wecom_directory(channels) -> None:
    d = channels.get("wecom_app").directory(WECOM)
    assert [(x.id, x.name, x.parent_id) for x in d.departments] == [
        ("1", "广州航服", None),
        ("2", "客服部", "1"),
    ]
    by = {u.userid: u for u in d.users}
    assert by["zhangsan"].departments == ("2", "1") and by["zhangsan"].active
    assert not by["lisi"].active  # status 5: left


def test_dingtalk_work_notice(channels, dingtalk, frozen_clock) -> None:
    ch = channels.get("dingtalk_app")
    ch.send(ChannelMessage("u1", "保险到期", "B-1234 30 天后到期", link="/apps/ga/x/1"), DINGTALK)
    ch.send(ChannelMessage("u2", "", "hi"), DINGTALK)
    assert dingtalk.token_requests == 1
    first, second = dingtalk.notices
    assert first["userid_list"] == "u1" and first["agent_id"] == 2000001
    assert first["msg"]["action_card"]["single_url"] == "https://crm.example.cn/apps/ga/x/1"
    assert second["msg"] == {"msgtype": "text", "text": {"content": "hi"}}
    frozen_clock.advance(timedelta(hours=3))
    ch.send(ChannelMessage("u2", "", "later"), DINGTALK)
    assert dingtalk.token_requests == 2


def test_dingtalk_todo_created_for_the_unionid_and_marked_done(channels, dingtalk) -> None:
    ch = channels.get("dingtalk_app")
    item = TaskItem(9, "审批报价", "工单 #12", "/tasks/9")
    pushed = ch.push_task(DINGTALK, "u3", None, item)
    assert pushed.unionid == "union-3"  # looked up with user/get
    todo = dingtalk.todos[pushed.remote_id]
    assert todo["executorIds"] == ["union-3"] and todo["sourceId"] == "cairn-task-9-u3"
    assert todo["detailUrl"]["pcUrl"] == "https://crm.example.cn/tasks/9"
    dingtalk.revoke_tokens()  # the new API answers 401: renewed and done
    ch.close_task(DINGTALK, "u3", "union-3", pushed.remote_id)
    assert todo["done"] is True
    with pytest.raises(ChannelError) as e:
        ch.close_task(DINGTALK, "u3", "union-3", "todo-none")
    assert e.value.status_code == 404  # type: ignore[attr-defined]


def test_dingtalk_directory_pages_through_users(channels, dingtalk) -> None:
    d = channels.get("dingtalk_app").directory(DINGTALK)
    assert [(x.id, x.parent_id) for x in d.departments] == [("1", None), ("10", "1")]
    assert [u.userid for u in d.users] == ["u0", "u1", "u2", "u3", "u4"]
    assert d.users[0].unionid == "union-0" and d.users[0].departments == ("10",)
    # 5 users, pages of 2: three calls for department 10, one for the root.
    assert dingtalk.calls.count("POST /topapi/v2/user/list") == 4
