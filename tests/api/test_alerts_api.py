"""Report alerts through the API on the fixed after-sales data set: a complaint-rate alert
checked by the worker's job as the clock moves (one notification per crossing, re-armed by a
recovery), a department-scoped owner's figures, the check log, replays, bad input, the app
package and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import system
from factories import make_user
from servicedata import make_service_app

A = "/api/v1/apps/svc/alerts"
JAN = {"start": "2026-01-01", "end": "2026-01-31"}
COMPLAINT = {"field": "kind", "op": "eq", "value": "complaint"}
KPI = {
    "key": "complaint_rate",
    "params": {"table": "tickets", "date_field": "opened_at", "complaints_filter": COMPLAINT},
}


@pytest.fixture
def svc(services: Services, client: TestClient) -> TestClient:
    make_service_app(services)
    services.schema.create_table(
        "svc",
        {
            "key": "tasks",
            "name": "任务",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {"key": "note", "name": "说明", "type": "text"},
            ],
        },
    )
    return client


@pytest.fixture
def lead(services: Services) -> int:
    uid, _ = make_user(services, "lead")
    return uid


@pytest.fixture
def job(services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """The worker's job function, on the test's services (and so its frozen clock)."""
    monkeypatch.setenv("CAIRN_DATA_DIR", str(tmp_path / "queue"))
    from cairn.worker import queue

    monkeypatch.setattr(queue, "services", lambda: services)
    return lambda: queue.scan_alerts.call_local()


def alert_body(lead: int, **more: Any) -> dict[str, Any]:
    return {
        "key": "complaints_high",
        "name": "投诉率过高",
        "kpi": KPI,
        "period": JAN,
        "op": ">",
        "threshold": 25,
        "schedule": {"every": 15, "unit": "minutes"},
        "actions": [
            {
                "type": "notify",
                "channel": "inapp",
                "to": [f"user:{lead}"],
                "subject": "{{ name }}: {{ value | round(1) }}{{ unit }} {{ op }} {{ threshold }}",
                "body": "{{ period }}",
            },
            {
                "type": "create_record",
                "table": "tasks",
                "values": {"title": {"value": "跟进投诉率"}},
            },
        ],
        **more,
    }


def inapp(services: Services, user_id: int) -> list[tuple[str, str]]:
    n = system.notifications
    with unit_of_work(services, write=False) as uow:
        rows = uow.conn.execute(
            sa.select(n.c.title, n.c.body).where(n.c.user_id == user_id).order_by(n.c.id)
        ).all()
    return [(r.title, r.body) for r in rows]


def tasks(c: TestClient) -> list[str]:
    r = c.get("/api/v1/apps/svc/tables/tasks/records")
    assert r.status_code == 200, r.text
    return [x["title"] for x in r.json()["items"]]


def ticket(c: TestClient, kind: str, day: str = "2026-01-25") -> None:
    body = {"title": kind, "kind": kind, "opened_at": f"{day}T10:00:00+08:00"}
    r = c.post("/api/v1/apps/svc/tables/tickets/records", json=body)
    assert r.status_code == 201, r.text


def create(c: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = c.post(A, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_crossing_acts_once_and_a_recovery_rearms(
    svc: TestClient, services: Services, frozen_clock: FrozenClock, lead: int, job: Any
) -> None:
    c = svc
    alert = create(c, alert_body(lead))
    assert alert["state"] == "ok" and alert["next_check_at"] == "2026-01-05T09:15:00Z"
    assert job()["checked"] == 0  # not due yet

    # January: 2 complaints of 7 tickets = 28.6 % > 25: the first check crosses.
    frozen_clock.advance(timedelta(minutes=15))
    assert job() == {"checked": 1, "fired": 1, "recovered": 0, "errors": 0, "resumed": 0}
    assert inapp(services, lead) == [("投诉率过高: 28.6% > 25", "2026-01-01 – 2026-01-31")]
    assert tasks(c) == ["跟进投诉率"]
    a = c.get(f"{A}/{alert['id']}").json()
    assert a["state"] == "firing" and a["crossings"] == 1
    assert a["last_value"] == pytest.approx(200 / 7)
    assert a["last_fired_at"] == "2026-01-05T09:15:00Z"

    # The job again at the same moment (a retry): nothing is due, nothing is sent again.
    assert job()["checked"] == 0
    # Still over the threshold a quarter later: checked, no second notification.
    frozen_clock.advance(timedelta(minutes=15))
    assert job()["fired"] == 0
    assert len(inapp(services, lead)) == 1 and tasks(c) == ["跟进投诉率"]

    # Two more service tickets: 2 / 9 = 22.2 %: it recovers and re-arms.
    ticket(c, "service")
    ticket(c, "service")
    frozen_clock.advance(timedelta(minutes=15))
    assert job()["recovered"] == 1
    assert c.get(f"{A}/{alert['id']}").json()["state"] == "ok"

    # One more complaint: 3 / 10 = 30 %: it crosses again and acts again, once.
    ticket(c, "complaint")
    frozen_clock.advance(timedelta(minutes=15))
    assert job()["fired"] == 1
    frozen_clock.advance(timedelta(minutes=15))
    assert job()["fired"] == 0
    assert [t for t, _ in inapp(services, lead)] == [
        "投诉率过高: 28.6% > 25",
        "投诉率过高: 30% > 25",
    ]
    assert tasks(c) == ["跟进投诉率", "跟进投诉率"]

    log = c.get(f"{A}/{alert['id']}/checks").json()["items"]
    assert [x["change"] for x in reversed(log)] == [
        "crossed",
        None,
        "recovered",
        "crossed",
        None,
    ]
    assert [x["crossing"] for x in reversed(log)] == [1, None, None, 2, None]
    assert [x["value"] for x in reversed(log)] == pytest.approx([200 / 7, 200 / 7, 200 / 9, 30, 30])
    crossed = log[1]
    assert crossed["status"] == "ok" and crossed["trigger"] == "schedule"
    assert [(x["type"], x["status"]) for x in crossed["actions"]] == [
        ("notify", "ok"),
        ("create_record", "ok"),
    ]
    assert crossed["actions"][0]["result"]["deliveries"][0]["recipient"] == f"user:{lead}"

    # The nightly purge forgets quiet checks after 90 days; crossings and recoveries stay.
    from cairn.worker import queue

    frozen_clock.advance(timedelta(days=91))
    assert queue.purge_alert_checks.call_local() == 2
    log = c.get(f"{A}/{alert['id']}/checks").json()["items"]
    assert [x["change"] for x in reversed(log)] == ["crossed", "recovered", "crossed"]


def test_a_replayed_crossing_does_not_notify_twice(
    svc: TestClient, services: Services, frozen_clock: FrozenClock, lead: int, job: Any
) -> None:
    c = svc
    body = alert_body(lead)
    body["actions"] = body["actions"][:1]
    alert = create(c, body)
    out = c.post(f"{A}/{alert['id']}/check").json()
    assert out["change"] == "crossed" and out["status"] == "ok" and out["trigger"] == "manual"
    assert len(inapp(services, lead)) == 1
    # As if the worker died after sending but before it recorded the action: the next scan
    # resumes the crossing with the same idempotency key, and the notifier sends nothing new.
    ck = system.alert_checks
    with unit_of_work(services) as uow:
        uow.conn.execute(
            sa.update(ck).where(ck.c.id == out["id"]).values(status="running", actions=[])
        )
    assert job()["resumed"] == 1
    assert len(inapp(services, lead)) == 1
    [again] = c.get(f"{A}/{alert['id']}/checks").json()["items"]
    assert again["status"] == "ok" and again["attempts"] == 2
    assert again["actions"][0]["result"]["deliveries"][0].get("replayed") is True
    # A manual check while still over the threshold does not act again.
    assert c.post(f"{A}/{alert['id']}/check").json()["change"] is None
    assert len(inapp(services, lead)) == 1


def test_dry_run_says_what_a_crossing_would_do(
    svc: TestClient, services: Services, lead: int
) -> None:
    alert = create(svc, alert_body(lead))
    r = svc.post(f"{A}/{alert['id']}/check", params={"dry_run": True})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["value"] == pytest.approx(200 / 7) and out["would_act"] is True
    assert out["would"][0]["would"]["subject"] == "投诉率过高: 28.6% > 25"
    assert out["would"][1]["would"]["values"] == {"title": "跟进投诉率"}
    assert inapp(services, lead) == [] and tasks(svc) == []
    assert svc.get(f"{A}/{alert['id']}/checks").json()["items"] == []
    assert svc.get(f"{A}/{alert['id']}").json()["state"] == "ok"


def test_errors_are_logged_and_do_not_stop_other_alerts(
    svc: TestClient, services: Services, frozen_clock: FrozenClock, lead: int, job: Any
) -> None:
    broken = create(svc, alert_body(lead, key="broken"))
    fine = create(svc, alert_body(lead))
    # The watched field goes away under the first alert only.
    body = alert_body(lead, key="broken", version=broken["version"])
    body["kpi"] = {
        **KPI,
        "params": {
            **KPI["params"],
            "complaints_filter": {"field": "asset", "op": "eq", "value": "A1"},
        },
    }
    svc.put(f"{A}/{broken['id']}", json=body).raise_for_status()
    svc.delete("/api/v1/apps/svc/tables/tickets/fields/asset").raise_for_status()
    frozen_clock.advance(timedelta(minutes=15))
    out = job()
    assert out["checked"] == 2 and out["fired"] == 1 and out["errors"] == 1
    [log] = svc.get(f"{A}/{broken['id']}/checks").json()["items"]
    assert log["status"] == "error" and "asset" in log["error"]
    assert svc.get(f"{A}/{fine['id']}").json()["state"] == "firing"


def test_failed_actions_are_kept_and_retried_until_they_give_up(
    svc: TestClient, services: Services, frozen_clock: FrozenClock, lead: int, job: Any
) -> None:
    services.channel_configs.create(cli(), {"key": "webhook", "settings": {"secret": "s"}})
    body = alert_body(lead)
    body["actions"] = [
        {"type": "webhook", "url": "http://127.0.0.1:9/nobody-listens"},
        body["actions"][0],
    ]
    alert = create(svc, body)
    out = svc.post(f"{A}/{alert['id']}/check").json()
    assert out["change"] == "crossed" and out["status"] == "running" and out["error"]
    assert out["actions"][0]["status"] == "failed"
    assert inapp(services, lead) == []  # the actions run in order: the next one waits
    for attempt in range(2, 6):
        frozen_clock.advance(timedelta(minutes=1))
        assert job()["resumed"] == 1
        [log] = svc.get(f"{A}/{alert['id']}/checks").json()["items"]
        assert log["attempts"] == attempt
    assert log["status"] == "failed" and log["error"]
    assert job()["resumed"] == 0  # given up: kept in the log, not tried again
    assert svc.get(f"{A}/{alert['id']}").json()["state"] == "firing"


def test_a_department_scoped_owner_sees_department_figures(
    svc: TestClient, services: Services, lead: int
) -> None:
    d = services.directory
    east = d.create_department(cli(), {"name": "East"})["id"]
    west = d.create_department(cli(), {"name": "West"})["id"]
    users = {}
    for name, dept in (("dana", east), ("carl", east), ("otto", west)):
        users[name], _ = make_user(services, name, department_id=dept)
    role = {
        "key": "dept_tickets",
        "name": "部门工单",
        "tables": [
            {"app": "svc", "table": "tickets", "actions": ["read"], "row_scope": "department"}
        ],
        "members": ["dana"],
    }
    assert svc.post("/api/v1/roles", json=role).status_code == 201
    for who, kind in (
        ("carl", "complaint"),
        ("carl", "service"),
        ("otto", "service"),
        ("otto", "service"),
        ("otto", "service"),
    ):
        services.records.create(
            "svc",
            "tickets",
            {"title": kind, "kind": kind, "opened_at": "2026-01-20T10:00:00+08:00"},
            actor_id=users[who],
        )
    mine = create(svc, alert_body(lead, key="east", threshold=40, owner_id=users["dana"]))
    everyone = create(svc, alert_body(lead, key="all", threshold=40))
    assert mine["owner_id"] == users["dana"]
    east_check = svc.post(f"{A}/{mine['id']}/check").json()
    all_check = svc.post(f"{A}/{everyone['id']}/check").json()
    assert east_check["value"] == pytest.approx(50)  # carl: 1 complaint of 2
    assert east_check["change"] == "crossed"
    assert all_check["value"] == pytest.approx(25)  # 3 complaints of 12
    assert all_check["change"] is None

    # An owner who may not read the tickets at all cannot own the alert.
    r = svc.post(A, json=alert_body(lead, key="otto", owner_id=users["otto"]))
    assert r.status_code == 422, r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("owner_id", "alert.owner_forbidden")
    ]


def test_a_dataset_measure_with_a_cron_schedule(svc: TestClient, lead: int) -> None:
    body = alert_body(lead, key="many", threshold=5)
    del body["kpi"]
    body["dataset"] = {"table": "tickets", "filter": COMPLAINT, "measures": [{"agg": "count"}]}
    body["date_field"] = "opened_at"
    body["period"] = {"start": "2025-12-01", "end": "2026-01-31"}
    body["schedule"] = {"cron": "0 9 * * 1"}  # Mondays 09:00 in Shanghai = 01:00 UTC
    alert = create(svc, body)
    assert alert["next_check_at"] == "2026-01-12T01:00:00Z"
    out = svc.post(f"{A}/{alert['id']}/check").json()
    assert out["value"] == 3 and out["change"] is None  # t2, t5, t9


REVIEW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="review" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="tasks"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="check"/>
    <bpmn:userTask id="check" name="复核"><bpmn:extensionElements><cairn:assignee type="initiator"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_crossing_creates_a_task_and_starts_its_process(svc: TestClient, lead: int) -> None:
    assert svc.post("/api/v1/apps/svc/processes", json={"bpmn": REVIEW}).status_code == 201
    body = alert_body(lead)
    body["actions"] = [body["actions"][1], {"type": "start_process", "process": "review"}]
    alert = create(svc, body)
    out = svc.post(f"{A}/{alert['id']}/check").json()
    assert out["status"] == "ok", out
    [task] = svc.get("/api/v1/apps/svc/tables/tasks/records").json()["items"]
    assert [(a["type"], a["status"]) for a in out["actions"]] == [
        ("create_record", "ok"),
        ("start_process", "ok"),
    ]
    r = svc.get(f"/api/v1/apps/svc/tables/tasks/records/{task['id']}/processes")
    [started] = r.json()["items"]
    assert started["status"] == "running"


BAD: list[tuple[dict[str, Any], str]] = [
    ({"kpi": {"key": "nope", "params": {"table": "tickets"}}}, "kpi.key"),
    ({"kpi": {"key": "complaint_rate", "params": {"table": "nope"}}}, "kpi.params.table"),
    ({"kpi": {"key": "complaint_rate", "params": {"table": "tickets", "date_field": "nope"}}}, "kpi"),
    ({"schedule": {"cron": "61 * * * *"}}, "schedule"),
    ({"schedule": {"every": 0}}, "schedule.every"),
    ({"op": "=="}, "op"),
    ({"threshold": "high"}, "threshold"),
    ({"kpi": None}, "body"),
    ({"period": {"start": "2026-02-01", "end": "2026-01-01"}}, "period"),
    ({"actions": []}, "actions"),
    ({"actions": [{"type": "update_record", "values": {"title": "x"}}]}, "actions.0.type"),
    ({"actions": [{"type": "wait", "amount": 1}]}, "actions.0.type"),
    ({"actions": [{"type": "notify", "to": ["field:owner"]}]}, "actions.0.to.0"),
    ({"actions": [{"type": "notify", "channel": "pigeon"}]}, "actions.0.channel"),
    ({"actions": [{"type": "notify", "subject": "{{ nope }}"}]}, "actions.0.subject"),
    ({"actions": [{"type": "notify", "subject": "{{ oops"}]}, "actions.0.subject"),
    ({"actions": [{"type": "create_record", "table": "nope", "values": {"title": {"value": "x"}}}]}, "actions.0.table"),
    ({"actions": [{"type": "create_record", "table": "tasks", "values": {"title": "UPPER({name})"}}]}, "actions.0.values.title"),
    ({"actions": [{"type": "create_record", "table": "tasks", "values": {"nope": {"value": 1}}}]}, "actions.0.values.nope"),
    ({"actions": [{"type": "start_process", "process": "nope"}]}, "actions.0.process"),
    ({"actions": [{"type": "teleport"}]}, "actions.0"),
    ({"owner_id": 9999}, "owner_id"),
    ({"key": "Bad Key"}, "key"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "loc"), BAD)
def test_bad_alerts_are_refused(
    svc: TestClient, lead: int, change: dict[str, Any], loc: str
) -> None:
    body = alert_body(lead) | change
    if change.get("kpi", 1) is None:
        del body["kpi"]
    r = svc.post(A, json=body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in problem.get("errors") or []]
    assert any(k == loc or k.startswith(loc + ".") for k in fields), problem
    assert svc.get(A).json()["items"] == []


def test_crud_versions_audit_and_who_may(svc: TestClient, services: Services, lead: int) -> None:
    c = svc
    alert = create(c, alert_body(lead))
    assert c.post(A, json=alert_body(lead)).status_code == 422  # key taken
    body = alert_body(lead, name="投诉率高", threshold=30, enabled=False, version=alert["version"])
    r = c.put(f"{A}/{alert['id']}", json=body)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["threshold"] == 30 and changed["next_check_at"] is None
    assert c.put(f"{A}/{alert['id']}", json=body).status_code == 409  # stale version
    assert [a["key"] for a in c.get(A).json()["items"]] == ["complaints_high"]

    _, token = make_user(services, "clerk")
    with TestClient(create_app(services), headers={"authorization": f"Bearer {token}"}) as clerk:
        assert clerk.get(A).status_code == 403
        assert clerk.post(A, json=alert_body(lead, key="x")).status_code == 403
        assert clerk.post(f"{A}/{alert['id']}/check").status_code == 403

    assert c.delete(f"{A}/{alert['id']}").status_code == 204
    assert c.get(f"{A}/{alert['id']}").status_code == 404
    log = c.get("/api/v1/audit", params={"target_type": "alert"}).json()["items"]
    actions = sorted(e["action"] for e in log if e["target_type"] == "alert")
    assert actions == ["alert.create", "alert.delete", "alert.update"]
    update = next(e for e in log if e["action"] == "alert.update")
    assert update["details"]["changed"] == ["enabled", "name", "spec"]


def test_alerts_travel_in_the_app_package(svc: TestClient, lead: int) -> None:
    c = svc
    body = alert_body(lead)
    body["actions"][0]["to"] = ["owner"]
    create(c, body)
    text = c.get("/api/v1/apps/svc/export").text
    first = yaml.safe_load(text)
    [item] = first["alerts"]
    assert item["key"] == "complaints_high" and "owner_id" not in item and "state" not in item
    r = c.post(
        "/api/v1/apps/import?key=copy",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    second = yaml.safe_load(c.get("/api/v1/apps/copy/export").text)
    assert second["alerts"] == first["alerts"]
    [copied] = c.get("/api/v1/apps/copy/alerts").json()["items"]
    assert copied["state"] == "ok" and copied["next_check_at"] is not None

    first["alerts"][0]["kpi"]["key"] = "nope"
    r = c.post(
        "/api/v1/apps/import?key=broken",
        content=yaml.safe_dump(first, allow_unicode=True).encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 422
    assert "alerts.0.kpi.key" in [e["field"] for e in r.json()["errors"]]
    assert c.get("/api/v1/apps/broken/alerts").status_code == 404
