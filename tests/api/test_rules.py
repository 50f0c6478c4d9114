"""The rule engine through the API: the seven scenarios of the issue, the run log, dry runs,
forecasts, the inbound webhook and rule validation. The worker's part (the periodic scan and
the outbox dispatcher) is run by hand while the clock is moved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.core import FrozenClock
from cairn.services import Services
from rulesdata import Worker, make_ops

RULES = "/api/v1/apps/ops/rules"


def rec(table: str) -> str:
    return f"/api/v1/apps/ops/tables/{table}/records"


@pytest.fixture
def users(services: Services) -> dict[str, int]:
    return make_ops(services)


@pytest.fixture
def worker(services: Services, users: dict[str, int]) -> Worker:
    return Worker(services)


def create_rule(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(RULES, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def create(client: TestClient, table: str, data: dict[str, Any]) -> dict[str, Any]:
    r = client.post(rec(table), json=data)
    assert r.status_code == 201, r.text
    return r.json()


def update(client: TestClient, table: str, record: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    r = client.patch(f"{rec(table)}/{record['id']}", json={"version": record["version"], **data})
    assert r.status_code == 200, r.text
    return r.json()


def items(client: TestClient, table: str) -> list[dict[str, Any]]:
    r = client.get(rec(table), params={"limit": 200})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def runs(client: TestClient, rule: dict[str, Any]) -> list[dict[str, Any]]:
    r = client.get(f"{RULES}/{rule['id']}/runs")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def sent(services: Services) -> list[dict[str, Any]]:
    return list(services.notifier.sent.values())


# -- scenario 4 ------------------------------------------------------------------------------
def test_a_high_priority_ticket_notifies_the_director_on_wecom_and_in_app(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    director = users["director"]
    rule = create_rule(
        client,
        {
            "key": "urgent_ticket",
            "name": "高优先级工单通知",
            "table": "tickets",
            "trigger": {"type": "record.created"},
            "condition": '{priority} = "高"',
            "actions": [
                {
                    "type": "notify",
                    "channel": "wecom",
                    "subject": "紧急工单",
                    "body": "紧急工单：{{ title }}",
                },
                {
                    "type": "notify",
                    "channel": "in_app",
                    "to": [f"user:{director}"],
                    "subject": "紧急工单：{{ title }}",
                },
            ],
        },
    )
    create(client, "tickets", {"title": "发动机告警", "priority": "高"})
    create(client, "tickets", {"title": "咨询", "priority": "低"})
    worker.drain()
    messages = sent(services)
    assert [m["channel"] for m in messages] == ["wecom", "in_app"]
    assert messages[0]["body"] == "紧急工单：发动机告警"
    assert messages[1]["recipients"] == [f"user:{director}"]
    assert messages[1]["subject"] == "紧急工单：发动机告警"
    log = runs(client, rule)
    assert [r["status"] for r in log] == ["skipped", "ok"]  # newest first
    assert log[0]["condition"] is False and log[1]["condition"] is True
    assert [a["status"] for a in log[1]["actions"]] == ["ok", "ok"]


def at(clock: FrozenClock, iso: str) -> None:
    from datetime import datetime

    clock.set(datetime.fromisoformat(iso))


# -- scenario 1 ------------------------------------------------------------------------------
INSPECTION = {
    "key": "inspection_reminder",
    "name": "定检提醒",
    "table": "aircraft",
    "trigger": {"type": "date", "field": "inspection_date", "offset": -30, "at": "09:00"},
    "condition": "{inspection_date} - TODAY() <= 30",
    "actions": [
        {
            "type": "create_record",
            "table": "tasks",
            "values": {
                "title": '"定检提醒：" & {reg}',
                "assignee": {"field": "account_manager"},
                "due": "{inspection_date}",
            },
        },
        {
            "type": "notify",
            "channel": "email",
            "to": ["field:customer_email"],
            "subject": "{{ reg }} 定检提醒",
            "body": "您的飞机 {{ reg }} 将于 {{ inspection_date }} 定检。",
        },
    ],
}


def test_an_inspection_reminder_creates_a_task_and_emails_once_per_inspection_date(
    client: TestClient,
    services: Services,
    users: dict[str, int],
    worker: Worker,
    frozen_clock: FrozenClock,
) -> None:
    rule = create_rule(client, INSPECTION)
    plane = create(
        client,
        "aircraft",
        {
            "reg": "B-7788",
            "inspection_date": "2026-03-01",
            "account_manager": users["manager"],
            "customer_email": "owner@example.com",
        },
    )
    fc = client.get(f"{RULES}/{rule['id']}/forecast", params={"days": 30}).json()
    # 30 days before 1 March at 09:00 Beijing time is 30 January 01:00 UTC.
    assert [(i["record_id"], i["due_at"]) for i in fc["items"]] == [
        (plane["id"], "2026-01-30T01:00:00Z")
    ]
    worker.tick()
    assert items(client, "tasks") == []
    at(frozen_clock, "2026-01-30T00:59:00+00:00")
    worker.tick()
    assert items(client, "tasks") == []
    at(frozen_clock, "2026-01-30T01:00:30+00:00")
    worker.tick()
    worker.tick()  # the next minute: nothing again
    tasks = items(client, "tasks")
    assert [(t["title"], t["assignee"], t["due"]) for t in tasks] == [
        ("定检提醒：B-7788", users["manager"], "2026-03-01")
    ]
    mails = sent(services)
    assert len(mails) == 1 and mails[0]["channel"] == "email"
    assert mails[0]["recipients"] == ["email:owner@example.com"]
    assert mails[0]["body"] == "您的飞机 B-7788 将于 2026-03-01 定检。"
    log = runs(client, rule)
    assert len(log) == 1 and log[0]["status"] == "ok" and log[0]["late"] is False
    # The next inspection: the edited date is planned again.
    plane = client.get(f"{rec('aircraft')}/{plane['id']}").json()
    update(client, "aircraft", plane, {"inspection_date": "2026-09-01"})
    worker.tick()
    assert len(items(client, "tasks")) == 1
    at(frozen_clock, "2026-08-02T01:00:10+00:00")
    worker.tick()
    assert len(items(client, "tasks")) == 2
    assert len(sent(services)) == 2


# -- scenario 2 ------------------------------------------------------------------------------
def test_a_survey_goes_out_24_hours_after_resolution_unless_the_ticket_is_reopened(
    client: TestClient, services: Services, worker: Worker, frozen_clock: FrozenClock
) -> None:
    rule = create_rule(
        client,
        {
            "key": "survey",
            "name": "满意度回访",
            "table": "tickets",
            "trigger": {"type": "record.updated", "fields": ["status"], "to": "已解决"},
            "condition": '{status} = "已解决"',
            "actions": [
                {"type": "wait", "amount": 24, "unit": "hours", "recheck": True},
                {
                    "type": "notify",
                    "channel": "sms",
                    "to": ["field:phone"],
                    "body": "请评价本次服务：https://example.com/s/{{ record.id }}",
                },
            ],
        },
    )
    a = create(client, "tickets", {"title": "A", "status": "处理中", "phone": "13800138000"})
    b = create(client, "tickets", {"title": "B", "status": "处理中", "phone": "13900139000"})
    a = update(client, "tickets", a, {"status": "已解决"})
    b = update(client, "tickets", b, {"status": "已解决"})
    worker.drain()
    waiting = client.get(f"{RULES}/{rule['id']}/runs").json()["waiting"]
    assert len(waiting) == 2
    frozen_clock.advance(timedelta(hours=2))
    update(client, "tickets", b, {"status": "重新打开"})
    worker.tick()
    assert sent(services) == []
    frozen_clock.advance(timedelta(hours=22, minutes=1))
    worker.tick()
    worker.tick()
    sms = sent(services)
    assert [(m["channel"], m["recipients"]) for m in sms] == [("sms", ["phone:+8613800138000"])]
    assert sms[0]["body"] == f"请评价本次服务：https://example.com/s/{a['id']}"
    by_record = {r["record_id"]: r for r in runs(client, rule)}
    assert by_record[a["id"]]["status"] == "ok"
    assert by_record[b["id"]]["status"] == "skipped" and by_record[b["id"]]["condition"] is False


# -- scenario 3 ------------------------------------------------------------------------------
def test_a_quiet_customer_gets_one_follow_up_task_per_quiet_spell(
    client: TestClient,
    services: Services,
    users: dict[str, int],
    worker: Worker,
    frozen_clock: FrozenClock,
) -> None:
    create_rule(
        client,
        {
            "key": "dormant",
            "name": "沉睡客户回访",
            "table": "customers",
            "trigger": {"type": "inactivity", "relation": "interactions", "days": 30},
            "actions": [
                {
                    "type": "create_record",
                    "table": "tasks",
                    "values": {
                        "title": '"沉睡客户回访：" & {name}',
                        "assignee": {"field": "manager"},
                    },
                }
            ],
        },
    )
    c = create(client, "customers", {"name": "东方通航", "manager": users["manager"]})
    frozen_clock.advance(timedelta(days=10))
    create(client, "interactions", {"note": "拜访", "customer": c["id"]})
    frozen_clock.advance(timedelta(days=29))
    worker.tick()
    assert items(client, "tasks") == []
    frozen_clock.advance(timedelta(days=1, minutes=1))
    worker.tick()
    worker.tick()
    tasks = items(client, "tasks")
    assert [(t["title"], t["assignee"]) for t in tasks] == [
        ("沉睡客户回访：东方通航", users["manager"])
    ]
    frozen_clock.advance(timedelta(days=20))
    worker.tick()
    assert len(items(client, "tasks")) == 1  # the same quiet spell
    create(client, "interactions", {"note": "电话", "customer": c["id"]})  # the spell ends
    frozen_clock.advance(timedelta(days=29))
    worker.tick()
    assert len(items(client, "tasks")) == 1
    frozen_clock.advance(timedelta(days=1, minutes=1))
    worker.tick()
    assert len(items(client, "tasks")) == 2  # the next quiet spell


# -- scenario 5 ------------------------------------------------------------------------------
def test_a_birthday_greeting_goes_out_at_nine_on_the_birthday_every_year(
    client: TestClient, services: Services, worker: Worker, frozen_clock: FrozenClock
) -> None:
    create_rule(
        client,
        {
            "key": "birthday",
            "name": "生日祝福",
            "table": "customers",
            "trigger": {"type": "date", "field": "birthday", "at": "09:00", "yearly": True},
            "actions": [
                {
                    "type": "notify",
                    "channel": "sms",
                    "to": ["field:phone"],
                    "body": "{{ name }}，生日快乐！",
                }
            ],
        },
    )
    create(client, "customers", {"name": "王总", "phone": "13800138000", "birthday": "1980-01-20"})
    create(client, "customers", {"name": "李总", "phone": "13900139000", "birthday": "1985-06-01"})
    worker.tick()
    at(frozen_clock, "2026-01-20T00:59:00+00:00")  # 08:59 in Beijing
    worker.tick()
    assert sent(services) == []
    at(frozen_clock, "2026-01-20T01:00:20+00:00")
    worker.tick()
    worker.tick()
    assert [m["body"] for m in sent(services)] == ["王总，生日快乐！"]
    at(frozen_clock, "2026-06-01T01:00:20+00:00")
    worker.tick()
    at(frozen_clock, "2027-01-20T01:00:20+00:00")
    worker.tick()
    assert [m["body"] for m in sent(services)] == [
        "王总，生日快乐！",
        "李总，生日快乐！",
        "王总，生日快乐！",
    ]


# -- scenario 6 ------------------------------------------------------------------------------
def test_expiring_insurance_puts_the_customer_on_the_renewal_list_with_the_policy_history(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    specialist = users["director"]
    create_rule(
        client,
        {
            "key": "renewal",
            "name": "商业险续保",
            "table": "customers",
            "trigger": {"type": "date", "field": "insurance_expiry", "offset": -30},
            "actions": [
                {
                    "type": "create_record",
                    "table": "tasks",
                    "values": {
                        "title": '"续保：" & {name}',
                        "assignee": {"value": specialist},
                        "due": "{insurance_expiry}",
                        "description": '"保单记录：" & {policy_history}',
                    },
                }
            ],
        },
    )
    create(
        client,
        "customers",
        {
            "name": "东方通航",
            "insurance_expiry": "2026-01-25",
            "policy_history": "2024 平安；2025 人保",
        },
    )
    create(client, "customers", {"name": "远期客户", "insurance_expiry": "2026-12-31"})
    worker.tick()
    tasks = items(client, "tasks")
    assert [(t["title"], t["assignee"], t["description"]) for t in tasks] == [
        ("续保：东方通航", specialist, "保单记录：2024 平安；2025 人保")
    ]


# -- scenario 7 ------------------------------------------------------------------------------
def test_an_order_still_waiting_for_a_truck_after_30_minutes_alerts_the_dispatch_manager(
    client: TestClient,
    services: Services,
    users: dict[str, int],
    worker: Worker,
    frozen_clock: FrozenClock,
) -> None:
    manager = users["manager"]
    create_rule(
        client,
        {
            "key": "dispatch_alert",
            "name": "派车超时提醒",
            "table": "transport_orders",
            "trigger": {"type": "record.created"},
            "condition": '{status} = "待派车"',
            "actions": [
                {"type": "wait", "amount": 30, "unit": "minutes"},
                {
                    "type": "notify",
                    "channel": "in_app",
                    "to": [f"user:{manager}"],
                    "subject": "运输单 {{ no }} 30 分钟未派车",
                },
            ],
        },
    )
    create(client, "transport_orders", {"no": "T-1", "status": "待派车"})
    b = create(client, "transport_orders", {"no": "T-2", "status": "待派车"})
    worker.drain()
    frozen_clock.advance(timedelta(minutes=10))
    update(client, "transport_orders", b, {"status": "已派车"})
    worker.tick()
    frozen_clock.advance(timedelta(minutes=20, seconds=30))
    worker.tick()
    worker.tick()
    assert [(m["recipients"], m["subject"]) for m in sent(services)] == [
        ([f"user:{manager}"], "运输单 T-1 30 分钟未派车")
    ]
