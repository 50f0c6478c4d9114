"""Validation rules: formulas a record must satisfy to be saved, set on the table through the
API, checked in SQL on every create and update, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cairn.services import Services

T = "/api/v1/apps/crm/tables"
C = f"{T}/customers/records"
ORD = f"{T}/orders/records"

RULES = [
    {
        "formula": "OR(ISBLANK({签约日期}), {签约日期} >= DATE(2020, 1, 1))",
        "message": "签约日期不能早于 2020 年",
        "field": "signed_on",
    },
    {"formula": 'OR({tier} <> "VIP", {credit} >= 100000)', "message": "VIP 客户授信额度至少 10 万"},
]


def count(services: Services, table: str) -> int:
    return services.records.query("crm", table, count=True, limit=1)["total"]


def test_rules_are_set_shown_and_kept_by_field_id(crm: TestClient) -> None:
    r = crm.patch(f"{T}/customers", json={"validation_rules": RULES})
    assert r.status_code == 200, r.text
    shown = r.json()["validation_rules"]
    assert shown[0] == {
        "formula": RULES[0]["formula"].replace("{签约日期}", "{signed_on}"),
        "message": RULES[0]["message"],
        "field": "signed_on",
    }
    assert shown[1]["formula"] == RULES[1]["formula"] and "field" not in shown[1]
    # Renaming a field's key keeps the rule working and shows the new key.
    r = crm.patch(f"{T}/customers/fields/credit", json={"key": "credit_limit"})
    assert r.status_code == 200, r.text
    got = crm.get(f"{T}/customers").json()["validation_rules"][1]["formula"]
    assert got == 'OR({tier} <> "VIP", {credit_limit} >= 100000)'


def test_a_record_breaking_a_rule_is_refused_with_its_message(
    crm: TestClient, services: Services
) -> None:
    crm.patch(f"{T}/customers", json={"validation_rules": RULES})
    r = crm.post(C, json={"name": "Acme", "tier": "VIP", "credit": 5000})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "tier", "code": "record.rule_failed", "message": "VIP 客户授信额度至少 10 万"}
    ]
    r = crm.post(C, json={"name": "Old", "signed_on": "2019-12-31"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "signed_on"
    assert count(services, "customers") == 0

    ok = crm.post(C, json={"name": "Acme", "tier": "VIP", "credit": 200000})
    assert ok.status_code == 201
    rec = ok.json()
    # An update that breaks a rule changes nothing.
    r = crm.patch(f"{C}/{rec['id']}", json={"credit": 10, "version": rec["version"]})
    assert r.status_code == 422
    assert crm.get(f"{C}/{rec['id']}").json()["credit"] == 200000
    r = crm.patch(f"{C}/{rec['id']}", json={"tier": "Gold", "credit": 10, "version": 1})
    assert r.status_code == 200


def test_a_bulk_call_with_one_broken_record_saves_none(crm: TestClient, services: Services) -> None:
    crm.patch(f"{T}/customers", json={"validation_rules": RULES})
    r = crm.post(
        f"{C}/bulk",
        json={
            "records": [
                {"name": "a", "tier": "VIP", "credit": 100000},
                {"name": "b", "tier": "VIP", "credit": 1},
                {"name": "c"},
            ]
        },
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["records.1.tier"]
    assert count(services, "customers") == 0


def test_rules_can_look_through_relations(crm: TestClient, services: Services) -> None:
    rule = {
        "formula": 'OR({客户.等级} <> "Standard", {金额} <= 1000)',
        "message": "普通客户单笔上限 1000",
    }
    r = crm.patch(f"{T}/orders", json={"validation_rules": [rule]})
    assert r.status_code == 200, r.text
    std = crm.post(C, json={"name": "S", "tier": "Standard"}).json()["id"]
    vip = crm.post(C, json={"name": "V", "tier": "VIP"}).json()["id"]
    assert crm.post(ORD, json={"title": "x", "amount": 5000, "customer": vip}).status_code == 201
    r = crm.post(ORD, json={"title": "y", "amount": 5000, "customer": std})
    assert r.status_code == 422 and "1000" in r.text
    assert crm.post(ORD, json={"title": "z", "amount": 500, "customer": std}).status_code == 201


def test_bad_rules_are_refused_with_the_place_and_change_nothing(crm: TestClient) -> None:
    for rules, where in (
        ([{"formula": "{nope} > 1", "message": "m"}], "validation_rules.0.formula"),
        ([{"formula": "{tier} & ", "message": "m"}], "validation_rules.0.formula"),
        ([{"formula": '"text"', "message": "m"}], "validation_rules.0.formula"),
        ([{"formula": "{credit} > 1"}], "validation_rules.0.message"),
        (
            [{"formula": "{credit} > 1", "message": "m", "field": "nope"}],
            "validation_rules.0.field",
        ),
        (
            [{"formula": "__import__('os').system('x')", "message": "m"}],
            "validation_rules.0.formula",
        ),
        ("not a list", "validation_rules"),
    ):
        r = crm.patch(f"{T}/customers", json={"validation_rules": rules})
        assert r.status_code == 422, (rules, r.text)
        assert r.json()["errors"][0]["field"] == where, r.text
    assert crm.get(f"{T}/customers").json()["validation_rules"] == []


def test_a_field_a_rule_uses_cannot_be_deleted_and_rules_travel_in_the_package(
    crm: TestClient,
) -> None:
    crm.patch(f"{T}/customers", json={"validation_rules": RULES})
    r = crm.delete(f"{T}/customers/fields/credit")
    assert r.status_code == 422 and "validation_rules.1" in r.text
    pkg = crm.get("/api/v1/apps/crm/export").text
    assert "VIP 客户授信额度至少 10 万" in pkg
    r = crm.post("/api/v1/apps/import?key=crm2", content=pkg.encode())
    assert r.status_code in (200, 201), r.text
    rules = crm.get("/api/v1/apps/crm2/tables/customers").json()["validation_rules"]
    assert rules == crm.get(f"{T}/customers").json()["validation_rules"]
    r = crm.post("/api/v1/apps/crm2/tables/customers/records", json={"name": "x", "tier": "VIP"})
    assert r.status_code == 422
    # Removing the rules lets the field go.
    assert crm.patch(f"{T}/customers", json={"validation_rules": []}).status_code == 200
    assert crm.delete(f"{T}/customers/fields/credit").status_code == 204


def test_a_blank_number_counts_as_zero_in_a_rule(crm: TestClient, services: Services) -> None:
    """``{credit} > 0`` is FALSE for a blank credit (a blank is 0 in a comparison), so the
    record is refused, as the formula would say anywhere else."""
    rule = [{"formula": "{credit} > 0", "message": "授信额度必须大于 0", "field": "credit"}]
    assert crm.patch(f"{T}/customers", json={"validation_rules": rule}).status_code == 200
    r = crm.post(C, json={"name": "Blank"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "credit"
    assert crm.post(C, json={"name": "Some", "credit": 1}).status_code == 201
    assert count(services, "customers") == 1
