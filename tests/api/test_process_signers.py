"""Who signs, through the API: the initiator's manager N levels up the department tree (a level
that is not a positive whole number is refused on the step, in zh-CN and en), and a step signed
in turn (依次审批): the signers act one after the other in the order the rule lists them; a
reject ends it, a return sends the whole step back, an added signer comes right after the
current one."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from test_process_approvals import approvals_org, start_contract

from cairn.auth import cli
from cairn.services import Services
from processdata import Org, act, bpmn, deploy, mine, only_task, timeline

LEVELS = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:cairn="https://cairn.dev/bpmn" id="d_levels">
  <bpmn:process id="up" name="逐级上报" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="contracts"/></bpmn:extensionElements>
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="boss"/>
    <bpmn:userTask id="boss" name="上级审批">
      <bpmn:extensionElements>
        <cairn:assignee type="initiator_manager" value="LEVELS"/>
        <cairn:assignee type="user" value="omgr"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="boss" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def levels_xml(levels: str) -> str:
    return LEVELS.replace("LEVELS", levels)


def test_the_initiators_manager_n_levels_up(services: Services, client: TestClient) -> None:
    org = approvals_org(services, client)
    # 集团 (ceo) above 华东区 (rmgr) above 销售部 (smgr), where sales1 works.
    org.user("ceo")
    org.user("rmgr")
    org.department("集团", manager="ceo")
    org.department("华东区", manager="rmgr", parent="集团")
    services.directory.update_department(
        cli(), org.departments["销售部"], {"parent_id": org.departments["华东区"]}
    )
    expected = {"1": "smgr", "2": "rmgr", "3": "ceo", "4": "omgr"}  # 4: past the top → next rule
    for levels, who in expected.items():
        deploy(client, "ga", levels_xml(levels))
        with org.client("sales1") as sales:
            _, iid = start_contract(sales, "up", customer=f"L{levels}")
        with org.client(who) as c:
            task = only_task(c)
            assert task["instance_id"] == iid and task["step"] == "boss"
            act(c, task["id"], "approve")
        with org.client("sales1") as sales:
            assert timeline(sales, iid)["status"] == "completed"
    versions = client.get("/api/v1/apps/ga/processes/up/versions").json()["items"]
    assert len(versions) == 4


def test_a_bad_level_is_refused_on_the_step(services: Services, client: TestClient) -> None:
    approvals_org(services, client)
    for lang, text in (("en", "whole number"), ("zh-CN", "上级层数")):
        r = client.post(
            "/api/v1/apps/ga/processes",
            json={"bpmn": levels_xml("0")},
            headers={"accept-language": lang},
        )
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert (error["field"], error["code"]) == ("bpmn.boss", "process.assignee_levels")
        assert text in error["message"] and "0" in error["message"]
        check = client.post(
            "/api/v1/apps/ga/processes/validate",
            json={"bpmn": levels_xml("1.5")},
            headers={"accept-language": lang},
        ).json()
        assert check["ok"] is False
        assert [(p["element"], p["code"]) for p in check["problems"]] == [
            ("boss", "process.assignee_levels")
        ]
    assert client.get("/api/v1/apps/ga/processes").json()["items"] == []


# -- signed in turn --------------------------------------------------------------------------


def submit(org: Org, customer: str) -> int:
    with org.client("sales1") as sales:
        _, iid = start_contract(sales, "budget_in_turn", customer=customer)
        act(sales, only_task(sales, "submit")["id"], "complete")
    return iid


def heads_tasks(org: Org, iid: int) -> dict[str, list[dict[str, Any]]]:
    """Each head's open tasks of instance ``iid``."""
    out = {}
    for head in ("fdir", "smgr", "omgr", "lmgr"):
        with org.client(head) as c:
            out[head] = [t for t in mine(c) if t["instance_id"] == iid]
    return out


def waiting_on(org: Org, iid: int) -> list[str]:
    return [h for h, tasks in heads_tasks(org, iid).items() if tasks]


def test_signers_act_in_turn_and_an_added_signer_comes_next(
    services: Services, client: TestClient
) -> None:
    org = approvals_org(services, client)
    deploy(client, "ga", bpmn("sequence.bpmn"))
    definition = client.get("/api/v1/apps/ga/processes/budget_in_turn").json()
    assert next(s for s in definition["steps"] if s["id"] == "heads")["sign"] == "sequence"
    iid = submit(org, "乙")

    # The order of the rule (财务部, 销售部, 运营部), one at a time.
    assert waiting_on(org, iid) == ["fdir"]
    with org.client("fdir") as c:
        task = only_task(c)
        assert task["name"] == "部门负责人依次审批"
        detail = c.get(f"/api/v1/tasks/{task['id']}").json()
        assert detail["sign"] == "sequence" and "add_signer" in detail["actions"]
        act(c, task["id"], "approve", comment="预算合理")
    assert waiting_on(org, iid) == ["smgr"]
    with org.client("smgr") as c:
        task = only_task(c)
        act(c, task["id"], "add_signer", to="lmgr", comment="请法务先看")
        r = c.post(f"/api/v1/tasks/{task['id']}/add_signer", json={"to": "lmgr"})
        assert r.status_code == 409  # already in the queue
        r = c.post(f"/api/v1/tasks/{task['id']}/add_signer", json={"to": "omgr"})
        assert r.status_code == 409  # signs later anyway
        assert waiting_on(org, iid) == ["smgr"]  # the added signer waits for smgr
        act(c, task["id"], "approve")
    assert waiting_on(org, iid) == ["lmgr"]
    with org.client("lmgr") as c:
        act(c, only_task(c)["id"], "approve")
    assert waiting_on(org, iid) == ["omgr"]
    with org.client("sales1") as sales:
        assert mine(sales) == []  # archiving waits for the last signer
    with org.client("omgr") as c:
        act(c, only_task(c)["id"], "approve")

    with org.client("sales1") as sales:
        assert only_task(sales)["step"] == "archive"
        tl = timeline(sales, iid)
    heads = [(s["assignee"], s["status"], s["action"]) for s in tl["steps"] if s["step"] == "heads"]
    assert heads == [
        ("fdir", "done", "approve"),
        ("smgr", "done", "approve"),
        ("lmgr", "done", "approve"),
        ("omgr", "done", "approve"),
    ]
    decisions = [
        (e["actor"], e["action"], e["comment"])
        for e in tl["events"]
        if e["step"] == "heads" and e["action"] in ("approve", "add_signer")
    ]
    assert decisions == [
        ("fdir", "approve", "预算合理"),
        ("smgr", "add_signer", "请法务先看"),
        ("smgr", "approve", None),
        ("lmgr", "approve", None),
        ("omgr", "approve", None),
    ]
    opened = [e for e in tl["events"] if e["step"] == "heads" and e["action"] == "opened"]
    ids = org.ids
    assert [(e["details"]["assignees"], e["details"]["queued"]) for e in opened] == [
        ([ids["fdir"]], [ids["smgr"], ids["omgr"]]),
        ([ids["smgr"]], [ids["omgr"]]),
        ([ids["lmgr"]], [ids["omgr"]]),
        ([ids["omgr"]], []),
    ]


def test_a_reject_in_turn_ends_it_and_later_signers_are_never_asked(
    services: Services, client: TestClient
) -> None:
    org = approvals_org(services, client)
    deploy(client, "ga", bpmn("sequence.bpmn"))
    iid = submit(org, "丙")
    with org.client("fdir") as c:
        act(c, only_task(c)["id"], "approve")
    with org.client("smgr") as c:
        act(c, only_task(c)["id"], "reject", comment="预算超支")
    assert waiting_on(org, iid) == []
    with org.client("sales1") as sales:
        tl = timeline(sales, iid)
        assert mine(sales) == []
    assert tl["status"] == "rejected" and tl["current"] == []
    heads = [(s["assignee"], s["action"]) for s in tl["steps"] if s["step"] == "heads"]
    assert heads == [("fdir", "approve"), ("smgr", "reject")]  # omgr never had a task


def test_a_return_sends_the_whole_step_back_and_it_starts_over(
    services: Services, client: TestClient
) -> None:
    org = approvals_org(services, client)
    deploy(client, "ga", bpmn("sequence.bpmn"))
    iid = submit(org, "丁")
    with org.client("fdir") as c:
        act(c, only_task(c)["id"], "approve")
    with org.client("smgr") as c:
        task = only_task(c)
        act(c, task["id"], "add_signer", to="lmgr")
        act(c, task["id"], "return", to_step="submit", comment="请补充明细")
    assert waiting_on(org, iid) == []  # neither lmgr nor omgr is asked now
    with org.client("sales1") as sales:
        task = only_task(sales)
        assert task["step"] == "submit"
        act(sales, task["id"], "complete", comment="已补充")
    # The step signs again from its first signer; the added signer was for the last turn.
    for head in ("fdir", "smgr", "omgr"):
        assert waiting_on(org, iid) == [head]
        with org.client(head) as c:
            act(c, only_task(c)["id"], "approve")
    with org.client("sales1") as sales:
        assert only_task(sales)["step"] == "archive"
        tl = timeline(sales, iid)
    heads = [(s["assignee"], s["status"]) for s in tl["steps"] if s["step"] == "heads"]
    assert heads == [
        ("fdir", "done"),
        ("smgr", "returned"),
        ("fdir", "done"),
        ("smgr", "done"),
        ("omgr", "done"),
    ]
