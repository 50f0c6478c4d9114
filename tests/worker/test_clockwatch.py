"""The issue's end-to-end test of test clocks: an administrator advances the clock 31 days
through the API; the worker's code path (its clock watcher, then the periodic jobs it runs, then
the outbox dispatcher its poller runs) fires a date rule that came due meanwhile once, marked
late, and escalates an overdue process task once; later scans and advances repeat nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services
from cairn.worker.dispatch import Dispatcher
from factories import make_admin
from processdata import Org, deploy, only_task, timeline

DELIVERY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="delivery" name="交付" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="contracts"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="deliver"/>
    <bpmn:userTask id="deliver" name="交付">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator"/>
        <cairn:deadline field="due_on"/>
        <cairn:escalation after="PT2H" notify="true"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="deliver" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""

RENEWAL = {
    "key": "renewal_reminder",
    "name": "续约提醒",
    "table": "contracts",
    "trigger": {"type": "date", "field": "renewal_on", "offset": -7, "at": "09:00"},
    "actions": [
        {
            "type": "create_record",
            "table": "followups",
            "values": {"title": '"续约：" & {customer}'},
        }
    ],
}


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url, test_clock=True)
    s = build_services(settings, clock=frozen_clock)
    yield s
    s.close()


@pytest.fixture
def admin(services: Services) -> Iterator[TestClient]:
    headers = {"accept-language": "en", "authorization": f"Bearer {make_admin(services)}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


class Worker:
    """The worker of ``python -m cairn.worker``, in this process on the test's services: its
    clock watcher (which runs the periodic jobs due in a skipped span, as the consumer would),
    its periodic jobs, and the outbox dispatcher its poller thread runs."""

    def __init__(self, services: Services, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
        monkeypatch.setenv("CAIRN_DATA_DIR", str(tmp))
        from cairn.worker import queue
        from cairn.worker.clockwatch import ClockWatcher

        monkeypatch.setattr(queue, "services", lambda: services)
        self.queue = queue
        self.watcher = ClockWatcher(services.clock, run=lambda task: task.execute())  # type: ignore[arg-type]
        self.dispatcher = Dispatcher(services, services.event_handlers)

    def look(self) -> list[str]:
        """The watcher looks at the clock once (it does every second), then the poller drains."""
        names = self.watcher.check()
        self.dispatcher.drain()
        return names

    def every_minute(self) -> None:
        """The periodic jobs' next real-time turn."""
        for task in self.queue.huey._registry.periodic_tasks:
            if task.name.endswith("every_minute"):
                task.execute()
        self.dispatcher.drain()


def count(actions: list[str], action: str) -> int:
    return sum(1 for a in actions if a == action)


def test_advancing_31_days_fires_a_date_rule_once_and_escalates_a_deadline_once(
    services: Services,
    admin: TestClient,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    assert admin.post("/api/v1/apps", json={"key": "ga", "name": "通航"}).status_code == 201
    for key, name, fields in (
        ("followups", "跟进", [{"key": "title", "name": "标题", "type": "text"}]),
        (
            "contracts",
            "合同",
            [
                {"key": "customer", "name": "客户", "type": "text"},
                {"key": "renewal_on", "name": "续约日", "type": "date"},
                {"key": "due_on", "name": "交付日", "type": "date"},
            ],
        ),
    ):
        r = admin.post("/api/v1/apps/ga/tables", json={"key": key, "name": name, "fields": fields})
        assert r.status_code == 201, r.text
    org = Org(services)
    org.user("boss")
    org.department("销售部", manager="boss")
    org.user("sales1", "销售部")
    rw = {"app": "ga", "table": "contracts", "actions": ["create", "read", "update"]}
    org.role("staff", ["sales1"], [rw])
    r = admin.post("/api/v1/apps/ga/rules", json=RENEWAL)
    assert r.status_code == 201, r.text
    rule = r.json()
    deploy(admin, "ga", DELIVERY)
    worker = Worker(services, monkeypatch, tmp_path / "queue")
    assert worker.look() == []  # the worker starts: nothing moved, nothing due

    with org.client("sales1") as sales:
        # Monday 5 January 2026, 09:00 UTC. Renewal on the 20th: the reminder is due on the
        # 13th at 09:00 Beijing time; delivery due on Friday the 9th, end of the working day.
        rec = sales.post(
            "/api/v1/apps/ga/tables/contracts/records",
            json={"customer": "甲", "renewal_on": "2026-01-20", "due_on": "2026-01-09"},
        )
        assert rec.status_code == 201, rec.text
        r = sales.post(
            "/api/v1/apps/ga/processes/delivery/start", json={"record_id": rec.json()["id"]}
        )
        assert r.status_code == 201, r.text
        iid = r.json()["id"]
        assert only_task(sales)["due_at"] == "2026-01-09T10:00:00Z"
    worker.every_minute()
    assert followups(admin) == [] and events(admin, iid).count("escalated") == 0

    moved = admin.post("/api/v1/test-clock/advance", json={"by": "31d"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["now"] == "2026-02-05T09:00:00Z"
    assert services.clock.now() == datetime(2026, 2, 5, 9, tzinfo=UTC)

    caught_up = worker.look()
    assert set(caught_up) >= {
        "rules_every_minute",
        "process_scan_every_minute",
        "alerts_every_minute",
        "nightly_purge",  # 31 nights went by
    }
    # The date rule fired once, late (as after a real outage), and its action ran once.
    assert followups(admin) == ["续约：甲"]
    log = runs(admin, rule)
    assert len(log) == 1 and log[0]["status"] == "ok" and log[0]["late"] is True
    # The delivery task went overdue and was escalated to the manager, once each.
    kinds = events(admin, iid)
    assert count(kinds, "overdue") == 1 and count(kinds, "escalated") == 1
    [escalated] = [e for e in timeline(admin, iid)["events"] if e["action"] == "escalated"]
    assert escalated["details"]["to"] == org.ids["boss"] and escalated["details"]["level"] == 1
    with org.client("sales1") as sales:
        assert only_task(sales)["overdue"] is True

    # The next minutes and another advance repeat nothing.
    assert worker.look() == []
    worker.every_minute()
    assert admin.post("/api/v1/test-clock/advance", json={"by": "31d"}).status_code == 200
    assert "rules_every_minute" in worker.look()
    worker.every_minute()
    assert followups(admin) == ["续约：甲"] and len(runs(admin, rule)) == 1
    kinds = events(admin, iid)
    assert count(kinds, "overdue") == 1 and count(kinds, "escalated") == 1


def followups(c: TestClient) -> list[str]:
    r = c.get("/api/v1/apps/ga/tables/followups/records")
    assert r.status_code == 200, r.text
    return [x["title"] for x in r.json()["items"]]


def runs(c: TestClient, rule: dict[str, Any]) -> list[dict[str, Any]]:
    r = c.get(f"/api/v1/apps/ga/rules/{rule['id']}/runs")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def events(c: TestClient, iid: int) -> list[str]:
    return [e["action"] for e in timeline(c, iid)["events"]]
