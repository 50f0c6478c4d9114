"""Scenario 1: the customer complaint process, six steps with owners and limits; a step past
its limit notifies the assignee's manager, and the timeline shows the breach."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from cairn.core import FrozenClock
from cairn.services import Services
from processdata import Org, act, app_with_table, bpmn, deploy, mine, only_task, timeline

COMPLAINT_FIELDS = [
    {"key": "title", "name": "标题", "type": "text"},
    {"key": "customer", "name": "客户", "type": "text"},
    {"key": "engineer", "name": "责任工程师", "type": "user"},
    {"key": "solution", "name": "解决方案", "type": "long_text"},
]
RW = {"app": "svc", "table": "complaints", "actions": ["create", "read", "update"]}


def complaint_org(services: Services, client: TestClient) -> Org:
    app_with_table(
        client, "svc", "客服", {"key": "complaints", "name": "投诉", "fields": COMPLAINT_FIELDS}
    )
    org = Org(services)
    org.user("ceo")
    org.department("总部", manager="ceo")
    org.user("sup")
    org.department("客服部", manager="sup", parent="总部")
    org.user("lead")
    org.department("技术部", manager="lead", parent="总部")
    for name, dept in (("agent", "客服部"), ("eng", "技术部")):
        org.user(name, dept)
    org.role("staff", ["agent", "sup", "eng", "lead", "ceo"], [RW])
    return org


def test_complaint_six_steps_with_limits_and_breach(
    services: Services, client: TestClient, frozen_clock: FrozenClock
) -> None:
    org = complaint_org(services, client)
    deploy(client, "svc", bpmn("complaint.bpmn"))

    with org.client("agent") as agent:
        rec = agent.post(
            "/api/v1/apps/svc/tables/complaints/records", json={"title": "发动机异响"}
        ).json()
        r = agent.post("/api/v1/apps/svc/processes/complaint/start", json={"record_id": rec["id"]})
        assert r.status_code == 201, r.text
        iid = r.json()["id"]
        task = only_task(agent)
        assert task["name"] == "投诉登记" and task["due_at"] == "2026-01-05T09:10:00Z"
        # A required field of the form must be filled before the step is complete.
        r = agent.post(f"/api/v1/tasks/{task['id']}/complete", json={})
        assert r.status_code == 422 and "customer" in r.text
        frozen_clock.advance(timedelta(minutes=5))
        act(agent, task["id"], "complete", data={"customer": "华东通航"}, comment="已登记")

    with org.client("sup") as sup:
        task = only_task(sup)
        assert task["name"] == "问题分配" and task["due_at"] == "2026-01-05T09:35:00Z"
        # 40 minutes later the 30-minute limit has passed: the worker's scan fires the breach.
        frozen_clock.advance(timedelta(minutes=40))
        assert services.processes.tick()["alarms"] == 2  # breach + level-1 escalation
        assert services.processes.tick()["alarms"] == 0  # fired once
        assert [t["id"] for t in mine(sup, "overdue")] == [task["id"]]
        act(sup, task["id"], "complete", data={"engineer": org.ids["eng"]})

    for who, step in (("eng", "plan"), ("agent", "communicate"), ("eng", "resolve")):
        with org.client(who) as c:
            task = only_task(c)
            assert task["step"] == step
            frozen_clock.advance(timedelta(minutes=10))
            data = {"solution": "更换轴承"} if step == "plan" else {}
            act(c, task["id"], "complete", data=data)

    with org.client("sup") as sup:
        task = only_task(sup)
        assert task["name"] == "客户回访"
        assert task["due_at"] == "2026-01-06T10:15:00Z"  # one day after closing
        act(sup, task["id"], "complete", comment="客户满意")
        assert mine(sup) == []
        done = mine(sup, "done")
        assert {t["step"] for t in done} == {"assign", "followup"}

    with org.client("agent") as agent:
        tl = timeline(agent, iid)
    assert tl["status"] == "completed" and tl["current"] == []
    assert [s["name"] for s in tl["steps"]] == [
        "投诉登记",
        "问题分配",
        "方案制定",
        "客户沟通",
        "问题解决与关闭",
        "客户回访",
    ]
    assign = tl["steps"][1]
    assert assign["overdue"] is True and assign["duration_seconds"] == 40 * 60
    assert assign["assignee"] == "sup" and assign["escalation_level"] == 1
    assert tl["steps"][0]["overdue"] is False and tl["steps"][0]["comment"] == "已登记"
    actions = [(e["action"], e["step"]) for e in tl["events"]]
    assert ("overdue", "assign") in actions
    escalated = next(e for e in tl["events"] if e["action"] == "escalated")
    assert escalated["details"]["to"] == org.ids["ceo"] and escalated["details"]["level"] == 1
    notified = [e for e in tl["events"] if e["action"] == "notified"]
    assert [n["details"]["to"] for n in notified] == [org.ids["ceo"]]
    assert actions[-1] == ("completed", None)
    # The supervisor's manager found it in their in-app notifications.
    with org.client("ceo") as ceo:
        [note] = ceo.get("/api/v1/notifications").json()["items"]
        assert (
            note["title"].startswith("问题分配") and note["link"] == f"/tasks/{assign['task_id']}"
        )

    # The record shows its process and where it stands; the audit log has every step.
    r = client.get(f"/api/v1/apps/svc/tables/complaints/records/{rec['id']}/processes")
    assert r.json()["items"][0]["status"] == "completed"
    audit = client.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    assert sum(1 for a in audit if a["action"] == "task.complete") == 6
