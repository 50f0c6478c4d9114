"""Forms through the API on SQLite and PostgreSQL: linkage rules enforced on every write
(create, update, bulk, through a variant, through a process step), default formulas, form
variants (CRUD, permissions, audit) and their app-package round trip."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from cairn.services import Services
from formsdata import LINKAGE_RULES
from processdata import Org, deploy

T = "/api/v1/apps/desk/tables/tickets"
R = f"{T}/records"
STATUS = ["待处理", "已驳回", "已完成"]
FIELDS: list[dict[str, Any]] = [
    {"key": "title", "name": "标题", "type": "text"},
    {
        "key": "status",
        "name": "状态",
        "type": "single_select",
        "options": {"choices": [{"value": v} for v in STATUS]},
    },
    {"key": "reason", "name": "驳回原因", "type": "text"},
    {
        "key": "kind",
        "name": "类型",
        "type": "single_select",
        "options": {"choices": [{"value": "整车"}, {"value": "配件"}]},
    },
    {"key": "vin", "name": "VIN", "type": "text", "required": True},
    {
        "key": "priority",
        "name": "优先级",
        "type": "single_select",
        "options": {"choices": [{"value": v} for v in ("高", "中", "低")]},
    },
    {"key": "amount", "name": "金额", "type": "number", "options": {"decimals": 2}},
    {"key": "gross", "name": "含税金额", "type": "number", "options": {"decimals": 2}},
    {"key": "locked_note", "name": "结案说明", "type": "text"},
    {"key": "note", "name": "备注", "type": "text"},
    {"key": "due", "name": "到期日", "type": "date", "options": {"default_formula": "TODAY() + 7"}},
    {"key": "handler", "name": "经办人", "type": "user", "options": {"default_formula": "CURRENTUSER()"}},
    {"key": "dept", "name": "部门", "type": "text", "options": {"default_formula": "CURRENTDEPARTMENT()"}},
]  # fmt: skip
LAYOUT: dict[str, Any] = {
    "sections": [
        {"title": "基本", "rows": [["title", "status"], ["kind", "vin", "priority"]]},
        {"key": "s_reject", "title": "驳回", "rows": [["reason"]]},
        {"title": "金额", "rows": [["amount", "gross"], ["locked_note", "note"]]},
    ],
    "rules": [
        *LINKAGE_RULES,
        {
            "name": "完成锁定",
            "when": '{status} = "已完成"',
            "actions": [
                {"type": "readonly", "fields": ["locked_note"]},
                {"type": "clear", "fields": ["note"]},
            ],
        },
    ],
}


@pytest.fixture
def desk(services: Services, client: TestClient) -> TestClient:
    assert client.post("/api/v1/apps", json={"key": "desk", "name": "服务台"}).status_code == 201
    r = client.post(
        "/api/v1/apps/desk/tables", json={"key": "tickets", "name": "工单", "fields": FIELDS}
    )
    assert r.status_code == 201, r.text
    r = client.put(f"{T}/layout", json=LAYOUT)
    assert r.status_code == 200, r.text
    return client


def errors(r: Any) -> dict[str, list[str]]:
    assert r.status_code == 422, r.text
    out: dict[str, list[str]] = {}
    for e in r.json()["errors"]:
        out.setdefault(e["field"], []).append(e["code"])
    return out


def count(c: TestClient) -> int:
    return len(c.get(R).json()["items"])


# -- enforcement --------------------------------------------------------------------------------
def test_a_required_field_missing_because_the_condition_holds_is_a_422_naming_the_rule(
    desk: TestClient,
) -> None:
    r = desk.post(R, json={"title": "a", "status": "已驳回", "kind": "配件"})
    assert errors(r) == {"reason": ["form.rule_required"]}
    [e] = r.json()["errors"]
    assert "驳回须填原因" in e["message"]
    zh = desk.post(
        R,
        json={"title": "a", "status": "已驳回", "kind": "配件"},
        headers={"accept-language": "zh-CN"},
    )
    assert zh.json()["errors"][0]["message"] == "规则“驳回须填原因”要求必填。"
    assert count(desk) == 0
    ok = desk.post(R, json={"title": "a", "status": "已驳回", "kind": "配件", "reason": "缺件"})
    assert ok.status_code == 201, ok.text


def test_an_update_that_makes_the_rule_hold_needs_the_field_and_changes_nothing_on_422(
    desk: TestClient,
) -> None:
    rec = desk.post(R, json={"title": "a", "status": "待处理", "kind": "配件"}).json()
    r = desk.patch(f"{R}/{rec['id']}", json={"status": "已驳回", "version": rec["version"]})
    assert errors(r) == {"reason": ["form.rule_required"]}
    again = desk.get(f"{R}/{rec['id']}").json()
    assert again["status"] == "待处理" and again["version"] == rec["version"]
    r = desk.patch(
        f"{R}/{rec['id']}", json={"status": "已驳回", "reason": "缺件", "version": rec["version"]}
    )
    assert r.status_code == 200, r.text


def test_a_hidden_field_is_not_required(desk: TestClient) -> None:
    """VIN is a required field, shown only for 整车: hidden for 配件, so not required."""
    r = desk.post(R, json={"title": "a", "kind": "配件"})
    assert r.status_code == 201, r.text
    assert errors(desk.post(R, json={"title": "b", "kind": "整车"})) == {"vin": ["field.required"]}
    assert desk.post(R, json={"title": "c", "kind": "整车", "vin": "LSV123"}).status_code == 201


def test_set_and_clear_are_applied_by_the_server(desk: TestClient) -> None:
    r = desk.post(R, json={"title": "a", "kind": "配件", "amount": 100, "gross": 5, "note": "x"})
    assert r.status_code == 201, r.text
    assert r.json()["gross"] == 113 and r.json()["note"] == "x"
    rec = r.json()
    r = desk.patch(
        f"{R}/{rec['id']}", json={"amount": 20.5, "status": "已完成", "version": rec["version"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["gross"] == 23.17  # 23.165 rounded to the field's 2 places
    assert r.json()["note"] is None
    history = desk.get(f"{R}/{rec['id']}/history").json()["items"]
    changed = {c["field"] for c in history[0]["changes"]}
    assert {"gross", "note", "amount", "status"} <= changed


def test_a_read_only_field_cannot_change_while_the_rule_holds(desk: TestClient) -> None:
    rec = desk.post(R, json={"title": "a", "kind": "配件", "locked_note": "done"}).json()
    r = desk.patch(f"{R}/{rec['id']}", json={"status": "已完成", "version": rec["version"]})
    assert r.status_code == 200, r.text
    rec = r.json()
    r = desk.patch(f"{R}/{rec['id']}", json={"locked_note": "x", "version": rec["version"]})
    assert errors(r) == {"locked_note": ["form.rule_readonly"]}
    assert "完成锁定" in r.json()["errors"][0]["message"]
    # Written with its value while the rule holds: refused on create too.
    r = desk.post(R, json={"title": "b", "kind": "配件", "status": "已完成", "locked_note": "y"})
    assert errors(r) == {"locked_note": ["form.rule_readonly"]}
    # The same value, or another field, is fine.
    same = desk.patch(f"{R}/{rec['id']}", json={"locked_note": "done", "version": rec["version"]})
    assert same.status_code == 200, same.text
    v = same.json()["version"]
    reopened = desk.patch(
        f"{R}/{rec['id']}", json={"status": "待处理", "locked_note": "x", "version": v}
    )
    assert reopened.status_code == 200, reopened.text  # the rule no longer holds after the write


def test_limited_options_refuse_the_others(desk: TestClient) -> None:
    r = desk.post(R, json={"title": "a", "kind": "整车", "vin": "L1", "priority": "低"})
    assert errors(r) == {"priority": ["form.rule_options"]}
    assert desk.post(R, json={"title": "a", "kind": "整车", "vin": "L1", "priority": "中"}).status_code == 201  # fmt: skip
    assert desk.post(R, json={"title": "a", "kind": "配件", "priority": "低"}).status_code == 201


def test_bulk_writes_are_checked_item_by_item_and_saved_all_or_nothing(desk: TestClient) -> None:
    rows = [
        {"title": "ok", "kind": "配件"},
        {"title": "no reason", "kind": "配件", "status": "已驳回"},
        {"title": "bad option", "kind": "整车", "vin": "L2", "priority": "低"},
        {"title": "gross", "kind": "配件", "amount": 10},
    ]
    r = desk.post(f"{R}/bulk", json={"records": rows})
    assert errors(r) == {
        "records.1.reason": ["form.rule_required"],
        "records.2.priority": ["form.rule_options"],
    }
    assert count(desk) == 0
    del rows[1:3]
    r = desk.post(f"{R}/bulk", json={"records": rows})
    assert r.status_code == 201, r.text
    assert [x["gross"] for x in r.json()["items"]] == [None, 11.3]


def test_default_formulas_fill_a_new_record_for_the_user(
    services: Services, desk: TestClient
) -> None:
    org = Org(services)
    org.department("华东销售部")
    uid = org.user("ann", "华东销售部")
    org.role(
        "desk",
        ["ann"],
        [{"app": "desk", "table": "tickets", "actions": ["create", "read", "update"]}],
    )
    with org.client("ann") as ann:
        d = ann.get(f"{T}/defaults")
        assert d.status_code == 200, d.text
        # The frozen clock stands at 2026-01-05 (Shanghai): due a week later.
        assert d.json()["values"] == {"due": "2026-01-12", "handler": uid, "dept": "华东销售部"}
        rec = ann.post(R, json={"title": "a", "kind": "配件"})
        assert rec.status_code == 201, rec.text
        got = rec.json()
        assert (got["due"], got["handler"], got["dept"]) == ("2026-01-12", uid, "华东销售部")
        given = ann.post(R, json={"title": "b", "kind": "配件", "due": "2026-02-01", "dept": None})
        assert (given.json()["due"], given.json()["dept"]) == ("2026-02-01", None)


def test_a_default_formula_must_check(desk: TestClient) -> None:
    r = desk.post(
        f"{T}/fields",
        json={"key": "d2", "type": "number", "options": {"default_formula": "TODAY()"}},
    )
    assert errors(r) == {"options.default_formula": ["form.default_formula_type"]}
    r = desk.patch(f"{T}/fields/due", json={"options": {"default_formula": "{amount}"}})
    assert errors(r) == {"options.default_formula": ["formula.unknown_field"]}
    assert (
        desk.get(f"{T}/fields").json()["items"][10]["options"]["default_formula"] == "TODAY() + 7"
    )


def test_a_layout_rule_that_does_not_check_is_refused(desk: TestClient) -> None:
    bad = {
        **LAYOUT,
        "rules": [
            {"name": "x", "when": "WORKDAY(TODAY(), 1) > {due}", "actions": [{"type": "require", "fields": ["reason"]}]},
            {"name": "y", "when": "{amount}", "actions": [{"type": "set", "field": "gross", "value": "{title}"}]},
        ],
    }  # fmt: skip
    assert errors(desk.put(f"{T}/layout", json=bad)) == {
        "rules.0.when": ["formula.not_in_browser"],
        "rules.1.when": ["formula.not_boolean"],
        "rules.1.actions.0.value": ["form.set_type"],
    }


# -- form variants --------------------------------------------------------------------------------
INTAKE: dict[str, Any] = {
    "key": "intake",
    "name": "快速登记",
    "roles": ["desk"],
    "layout": {
        "sections": [{"title": "", "rows": [["title", "amount"], ["note"]]}],
        "rules": [
            {
                "name": "大额须写备注",
                "when": "{amount} > 1000",
                "actions": [{"type": "require", "fields": ["note"]}],
            }
        ],
    },
}


def test_variants_are_listed_read_written_through_and_audited(
    services: Services, desk: TestClient
) -> None:
    org = Org(services)
    org.user("ann")
    org.user("bob")
    org.role("desk", ["ann"], [{"app": "desk", "table": "tickets", "actions": ["create", "read"]}])
    r = desk.post(f"{T}/forms", json=INTAKE)
    assert r.status_code == 201, r.text
    form = r.json()
    assert form["key"] == "intake" and form["layout"]["rules"] == INTAKE["layout"]["rules"]
    # A variant shows the fields it places, and only those.
    assert form["effective"]["sections"] == [
        {"title": "", "collapsed": False, "rows": [["title", "amount"], ["note"]]}
    ]
    [rule] = form["linkage"]["rules"]
    assert rule["when"] == {
        "fn": ">",
        "t": "boolean",
        "cv": ["any", "any"],
        "args": [{"ref": "amount", "t": "number"}, {"lit": 1000.0, "t": "number"}],
    }
    assert form["env"]["today"] == "2026-01-05" and form["env"]["utc_offset"] == 8 * 3600
    assert errors(desk.post(f"{T}/forms", json=INTAKE)) == {"key": ["form.key_taken"]}
    assert errors(desk.post(f"{T}/forms", json={**INTAKE, "key": "default"})) == {
        "key": ["form.key_taken"]
    }
    assert errors(desk.post(f"{T}/forms", json={**INTAKE, "key": "x", "roles": ["nope"]})) == {
        "roles.0": ["form.role_unknown"]
    }
    bad = {**INTAKE, "key": "y", "layout": {"rules": [{"name": "z", "when": "{nope}", "actions": [{"type": "clear", "fields": ["note"]}]}]}}  # fmt: skip
    assert errors(desk.post(f"{T}/forms", json=bad)) == {"layout.rules.0.when": ["formula.unknown_field"]}  # fmt: skip

    listed = desk.get(f"{T}/forms").json()
    assert [(f["key"], f["default"]) for f in listed["items"]] == [
        ("default", True),
        ("intake", False),
    ]
    assert listed["in_force"] == "default"  # the administrator has no role naming it
    with org.client("ann") as ann:
        assert ann.get(f"{T}/forms").json()["in_force"] == "intake"
        assert ann.get(f"{T}/forms/intake").status_code == 200
        assert ann.post(f"{T}/forms", json={**INTAKE, "key": "mine"}).status_code == 403
        assert ann.patch(f"{T}/forms/intake", json={"name": "x"}).status_code == 403
        # Through the variant its rules hold, not the default form's.
        r = ann.post(f"{R}?form=intake", json={"title": "a", "amount": 5000})
        assert errors(r) == {"note": ["form.rule_required"]}
        # Fields the variant leaves out are not on its form: VIN (required) is not asked for.
        r = ann.post(f"{R}?form=intake", json={"title": "a", "kind": "整车", "status": "已驳回"})
        assert r.status_code == 201, r.text
        assert errors(ann.post(f"{R}?form=nope", json={"title": "a"})) == {
            "form": ["form.not_found"]
        }
    with org.client("bob") as bob:
        assert bob.get(f"{T}/forms").status_code == 403

    r = desk.patch(f"{T}/forms/intake", json={"name": "登记", "position": 3, "version": 1})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["version"]) == ("登记", 2)
    assert desk.patch(f"{T}/forms/intake", json={"name": "x", "version": 1}).status_code == 409
    assert errors(desk.patch(f"{T}/forms/default", json={"name": "x"})) == {
        "key": ["form.default_fixed"]
    }
    r = desk.patch(f"{T}/forms/default", json={"layout": {"sections": []}})
    assert r.status_code == 200 and r.json()["layout"] is None
    assert desk.delete(f"{T}/forms/intake").status_code == 204
    assert desk.get(f"{T}/forms/intake").status_code == 404
    actions = [e["action"] for e in desk.get("/api/v1/audit", params={"limit": 50}).json()["items"]]
    assert {"form.create", "form.update", "form.delete"} <= set(actions)


def test_variants_travel_in_the_app_package(desk: TestClient) -> None:
    assert desk.post(f"{T}/forms", json={**INTAKE, "roles": []}).status_code == 201
    text = desk.get("/api/v1/apps/desk/export").text
    pkg = yaml.safe_load(text)
    tickets = next(t for t in pkg["tables"] if t["key"] == "tickets")
    assert tickets["forms"][0]["key"] == "intake"
    assert [r["name"] for r in tickets["layout"]["rules"]] == [r["name"] for r in LAYOUT["rules"]]
    assert tickets["layout"]["rules"][0]["when"] == '{status} = "已驳回"'  # keys, not names
    due = next(f for f in tickets["fields"] if f["key"] == "due")
    assert due["options"]["default_formula"] == "TODAY() + 7"
    r = desk.post("/api/v1/apps/import?key=desk2", content=text.encode())
    assert r.status_code == 201, r.text
    again = yaml.safe_load(desk.get("/api/v1/apps/desk2/export").text)
    again["app"]["key"] = pkg["app"]["key"]
    assert again == pkg
    # The copy enforces the same rules.
    r = desk.post(
        "/api/v1/apps/desk2/tables/tickets/records?form=intake", json={"title": "a", "amount": 5000}
    )
    assert errors(r) == {"note": ["form.rule_required"]}


# -- a process step's form -----------------------------------------------------------------------
STEP_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="https://cairn.dev/t">
  <bpmn:process id="handle" name="处理" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="tickets" autoStart="manual"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="审核">
      <bpmn:extensionElements>
        <cairn:assignee type="user" value="admin"/>
        <cairn:form variant="VARIANT">
          <cairn:field key="status" access="edit"/>
          <cairn:field key="reason" access="edit" required="true"/>
          <cairn:field key="note" access="edit"/>
        </cairn:form>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""
REVIEW = {
    "key": "review",
    "name": "审核表单",
    "layout": {
        "sections": [{"title": "", "rows": [["status"], ["reason"], ["note"]]}],
        "rules": [
            {
                "name": "驳回说明",
                "when": '{status} = "已驳回"',
                "actions": [
                    {"type": "show", "fields": ["reason"]},
                    {"type": "require", "fields": ["note"]},
                ],
            }
        ],
    },
}


def test_a_process_step_saves_its_form_through_its_variant(desk: TestClient) -> None:
    r = desk.post(
        "/api/v1/apps/desk/processes", json={"bpmn": STEP_BPMN.replace("VARIANT", "review")}
    )
    assert errors(r) == {"bpmn.review": ["form.variant_unknown"]}
    assert desk.post(f"{T}/forms", json=REVIEW).status_code == 201
    deploy(desk, "desk", STEP_BPMN.replace("VARIANT", "review"))
    rec = desk.post(R, json={"title": "a", "kind": "配件"}).json()
    inst = desk.post("/api/v1/apps/desk/processes/handle/start", json={"record_id": rec["id"]})
    assert inst.status_code == 201, inst.text
    [task] = [t for t in desk.get("/api/v1/tasks", params={"box": "mine"}).json()["items"]]
    detail = desk.get(f"/api/v1/tasks/{task['id']}").json()
    assert detail["form_variant"] == "review"
    # 待处理: the variant hides 驳回原因, so the step's "required" does not ask for it.
    r = desk.post(f"/api/v1/tasks/{task['id']}/approve", json={"data": {"status": "已驳回"}})
    assert errors(r) == {"note": ["form.rule_required"]}
    r = desk.post(
        f"/api/v1/tasks/{task['id']}/approve",
        json={"data": {"status": "待处理", "note": "ok"}},
    )
    assert r.status_code == 200, r.text
