"""The process API beyond the scenarios: deploying and versions, permissions, withdraw and
cancel, re-run returns, transfer and comments, deadlines from a record field, escalation
levels with reassignment, the working calendar, Camunda Modeler files."""

from __future__ import annotations

import re
from datetime import timedelta

import yaml
from fastapi.testclient import TestClient

from cairn.core import FrozenClock
from cairn.services import Services
from cairn.worker.dispatch import Dispatcher
from processdata import Org, act, app_with_table, bpmn, deploy, mine, only_task, timeline

FIELDS = [
    {"key": "customer", "name": "客户", "type": "text"},
    {"key": "amount", "name": "金额", "type": "currency"},
    {"key": "terms", "name": "条款", "type": "long_text"},
    {"key": "due_on", "name": "截止日期", "type": "date"},
    {"key": "discount", "name": "折扣", "type": "number"},
]


def setup(services: Services, client: TestClient) -> Org:
    app_with_table(client, "ga", "通航", {"key": "contracts", "name": "合同", "fields": FIELDS})
    org = Org(services)
    org.user("ceo")
    org.department("总部", manager="ceo")
    org.user("boss")
    org.department("销售部", manager="boss", parent="总部")
    for name in ("sales1", "sales2", "lawyer", "finance1", "outsider"):
        org.user(name, "销售部")
    rw = {"app": "ga", "table": "contracts", "actions": ["create", "read", "update"]}
    org.role("staff", ["sales1", "sales2", "lawyer", "finance1", "boss", "ceo"], [rw])
    org.role("legal", ["lawyer"])
    org.role("finance", ["finance1"])
    return org


def start(c: TestClient, process: str = "charter", **fields: object) -> int:
    rec = c.post("/api/v1/apps/ga/tables/contracts/records", json=fields or {"customer": "甲"})
    assert rec.status_code == 201, rec.text
    r = c.post(f"/api/v1/apps/ga/processes/{process}/start", json={"record_id": rec.json()["id"]})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_deploy_checks_the_model_and_who_deploys(services: Services, client: TestClient) -> None:
    org = setup(services, client)
    xml = bpmn("charter.bpmn")
    with org.client("sales1") as sales:
        r = sales.post("/api/v1/apps/ga/processes", json={"bpmn": xml})
        assert r.status_code == 403
    bad = xml.replace("{amount} &gt; 500000", "__import__('os').getpid()")
    r = client.post("/api/v1/apps/ga/processes", json={"bpmn": bad})
    assert r.status_code == 422 and "bpmn.f_big" in r.text
    r = client.post(
        "/api/v1/apps/ga/processes",
        json={"bpmn": xml.replace("{amount}", "{no_such_field}")},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422 and "有效的公式" in r.text
    r = client.post(
        "/api/v1/apps/ga/processes",
        json={"bpmn": xml.replace('key="terms" access="edit"', 'key="nope" access="edit"')},
    )
    assert r.status_code == 422 and "nope" in r.text
    assert client.post("/api/v1/apps/ga/processes", json={"bpmn": "<x/>"}).status_code == 422
    assert client.get("/api/v1/apps/ga/processes").json()["items"] == []


def test_a_new_version_leaves_running_instances_on_theirs(
    services: Services, client: TestClient
) -> None:
    org = setup(services, client)
    v1 = deploy(client, "ga", bpmn("charter.bpmn"))
    assert v1["version"] == 1 and [s["id"] for s in v1["steps"]][:2] == ["sales", "legal"]
    with org.client("sales1") as sales:
        old = start(sales)
    # Version 2 drops the legal review (the step and its flow: no unreachable step is left).
    legal = re.compile(r'<bpmn:userTask id="legal".*?<bpmn:sequenceFlow id="f2"[^>]*/>', re.S)
    xml2 = legal.sub("", bpmn("charter.bpmn")).replace('targetRef="legal"', 'targetRef="finance"')
    v2 = deploy(client, "ga", xml2.replace("包机合同审批", "包机合同审批 v2"))
    assert v2["version"] == 2
    listed = client.get("/api/v1/apps/ga/processes").json()["items"]
    assert [(p["key"], p["version"], p["versions"]) for p in listed] == [("charter", 2, 2)]
    versions = client.get("/api/v1/apps/ga/processes/charter/versions").json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert "bpmn" in client.get("/api/v1/apps/ga/processes/charter?version=1").json()
    with org.client("sales1") as sales:
        new = start(sales)
        assert timeline(sales, old)["process"]["version"] == 1
        assert timeline(sales, new)["process"]["version"] == 2
        for t in mine(sales):
            act(sales, t["id"], "complete", data={"amount": 100})
    with org.client("lawyer") as lawyer:
        [t] = mine(lawyer, "claimable")  # only the old instance goes to legal
        assert t["instance_id"] == old
    with org.client("finance1") as fin:
        [t] = mine(fin, "claimable")
        assert t["instance_id"] == new
    # Each version counts its own instances; the list sums them.
    counts = {
        v["version"]: (v["running"], v["finished"], v["error"], v["cancelled"])
        for v in client.get("/api/v1/apps/ga/processes/charter/versions").json()["items"]
    }
    assert counts == {2: (1, 0, 0, 0), 1: (1, 0, 0, 0)}
    client.post(f"/api/v1/process-instances/{old}/cancel", json={"reason": "duplicate"})
    versions = client.get("/api/v1/apps/ga/processes/charter/versions").json()["items"]
    assert [(v["running"], v["cancelled"]) for v in versions] == [(1, 0), (0, 1)]
    [listed] = client.get("/api/v1/apps/ga/processes").json()["items"]
    assert (listed["running"], listed["cancelled"], listed["finished"]) == (1, 1, 0)


def test_only_the_assignee_acts_and_only_participants_see(
    services: Services, client: TestClient
) -> None:
    org = setup(services, client)
    deploy(client, "ga", bpmn("charter.bpmn"))
    with org.client("sales1") as sales:
        iid = start(sales)
        task = only_task(sales)
    with org.client("sales2") as other:
        r = other.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"amount": 5}})
        assert r.status_code == 403
        # sales2 can read contracts: may see the timeline (the record's readers may).
        assert other.get(f"/api/v1/process-instances/{iid}").status_code == 200
    with org.client("outsider") as out:  # no role: cannot read the table
        assert out.get(f"/api/v1/process-instances/{iid}").status_code == 404
        assert out.get(f"/api/v1/tasks/{task['id']}").status_code == 404
    with org.client("sales1") as sales:
        # Fields outside the step's form are refused.
        r = sales.post(
            f"/api/v1/tasks/{task['id']}/complete", json={"data": {"due_on": "2026-02-01"}}
        )
        assert r.status_code == 422 and "due_on" in r.text
        r = sales.post(f"/api/v1/tasks/{task['id']}/fly", json={})
        assert r.status_code == 422
    with org.client("lawyer") as lawyer:
        r = lawyer.post(f"/api/v1/tasks/{task['id']}/claim", json={})
        assert r.status_code == 409  # already assigned


def test_withdraw_by_the_initiator_and_cancel_by_an_admin(
    services: Services, client: TestClient
) -> None:
    org = setup(services, client)
    deploy(client, "ga", bpmn("charter.bpmn"))
    with org.client("sales1") as sales:
        a = start(sales)
        b = start(sales)
    with org.client("sales2") as other:
        assert other.post(f"/api/v1/process-instances/{a}/withdraw", json={}).status_code == 403
        r = other.post(f"/api/v1/process-instances/{a}/cancel", json={"reason": "x"})
        assert r.status_code == 403
    with org.client("sales1") as sales:
        r = sales.post(f"/api/v1/process-instances/{a}/withdraw", json={"reason": "客户取消"})
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"
        assert sales.post(f"/api/v1/process-instances/{a}/withdraw", json={}).status_code == 409
        assert [t["instance_id"] for t in mine(sales)] == [b]
    assert client.post(f"/api/v1/process-instances/{b}/cancel", json={}).status_code == 422
    r = client.post(f"/api/v1/process-instances/{b}/cancel", json={"reason": "重复提交"})
    assert r.status_code == 200
    tl = r.json()
    assert tl["status"] == "cancelled" and tl["reason"] == "重复提交"
    assert tl["events"][-1]["action"] == "cancelled" and tl["steps"][0]["status"] == "cancelled"
    audit = client.get("/api/v1/audit", params={"limit": 100}).json()["items"]
    assert {"process.withdraw", "process.cancel"} <= {e["action"] for e in audit}


def test_return_that_reruns_the_steps_in_between(services: Services, client: TestClient) -> None:
    org = setup(services, client)
    xml = bpmn("charter.bpmn").replace(
        '<cairn:return policy="resume"/>', '<cairn:return policy="rerun"/>'
    )
    deploy(client, "ga", xml)
    with org.client("sales1") as sales:
        iid = start(sales)
        act(sales, only_task(sales)["id"], "complete", data={"amount": 900000})
    for who in ("lawyer", "finance1"):
        with org.client(who) as c:
            [t] = mine(c, "claimable")
            act(c, t["id"], "claim")
            act(c, t["id"], "approve")
    with org.client("boss") as boss:
        assert mine(boss) == []
    # The finance director (no one manages 财务部 here): an admin's claimable task; the
    # finance officer instead returns from there: say the director step returns to sales.
    with org.client("sales1") as sales:
        tl = timeline(sales, iid)
    director = tl["current"][0]
    assert director["step"] == "director"
    act(client, director["task_id"], "claim")
    act(client, director["task_id"], "return", to_step="sales", comment="金额需要复核")
    with org.client("sales1") as sales:
        task = only_task(sales)
        assert task["step"] == "sales" and task["kind"] == "task"
        act(sales, task["id"], "complete", data={"amount": 400000})
    with org.client("lawyer") as lawyer:  # re-run: legal reviews again (by its rules)
        [task] = mine(lawyer, "claimable")
        assert task["step"] == "legal"
        act(lawyer, task["id"], "claim")
        act(lawyer, task["id"], "approve")
    with org.client("finance1") as fin:
        [t] = mine(fin, "claimable")
        act(fin, t["id"], "claim")
        act(fin, t["id"], "approve")
    tl = timeline(client, iid)
    assert [s["step"] for s in tl["steps"]][-1] == "ops"  # 400,000: no director this time


def test_transfer_comment_claim_and_counts(services: Services, client: TestClient) -> None:
    org = setup(services, client)
    deploy(client, "ga", bpmn("charter.bpmn"))
    with org.client("sales1") as sales:
        iid = start(sales)
        task = only_task(sales)
        r = sales.post(f"/api/v1/tasks/{task['id']}/comment", json={"comment": "请同事代办"})
        assert r.status_code == 200
        r = sales.post(f"/api/v1/tasks/{task['id']}/attach", json={"attachments": ["nope"]})
        assert r.status_code == 422
        assert sales.get("/api/v1/tasks/counts").json() == {
            "mine": 1,
            "claimable": 0,
            "overdue": 0,
            "done": 0,
        }
        act(sales, task["id"], "transfer", to="sales2", comment="出差")
        assert mine(sales) == []
    with org.client("sales2") as s2:
        task = only_task(s2)
        act(s2, task["id"], "complete", data={"amount": 10})
    with org.client("lawyer") as lawyer:
        assert lawyer.get("/api/v1/tasks/counts").json()["claimable"] == 1
        r = lawyer.get("/api/v1/tasks", params={"box": "nonsense"})
        assert r.status_code == 422
    events = [(e["action"], e["actor"]) for e in timeline(client, iid)["events"]]
    assert ("comment", "sales1") in events and ("transfer", "sales1") in events
    assert ("complete", "sales2") in events


DUE_FIELD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="delivery" name="交付" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="contracts"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="deliver"/>
    <bpmn:userTask id="deliver" name="交付">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator"/>
        <cairn:deadline field="due_on" reminder="PT2H"/>
        <cairn:escalation after="PT2H" notify="true"/>
        <cairn:escalation after="PT4H" notify="true" reassign="true"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="deliver" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_deadline_from_a_record_field_follows_it_and_escalates_up_the_tree(
    services: Services, client: TestClient, frozen_clock: FrozenClock
) -> None:
    org = setup(services, client)
    deploy(client, "ga", DUE_FIELD)
    with org.client("sales1") as sales:
        iid = start(sales, "delivery", customer="甲", due_on="2026-01-06")
        task = only_task(sales)
        assert task["due_at"] == "2026-01-06T10:00:00Z"  # end of that working day, Shanghai
        rec_id = timeline(sales, iid)["record_id"]
        rec = sales.get(f"/api/v1/apps/ga/tables/contracts/records/{rec_id}").json()
        r = sales.patch(
            f"/api/v1/apps/ga/tables/contracts/records/{rec_id}",
            json={"due_on": "2026-01-07", "version": rec["version"]},
        )
        assert r.status_code == 200, r.text
        Dispatcher(services, services.event_handlers).drain()
        assert only_task(sales)["due_at"] == "2026-01-07T10:00:00Z"
    # Wednesday 16:00 Shanghai: reminder; 18:00 due; +2 h boss told; +4 h ceo gets the task.
    frozen_clock.set(frozen_clock.now().replace(day=7, hour=8, minute=30))
    assert services.processes.tick()["alarms"] == 1
    frozen_clock.advance(timedelta(hours=6))
    assert services.processes.tick()["alarms"] == 3
    with org.client("ceo") as ceo:
        task = only_task(ceo)
        assert task["escalation_level"] == 2 and task["overdue"] is True
    tl = timeline(client, iid)
    kinds = [e["action"] for e in tl["events"]]
    assert kinds.count("deadline_changed") == 1 and kinds.count("reminded") == 1
    esc = [e["details"] for e in tl["events"] if e["action"] == "escalated"]
    assert [(e["level"], e["to"], e["reassign"]) for e in esc] == [
        (1, org.ids["boss"], False),
        (2, org.ids["ceo"], True),
    ]
    told = [e["details"]["to"] for e in tl["events"] if e["action"] == "notified"]
    assert told == [org.ids["sales1"], org.ids["boss"], org.ids["ceo"]]


def test_working_calendar_api_feeds_deadlines(services: Services, client: TestClient) -> None:
    org = setup(services, client)
    with org.client("sales1") as sales:
        assert sales.put("/api/v1/calendar/hours", json={}).status_code == 403
    r = client.put(
        "/api/v1/calendar/hours",
        json={
            "work_start": "08:30",
            "work_end": "17:30",
            "break_start": "12:00",
            "break_end": "13:00",
        },
    )
    assert r.status_code == 200, r.text
    assert (
        client.put(
            "/api/v1/calendar/hours", json={"work_start": "9", "work_end": "18:00"}
        ).status_code
        == 422
    )
    # Tuesday 2026-01-06 becomes a company holiday.
    r = client.post(
        "/api/v1/calendar/days", json={"day": "2026-01-06", "is_workday": False, "name": "司庆"}
    )
    assert r.status_code == 201
    assert (
        client.post(
            "/api/v1/calendar/days", json={"day": "2026-01-06", "is_workday": False}
        ).status_code
        == 409
    )
    got = client.get("/api/v1/calendar", params={"year": 2026}).json()
    assert got["hours"]["work_start"] == "08:30" and got["days"][0]["name"] == "司庆"
    deploy(client, "ga", bpmn("charter.bpmn"))
    with org.client("sales1") as sales:
        start(sales)
        act(sales, only_task(sales)["id"], "complete", data={"amount": 1})
    with org.client("lawyer") as lawyer:
        [t] = mine(lawyer, "claimable")
    # Opened Monday 17:00 local: 0.5 h Monday, Tuesday off, Wednesday 08:30-12:00 and
    # 13:00-17:30 (8 h) → 7.5 h left on Wednesday: 17:00 local = 09:00 UTC.
    assert t["due_at"] == "2026-01-07T09:00:00Z"
    assert client.delete("/api/v1/calendar/days/2026-01-06").status_code == 204
    assert client.delete("/api/v1/calendar/days/2026-01-06").status_code == 404


def test_camunda_modeler_file_deploys_and_runs(services: Services, client: TestClient) -> None:
    org = setup(services, client)
    org.user("alice", "销售部")
    org.role("managers", ["boss"])
    xml = bpmn("camunda_leave.bpmn")
    assert (
        client.post(
            "/api/v1/apps/ga/processes", json={"bpmn": xml, "table": "contracts"}
        ).status_code
        == 422
    )
    d = deploy(client, "ga", xml, key="discount", table="contracts")
    assert [s["id"] for s in d["steps"]] == ["Activity_Request", "Activity_Approve"]
    iid = start(client, "discount", customer="甲", discount=20)
    with org.client("alice") as alice:
        act(alice, only_task(alice)["id"], "complete")
    with org.client("boss") as boss:
        [t] = mine(boss, "claimable")
        assert t["name"] == "Approve discount"
        act(boss, t["id"], "claim")
        act(boss, t["id"], "approve")
    assert timeline(client, iid)["status"] == "completed"


def test_definitions_travel_in_the_app_package(services: Services, client: TestClient) -> None:
    setup(services, client)
    deploy(client, "ga", bpmn("charter.bpmn"))
    deploy(client, "ga", bpmn("charter.bpmn").replace("包机合同审批", "包机合同审批（新）"))
    text = client.get("/api/v1/apps/ga/export").text
    first = yaml.safe_load(text)
    assert [(p["key"], p["name"], p["table"]) for p in first["processes"]] == [
        ("charter", "包机合同审批（新）", "contracts")
    ]
    r = client.post(
        "/api/v1/apps/import?key=copy",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    second = yaml.safe_load(client.get("/api/v1/apps/copy/export").text)
    second["app"].pop("key")
    first["app"].pop("key")
    assert second == first
    [p] = client.get("/api/v1/apps/copy/processes").json()["items"]
    assert (p["key"], p["version"], p["table"]) == ("charter", 1, "contracts")
    # A package whose process does not fit its tables changes nothing.
    first["processes"][0]["bpmn"] = first["processes"][0]["bpmn"].replace("{amount}", "{gone}")
    r = client.post(
        "/api/v1/apps/import?key=copy2",
        content=yaml.safe_dump(first, allow_unicode=True).encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 422 and "processes.0" in r.text
    assert "copy2" not in [a["key"] for a in client.get("/api/v1/apps").json()["items"]]


def test_a_rule_starts_a_process_once_per_record(services: Services, client: TestClient) -> None:
    """The rule action start_process: a contract created starts its approval; a replay of the
    same event (at-least-once delivery) starts nothing more."""
    setup(services, client)
    deploy(client, "ga", bpmn("charter.bpmn"))
    r = client.post(
        "/api/v1/apps/ga/rules",
        json={
            "key": "approve_new",
            "name": "新合同自动审批",
            "table": "contracts",
            "trigger": {"type": "record.created"},
            "condition": "{amount} > 0",
            "actions": [{"type": "start_process", "process": "charter"}],
        },
    )
    assert r.status_code == 201, r.text
    url = "/api/v1/apps/ga/tables/contracts/records"
    big = client.post(url, json={"customer": "甲", "amount": 900000}).json()["id"]
    free = client.post(url, json={"customer": "乙", "amount": 0}).json()["id"]
    dispatcher = Dispatcher(services, services.event_handlers)
    dispatcher.drain()

    def instances(rid: int) -> list[dict]:
        r = client.get(f"{url}/{rid}/processes")
        assert r.status_code == 200, r.text
        return r.json()["items"]

    started = instances(big)
    assert len(started) == 1 and started[0]["status"] == "running"
    assert instances(free) == []  # the condition was not met
    # Every event again, as after a crash before the acknowledgement: no second instance.
    with services.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE outbox SET processed_at = NULL, available_at = created_at")
    dispatcher.drain()
    assert len(instances(big)) == 1
    runs = client.get(f"/api/v1/apps/ga/rules/{r.json()['id']}/runs").json()["items"]
    done = [a for run in runs for a in run["actions"]]
    assert [(a["type"], a["status"]) for a in done] == [("start_process", "ok")]


def test_rules_trigger_on_a_process_ending(services: Services, client: TestClient) -> None:
    setup(services, client)
    deploy(client, "ga", bpmn("charter.bpmn"))
    r = client.post(
        "/api/v1/apps/ga/rules",
        json={
            "key": "closed",
            "name": "流程结束后标记",
            "table": "contracts",
            "trigger": {"type": "process.completed", "process": "charter"},
            "actions": [{"type": "update_record", "values": {"terms": '"审批流程已结束"'}}],
        },
    )
    assert r.status_code == 201, r.text
    other = client.post(
        "/api/v1/apps/ga/rules",
        json={
            "key": "other_process",
            "name": "别的流程",
            "table": "contracts",
            "trigger": {"type": "process.completed", "process": "nope"},
            "actions": [{"type": "update_record", "values": {"customer": '"错"'}}],
        },
    )
    assert other.status_code == 201, other.text
    url = "/api/v1/apps/ga/tables/contracts/records"
    rid = client.post(url, json={"customer": "甲", "amount": 1000}).json()["id"]
    iid = client.post("/api/v1/apps/ga/processes/charter/start", json={"record_id": rid}).json()[
        "id"
    ]
    dispatcher = Dispatcher(services, services.event_handlers)
    dispatcher.drain()
    assert client.get(f"{url}/{rid}").json()["terms"] in (None, "")
    r = client.post(f"/api/v1/process-instances/{iid}/cancel", json={"reason": "客户取消"})
    assert r.status_code == 200, r.text
    dispatcher.drain()
    rec = client.get(f"{url}/{rid}").json()
    assert rec["terms"] == "审批流程已结束" and rec["customer"] == "甲"


def test_step_form_edits_are_written_as_the_assignee(
    services: Services, client: TestClient
) -> None:
    """History and audit show the assignee; their field permissions apply even where the step
    form says "edit"; a refused edit changes nothing (the step stays open)."""
    org = setup(services, client)
    org.user("junior", "销售部")
    rw = {
        "app": "ga",
        "table": "contracts",
        "actions": ["create", "read", "update"],
        "fields": {"terms": "read_only"},
    }
    org.role("juniors", ["junior"], [rw])
    deploy(client, "ga", bpmn("charter.bpmn"))
    with org.client("junior") as junior:
        iid = start(junior)
        task = only_task(junior)
        r = junior.post(
            f"/api/v1/tasks/{task['id']}/complete",
            json={"data": {"customer": "乙", "amount": 100, "terms": "全款预付"}},
        )
        assert r.status_code == 403 and "terms" in r.text
        assert only_task(junior)["id"] == task["id"]  # still open
        rid = timeline(junior, iid)["record_id"]
        url = f"/api/v1/apps/ga/tables/contracts/records/{rid}"
        assert junior.get(url).json()["customer"] == "甲"
        act(junior, task["id"], "complete", data={"customer": "乙", "amount": 100})
        assert junior.get(url).json()["customer"] == "乙"
    history = client.get(f"{url}/history").json()["items"]
    assert org.ids["junior"] in [h["actor_id"] for h in history]
    audit = client.get("/api/v1/audit", params={"limit": 100}).json()["items"]
    updates = [e for e in audit if e["action"] == "record.update"]
    assert updates and {e["actor_id"] for e in updates} == {org.ids["junior"]}


def also_legal(services: Services, org: Org, name: str) -> None:
    import sqlalchemy as sa

    from cairn.store import system

    with services.engine.begin() as conn:
        role = conn.execute(sa.select(system.roles.c.id).where(system.roles.c.key == "legal"))
        conn.execute(
            system.user_roles.insert().values(user_id=org.ids[name], role_id=role.scalar_one())
        )
    services.catalogs.invalidate()


def test_two_people_on_one_task_the_second_gets_409(services: Services, client: TestClient) -> None:
    """Work items carry a version: a claim race, a double completion or an action on a task
    changed since it was read gets 409 and changes nothing."""
    org = setup(services, client)
    also_legal(services, org, "sales2")
    deploy(client, "ga", bpmn("charter.bpmn"))
    with org.client("sales1") as sales:
        iid = start(sales)
        task = only_task(sales)
        assert task["version"] == 1
        act(sales, task["id"], "complete", data={"amount": 100}, version=1)
        # Done twice: the second is refused.
        r = sales.post(f"/api/v1/tasks/{task['id']}/complete", json={"version": 1})
        assert r.status_code == 409
    with org.client("lawyer") as lawyer, org.client("sales2") as other:
        [a] = mine(lawyer, "claimable")
        [b] = mine(other, "claimable")
        assert a["id"] == b["id"] and a["version"] == b["version"]
        act(lawyer, a["id"], "claim", version=a["version"])
        r = other.post(f"/api/v1/tasks/{b['id']}/claim", json={"version": b["version"]})
        assert r.status_code == 409
        # A stale version on the assignee's own task: the task was changed (a comment from an
        # earlier view of it does not land on what changed since).
        seen = lawyer.get(f"/api/v1/tasks/{a['id']}").json()
        act(lawyer, a["id"], "comment", comment="看过了", version=seen["version"])
        r = lawyer.post(
            f"/api/v1/tasks/{a['id']}/approve",
            json={"version": seen["version"], "comment": "同意"},
        )
        assert r.status_code == 409 and "version" in r.text
        assert lawyer.get(f"/api/v1/tasks/{a['id']}").json()["status"] == "open"
        r = lawyer.post(f"/api/v1/tasks/{a['id']}/approve", json={"version": "x"})
        assert r.status_code == 422
    tl = timeline(client, iid)
    claims = [e for e in tl["events"] if e["action"] == "claim"]
    assert [e["actor_id"] for e in claims] == [org.ids["lawyer"]]


def test_concurrent_claims_one_wins(services: Services, client: TestClient) -> None:
    """Two claims at once (threads, no version sent): exactly one succeeds, the other 409."""
    import threading

    org = setup(services, client)
    also_legal(services, org, "sales2")
    deploy(client, "ga", bpmn("charter.bpmn"))
    with org.client("sales1") as sales:
        iid = start(sales)
        act(sales, only_task(sales)["id"], "complete", data={"amount": 100})
    [task] = [t for t in timeline(client, iid)["steps"] if t["status"] == "open"]
    codes: list[int] = []
    barrier = threading.Barrier(2)

    def claim(name: str) -> None:
        with org.client(name) as c:
            barrier.wait()
            codes.append(c.post(f"/api/v1/tasks/{task['task_id']}/claim", json={}).status_code)

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("lawyer", "sales2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    claims = [e for e in timeline(client, iid)["events"] if e["action"] == "claim"]
    assert len(claims) == 1
