from __future__ import annotations

from fastapi.testclient import TestClient

from cairn.services import Services
from factories import make_services

T = "/api/v1/apps/crm/tables"


def test_table_has_fields_in_order(crm: TestClient) -> None:
    t = crm.get(f"{T}/customers").json()
    assert [f["key"] for f in t["fields"]][:3] == ["name", "phone", "email"]
    assert t["display_field"] == "name"
    tier = next(f for f in t["fields"] if f["key"] == "tier")
    assert [c["value"] for c in tier["options"]["choices"]] == ["VIP", "Gold", "Standard"]
    assert tier["options"]["choices"][0]["color"] == "#d4380d"
    assert all(c["id"] for c in tier["options"]["choices"])


def test_relation_has_a_reverse_side(crm: TestClient) -> None:
    orders = crm.get(f"{T}/orders").json()
    rel = next(f for f in orders["fields"] if f["key"] == "customer")
    assert rel["options"]["target_table"] == "customers"
    assert rel["options"]["reverse_field"] == "orders"
    customers = crm.get(f"{T}/customers").json()
    rev = next(f for f in customers["fields"] if f["key"] == "orders")
    assert rev["type"] == "relation" and rev["options"]["target_table"] == "orders"


def test_unknown_type_and_bad_options(crm: TestClient) -> None:
    r = crm.post(f"{T}/customers/fields", json={"key": "x", "type": "hologram"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "type"
    r = crm.post(
        f"{T}/customers/fields",
        json={"key": "x", "type": "number", "options": {"min": 5, "max": 1}},
    )
    assert r.status_code == 422
    r = crm.post(
        f"{T}/customers/fields", json={"key": "x", "type": "text", "options": {"pattern": "("}}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "options.pattern"
    r = crm.post(f"{T}/customers/fields", json={"key": "name", "type": "text"})
    assert r.status_code == 422
    assert len(crm.get(f"{T}/customers/fields").json()["items"]) == 11


def test_rename_is_metadata_only(crm: TestClient) -> None:
    rec = crm.post(f"{T}/customers/records", json={"name": "华东通航"}).json()
    r = crm.patch(f"{T}/customers/fields/name", json={"name": "公司名称"})
    assert r.json()["name"] == "公司名称"
    assert crm.get(f"{T}/customers/records/{rec['id']}").json()["name"] == "华东通航"


def test_option_rename_keeps_data(crm: TestClient) -> None:
    rec = crm.post(f"{T}/customers/records", json={"name": "A", "tier": "Gold"}).json()
    tier = next(f for f in crm.get(f"{T}/customers").json()["fields"] if f["key"] == "tier")
    choices = tier["options"]["choices"]
    choices[1]["value"] = "金卡"
    r = crm.patch(f"{T}/customers/fields/tier", json={"options": {"choices": choices}})
    assert r.status_code == 200, r.text
    assert crm.get(f"{T}/customers/records/{rec['id']}").json()["tier"] == "金卡"


def test_delete_and_restore_field_keeps_values(crm: TestClient) -> None:
    rec = crm.post(f"{T}/customers/records", json={"name": "A", "email": "a@example.com"}).json()
    assert crm.delete(f"{T}/customers/fields/email").status_code == 204
    assert "email" not in crm.get(f"{T}/customers/records/{rec['id']}").json()
    binned = crm.get("/api/v1/apps/crm/recycle-bin").json()["fields"]
    fid = next(f["id"] for f in binned if f["key"] == "email")
    r = crm.post(f"{T}/customers/recycle-bin/fields/{fid}/restore")
    assert r.status_code == 200, r.text
    assert crm.get(f"{T}/customers/records/{rec['id']}").json()["email"] == "a@example.com"


def test_delete_table_into_recycle_bin(crm: TestClient) -> None:
    r = crm.delete(f"{T}/customers")
    assert r.status_code == 422  # orders.customer points at it
    assert "orders.customer" in r.json()["errors"][0]["message"]
    crm.post(f"{T}/orders/records", json={"title": "x"})
    assert crm.delete(f"{T}/orders/fields/customer").status_code == 204
    assert crm.delete(f"{T}/customers").status_code == 204
    assert crm.get(f"{T}/customers").status_code == 404
    tid = crm.get("/api/v1/apps/crm/recycle-bin").json()["tables"][0]["id"]
    assert crm.post(f"/api/v1/apps/crm/recycle-bin/tables/{tid}/restore").status_code == 200
    assert crm.get(f"{T}/customers").status_code == 200


def test_lookup_field_in_use_cannot_be_deleted(crm: TestClient) -> None:
    r = crm.post(
        f"{T}/orders/fields",
        json={
            "key": "customer_phone",
            "type": "lookup",
            "options": {"relation": "customer", "field": "phone"},
        },
    )
    assert r.status_code == 201, r.text
    r = crm.delete(f"{T}/customers/fields/phone")
    assert r.status_code == 422
    assert "orders.customer_phone" in r.json()["errors"][0]["message"]


def test_type_conversion_reports_and_keeps(crm: TestClient) -> None:
    crm.post(f"{T}/customers/fields", json={"key": "code", "type": "text"})
    ok = crm.post(f"{T}/customers/records", json={"name": "A", "code": "42"}).json()
    bad = crm.post(f"{T}/customers/records", json={"name": "B", "code": "forty"}).json()
    r = crm.patch(f"{T}/customers/fields/code", json={"type": "number"})
    assert r.status_code == 422
    assert r.json()["conversion"]["failed"] == 1
    assert crm.get(f"{T}/customers/records/{bad['id']}").json()["code"] == "forty"
    r = crm.patch(f"{T}/customers/fields/code", json={"type": "number", "convert": "keep"})
    assert r.status_code == 200, r.text
    report = r.json()["conversion"]
    assert report["converted"] == 1 and report["failed"] == 1
    assert report["failures"][0]["id"] == bad["id"]
    assert crm.get(f"{T}/customers/records/{ok['id']}").json()["code"] == 42
    kept = next(
        f
        for f in crm.get("/api/v1/apps/crm/recycle-bin").json()["fields"]
        if f["key"] == report["kept_in_field"]
    )
    assert kept["type"] == "text"


def test_unique_needs_distinct_values(crm: TestClient) -> None:
    crm.post(f"{T}/customers/records/bulk", json={"records": [{"name": "A"}, {"name": "A"}]})
    r = crm.patch(f"{T}/customers/fields/name", json={"unique": True})
    assert r.status_code == 422
    assert "A" in r.json()["errors"][0]["message"]


def test_schema_change_is_seen_by_another_process(
    services: Services, db_url: str, tmp_path
) -> None:
    from factories import make_crm

    make_crm(services)
    other = make_services(db_url, tmp_path / "other")
    try:
        assert other.records.query("crm", "customers")["items"] == []
        services.schema.create_field("crm", "customers", {"key": "vip_since", "type": "date"})
        rec = other.records.create("crm", "customers", {"name": "A", "vip_since": "2026-01-01"})
        assert rec["vip_since"] == "2026-01-01"
    finally:
        other.close()
