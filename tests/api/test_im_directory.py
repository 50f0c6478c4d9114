"""Directory sync from WeCom / DingTalk (issue 17): departments and people from the fake's
directory (DingTalk's user list read page by page), matched by platform id, existing users
linked by mobile, a report of what was done and what is gone upstream; nothing deleted;
audited; the reports kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.store import system
from factories import make_user
from fakes import transport
from fakes.dingtalk import FakeDingTalk
from fakes.wecom import FakeWeCom


@pytest.fixture
def dingtalk(services: Services, frozen_clock: FrozenClock) -> FakeDingTalk:
    fake = FakeDingTalk(frozen_clock)
    fake.departments += [
        {"dept_id": 10, "name": "销售部", "parent_id": 1},
        {"dept_id": 11, "name": "华南销售", "parent_id": 10},
    ]
    fake.users = [
        {
            "userid": "u1",
            "unionid": "n1",
            "name": "王经理",
            "mobile": "13900000001",
            "dept_id_list": [10],
        },
        {
            "userid": "u2",
            "unionid": "n2",
            "name": "李销售",
            "mobile": "+86 139-0000-0002",
            "dept_id_list": [11, 10],
        },
        {"userid": "u3", "unionid": "n3", "name": "赵销售", "dept_id_list": [11]},
        {"userid": "u4", "unionid": "n4", "name": "钱销售", "dept_id_list": [11]},
    ]
    services.channel_env.transport = transport(dingtalk_fake := fake)
    services.channel_configs.create(
        cli(),
        {
            "key": "dingtalk_app",
            "settings": {"app_key": "ding-key", "app_secret": "ding-secret", "agent_id": 2000001},
        },
    )
    return dingtalk_fake


def test_sync_creates_links_and_reports_and_deletes_nothing(
    services: Services, client: TestClient, dingtalk: FakeDingTalk
) -> None:
    li, _ = make_user(services, "lisi", display_name="李四", mobile="13900000002")
    r = client.post("/api/v1/directory/sync", json={"channel": "dingtalk_app"})
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "ok" and run["trigger"] == "manual"
    assert run["report"] == {
        "departments": {"created": 3, "updated": 0},
        "users": {"created": 3, "updated": 0, "linked": 1},
        "missing": [],
        "errors": [],
    }
    # Paged: the root none, 销售部 two, 华南销售 three (two a page: two calls).
    assert dingtalk.calls.count("POST /topapi/v2/user/list") == 4
    lisi = services.directory.get_user(cli(), li)
    assert lisi["dingtalk_userid"] == "u2" and lisi["display_name"] == "李销售"
    depts = {d["name"]: d for d in services.directory.list_departments()["items"]}
    assert depts["华南销售"]["parent_id"] == depts["销售部"]["id"]
    assert lisi["department_id"] == depts["华南销售"]["id"]
    assert lisi["department_ids"] == [depts["销售部"]["id"]]
    wang = services.directory.get_user(cli(), "dt.u1")
    assert wang["mobile"] == "13900000001" and wang["department_id"] == depts["销售部"]["id"]

    # Upstream: a department renamed, a person gone, one left (inactive), one moved.
    dingtalk.departments[1]["name"] = "销售中心"
    dingtalk.users = [u for u in dingtalk.users if u["userid"] != "u3"]
    dingtalk.users[2]["active"] = False
    dingtalk.users[0]["dept_id_list"] = [11]
    run = client.post("/api/v1/directory/sync", json={"channel": "dingtalk_app"}).json()
    report = run["report"]
    assert report["departments"] == {"created": 0, "updated": 1}
    assert report["users"] == {"created": 0, "updated": 1, "linked": 0}
    assert sorted((m["remote_id"], m["reason"]) for m in report["missing"]) == [
        ("u3", "gone"),
        ("u4", "inactive"),
    ]
    # Nothing deleted or disabled.
    zhao = services.directory.get_user(cli(), "dt.u3")
    assert zhao["status"] == "active"

    runs = client.get("/api/v1/directory/sync-runs", params={"channel": "dingtalk_app"}).json()
    assert [x["id"] for x in runs["items"]] == [run["id"], run["id"] - 1]
    with services.engine.connect() as conn:
        audit = (
            conn.execute(
                sa.select(system.audit_log.c.details).where(
                    system.audit_log.c.action == "directory.sync"
                )
            )
            .scalars()
            .all()
        )
    assert len(audit) == 2 and audit[0]["users"]["linked"] == 1


def test_sync_of_an_unreachable_platform_is_a_failed_run(
    services: Services, client: TestClient, dingtalk: FakeDingTalk
) -> None:
    services.channel_env.transport = transport()
    run = client.post("/api/v1/directory/sync", json={"channel": "dingtalk_app"}).json()
    assert (
        run["status"] == "failed" and "connection failed" in run["report"]["errors"][0]["message"]
    )
    r = client.post("/api/v1/directory/sync", json={"channel": "nope"})
    assert r.status_code == 404


def test_wecom_sync_and_the_daily_run(services: Services, frozen_clock: FrozenClock) -> None:
    wecom = FakeWeCom(frozen_clock)
    wecom.departments = [
        {"id": 1, "name": "广州航服", "parentid": 0, "order": 1},
        {"id": 2, "name": "客服部", "parentid": 1, "order": 2},
    ]
    wecom.users = [{"userid": "zhangsan", "name": "张三", "department": [2], "status": 1}]
    services.channel_env.transport = transport(wecom)
    settings = {"corp_id": "ww-corp", "secret": "wx-secret", "agent_id": 1000002}
    services.channel_configs.create(
        cli(), {"key": "wecom_app", "settings": {**settings, "daily_sync": True}}
    )
    services.channel_configs.create(cli(), {"key": "wecom_app:other", "settings": settings})
    [run] = services.directory_sync.daily()  # only the config with daily_sync
    assert run["trigger"] == "daily" and run["channel"] == "wecom_app"
    assert run["report"]["users"]["created"] == 1
    assert services.directory.get_user(cli(), "wx.zhangsan")["wecom_userid"] == "zhangsan"
