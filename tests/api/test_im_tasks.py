"""Process tasks as DingTalk to-dos and WeCom task cards (issue 17): a task opened for someone
with an id there becomes a to-do in the fake, closed there (done) when the task is completed,
reassigned or cancelled in Cairn; through the outbox, idempotent, recorded as deliveries."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from test_process_ui_api import new_record, setup, start

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.store import system
from cairn.worker.dispatch import Dispatcher
from fakes import transport
from fakes.dingtalk import FakeDingTalk
from fakes.wecom import FakeWeCom
from processdata import Org, act, bpmn, deploy, only_task


@pytest.fixture
def dingtalk(services: Services, frozen_clock: FrozenClock) -> FakeDingTalk:
    fake = FakeDingTalk(frozen_clock)
    fake.users = [
        {"userid": f"dt-{n}", "unionid": f"union-{n}", "name": n, "dept_id_list": [1]}
        for n in ("sales1", "sales2")
    ]
    return fake


@pytest.fixture
def wecom(services: Services, frozen_clock: FrozenClock) -> FakeWeCom:
    fake = FakeWeCom(frozen_clock)
    fake.users = [{"userid": f"wx-{n}", "name": n, "department": [1]} for n in ("sales1", "sales2")]
    return fake


def configure(services: Services, org: Org, dingtalk: FakeDingTalk, wecom: FakeWeCom) -> None:
    services.channel_env.transport = transport(dingtalk, wecom)
    for name in ("sales1", "sales2"):
        services.directory.update_user(
            cli(), org.ids[name], {"dingtalk_userid": f"dt-{name}", "wecom_userid": f"wx-{name}"}
        )
    link = "https://crm.example.cn"
    services.channel_configs.create(
        cli(),
        {
            "key": "dingtalk_app",
            "settings": {
                "app_key": "ding-key",
                "app_secret": "ding-secret",
                "agent_id": 2000001,
                "push_tasks": True,
                "link_base": link,
            },
        },
    )
    services.channel_configs.create(
        cli(),
        {
            "key": "wecom_app",
            "settings": {
                "corp_id": "ww-corp",
                "secret": "wx-secret",
                "agent_id": 1000002,
                "push_tasks": True,
                "link_base": link,
            },
        },
    )


def drain(services: Services) -> None:
    Dispatcher(services, services.event_handlers).drain()


def test_task_todo_created_then_closed_when_done_and_when_reassigned(
    services: Services, client: TestClient, dingtalk: FakeDingTalk, wecom: FakeWeCom
) -> None:
    org = setup(services, client)
    configure(services, org, dingtalk, wecom)
    deploy(client, "ga", bpmn("review.bpmn"))
    with org.client("sales1") as sales:
        start(sales, new_record(sales, "东方航空"))
        first = only_task(sales)
    drain(services)
    [todo] = dingtalk.todos.values()
    assert todo["executorIds"] == ["union-sales1"] and todo["subject"] == "提交"
    assert todo["description"] == "东方航空"
    assert todo["detailUrl"]["appUrl"] == f"https://crm.example.cn/tasks/{first['id']}"
    [card] = wecom.sent
    assert card["touser"] == "wx-sales1" and card["msgtype"] == "template_card"
    with services.engine.connect() as conn:  # the unionId looked up is kept on the user
        kept = conn.execute(
            sa.select(system.users.c.dingtalk_unionid).where(system.users.c.id == org.ids["sales1"])
        ).scalar()
    assert kept == "union-sales1"

    with org.client("sales1") as sales:
        act(sales, first["id"], "complete")
    drain(services)
    assert todo["done"] is True  # closed there
    assert wecom.card_updates[0]["button"] == {"replace_name": "已处理"}
    second = [t for t in dingtalk.todos.values() if t is not todo]
    assert [t["executorIds"] for t in second] == [["union-sales2"]]
    assert not second[0]["done"]

    # The administrators move sales2's tasks to lawyer (no DingTalk id): closed there.
    r = client.post(
        "/api/v1/process-tasks/reassign", json={"from_user": "sales2", "to_user": "lawyer"}
    )
    assert r.status_code == 200, r.text
    drain(services)
    assert second[0]["done"] is True
    assert len(wecom.card_updates) == 2

    # Seen again (an event replayed, the periodic scan): nothing more happens.
    calls = (len(dingtalk.calls), len(wecom.calls))
    assert services.task_pushes.sync() == {"pushed": 0, "closed": 0, "failed": 0}
    assert (len(dingtalk.calls), len(wecom.calls)) == calls
    with services.engine.connect() as conn:
        pushes = conn.execute(sa.select(system.task_pushes)).all()
        sent = conn.execute(
            sa.select(system.deliveries.c.channel, system.deliveries.c.status)
        ).all()
    assert sorted((p.channel, p.state) for p in pushes) == [
        ("dingtalk_app", "closed"),
        ("dingtalk_app", "closed"),
        ("wecom_app", "closed"),
        ("wecom_app", "closed"),
    ]
    assert len(sent) == 8 and {s.status for s in sent} == {"sent"}


def test_a_platform_failure_comes_back_and_a_final_one_is_recorded(
    services: Services, client: TestClient, dingtalk: FakeDingTalk, wecom: FakeWeCom
) -> None:
    org = setup(services, client)
    configure(services, org, dingtalk, wecom)
    services.channel_configs.delete(cli(), "wecom_app")
    deploy(client, "ga", bpmn("review.bpmn"))
    services.channel_env.transport = transport()  # DingTalk unreachable
    with org.client("sales1") as sales:
        start(sales, new_record(sales))
    drain(services)
    assert not dingtalk.todos
    with services.engine.connect() as conn:
        [event] = conn.execute(
            sa.select(system.outbox).where(system.outbox.c.type == "process.tasks")
        ).all()
    assert event.processed_at is None and "connection failed" in event.last_error
    # Reachable again: the scan (or the event's next attempt) pushes it.
    services.channel_env.transport = transport(dingtalk)
    assert services.task_pushes.sync()["pushed"] == 1
    # A user DingTalk does not know: recorded as failed, not tried again.
    services.directory.update_user(cli(), org.ids["sales2"], {"dingtalk_userid": "dt-ghost"})
    with org.client("sales1") as sales:
        act(sales, only_task(sales)["id"], "complete")
    drain(services)
    with services.engine.connect() as conn:
        states = dict(
            conn.execute(sa.select(system.task_pushes.c.user_id, system.task_pushes.c.state)).all()
        )
    assert states == {org.ids["sales1"]: "closed", org.ids["sales2"]: "failed"}
    assert services.task_pushes.sync() == {"pushed": 0, "closed": 0, "failed": 0}
