from __future__ import annotations

import yaml
from fastapi.testclient import TestClient


def test_export_import_round_trip(crm: TestClient) -> None:
    crm.post(
        "/api/v1/apps/crm/tables/customers/fields",
        json={
            "key": "order_total",
            "type": "rollup",
            "options": {"relation": "orders", "field": "amount", "function": "sum"},
        },
    )
    crm.post(
        "/api/v1/apps/crm/tables/orders/fields",
        json={
            "key": "customer_tier",
            "type": "lookup",
            "options": {"relation": "customer", "field": "tier"},
        },
    )
    layout = {
        "sections": [
            {"title": "基本信息", "collapsed": False, "rows": [["name", "phone"], ["order_total"]]},
            {"title": "Contract", "collapsed": True, "rows": [["credit", None, "signed_on"]]},
        ]
    }
    assert crm.put("/api/v1/apps/crm/tables/customers/layout", json=layout).status_code == 200
    text = crm.get("/api/v1/apps/crm/export").text
    first = yaml.safe_load(text)
    assert first["tables"][0]["layout"] == layout
    assert "layout" not in first["tables"][1]  # orders keeps the default
    r = crm.post(
        "/api/v1/apps/import?key=copy",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    second = yaml.safe_load(crm.get("/api/v1/apps/copy/export").text)
    assert second["app"].pop("key") == "copy"
    first["app"].pop("key")
    assert second == first
    copied = crm.get("/api/v1/apps/copy/tables/customers/layout").json()
    assert copied["layout"] == layout


def test_a_package_with_a_bad_layout_is_refused(crm: TestClient) -> None:
    pkg = yaml.safe_load(crm.get("/api/v1/apps/crm/export").text)
    pkg["tables"][0]["layout"] = {"sections": [{"rows": [["name", "nope"]]}]}
    r = crm.post("/api/v1/apps/import?key=copy", content=yaml.safe_dump(pkg).encode())
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["tables.0.layout.sections.0.rows.0.1"]
    assert [a["key"] for a in crm.get("/api/v1/apps").json()["items"]] == ["crm"]


def test_malformed_packages_change_nothing(crm: TestClient) -> None:
    for body in [
        b"app: [unclosed",
        b"- just a list",
        b"format: cairn.app/1\napp: {key: x}\ntables: [{key: t, fields: [{key: f, type: nope}]}]",
    ]:
        r = crm.post(
            "/api/v1/apps/import", content=body, headers={"content-type": "application/yaml"}
        )
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
    assert [a["key"] for a in crm.get("/api/v1/apps").json()["items"]] == ["crm"]


def test_import_existing_key_conflicts(crm: TestClient) -> None:
    text = crm.get("/api/v1/apps/crm/export").text
    r = crm.post("/api/v1/apps/import", content=text.encode())
    assert r.status_code == 409


def test_an_imported_rule_belongs_to_the_importer(crm: TestClient) -> None:
    """A package's rules run with the permissions of the administrator who imported it, not as
    the system (which may do anything)."""
    rule = {
        "key": "vip_welcome",
        "name": "VIP 欢迎",
        "table": "customers",
        "trigger": {"type": "record.created"},
        "condition": '{tier} = "VIP"',
        "actions": [{"type": "notify", "channel": "inapp", "to": ["owner"], "body": "新 VIP"}],
    }
    r = crm.post("/api/v1/apps/crm/rules", json=rule)
    assert r.status_code == 201, r.text
    me = crm.get("/api/v1/auth/me").json()["user"]["id"]
    text = crm.get("/api/v1/apps/crm/export").text
    assert yaml.safe_load(text)["rules"][0]["key"] == "vip_welcome"
    r = crm.post(
        "/api/v1/apps/import?key=crm2",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    (imported,) = crm.get("/api/v1/apps/crm2/rules").json()["items"]
    assert imported["key"] == "vip_welcome" and imported["owner_id"] == me


def test_the_customer_view_travels_with_the_package(crm: TestClient) -> None:
    view = {
        "table": "customers",
        "metrics": ["credit", "flight_hours"],
        "sections": [{"relation": "orders"}],
    }
    assert crm.put("/api/v1/apps/crm/customer-view", json=view).status_code == 200
    text = crm.get("/api/v1/apps/crm/export").text
    first = yaml.safe_load(text)
    assert first["customer_view"] == view
    r = crm.post("/api/v1/apps/import?key=copy", content=text.encode())
    assert r.status_code == 201, r.text
    assert crm.get("/api/v1/apps/copy/customer-view").json() == view
    second = yaml.safe_load(crm.get("/api/v1/apps/copy/export").text)
    second["app"].pop("key")
    first["app"].pop("key")
    assert second == first


def test_an_app_without_a_customer_view_exports_none(crm: TestClient) -> None:
    pkg = yaml.safe_load(crm.get("/api/v1/apps/crm/export").text)
    assert "customer_view" not in pkg
    r = crm.post("/api/v1/apps/import?key=copy", content=yaml.safe_dump(pkg).encode())
    assert r.status_code == 201, r.text
    assert crm.get("/api/v1/apps/copy/customer-view").json()["table"] is None


def test_a_package_with_a_bad_customer_view_is_refused(crm: TestClient) -> None:
    pkg = yaml.safe_load(crm.get("/api/v1/apps/crm/export").text)
    for bad, where in (
        ({"table": "customers", "metrics": ["nope"], "sections": []}, "customer_view.metrics.0"),
        ({"table": "customers", "sections": [{"relation": "name"}]}, "customer_view.sections.0"),
        ({"table": "customers", "colour": "red"}, "customer_view.body"),
        ("customers", "customer_view"),
    ):
        pkg["customer_view"] = bad
        r = crm.post("/api/v1/apps/import?key=copy", content=yaml.safe_dump(pkg).encode())
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"].startswith(where), r.text
    pkg["customer_view"] = {"table": "nope", "metrics": [], "sections": []}
    r = crm.post("/api/v1/apps/import?key=copy", content=yaml.safe_dump(pkg).encode())
    assert r.status_code in (404, 422), r.text
    assert [a["key"] for a in crm.get("/api/v1/apps").json()["items"]] == ["crm"]
