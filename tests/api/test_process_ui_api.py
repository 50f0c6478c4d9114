"""The process API the web UI builds on (issue 16): what a task offers (the step's allowed
actions, where a return may go, which actions need a comment, the record it is about), the
409 naming who took a claimable task, the inbox's filters and order, who may start a process,
an instance's diagram, validation of a BPMN file with every problem at once, version counts,
the administrators' instance list and moving a person's open tasks to somebody else."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from cairn.services import Services
from processdata import Org, act, bpmn, deploy, mine, only_task

FIELDS = [
    {"key": "customer", "name": "客户", "type": "text"},
    {"key": "amount", "name": "金额", "type": "currency"},
]


def setup(services: Services, client: TestClient) -> Org:
    assert client.post("/api/v1/apps", json={"key": "ga", "name": "通航"}).status_code == 201
    r = client.post(
        "/api/v1/apps/ga/tables",
        json={"key": "contracts", "name": "合同", "fields": FIELDS, "display_field": "customer"},
    )
    assert r.status_code == 201, r.text
    org = Org(services)
    org.user("boss")
    org.department("销售部", manager="boss")
    for name in ("sales1", "sales2", "lawyer", "lawyer2", "outsider"):
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
