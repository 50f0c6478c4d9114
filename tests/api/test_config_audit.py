"""Schema and configuration changes in the audit log: each create, change, delete (and restore)
of an app, table, field, rule, dashboard, alert, saved view, channel, role, department, user,
process version, the 360° view and the form layout writes one entry with what changed, in the
hash chain, secrets masked; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cairn.auth import audit
from cairn.services import Services
from cairn.services.uow import unit_of_work

A = "/api/v1/apps/crm"
T = f"{A}/tables/customers"


def entries(c: TestClient, target_type: str) -> list[dict[str, Any]]:
    """The entries about ``target_type``, oldest first."""
    r = c.get("/api/v1/audit", params={"target_type": target_type, "limit": 200})
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["items"]))


def chain_holds(services: Services) -> None:
    with unit_of_work(services, write=False) as uow:
        result = audit.verify(uow.conn)
    assert result.ok, result


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json() if r.content else {}


def test_a_field_rename_shows_in_the_audit_log(services: Services, crm: TestClient) -> None:
    ok(crm.patch(f"{T}/fields/email", json={"name": "电子邮箱"}))
    [e] = [x for x in entries(crm, "field") if x["action"] == "field.update"]
    assert e["details"]["before"] == {"name": "邮箱"} and e["details"]["after"] == {
        "name": "电子邮箱"
    }
    assert e["details"]["changed"] == ["name"] and e["details"]["key"] == "email"
    assert e["table_id"] is not None and e["app_id"] is not None and e["actor_name"] == "admin"
    chain_holds(services)


def test_fields_are_audited_from_creation_to_restore(services: Services, crm: TestClient) -> None:
    f = ok(crm.post(f"{T}/fields", json={"key": "vip_no", "name": "会员号", "type": "text"}), 201)
    ok(crm.delete(f"{T}/fields/vip_no"), 204)
    ok(crm.post(f"{T}/recycle-bin/fields/{f['id']}/restore"))
    log = [e for e in entries(crm, "field") if e["target_id"] == str(f["id"])]
    assert [e["action"] for e in log] == ["field.create", "field.delete", "field.restore"]
    assert log[0]["details"]["after"]["type"] == "text"
    assert log[1]["details"]["before"]["name"] == "会员号"
    chain_holds(services)


def test_apps_and_tables(services: Services, crm: TestClient) -> None:
    ok(crm.post("/api/v1/apps", json={"key": "ops", "name": "运营"}), 201)
    ok(crm.patch("/api/v1/apps/ops", json={"name": "运营中心"}))
    ok(crm.delete("/api/v1/apps/ops"), 204)
    apps = [e for e in entries(crm, "app") if e["details"].get("key") == "ops"]
    assert [e["action"] for e in apps] == ["app.create", "app.update", "app.delete"]
    assert apps[1]["details"]["before"] == {"name": "运营"}
    app_id = int(apps[0]["target_id"])
    ok(crm.post(f"/api/v1/apps/recycle-bin/{app_id}/restore"))
    assert entries(crm, "app")[-1]["action"] == "app.restore"

    body = {"key": "notes", "name": "备注", "fields": [{"key": "t", "name": "T", "type": "text"}]}
    t = ok(crm.post(f"{A}/tables", json=body), 201)
    ok(crm.patch(f"{A}/tables/notes", json={"name": "笔记", "display_field": "t"}))
    ok(crm.delete(f"{A}/tables/notes"), 204)
    ok(crm.post(f"{A}/recycle-bin/tables/{t['id']}/restore"))
    log = [e for e in entries(crm, "table") if e["target_id"] == str(t["id"])]
    assert [e["action"] for e in log] == [
        "table.create",
        "table.update",
        "table.delete",
        "table.restore",
    ]
    assert log[1]["details"]["before"] == {"name": "备注", "display_field": None}
    assert log[1]["details"]["after"] == {"name": "笔记", "display_field": "t"}
    assert all(e["table_id"] == t["id"] for e in log)
    chain_holds(services)


def test_the_form_layout_and_the_customer_view(services: Services, crm: TestClient) -> None:
    layout = {"sections": [{"title": "基本", "collapsed": False, "rows": [["name", "tier"]]}]}
    ok(crm.put(f"{T}/layout", json=layout))
    [e] = entries(crm, "table")[-1:]
    assert e["action"] == "table.layout"
    assert e["details"]["before"] == {"layout": None}
    assert e["details"]["after"]["layout"]["sections"][0]["rows"] == [["name", "tier"]]
    ok(crm.put(f"{A}/customer-view", json={"table": "customers", "metrics": [], "sections": []}))
    [cv] = entries(crm, "customer_view")
    assert cv["action"] == "customer_view.update" and cv["details"]["after"]["value"]
    chain_holds(services)


def test_rules_dashboards_and_views(services: Services, crm: TestClient) -> None:
    rule = {
        "key": "vip",
        "name": "VIP",
        "table": "customers",
        "trigger": {"type": "record.created"},
        "actions": [{"type": "notify", "channel": "inapp", "to": ["user:1"], "body": "x"}],
    }
    r = ok(crm.post(f"{A}/rules", json=rule), 201)
    ok(crm.put(f"{A}/rules/{r['id']}", json={**rule, "name": "VIP 提醒", "version": r["version"]}))
    ok(crm.delete(f"{A}/rules/{r['id']}"), 204)
    log = entries(crm, "rule")
    assert [e["action"] for e in log] == ["rule.create", "rule.update", "rule.delete"]
    assert log[1]["details"]["before"]["name"] == "VIP"
    assert log[1]["details"]["after"]["name"] == "VIP 提醒"
    assert log[2]["details"]["before"]["key"] == "vip" and log[0]["table_id"] is not None

    board = {"key": "b", "name": "B", "widgets": []}
    d = ok(crm.post(f"{A}/dashboards", json=board), 201)
    ok(crm.put(f"{A}/dashboards/{d['id']}", json={**board, "name": "BB", "version": d["version"]}))
    ok(crm.delete(f"{A}/dashboards/{d['id']}"), 204)
    log = entries(crm, "dashboard")
    assert [e["action"] for e in log] == [
        "dashboard.create",
        "dashboard.update",
        "dashboard.delete",
    ]
    assert log[1]["details"]["after"] == {"name": "BB"}

    v = ok(crm.post(f"{T}/views", json={"name": "V1", "config": {}}), 201)
    ok(crm.patch(f"{T}/views/{v['id']}", json={"name": "V2", "version": v["version"]}))
    ok(crm.delete(f"{T}/views/{v['id']}"), 204)
    log = entries(crm, "view")
    assert [e["action"] for e in log] == ["view.create", "view.update", "view.delete"]
    assert log[1]["details"]["before"] == {"name": "V1"} and log[1]["table_id"] is not None
    chain_holds(services)


def test_channels_keep_their_secrets_out(services: Services, crm: TestClient) -> None:
    body = {"key": "webhook", "settings": {"secret": "SECabc123"}}
    ok(crm.post("/api/v1/channels", json=body), 201)
    ok(crm.patch("/api/v1/channels/webhook", json={"settings": {"secret": "SECdef456"}}))
    ok(crm.delete("/api/v1/channels/webhook"), 204)
    log = entries(crm, "channel")
    assert [e["action"] for e in log] == ["channel.create", "channel.update", "channel.delete"]
    assert log[1]["details"]["before"]["settings"] == {"secret": "••••••"}
    assert log[2]["details"]["before"]["kind"] == "webhook"
    text = str(crm.get("/api/v1/audit", params={"limit": 200}).json())
    assert "SECabc" not in text and "SECdef" not in text
    chain_holds(services)


def test_roles_grants_members_departments_and_users(services: Services, crm: TestClient) -> None:
    u = ok(crm.post("/api/v1/users", json={"username": "li", "password": "li-password-1"}), 201)
    role = {"key": "sales", "name": "销售"}
    ok(crm.post("/api/v1/roles", json=role), 201)
    grant = [{"app": "crm", "table": "customers", "actions": ["read"]}]
    ok(crm.patch("/api/v1/roles/sales", json={"tables": grant, "members": ["li"]}))
    ok(crm.delete("/api/v1/roles/sales"), 204)
    log = entries(crm, "role")
    assert [e["action"] for e in log] == [
        "permission.role_create",
        "permission.role_update",
        "permission.role_delete",
    ]
    assert log[2]["details"]["before"]["tables"]["crm.customers"]["actions"] == ["read"]
    assert log[2]["details"]["before"]["members"] == ["li"]

    d = ok(crm.post("/api/v1/departments", json={"name": "华东"}), 201)
    ok(crm.patch(f"/api/v1/departments/{d['id']}", json={"name": "华东区"}))
    ok(crm.patch(f"/api/v1/users/{u['id']}", json={"department_id": d["id"]}))
    ok(crm.patch(f"/api/v1/users/{u['id']}", json={"department_id": None}))
    ok(crm.delete(f"/api/v1/departments/{d['id']}"), 204)
    log = entries(crm, "department")
    assert [e["action"] for e in log] == [
        "department.create",
        "department.update",
        "department.delete",
    ]
    assert log[2]["details"]["before"] == {"name": "华东区", "parent_id": None, "manager_id": None, "position": 0}  # fmt: skip
    users = [e for e in entries(crm, "user") if e["target_id"] == str(u["id"])]
    assert users[0]["action"] == "user.create"
    assert "password" in users[0]["details"]["after"]
    assert users[0]["details"]["after"]["password"] == "••••••"
    assert users[1]["details"]["after"] == {"department_id": d["id"]}
    chain_holds(services)


def test_an_alert_change_carries_before_and_after(services: Services, crm: TestClient) -> None:
    body = {
        "key": "many",
        "name": "Many",
        "dataset": {"table": "customers", "measures": [{"agg": "count"}]},
        "op": ">",
        "threshold": 10,
        "schedule": {"every": 15, "unit": "minutes"},
        "actions": [{"type": "notify", "channel": "inapp", "to": ["user:1"], "body": "x"}],
    }
    a = ok(crm.post(f"{A}/alerts", json=body), 201)
    ok(crm.put(f"{A}/alerts/{a['id']}", json={**body, "threshold": 20, "version": a["version"]}))
    ok(crm.delete(f"{A}/alerts/{a['id']}"), 204)
    log = entries(crm, "alert")
    assert [e["action"] for e in log] == ["alert.create", "alert.update", "alert.delete"]
    assert log[1]["details"]["before"]["spec"] == {"threshold": 10.0}
    assert log[1]["details"]["after"]["spec"] == {"threshold": 20.0}
    assert log[2]["details"]["before"]["name"] == "Many"
    chain_holds(services)


BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" name="P" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>
    <bpmn:endEvent id="e"><bpmn:incoming>f</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_process_deploy_names_its_version(services: Services, crm: TestClient) -> None:
    xml = BPMN
    ok(crm.post(f"{A}/processes", json={"bpmn": xml, "key": "p"}), 201)
    ok(crm.post(f"{A}/processes", json={"bpmn": xml, "key": "p"}), 201)
    log = entries(crm, "process_definition")
    assert [e["action"] for e in log] == ["process.deploy", "process.deploy"]
    assert [e["details"]["after"]["version"] for e in log] == [1, 2]
    assert len(log[0]["details"]["after"]["bpmn"]["sha256"]) == 64
    chain_holds(services)


def test_every_action_written_is_in_the_list() -> None:
    """The audit page translates ``audit.ACTIONS``: every literal action code in the code is
    there, and so is every code the change tracker makes."""
    src = Path(__file__).resolve().parents[2] / "src" / "cairn"
    text = "\n".join(p.read_text() for p in src.rglob("*.py"))
    written = set(re.findall(r'Entry\(\s*"([a-z_]+\.[a-z_]+)"', text))
    assert written and written <= set(audit.ACTIONS), written - set(audit.ACTIONS)
    for kind in audit.CONFIG_KINDS:
        assert {f"{kind}.create", f"{kind}.update", f"{kind}.delete"} <= set(audit.ACTIONS)
