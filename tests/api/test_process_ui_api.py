"""The process API the web UI builds on (issue 16): what a task offers (the step's allowed
actions, where a return may go, which actions need a comment, the record it is about), the
409 naming who took a claimable task, the inbox's filters and order, who may start a process,
an instance's diagram, validation of a BPMN file with every problem at once, version counts,
the administrators' instance list and moving a person's open tasks to somebody else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from cairn.core import FrozenClock
from cairn.services import Services
from cairn.worker.dispatch import Dispatcher
from processdata import Org, act, app_with_table, bpmn, deploy, mine, only_task

FIELDS = [
    {"key": "customer", "name": "客户", "type": "text"},
    {"key": "amount", "name": "金额", "type": "currency"},
]


def setup(services: Services, client: TestClient) -> Org:
    app_with_table(
        client,
        "ga",
        "通航",
        {"key": "contracts", "name": "合同", "fields": FIELDS, "display_field": "customer"},
    )
    org = Org(services)
    org.user("boss")
    org.department("销售部", manager="boss")
    for name in ("sales1", "sales2", "lawyer", "lawyer2", "outsider", "stranger"):
        org.user(name, "销售部")
    rw = {"app": "ga", "table": "contracts", "actions": ["create", "read", "update"]}
    org.role("staff", ["sales1", "sales2", "lawyer", "lawyer2", "boss"], [rw])
    org.role("legal", ["lawyer", "lawyer2"])
    org.role("reader", ["outsider"], [{"app": "ga", "table": "contracts", "actions": ["read"]}])
    return org


def new_record(c: TestClient, customer: str = "东方航空") -> int:
    r = c.post("/api/v1/apps/ga/tables/contracts/records", json={"customer": customer})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def start(c: TestClient, record_id: int, process: str = "review") -> dict[str, Any]:
    r = c.post(f"/api/v1/apps/ga/processes/{process}/start", json={"record_id": record_id})
    assert r.status_code == 201, r.text
    return r.json()


def task(c: TestClient, task_id: int) -> dict[str, Any]:
    r = c.get(f"/api/v1/tasks/{task_id}")
    assert r.status_code == 200, r.text
    return r.json()


def to_legal(org: Org, customer: str = "东方航空") -> int:
    """Start a review as sales1 and bring it to the legal step; the instance id."""
    with org.client("sales1") as sales:
        iid = start(sales, new_record(sales, customer))["id"]
        act(sales, only_task(sales)["id"], "complete")
    with org.client("sales2") as checker:
        act(checker, only_task(checker)["id"], "approve")
    return iid


# -- 5: the task reply ----------------------------------------------------------------------
def test_a_task_offers_what_its_step_allows(services: Services, client: TestClient) -> None:
    org = setup(services, client)
    deploy(client, "ga", bpmn("review.bpmn"))
    with org.client("sales1") as sales:
        rid = new_record(sales, "东方航空")
        start(sales, rid)
        t = task(sales, only_task(sales)["id"])
        # The submit step allows approve only (and complete with it); no return, no transfer.
        assert t["actions"] == ["complete", "approve", "comment", "attach"]
        assert (t["app"], t["table"], t["record_id"]) == ("ga", "contracts", rid)
        assert t["record_title"] == "东方航空"
        assert t["comment_required"] == ["reject", "return"]
        assert t["return_targets"] == []
        # An action the step does not allow is refused, and the task stays open.
        r = sales.post(f"/api/v1/tasks/{t['id']}/transfer", json={"to": "sales2"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "action"
        assert task(sales, t["id"])["status"] == "open"
        act(sales, t["id"], "complete")
    with org.client("sales2") as checker:
        t = task(checker, only_task(checker)["id"])
        # No cairn:actions: everything, and a return to any passed step.
        assert t["actions"] == [
            "complete",
            "approve",
            "reject",
            "transfer",
            "delegate",
            "comment",
            "attach",
            "return",
        ]
        assert t["return_targets"] == [{"step": "submit", "name": "提交"}]
        # Reject always needs a comment: 422 at comment, nothing changes.
        r = checker.post(f"/api/v1/tasks/{t['id']}/reject", json={"comment": "  "})
        assert r.status_code == 422
        assert r.json()["errors"] == [
            {
                "field": "comment",
                "code": "process.comment_required",
                "message": "Add a comment: this action needs one.",
            }
        ]
        assert task(checker, t["id"])["status"] == "open"
        act(checker, t["id"], "approve")
    with org.client("lawyer") as lawyer:
        [claimable] = mine(lawyer, "claimable")
        assert task(lawyer, claimable["id"])["actions"] == ["claim"]
        act(lawyer, claimable["id"], "claim")
        t = task(lawyer, claimable["id"])
        assert t["actions"] == ["complete", "approve", "transfer", "comment", "attach", "return"]
        # returnTo="submit": the check step, passed too, is not offered nor accepted.
        assert t["return_targets"] == [{"step": "submit", "name": "提交"}]
        assert t["comment_required"] == ["reject", "return", "approve", "complete"]
        r = lawyer.post(
            f"/api/v1/tasks/{t['id']}/return", json={"to_step": "check", "comment": "退回初审"}
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to_step"
        r = lawyer.post(f"/api/v1/tasks/{t['id']}/approve", json={})
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "process.comment_required"
        r = lawyer.post(f"/api/v1/tasks/{t['id']}/reject", json={"comment": "不行"})
        assert r.status_code == 422 and "does not allow 'reject'" in r.text
        assert task(lawyer, t["id"])["status"] == "open"
        act(lawyer, t["id"], "return", to_step="submit", comment="条款缺失")
    with org.client("sales1") as sales:
        assert only_task(sales)["step"] == "submit"


def test_the_second_claimer_is_told_who_took_the_task(
    services: Services, client: TestClient
) -> None:
    org = setup(services, client)
    deploy(client, "ga", bpmn("review.bpmn"))
    to_legal(org)
    with org.client("lawyer") as first, org.client("lawyer2") as second:
        [seen_by_first] = mine(first, "claimable")
        [seen_by_second] = mine(second, "claimable")
        assert seen_by_first["id"] == seen_by_second["id"]
        act(first, seen_by_first["id"], "claim")
        for body in ({}, {"version": seen_by_second["version"]}):
            r = second.post(f"/api/v1/tasks/{seen_by_second['id']}/claim", json=body)
            assert r.status_code == 409, r.text
            problem = r.json()
            assert problem["params"]["holder"] == "lawyer"
            assert problem["detail"] == "This task is already taken by lawyer."
        assert mine(second, "claimable") == []
        assert [t["id"] for t in mine(first)] == [seen_by_first["id"]]


# -- 6: the inbox ---------------------------------------------------------------------------
def one_step(key: str, name: str, step: str, deadline: str = "") -> str:
    limit = f'<cairn:deadline duration="{deadline}"/>' if deadline else ""
    return f"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
        xmlns:cairn="https://cairn.dev/bpmn" id="d_{key}">
      <bpmn:process id="{key}" name="{name}" isExecutable="true">
        <bpmn:extensionElements><cairn:binding table="contracts"/></bpmn:extensionElements>
        <bpmn:startEvent id="s"/>
        <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t"/>
        <bpmn:userTask id="t" name="{step}">
          <bpmn:extensionElements>
            <cairn:assignee type="user" value="sales2"/>{limit}
          </bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="e"/>
        <bpmn:endEvent id="e"/>
      </bpmn:process>
    </bpmn:definitions>"""


def test_the_inbox_orders_filters_searches_and_counts(
    services: Services, client: TestClient, frozen_clock: FrozenClock
) -> None:
    org = setup(services, client)
    deploy(client, "ga", one_step("quick", "快速审批", "审核", "PT4H"))
    deploy(client, "ga", one_step("plain", "备案", "记录"))
    hour = timedelta(hours=1)
    with org.client("sales1") as sales:
        a = new_record(sales, "东方航空")
        start(sales, a, "quick")  # 09:00, due 13:00
        frozen_clock.advance(2 * hour)
        start(sales, new_record(sales, "南方航空"), "quick")  # 11:00, due 15:00
        start(sales, new_record(sales, "海南航空"), "plain")
        frozen_clock.advance(hour)
        start(sales, new_record(sales, "四川航空_100%"), "plain")  # the newest without a limit
    frozen_clock.advance(2 * hour)  # 14:00: the first is an hour late

    def box(c: TestClient, **params: Any) -> dict[str, Any]:
        r = c.get("/api/v1/tasks", params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def titles(page: dict[str, Any]) -> list[str]:
        return [t["record_title"] for t in page["items"]]

    with org.client("sales2") as me:
        page = box(me)
        assert titles(page) == ["东方航空", "南方航空", "四川航空_100%", "海南航空"]
        assert page["total"] == 4
        first = page["items"][0]
        assert (first["app"], first["table"], first["assignee"]) == ("ga", "contracts", "sales2")
        assert first["overdue"] and first["overdue_seconds"] == 3600
        assert [t["overdue_seconds"] for t in page["items"][1:]] == [None, None, None]
        second = box(me, limit=2, offset=2)
        assert titles(second) == ["四川航空_100%", "海南航空"] and second["total"] == 4
        assert box(me, limit=2)["total"] == 4
        assert titles(box(me, box="overdue")) == ["东方航空"]
        assert titles(box(me, process="plain")) == ["四川航空_100%", "海南航空"]
        assert box(me, process="plain")["total"] == 2
        assert titles(box(me, q="南方")) == ["南方航空"]  # record title
        assert titles(box(me, q="记录")) == ["四川航空_100%", "海南航空"]  # step name
        assert titles(box(me, q="快速")) == ["东方航空", "南方航空"]  # process name
        assert titles(box(me, q="100%")) == ["四川航空_100%"]  # wildcards are literal
        assert titles(box(me, q="_1")) == ["四川航空_100%"]
        assert box(me, q="%")["total"] == 1
        # Dates are days in the platform's timezone (Shanghai: 17:00 to 22:00 on the 5th).
        assert box(me, since="2026-01-05", until="2026-01-05")["total"] == 4
        assert box(me, since="2026-01-06")["total"] == 0
        assert box(me, until="2026-01-04")["total"] == 0
        assert box(me, app="ga", table="contracts")["total"] == 4
        r = me.get("/api/v1/tasks", params={"table": "contracts"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "table"
        assert me.get("/api/v1/tasks", params={"since": "yesterday"}).status_code == 422
        assert me.get("/api/v1/tasks", params={"app": "ga", "table": "nope"}).status_code == 404
        # Done: the latest completed first.
        act(me, page["items"][3]["id"], "complete")
        frozen_clock.advance(hour)
        act(me, page["items"][0]["id"], "complete")
        done = box(me, box="done")
        assert titles(done) == ["东方航空", "海南航空"] and done["total"] == 2
        assert me.get("/api/v1/tasks/counts").json() == {
            "mine": 2,
            "claimable": 0,
            "overdue": 0,
            "done": 2,
        }
    # The record's title follows its display field on the open tasks.
    with org.client("sales1") as sales:
        assert box(client, box="mine")["total"] == 0  # the admin has none
        b = next(t for t in page["items"] if t["record_title"] == "南方航空")["record_id"]
        url = f"/api/v1/apps/ga/tables/contracts/records/{b}"
        version = sales.get(url).json()["version"]
        r = sales.patch(url, json={"customer": "南航", "version": version})
        assert r.status_code == 200, r.text
    Dispatcher(services, services.event_handlers).drain()
    with org.client("sales2") as me:
        assert titles(box(me, q="南航")) == ["南航"]


# -- 3: who may start what --------------------------------------------------------------------
def bound(xml: str, binding: str) -> str:
    return xml.replace('<cairn:binding table="contracts"/>', binding)


def test_only_starters_see_and_start_a_process(services: Services, client: TestClient) -> None:
    org = setup(services, client)
    deploy(client, "ga", bpmn("review.bpmn"))  # starters: the staff role
    plain = one_step("plain", "备案", "记录")
    deploy(client, "ga", plain)  # no starters: anyone who reads the record
    ruled = bound(
        one_step("ruled", "规则流程", "记录"), '<cairn:binding table="contracts" autoStart="rule"/>'
    )
    deploy(client, "ga", ruled)
    by_dept = one_step("bydept", "部门流程", "记录").replace(
        '<cairn:binding table="contracts"/>',
        f'<cairn:binding table="contracts"/><cairn:starters departments="{org.departments["销售部"]}" users="outsider"/>',
    )
    deploy(client, "ga", by_dept)
    deploy(client, "ga", plain.replace("备案", "备案 v2"))  # the latest version is offered
    with org.client("sales1") as sales:
        rid = new_record(sales)
        url = f"/api/v1/apps/ga/tables/contracts/records/{rid}/processes"
        offered = sales.get(url).json()["startable"]
        assert offered == [
            {"key": "bydept", "name": "部门流程", "version": 1},
            {"key": "plain", "name": "备案 v2", "version": 2},
            {"key": "review", "name": "合同评审", "version": 1},
        ]
        r = sales.post("/api/v1/apps/ga/processes/ruled/start", json={"record_id": rid})
        assert r.status_code == 403 and r.json()["code"] == "process.rule_only"
    with org.client("outsider") as reader:  # reads contracts, not in staff, named in bydept
        offered = reader.get(url).json()
        assert [p["key"] for p in offered["startable"]] == ["bydept", "plain"]
        r = reader.post("/api/v1/apps/ga/processes/review/start", json={"record_id": rid})
        assert r.status_code == 403 and r.json()["code"] == "process.not_starter"
        assert reader.get(url).json()["items"] == []  # nothing was started
        start(reader, rid, "bydept")
    # Administrators always may, a rule-only process too.
    start(client, rid, "ruled")
    definition = client.get("/api/v1/apps/ga/processes/review").json()
    assert definition["start"] == "manual"
    assert definition["starters"] == {"roles": ["staff"], "departments": [], "users": []}
    assert client.get("/api/v1/apps/ga/processes/ruled").json()["start"] == "rule"


# -- 4: an instance on its diagram ------------------------------------------------------------
def test_the_diagram_shows_what_is_done_and_where_it_stands(
    services: Services, client: TestClient
) -> None:
    org = setup(services, client)
    deploy(client, "ga", bpmn("review.bpmn"))
    iid = to_legal(org)
    # A second version changes nothing for the running instance's diagram.
    deploy(client, "ga", bpmn("review.bpmn").replace("合同评审", "合同评审 v2"))
    with org.client("sales1") as sales:
        d = sales.get(f"/api/v1/process-instances/{iid}/diagram").json()
        assert d["process"] == {"key": "review", "name": "合同评审", "version": 1}
        assert d["bpmn"] == bpmn("review.bpmn")
        assert d["done"] == ["start", "submit", "check"]
        assert d["current"] == ["legal"] and d["incident"] is None
    with org.client("stranger") as stranger:  # cannot read contracts, not involved
        assert stranger.get(f"/api/v1/process-instances/{iid}/diagram").status_code == 404
    with org.client("lawyer") as lawyer:
        [t] = mine(lawyer, "claimable")
        act(lawyer, t["id"], "claim")
        act(lawyer, t["id"], "approve", comment="同意")
        d = lawyer.get(f"/api/v1/process-instances/{iid}/diagram").json()
        assert d["status"] == "completed" and d["current"] == []
        assert d["done"] == ["start", "submit", "check", "legal", "end"]
    assert client.get("/api/v1/process-instances/999999/diagram").status_code == 404


# -- 7: the administrators' instance list ------------------------------------------------------
def instances(c: TestClient, **params: Any) -> dict[str, Any]:
    r = c.get("/api/v1/process-instances", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_administrators_list_instances_with_filters(
    services: Services, client: TestClient, frozen_clock: FrozenClock
) -> None:
    org = setup(services, client)
    deploy(client, "ga", one_step("quick", "快速审批", "审核", "PT4H"))
    deploy(client, "ga", one_step("plain", "备案", "记录"))
    r = client.post(
        "/api/v1/roles",
        json={"key": "ga_admin", "name": "通航管理", "members": ["boss"], "manages_apps": ["ga"]},
    )
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/apps", json={"key": "other", "name": "别的"}).status_code == 201
    with org.client("sales1") as sales:
        first = start(sales, new_record(sales, "东方航空"), "quick")["id"]
        frozen_clock.advance(timedelta(hours=1))
        second = start(sales, new_record(sales, "南方航空"), "plain")["id"]
        third = start(sales, new_record(sales, "海南航空"), "quick")["id"]
    r = client.post(f"/api/v1/process-instances/{third}/cancel", json={"reason": "重复"})
    assert r.status_code == 200, r.text
    frozen_clock.advance(timedelta(hours=4))  # the first one's 4 hours are up (1 hour ago)

    page = instances(client)
    assert page["total"] == 3 and page["limit"] == 50 and page["offset"] == 0
    assert [i["id"] for i in page["items"]] == [third, second, first]  # newest first
    late = page["items"][2]
    assert late["process"] == {"key": "quick", "name": "快速审批", "version": 1}
    assert late["app"] == "ga" and late["table"] == "contracts"
    assert late["record_title"] == "东方航空" and late["status"] == "running"
    assert late["initiator"] == "sales1" and late["incident"] is None
    [step] = late["current"]
    assert step["step"] == "t" and step["name"] == "审核" and step["assignee"] == "sales2"
    assert step["overdue"] is True and step["overdue_seconds"] == 3600
    assert step["due_at"] is not None
    assert page["items"][0]["status"] == "cancelled" and page["items"][0]["current"] == []
    assert page["items"][1]["current"][0]["overdue"] is False

    def ids(**params: Any) -> list[int]:
        return [i["id"] for i in instances(client, **params)["items"]]

    assert ids(overdue="true") == [first]
    assert ids(status="running") == [second, first]
    assert ids(status="cancelled") == [third]
    assert ids(status="done") == [] and ids(status="error") == []
    assert ids(process="quick") == [third, first]
    assert ids(q="南方") == [second] and ids(q="备案") == [second]
    assert ids(q="%") == []  # wildcards are literal
    assert ids(app="other") == [] and ids(app="ga", status="running", process="plain") == [second]
    p2 = instances(client, limit=1, offset=1)
    assert [i["id"] for i in p2["items"]] == [second] and p2["total"] == 3
    r = client.get("/api/v1/process-instances", params={"status": "paused"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    # Finishing one: "done" is the engine's completed.
    with org.client("sales2") as checker:
        [t] = [t for t in mine(checker) if t["instance_id"] == second]
        act(checker, t["id"], "complete")
    assert ids(status="done") == [second]

    # An app's manager sees that app's instances; others (even readers of the table) do not.
    with org.client("boss") as boss:
        assert instances(boss)["total"] == 3
        assert boss.get("/api/v1/process-instances?app=other").status_code == 403
    with org.client("outsider") as reader:
        assert reader.get("/api/v1/process-instances").status_code == 403
    with org.client("sales1") as sales:  # the initiator too: they see their own on the record
        assert sales.get("/api/v1/process-instances").status_code == 403


# -- 8: moving a person's open tasks ----------------------------------------------------------
def test_an_administrator_moves_the_open_tasks_of_someone_who_left(
    services: Services, client: TestClient
) -> None:
    org = setup(services, client)
    deploy(client, "ga", one_step("quick", "快速审批", "审核", "PT4H"))
    deploy(client, "ga", one_step("plain", "备案", "记录"))
    assert client.post("/api/v1/apps", json={"key": "other", "name": "别的"}).status_code == 201
    with org.client("sales1") as sales:
        started = [
            start(sales, new_record(sales, name), key)["id"]
            for name, key in (("东方航空", "quick"), ("南方航空", "plain"))
        ]
    with org.client("sales2") as leaving:
        before = mine(leaving)
        assert len(before) == 2
    org.user("inactive", "销售部")
    r = client.patch(f"/api/v1/users/{org.ids['inactive']}", json={"status": "disabled"})
    assert r.status_code == 200, r.text
    sales2 = org.ids["sales2"]

    def reassign(c: TestClient, **body: Any) -> Any:
        return c.post("/api/v1/process-tasks/reassign", json=body)

    # Bad input changes nothing.
    for body, field in (
        ({"from_user": sales2, "to_user": org.ids["inactive"]}, "to_user"),
        ({"from_user": sales2, "to_user": 999999}, "to_user"),
        ({"from_user": sales2, "to_user": sales2}, "to_user"),
        ({"from_user": sales2, "to_user": "sales2"}, "to_user"),
        ({"from_user": 999999, "to_user": org.ids["lawyer"]}, "from_user"),
        ({"to_user": org.ids["lawyer"]}, "from_user"),
    ):
        r = reassign(client, **body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["errors"][0]["field"] == field
    r = reassign(client, from_user=sales2, to_user="inactive")
    assert r.json()["errors"][0]["message"] == "The new assignee must be an active user."
    assert reassign(client, from_user=sales2, to_user="lawyer", app="nope").status_code == 404
    with org.client("boss") as boss:  # not an administrator
        r = reassign(boss, from_user=sales2, to_user=org.ids["lawyer"])
        assert r.status_code == 403
    with org.client("sales2") as leaving:
        assert [t["id"] for t in mine(leaving)] == [t["id"] for t in before]

    # Another app has none of them: nothing moves, and that is fine.
    r = reassign(client, from_user=sales2, to_user=org.ids["lawyer"], app="other")
    assert r.status_code == 200 and r.json() == {"moved": 0}
    r = reassign(client, from_user="sales2", to_user=org.ids["lawyer"], app="ga")
    assert r.status_code == 200 and r.json() == {"moved": 2}
    with org.client("sales2") as leaving:
        assert mine(leaving) == []
        # The old view of a moved task is stale: acting on it is refused.
        r = leaving.post(
            f"/api/v1/tasks/{before[0]['id']}/complete", json={"version": before[0]["version"]}
        )
        assert r.status_code in (403, 409), r.text
    with org.client("lawyer") as lawyer:
        moved = mine(lawyer)
        assert sorted(t["instance_id"] for t in moved) == sorted(started)
        assert {t["assignee"] for t in moved} == {"lawyer"}
        unread = lawyer.get("/api/v1/notifications").json()["items"]
        assert sorted(n["link"] for n in unread) == sorted(f"/tasks/{t['id']}" for t in moved)
        for iid in started:
            events = lawyer.get(f"/api/v1/process-instances/{iid}").json()["events"]
            [ev] = [e for e in events if e["action"] == "reassigned"]
            assert ev["actor"] == "admin" and ev["details"] == {
                "from": sales2,
                "to": org.ids["lawyer"],
            }
        act(lawyer, moved[0]["id"], "complete")
    audit = client.get("/api/v1/audit", params={"action": "task.reassign"}).json()["items"]
    assert len(audit) == 2
    # Nothing left to move.
    r = reassign(client, from_user=sales2, to_user=org.ids["lawyer"])
    assert r.status_code == 200 and r.json() == {"moved": 0}


# -- 1: validation with every problem at once ---------------------------------------------------
GATED = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:cairn="https://cairn.dev/bpmn" id="d_gated">
  <bpmn:process id="gated" name="分级审批" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="contracts"/></bpmn:extensionElements>
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>
    <bpmn:exclusiveGateway id="g" name="金额"/>
    <bpmn:sequenceFlow id="big" sourceRef="g" targetRef="boss">
      <bpmn:conditionExpression>@COND@</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="g" targetRef="clerk">
      <bpmn:conditionExpression>{amount} &lt;= 50000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:userTask id="boss" name="总经理审批">@WHO@</bpmn:userTask>
    <bpmn:userTask id="clerk" name="文员登记">
      <bpmn:extensionElements><cairn:candidates role="legal"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="boss" targetRef="e"/>
    <bpmn:sequenceFlow id="f2" sourceRef="clerk" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def gated(cond: str, who: str) -> str:
    return GATED.replace("@COND@", cond).replace("@WHO@", who)


BOSS = '<bpmn:extensionElements><cairn:assignee type="user" value="boss"/></bpmn:extensionElements>'


def test_validation_lists_every_problem_and_deploy_refuses_errors(
    services: Services, client: TestClient
) -> None:
    setup(services, client)

    def check(xml: str, lang: str = "en") -> dict[str, Any]:
        r = client.post(
            "/api/v1/apps/ga/processes/validate",
            json={"bpmn": xml},
            headers={"accept-language": lang},
        )
        assert r.status_code == 200, r.text
        return r.json()

    broken = check("<bpmn:definitions><oops>")
    assert broken["ok"] is False
    [p] = broken["problems"]
    assert p["code"] == "process.xml" and p["element"] is None and p["severity"] == "error"

    # A gateway without a default flow is a warning: it validates and deploys.
    good = check(gated("{amount} &gt; 50000", BOSS))
    assert good["ok"] is True, good
    assert [(p["element"], p["code"], p["severity"]) for p in good["problems"]] == [
        ("g", "process.gateway_no_default", "warning")
    ]
    assert "金额" in good["problems"][0]["message"]
    deploy(client, "ga", gated("{amount} &gt; 50000", BOSS))

    # Two errors at once: a condition on an unknown field, and a task nobody does.
    bad = gated("{weight} &gt; 5", "")
    out = check(bad)
    assert out["ok"] is False
    errors = {(p["element"], p["code"]) for p in out["problems"] if p["severity"] == "error"}
    assert errors == {("big", "process.condition"), ("boss", "process.no_assignee")}
    zh = check(bad, "zh-CN")
    [no_one] = [p for p in zh["problems"] if p["code"] == "process.no_assignee"]
    assert "没有处理人" in no_one["message"] or "处理人" in no_one["message"], no_one
    r = client.post("/api/v1/apps/ga/processes", json={"bpmn": bad})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"bpmn.big", "bpmn.boss"}
    versions = client.get("/api/v1/apps/ga/processes/gated/versions").json()["items"]
    assert len(versions) == 1  # nothing deployed
    # A task whose assignee is only a lane is claimable: fine.
    with_lane = gated("{amount} &gt; 50000", "").replace(
        '<bpmn:startEvent id="s"/>',
        '<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="legal">'
        "<bpmn:flowNodeRef>boss</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
        '<bpmn:startEvent id="s"/>',
    )
    assert check(with_lane)["ok"] is True


CALLS_NOWHERE = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:cairn="https://cairn.dev/bpmn" id="d_calls">
  <bpmn:process id="calls" name="调用" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="contracts"/></bpmn:extensionElements>
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="sub"/>
    <bpmn:callActivity id="sub" name="子流程" calledElement="nowhere"/>
    <bpmn:sequenceFlow id="f1" sourceRef="sub" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_validation_gives_the_engines_own_error_only_when_cairn_found_nothing(
    services: Services, client: TestClient
) -> None:
    setup(services, client)

    def problems(xml: str) -> list[tuple[str | None, str, str]]:
        r = client.post(
            "/api/v1/apps/ga/processes/validate",
            json={"bpmn": xml},
            headers={"accept-language": "zh-CN"},
        )
        assert r.status_code == 200, r.text
        return [(p["element"], p["code"], p["message"]) for p in r.json()["problems"]]

    # A flow out of the gateway with no condition and no default: Cairn's structure check says
    # so on the gateway, in the request's language; the engine's English parse error for the
    # same cause, and the weaker "no default flow" warning on the same gateway, are left out.
    no_condition = gated("{amount} &gt; 50000", BOSS).replace(
        "<bpmn:conditionExpression>{amount} &lt;= 50000</bpmn:conditionExpression>", ""
    )
    [(element, code, message)] = problems(no_condition)
    assert (element, code) == ("g", "process.gateway_condition")
    assert "small" in message and "顺序流" in message
    # Deploy refuses it with the same problem.
    r = client.post("/api/v1/apps/ga/processes", json={"bpmn": no_condition})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"bpmn.g"}

    # A call to a process that does not exist: Cairn's checks find nothing, the engine's
    # message is the only clue and stays.
    [(element, code, message)] = problems(CALLS_NOWHERE)
    assert (element, code) == (None, "process.bpmn_invalid")
    assert "'nowhere'" in message and message.startswith("流程无法执行")
