"""Screen pop and the 360° summary over HTTP, on SQLite and PostgreSQL: a phone in any format
and a VIN find the customer; only the customer table of an app with a customer view is
searched; a member finds only records they may read, sees masked keys masked and no hidden
field; the summary's metrics and section counts follow the customer view and permissions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from test_interactions import make_shop

import cairn.services.customers as customers
from cairn.api import create_app
from cairn.services import Services
from factories import make_user
from support.http import created, make_table

A = "/api/v1/apps/shop"
R = f"{A}/tables/customers/records"
L = "/api/v1/customers/lookup"
VIN = "1M8GDM9AXKP042788"


def _client(services: Services, token: str) -> TestClient:
    return TestClient(
        create_app(services), headers={"accept-language": "en", "authorization": f"Bearer {token}"}
    )


def _shop(client: TestClient) -> dict:
    make_shop(client)
    client.post(
        f"{A}/tables/customers/fields",
        json={"key": "spend", "name": "消费", "type": "currency"},
    )
    make_table(client, "shop", "visits", "到店", [{"key": "note", "name": "备注", "type": "text"}])
    r = client.post(
        f"{A}/tables/visits/fields",
        json={
            "key": "customer",
            "name": "客户",
            "type": "relation",
            "options": {
                "target_table": "customers",
                "multiple": False,
                "reverse": {"key": "visits", "name": "到店", "multiple": True},
            },
        },
    )
    assert r.status_code == 201, r.text
    # a table that is no customer table, with a phone key too
    make_table(
        client,
        "shop",
        "leads",
        "线索",
        [{"key": "mobile", "name": "手机", "type": "phone", "options": {"identity_key": "mobile"}}],
    )
    view = {"table": "customers", "metrics": ["spend"], "sections": [{"relation": "visits"}]}
    assert client.put(f"{A}/customer-view", json=view).status_code == 200, client.put(
        f"{A}/customer-view", json=view
    ).text
    a = created(client, R, {"name": "王芳", "mobile": "13800138000", "vin": VIN, "spend": 1200})
    created(client, R, {"name": "李雷", "mobile": "13900139000"})
    created(client, f"{A}/tables/leads/records", {"mobile": "13800138000"})
    for note in ("一", "二"):
        created(client, f"{A}/tables/visits/records", {"note": note, "customer": a["id"]})
    return a


def test_lookup_by_phone_in_any_format_and_by_vin(client: TestClient) -> None:
    a = _shop(client)
    for phone in ("13800138000", "+86 138-0013-8000", "138 0013 8000", "8613800138000"):
        r = client.get(L, params={"phone": phone})
        assert r.status_code == 200, r.text
        assert [m["id"] for m in r.json()["matches"]] == [a["id"]], phone  # not the lead
    m = client.get(L, params={"vin": VIN.lower()}).json()["matches"]
    assert [x["id"] for x in m] == [a["id"]]
    assert client.get(L, params={"key": "vin", "value": VIN, "app": "shop"}).json()["matches"]
    one = m[0]
    assert one["title"] == "王芳" and one["app"] == "shop" and one["table"] == "customers"
    assert {k["field"]: k["value"] for k in one["identity_keys"]} == {
        "mobile": "+8613800138000",
        "vin": VIN,
    }
    assert one["owner"]["name"] == "admin" or one["owner"]["id"]
    assert [(x["field"], x["value"]) for x in one["metrics"]] == [("spend", 1200)]
    assert [(x["relation"], x["count"], x["more"]) for x in one["sections"]] == [
        ("visits", 2, False)
    ]
    assert client.get(L, params={"phone": "13600136000"}).json() == {"matches": []}
    assert client.get(L, params={"phone": "not a number"}).json() == {"matches": []}
    # what is no lookup
    assert client.get(L).status_code == 422
    assert client.get(L, params={"key": "shoe", "value": "42"}).status_code == 422
    assert client.get(L, params={"phone": "  "}).status_code == 422
    assert client.get(L, params={"phone": "1", "vin": "2"}).status_code == 422


def test_without_a_customer_view_every_key_table_is_searched(client: TestClient) -> None:
    _shop(client)
    client.put(f"{A}/customer-view", json={"table": None})
    found = client.get(L, params={"phone": "13800138000"}).json()["matches"]
    assert sorted(m["table"] for m in found) == ["customers", "leads"]


def test_a_member_finds_what_they_may_read_masked(client: TestClient, services: Services) -> None:
    a = _shop(client)
    _, token = make_user(services, "agent")
    role = {
        "key": "agents",
        "members": ["agent"],
        "tables": [
            {
                "app": "shop",
                "table": "customers",
                "actions": ["read"],
                "fields": {"mobile": "masked", "spend": "hidden"},
            }
        ],
    }
    assert client.post("/api/v1/roles", json=role).status_code == 201
    with _client(services, token) as c:
        (m,) = c.get(L, params={"phone": "13800138000"}).json()["matches"]
        keys = {k["field"]: k["value"] for k in m["identity_keys"]}
        assert keys["mobile"] != "+8613800138000" and "*" in keys["mobile"]
        assert m["metrics"] == []  # spend is hidden
        assert m["sections"] == []  # visits: no access to the table
        s = c.get(f"{R}/{a['id']}/360")
        assert s.status_code == 200 and s.json()["title"] == "王芳"
    # the VIN hidden: looking up by VIN finds nothing
    r = client.patch(
        "/api/v1/roles/agents",
        json={"tables": [{**role["tables"][0], "fields": {"vin": "hidden"}}]},
    )
    assert r.status_code == 200, r.text
    with _client(services, token) as c:
        assert c.get(L, params={"vin": VIN}).json()["matches"] == []
    # With the visits readable in their own rows only, the section counts none of admin's.
    r = client.patch(
        "/api/v1/roles/agents",
        json={
            "tables": [
                {**role["tables"][0], "fields": {"vin": "hidden"}},
                {"app": "shop", "table": "visits", "actions": ["read"], "row_scope": "own"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    with _client(services, token) as c:
        s = c.get(f"{R}/{a['id']}/360").json()
        assert [(x["relation"], x["count"]) for x in s["sections"]] == [("visits", 0)]
    assert client.get(f"{R}/{a['id']}/360").json()["sections"][0]["count"] == 2
    _, stranger = make_user(services, "stranger")
    with _client(services, stranger) as c:
        assert c.get(L, params={"phone": "13800138000"}).json()["matches"] == []
        assert c.get(f"{R}/{a['id']}/360").status_code == 403


def test_summary(client: TestClient) -> None:
    a = _shop(client)
    created(client, f"{R}/{a['id']}/interactions", {"kind": "call"})
    s = client.get(f"{R}/{a['id']}/360").json()
    assert s["customer_table"] is True and s["interactions"] == 1
    assert [x["name"] for x in s["metrics"]] == ["消费"]
    assert client.get(f"{R}/999/360").status_code == 404


def test_a_section_counts_up_to_a_bound(client: TestClient, monkeypatch: Any) -> None:
    monkeypatch.setattr(customers, "MAX_COUNT", 1)
    a = _shop(client)
    (sec,) = client.get(f"{R}/{a['id']}/360").json()["sections"]
    assert (sec["count"], sec["more"]) == (1, True)
