"""Scenario 2 (charter-contract approval across departments, with an exclusive gateway on the
amount and legal returning the contract to sales) and scenario 4 (countersign by three
department heads; one rejection ends it rejected), plus or-sign and add-signer."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cairn.services import Services
from processdata import Org, act, app_with_table, bpmn, deploy, mine, only_task, timeline

CONTRACT_FIELDS = [
    {"key": "customer", "name": "客户", "type": "text"},
    {"key": "amount", "name": "金额", "type": "currency"},
    {"key": "terms", "name": "条款", "type": "long_text"},
]
RW = {"app": "ga", "table": "contracts", "actions": ["create", "read", "update"]}


def approvals_org(services: Services, client: TestClient) -> Org:
    app_with_table(
        client, "ga", "通航", {"key": "contracts", "name": "包机合同", "fields": CONTRACT_FIELDS}
    )
    org = Org(services)
    for head, dept in (
        ("smgr", "销售部"),
        ("lmgr", "法务部"),
        ("fdir", "财务部"),
        ("omgr", "运营部"),
    ):
        org.user(head)
        org.department(dept, manager=head)
    org.user("sales1", "销售部")
    org.user("lawyer", "法务部")
    org.user("finance1", "财务部")
    org.role("staff", ["sales1", "lawyer", "finance1", "smgr", "lmgr", "fdir", "omgr"], [RW])
    org.role("legal", ["lawyer"])
    org.role("finance", ["finance1"])
    return org


def start_contract(c: TestClient, process: str, **fields: object) -> tuple[int, int]:
    rec = c.post("/api/v1/apps/ga/tables/contracts/records", json=fields).json()
    r = c.post(f"/api/v1/apps/ga/processes/{process}/start", json={"record_id": rec["id"]})
    assert r.status_code == 201, r.text
    return rec["id"], r.json()["id"]


def claim_and(org: Org, who: str, action: str, **body: object) -> dict:
    with org.client(who) as c:
        assert mine(c) == []
        [task] = mine(c, "claimable")
        act(c, task["id"], "claim")
        return act(c, task["id"], action, **body)


def test_charter_approval_with_gateway_and_return_to_sales(
    services: Services, client: TestClient
) -> None:
    org = approvals_org(services, client)
    deploy(client, "ga", bpmn("charter.bpmn"))

    with org.client("sales1") as sales:
        _, big = start_contract(sales, "charter", customer="华东通航")
        act(
            sales,
            only_task(sales)["id"],
            "complete",
            data={"amount": 800000, "terms": "第3条：取消费 50%"},
        )

    with org.client("lawyer") as lawyer:
        [task] = mine(lawyer, "claimable")
        assert task["name"] == "法务审核条款"
        # Working hours (09:00-18:00, Asia/Shanghai): opened Monday 17:00, 8 h → Tuesday 16:00.
        assert task["due_at"] == "2026-01-06T08:00:00Z"
        act(lawyer, task["id"], "claim")
        detail = lawyer.get(f"/api/v1/tasks/{task['id']}").json()
        assert "return" in detail["actions"] and detail["returnable_steps"] == ["sales"]
        assert set(detail["record"]) == {"id", "version", "amount", "terms"}  # the step's form
        r = lawyer.post(f"/api/v1/tasks/{task['id']}/return", json={"to_step": "sales"})
        assert r.status_code == 422  # a return needs a comment
        act(lawyer, task["id"], "return", to_step="sales", comment="第3条取消费过高，请修改")
        assert mine(lawyer) == []

    with org.client("sales1") as sales:
        task = only_task(sales)
        assert task["step"] == "sales" and task["kind"] == "return"
        act(sales, task["id"], "complete", data={"terms": "第3条：取消费 20%"}, comment="已修改")

    with org.client("lawyer") as lawyer:
        task = only_task(lawyer)  # back to the one who returned it, no claim needed
        assert task["step"] == "legal"
        act(lawyer, task["id"], "approve", comment="条款可接受")

    claim_and(org, "finance1", "approve")
    for head, step in (("fdir", "director"), ("omgr", "ops")):
        with org.client(head) as c:
            task = only_task(c)
            assert task["step"] == step
            act(c, task["id"], "approve")

    with org.client("sales1") as sales:
        tl = timeline(sales, big)
        assert tl["status"] == "completed"
        assert [s["step"] for s in tl["steps"]] == [
            "sales",
            "legal",
            "sales",
            "legal",
            "finance",
            "director",
            "ops",
        ]
        ret = next(e for e in tl["events"] if e["action"] == "return")
        assert ret["comment"] == "第3条取消费过高，请修改" and ret["actor"] == "lawyer"
        assert tl["steps"][1]["status"] == "returned"

        # Under 500,000 the finance director is not asked.
        start_contract(sales, "charter", customer="西南通航")
        act(sales, only_task(sales)["id"], "complete", data={"amount": 300000})
    claim_and(org, "lawyer", "approve")
    claim_and(org, "finance1", "approve")
    with org.client("fdir") as c:
        assert mine(c) == []
    with org.client("omgr") as c:
        assert only_task(c)["step"] == "ops"


def test_legal_rejection_ends_the_contract(services: Services, client: TestClient) -> None:
    org = approvals_org(services, client)
    deploy(client, "ga", bpmn("charter.bpmn"))
    with org.client("sales1") as sales:
        _, iid = start_contract(sales, "charter", customer="甲")
        act(sales, only_task(sales)["id"], "complete", data={"amount": 1000})
    claim_and(org, "lawyer", "reject", comment="客户资质不符")
    with org.client("sales1") as sales:
        tl = timeline(sales, iid)
        assert tl["status"] == "rejected" and tl["current"] == []
        assert tl["events"][-1]["action"] == "rejected"
        # The initiator sees it ended; a second action on the done task is refused.
        r = sales.post(f"/api/v1/tasks/{tl['steps'][1]['task_id']}/approve", json={})
        assert r.status_code == 409


def test_countersign_all_heads_must_approve(services: Services, client: TestClient) -> None:
    org = approvals_org(services, client)
    deploy(client, "ga", bpmn("countersign.bpmn"))
    with org.client("sales1") as sales:
        _, ok = start_contract(sales, "budget", customer="乙")
        _, no = start_contract(sales, "budget", customer="丙")

    def heads_task(who: str, iid: int) -> int:
        with org.client(who) as c:
            return next(t["id"] for t in mine(c) if t["instance_id"] == iid)

    for head in ("smgr", "fdir", "omgr"):
        with org.client(head) as c:
            act(c, heads_task(head, ok), "approve")
        with org.client("sales1") as sales:
            waiting = mine(sales)
            # Archiving opens only once the third head has approved.
            assert [t["step"] for t in waiting] == (["archive"] if head == "omgr" else [])

    with org.client("smgr") as c:
        act(c, heads_task("smgr", no), "approve")
    with org.client("fdir") as c:
        act(c, heads_task("fdir", no), "reject", comment="预算超支")
    with org.client("omgr") as c:
        assert [t for t in mine(c) if t["instance_id"] == no] == []  # no longer asked
    with org.client("sales1") as sales:
        tl = timeline(sales, no)
    assert tl["status"] == "rejected"
    heads = [s for s in tl["steps"] if s["step"] == "heads"]
    assert sorted((s["assignee"], s["status"]) for s in heads) == [
        ("fdir", "done"),
        ("omgr", "cancelled"),
        ("smgr", "done"),
    ]


def test_or_sign_first_decision_counts_and_signers_can_be_added(
    services: Services, client: TestClient
) -> None:
    org = approvals_org(services, client)
    deploy(client, "ga", bpmn("orsign.bpmn"))
    with org.client("sales1") as sales:
        _, iid = start_contract(sales, "quick_budget", customer="丁")
    with org.client("smgr") as c:
        task = only_task(c)
        act(c, task["id"], "add_signer", to="lmgr", comment="请法务也看看")
    with org.client("lmgr") as c:
        act(c, only_task(c)["id"], "approve")
    for head in ("smgr", "fdir", "omgr"):
        with org.client(head) as c:
            assert mine(c) == []
    with org.client("sales1") as sales:
        assert only_task(sales)["step"] == "archive"
        tl = timeline(sales, iid)
    assert any(e["action"] == "add_signer" for e in tl["events"])
