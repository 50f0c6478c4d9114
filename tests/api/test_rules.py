"""The rule engine through the API: the seven scenarios of the issue, the run log, dry runs,
forecasts, the inbound webhook and rule validation. The worker's part (the periodic scan and
the outbox dispatcher) is run by hand while the clock is moved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import system
from rulesdata import Worker, make_ops
from support.receiver import Mailbox, Receiver, smtp_server

RULES = "/api/v1/apps/ops/rules"


def rec(table: str) -> str:
    return f"/api/v1/apps/ops/tables/{table}/records"


@pytest.fixture(autouse=True)
def users(services: Services) -> dict[str, int]:
    return make_ops(services)


@pytest.fixture
def worker(services: Services, users: dict[str, int]) -> Worker:
    return Worker(services)


@pytest.fixture
def receiver(services: Services) -> Iterator[Receiver]:
    """The SMS gateway, the WeCom robot and webhook targets: a local HTTP receiver."""
    with Receiver().running() as r:
        for key, settings in (
            ("sms", {"url": f"{r.url}/sms"}),
            ("wecom", {"url": f"{r.url}/wecom"}),
            ("webhook", {"secret": "hook-secret"}),
        ):
            services.channel_configs.create(cli(), {"key": key, "settings": settings})
        yield r


@pytest.fixture
def mailbox(services: Services) -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 behind the e-mail channel."""
    with smtp_server() as (box, port):
        services.channel_configs.create(
            cli(),
            {
                "key": "email",
                "settings": {
                    "host": "127.0.0.1",
                    "port": port,
                    "security": "plain",
                    "sender": "Cairn <noreply@cairn.test>",
                },
            },
        )
        yield box


def inapp(services: Services, user_id: int) -> list[tuple[str, str]]:
    """(title, body) of a user's in-app notifications, oldest first."""
    n = system.notifications
    with unit_of_work(services, write=False) as uow:
        rows = uow.conn.execute(
            sa.select(n.c.title, n.c.body).where(n.c.user_id == user_id).order_by(n.c.id)
        ).all()
    return [(r.title, r.body) for r in rows]


def texts(receiver: Receiver, path: str) -> list[Any]:
    return [r.json() for r in receiver.requests if r.path.startswith(path)]


def create_rule(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(RULES, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def create(client: TestClient, table: str, data: dict[str, Any]) -> dict[str, Any]:
    r = client.post(rec(table), json=data)
    assert r.status_code == 201, r.text
    return r.json()


def managed_plane(
    client: TestClient, users: dict[str, int], reg: str, inspection_date: str, email: str
) -> dict[str, Any]:
    """An aircraft of the account manager's, inspected on ``inspection_date``, its owner's
    address ``email``."""
    data = {"reg": reg, "inspection_date": inspection_date, "customer_email": email}
    return create(client, "aircraft", {**data, "account_manager": users["manager"]})


def update(
    client: TestClient, table: str, record: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
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


# -- scenario 4 ------------------------------------------------------------------------------
def test_a_high_priority_ticket_notifies_the_director_on_wecom_and_in_app(
    client: TestClient,
    services: Services,
    users: dict[str, int],
    worker: Worker,
    receiver: Receiver,
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
                    "channel": "inapp",
                    "to": [f"user:{director}"],
                    "subject": "紧急工单：{{ title }}",
                },
            ],
        },
    )
    create(client, "tickets", {"title": "发动机告警", "priority": "高"})
    create(client, "tickets", {"title": "咨询", "priority": "低"})
    worker.drain()
    [robot] = texts(receiver, "/wecom")
    assert "紧急工单：发动机告警" in robot["text"]["content"]
    assert inapp(services, director) == [("紧急工单：发动机告警", "")]
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
    mailbox: Mailbox,
) -> None:
    rule = create_rule(client, INSPECTION)
    plane = managed_plane(client, users, "B-7788", "2026-03-01", "owner@example.com")
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
    [mail] = mailbox.messages
    assert mail["To"] == "owner@example.com" and mail["Subject"] == "B-7788 定检提醒"
    assert "您的飞机 B-7788 将于 2026-03-01 定检。" in mail.get_content()
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
    assert len(mailbox.messages) == 2


# -- scenario 2 ------------------------------------------------------------------------------
def test_a_survey_goes_out_24_hours_after_resolution_unless_the_ticket_is_reopened(
    client: TestClient,
    services: Services,
    worker: Worker,
    frozen_clock: FrozenClock,
    receiver: Receiver,
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
    assert texts(receiver, "/sms") == []
    frozen_clock.advance(timedelta(hours=22, minutes=1))
    worker.tick()
    worker.tick()
    assert texts(receiver, "/sms") == [
        {"phone": "+8613800138000", "text": f"请评价本次服务：https://example.com/s/{a['id']}"}
    ]
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
    client: TestClient,
    services: Services,
    worker: Worker,
    frozen_clock: FrozenClock,
    receiver: Receiver,
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
    assert texts(receiver, "/sms") == []
    at(frozen_clock, "2026-01-20T01:00:20+00:00")
    worker.tick()
    worker.tick()
    assert [m["text"] for m in texts(receiver, "/sms")] == ["王总，生日快乐！"]
    at(frozen_clock, "2026-06-01T01:00:20+00:00")
    worker.tick()
    at(frozen_clock, "2027-01-20T01:00:20+00:00")
    worker.tick()
    assert [m["text"] for m in texts(receiver, "/sms")] == [
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
                    "channel": "inapp",
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
    assert inapp(services, manager) == [("运输单 T-1 30 分钟未派车", "")]


# -- reliability ---------------------------------------------------------------------------------
def test_reminders_that_came_due_while_no_worker_ran_each_fire_once_marked_late(
    client: TestClient,
    services: Services,
    users: dict[str, int],
    worker: Worker,
    frozen_clock: FrozenClock,
) -> None:
    rule = create_rule(client, INSPECTION | {"condition": None})
    for i, day in enumerate(("2026-02-10", "2026-02-11", "2026-02-12")):
        create(client, "aircraft", {"reg": f"B-{i}", "inspection_date": day})
    worker.tick()  # due 11, 12 and 13 January
    assert items(client, "tasks") == []
    # The worker is down from here on while the clock passes all three due times.
    at(frozen_clock, "2026-01-15T03:00:00+00:00")
    first = worker.tick()
    second = worker.tick()
    assert first["fired"] == 3 and first["late"] == 3 and second["fired"] == 0
    assert sorted(t["title"] for t in items(client, "tasks")) == [
        "定检提醒：B-0",
        "定检提醒：B-1",
        "定检提醒：B-2",
    ]
    log = runs(client, rule)
    assert [(r["status"], r["late"]) for r in log] == [("ok", True)] * 3


def test_the_same_event_twice_has_one_effect(
    client: TestClient,
    services: Services,
    users: dict[str, int],
    worker: Worker,
    receiver: Receiver,
) -> None:
    from cairn.services.uow import unit_of_work
    from cairn.store import system
    from cairn.store.outbox import OutboxEvent

    create_rule(
        client,
        {
            "key": "follow_up",
            "name": "跟进",
            "table": "tickets",
            "trigger": {"type": "record.created"},
            "actions": [
                {"type": "create_record", "table": "tasks", "values": {"title": "{title}"}},
                {
                    "type": "notify",
                    "channel": "inapp",
                    "to": [f"user:{users['director']}"],
                    "subject": "{{ title }}",
                },
                {"type": "notify", "channel": "wecom", "body": "{{ title }}"},
            ],
        },
    )
    create(client, "tickets", {"title": "T"})
    with unit_of_work(services, write=False) as uow:
        row = uow.conn.execute(
            system.outbox.select().where(system.outbox.c.type == "record.created")
        ).all()[-1]
    event = OutboxEvent.from_row(row)
    services.rule_engine.handle(event)
    services.rule_engine.handle(event)  # delivered again (a worker died before its ack)
    worker.drain()  # and once more through the outbox
    assert [t["title"] for t in items(client, "tasks")] == ["T"]
    assert inapp(services, users["director"]) == [("T", "")]
    assert len(texts(receiver, "/wecom")) == 1


def test_rules_that_trigger_each_other_stop_at_the_depth_limit_and_say_so(
    client: TestClient, services: Services, worker: Worker
) -> None:
    rule = create_rule(
        client,
        {
            "key": "ping",
            "name": "自我触发",
            "table": "tasks",
            "trigger": {"type": "record.updated"},
            "actions": [
                {"type": "update_record", "values": {"title": '{title} & "+"'}},
            ],
        },
    )
    t = create(client, "tasks", {"title": "x"})
    update(client, "tasks", t, {"title": "y"})
    worker.drain()
    title = client.get(f"{rec('tasks')}/{t['id']}").json()["title"]
    assert title == "y" + "+" * 6  # the user's change, then depths 0..5
    log = runs(client, rule)
    assert log[0]["status"] == "stopped" and "depth 6" in log[0]["error"]
    assert [r["status"] for r in log[1:]] == ["ok"] * 6
    assert [r["depth"] for r in reversed(log)] == [0, 1, 2, 3, 4, 5, 6]


def test_a_failing_channel_retries_on_its_own_and_the_run_goes_on(
    client: TestClient,
    services: Services,
    worker: Worker,
    frozen_clock: FrozenClock,
    receiver: Receiver,
) -> None:
    """Issue 17: the delivery owns its retries (back-off 1 min, 5 min, 30 min, 2 h, then
    dead); the dispatcher does not run the event again, and a notification's failure lets the
    next actions run (the run ends ``partial``). Before, the dispatcher re-ran the event ten
    times and the run ended ``failed``."""
    from support.receiver import Answer

    receiver.default = Answer(503, {"error": "busy"})  # the SMS gateway is down
    rule = create_rule(
        client,
        {
            "key": "sms",
            "name": "短信",
            "table": "tickets",
            "trigger": {"type": "record.created"},
            "actions": [
                {"type": "create_record", "table": "tasks", "values": {"title": "{title}"}},
                {"type": "notify", "channel": "sms", "to": ["13800138000"], "body": "hi"},
                {"type": "create_record", "table": "tasks", "values": {"title": '"after"'}},
            ],
        },
    )
    create(client, "tickets", {"title": "T"})
    for _ in range(12):
        worker.drain()
        services.deliveries.retry_due()
        frozen_clock.advance(timedelta(hours=1))
    tries = [r for r in receiver.requests if r.path == "/sms"]
    assert len(tries) == 5  # the delivery's attempts, with back-off in between
    assert len({r.headers.get("X-Cairn-Idempotency-Key") for r in tries}) == 1
    assert sorted(t["title"] for t in items(client, "tasks")) == ["T", "after"]
    log = runs(client, rule)
    assert len(log) == 1
    assert log[0]["status"] == "partial" and "503" in log[0]["error"]
    assert [a["status"] for a in log[0]["actions"]] == ["ok", "failed", "ok"]
    [failed] = [a for a in log[0]["actions"] if a["status"] == "failed"]
    assert failed["on_error"] == "continue" and len(failed["result"]["deliveries"]) == 1
    dead = client.get("/api/v1/deliveries", params={"status": "dead"}).json()["items"]
    assert [d["id"] for d in dead] == failed["result"]["deliveries"]
    assert dead[0]["attempts"] == 5 and dead[0]["rule"]["key"] == "sms"


# -- dry run, forecast, validation ------------------------------------------------------------
def test_a_dry_run_shows_the_condition_and_resolved_actions_without_doing_them(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    rule = create_rule(client, INSPECTION)
    plane = managed_plane(client, users, "B-1", "2026-01-20", "c@example.com")
    r = client.post(f"{RULES}/{rule['id']}/test", json={"record_id": plane["id"]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["condition"] is True
    create_action, mail = out["actions"]
    assert create_action["would"]["table"] == "tasks"
    assert create_action["would"]["values"] == {
        "title": "定检提醒：B-1",
        "assignee": users["manager"],
        "due": "2026-01-20",
    }
    assert mail["would"]["recipients"] == ["c@example.com"]
    assert mail["would"]["subject"] == "B-1 定检提醒"
    assert items(client, "tasks") == []
    with unit_of_work(services, write=False) as uow:
        assert uow.conn.execute(sa.select(system.deliveries)).all() == []
    assert runs(client, rule) == []
    far = create(client, "aircraft", {"reg": "B-2", "inspection_date": "2027-01-01"})
    r = client.post(f"{RULES}/{rule['id']}/test", json={"record_id": far["id"]})
    assert r.json()["condition"] is False
    r = client.post(f"{RULES}/{rule['id']}/test", json={"record_id": 9999})
    assert r.status_code == 404


def test_the_forecast_lists_the_date_firings_of_the_next_days(
    client: TestClient, services: Services
) -> None:
    rule = create_rule(client, INSPECTION)
    ids = [
        create(client, "aircraft", {"reg": f"B-{d}", "inspection_date": d})["id"]
        for d in ("2026-02-20", "2026-02-03", "2026-04-01")
    ]
    fc = client.get(f"{RULES}/{rule['id']}/forecast", params={"days": 30}).json()
    assert [(i["record_id"], i["due_at"]) for i in fc["items"]] == [
        (ids[1], "2026-01-04T01:00:00Z"),  # already due: fires at the next scan
        (ids[0], "2026-01-21T01:00:00Z"),
    ]
    assert fc["items"][0]["overdue"] is True
    event_rule = create_rule(
        client,
        {
            "key": "x",
            "name": "x",
            "table": "tasks",
            "trigger": {"type": "record.created"},
            "actions": [{"type": "notify", "to": ["user:1"], "subject": "x"}],
        },
    )
    r = client.get(f"{RULES}/{event_rule['id']}/forecast")
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"table": "nope"}, "table"),
        ({"trigger": {"type": "date", "field": "nope"}}, "trigger.field"),
        ({"trigger": {"type": "date", "field": "reg"}}, "trigger.field"),
        ({"trigger": {"type": "schedule", "cron": "every day"}}, "trigger.cron"),
        ({"condition": "{nope} > 1"}, "condition"),
        ({"condition": '{reg} & "x"'}, "condition"),
        (
            {"actions": [{"type": "create_record", "table": "tasks", "values": {"nope": "1"}}]},
            "actions.0.values.nope",
        ),
        (
            {"actions": [{"type": "create_record", "table": "tasks", "values": {"title": "1 +"}}]},
            "actions.0.values.title.formula",
        ),
        ({"actions": [{"type": "notify", "channel": "pigeon"}]}, "actions.0.channel"),
        ({"actions": [{"type": "notify", "body": "{{ nope }}"}]}, "actions.0.body"),
        ({"actions": [{"type": "notify", "body": "{% if %}"}]}, "actions.0.body"),
        ({"actions": [{"type": "teleport"}]}, "actions.0"),
    ],
)
def test_a_rule_is_checked_against_its_table_when_saved(
    client: TestClient, services: Services, change: dict[str, Any], location: str
) -> None:
    r = client.post(RULES, json=INSPECTION | change)
    assert r.status_code == 422, r.text
    errors = [e["field"] for e in r.json()["errors"]]
    assert any(k.startswith(location) for k in errors), errors
    assert client.get(RULES).json()["items"] == []


def test_rules_are_edited_with_their_version_and_deleted(
    client: TestClient, services: Services
) -> None:
    rule = create_rule(client, INSPECTION)
    r = client.put(f"{RULES}/{rule['id']}", json=INSPECTION | {"name": "改名", "version": 1})
    assert r.status_code == 200 and r.json()["name"] == "改名" and r.json()["version"] == 2
    r = client.put(f"{RULES}/{rule['id']}", json=INSPECTION | {"version": 1})
    assert r.status_code == 409
    assert client.delete(f"{RULES}/{rule['id']}").status_code == 204
    assert client.get(f"{RULES}/{rule['id']}").status_code == 404


def test_only_app_managers_see_and_change_rules(
    client: TestClient, services: Services, users: dict[str, int]
) -> None:
    from fastapi.testclient import TestClient as TC

    from cairn.api import create_app
    from factories import make_user

    _, token = make_user(services, "clerk")
    with TC(create_app(services), headers={"authorization": f"Bearer {token}"}) as clerk:
        assert clerk.get(RULES).status_code == 403
        assert clerk.post(RULES, json=INSPECTION).status_code == 403


# -- inbound webhook ---------------------------------------------------------------------------
def test_an_inbound_webhook_creates_then_updates_a_record_and_checks_its_secret(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    from fastapi.testclient import TestClient as TC

    from cairn.api import create_app

    rule = create_rule(
        client,
        {
            "key": "from_call_centre",
            "name": "呼叫中心工单",
            "table": "tickets",
            "trigger": {
                "type": "webhook",
                "mapping": {"title": "subject", "phone": "caller.phone"},
                "match": "phone",
            },
            "actions": [
                {
                    "type": "notify",
                    "channel": "inapp",
                    "to": [f"user:{users['director']}"],
                    "subject": "{{ title }}",
                }
            ],
        },
    )
    path = rule["webhook"]["path"]
    with TC(create_app(services)) as anon:  # no sign-in: the secret is the credential
        r = anon.post(path, json={"subject": "无法登录", "caller": {"phone": "13800138000"}})
        assert r.status_code == 200, r.text
        assert r.json()["created"] is True
        worker.drain()
        r = anon.post(path, json={"subject": "仍无法登录", "caller": {"phone": "13800138000"}})
        assert r.json()["created"] is False
        wrong = path.rsplit("/", 1)[0] + "/not-the-secret"
        assert anon.post(wrong, json={"subject": "x"}).status_code == 404
    worker.drain()
    tickets = items(client, "tickets")
    assert [(t["title"], t["phone"]) for t in tickets] == [("仍无法登录", "+8613800138000")]
    assert [t for t, _ in inapp(services, users["director"])] == ["无法登录", "仍无法登录"]


# -- app packages ------------------------------------------------------------------------------
def test_rules_travel_in_the_app_package(client: TestClient, services: Services) -> None:
    create_rule(client, INSPECTION)
    package = services.packages.export("ops")
    assert [r["key"] for r in package["rules"]] == ["inspection_reminder"]
    services.packages.import_package(package, key="ops2")
    copy = services.packages.export("ops2")
    assert copy["rules"] == package["rules"]


# -- outbound webhook, DingTalk, schedules --------------------------------------------------
def test_an_outbound_webhook_posts_signed_json_and_a_dingtalk_robot_gets_a_signed_call(
    client: TestClient, services: Services, worker: Worker, receiver: Receiver
) -> None:
    from cairn.integrations.signing import verify_webhook

    services.channel_configs.create(
        cli(),
        {
            "key": "dingtalk",
            "settings": {"url": f"{receiver.url}/ding?access_token=t", "secret": "SECx"},
        },
    )
    create_rule(
        client,
        {
            "key": "to_erp",
            "name": "同步 ERP",
            "table": "tickets",
            "trigger": {"type": "record.updated", "fields": ["status"], "to": "已解决"},
            "actions": [
                {"type": "webhook", "url": f"{receiver.url}/erp"},
                {
                    "type": "webhook",
                    "url": f"{receiver.url}/erp2",
                    "body": '{"ticket": "{{ title }}", "id": {{ id }}}',
                },
                {"type": "notify", "channel": "dingtalk", "body": "已解决：{{ title }}"},
            ],
        },
    )
    t = create(client, "tickets", {"title": "发动机告警", "status": "处理中"})
    update(client, "tickets", t, {"status": "已解决"})
    worker.drain()
    [erp] = [r for r in receiver.requests if r.path == "/erp"]
    assert verify_webhook("hook-secret", erp.body, erp.headers.get("X-Cairn-Signature"))
    body = erp.json()
    assert body["rule"] == "to_erp" and body["record"]["title"] == "发动机告警"
    assert texts(receiver, "/erp2") == [{"ticket": "发动机告警", "id": t["id"]}]
    [ding] = [r for r in receiver.requests if r.path.startswith("/ding")]
    assert "sign" in ding.query and "timestamp" in ding.query
    assert "已解决：发动机告警" in ding.json()["text"]["content"]


def test_a_schedule_acts_on_every_matching_record_and_catches_up_missed_occurrences(
    client: TestClient, services: Services, worker: Worker, frozen_clock: FrozenClock
) -> None:
    rule = create_rule(
        client,
        {
            "key": "daily_open_tickets",
            "name": "每日未结工单",
            "table": "tickets",
            "trigger": {
                "type": "schedule",
                "cron": "0 9 * * *",  # 09:00 Beijing time
                "filter": {"field": "status", "op": "eq", "value": "处理中"},
            },
            "actions": [
                {
                    "type": "create_record",
                    "table": "tasks",
                    "values": {"title": '"跟进：" & {title}'},
                }
            ],
        },
    )
    create(client, "tickets", {"title": "A", "status": "处理中"})
    create(client, "tickets", {"title": "B", "status": "已解决"})
    fc = client.get(f"{RULES}/{rule['id']}/forecast", params={"days": 2}).json()
    assert [i["due_at"] for i in fc["items"] if i["record_id"] is None] == [
        "2026-01-06T01:00:00Z",
        "2026-01-07T01:00:00Z",
    ]
    worker.tick()
    assert items(client, "tasks") == []
    at(frozen_clock, "2026-01-06T01:00:30+00:00")
    worker.tick()
    worker.tick()
    assert [t["title"] for t in items(client, "tasks")] == ["跟进：A"]
    # No worker for two days: both occurrences fire when it starts, marked late.
    at(frozen_clock, "2026-01-08T06:00:00+00:00")
    out = worker.tick()
    assert out == {"fired": 2, "late": 2, "resumed": 0}
    assert [t["title"] for t in items(client, "tasks")] == ["跟进：A"] * 3


def test_a_merge_and_its_undoing_trigger_their_rules(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    """``record.merged`` runs on the survivor, ``record.unmerged`` on the loser back again."""
    director = users["director"]
    for kind, subject in (("merged", "合并到 {{ id }}"), ("unmerged", "恢复 {{ id }}")):
        to = [f"user:{director}"]
        body = {
            "key": kind,
            "name": kind,
            "table": "tickets",
            "trigger": {"type": f"record.{kind}"},
            "actions": [{"type": "notify", "channel": "inapp", "to": to, "subject": subject}],
        }
        create_rule(client, body)
    a, b = create(client, "tickets", {"title": "a"}), create(client, "tickets", {"title": "b"})
    m = services.merges.merge("ops", "tickets", a["id"], b["id"])
    worker.drain()
    assert inapp(services, director) == [(f"合并到 {a['id']}", "")]
    services.merges.unmerge("ops", "tickets", m["id"])
    worker.drain()
    assert inapp(services, director)[1:] == [(f"恢复 {b['id']}", "")]


def test_a_deleted_record_triggers_its_rule_and_a_disabled_rule_stays_quiet(
    client: TestClient, services: Services, users: dict[str, int], worker: Worker
) -> None:
    director = users["director"]
    body = {
        "key": "deleted",
        "name": "删除通知",
        "table": "tickets",
        "trigger": {"type": "record.deleted"},
        "actions": [
            {
                "type": "notify",
                "channel": "inapp",
                "to": [f"user:{director}"],
                "subject": "工单 {{ id }} 已删除",
            }
        ],
    }
    rule = create_rule(client, body)
    t = create(client, "tickets", {"title": "x"})
    assert client.delete(f"{rec('tickets')}/{t['id']}").status_code == 204
    worker.drain()
    assert inapp(services, director) == [(f"工单 {t['id']} 已删除", "")]
    r = client.put(f"{RULES}/{rule['id']}", json=body | {"enabled": False, "version": 1})
    assert r.status_code == 200 and r.json()["enabled"] is False
    t2 = create(client, "tickets", {"title": "y"})
    client.delete(f"{rec('tickets')}/{t2['id']}")
    worker.drain()
    assert len(inapp(services, director)) == 1
