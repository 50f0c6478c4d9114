"""Screen pop through related tables (issue 22), over HTTP on SQLite and PostgreSQL: a VIN kept
on the customer's aircraft (a relation pointing at the customers) and an FFP number kept on a
membership (a relation of the customer table) find the customer, said to be found ``via`` that
record; one customer is listed once; deleted records, tables and keys the caller may not read
find nothing; the number of matches stays bounded."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

import cairn.services.customers as customers
from cairn.api import create_app
from cairn.services import Services
from factories import make_user
from support.http import created, make_table

A = "/api/v1/apps/fly"
C = f"{A}/tables/customers/records"
P = f"{A}/tables/planes/records"
M = f"{A}/tables/memberships/records"
L = "/api/v1/customers/lookup"
VIN = "1M8GDM9AXKP042788"
VIN2 = "1HGCM82633A004352"


def _client(services: Services, token: str) -> TestClient:
    return TestClient(
        create_app(services), headers={"accept-language": "en", "authorization": f"Bearer {token}"}
    )


def _relation(client: TestClient, table: str, key: str, target: str, reverse: str) -> None:
    body = {
        "key": key,
        "name": key,
        "type": "relation",
        "options": {
            "target_table": target,
            "multiple": False,
            "reverse": {"key": reverse, "name": reverse, "multiple": True},
        },
    }
    r = client.post(f"{A}/tables/{table}/fields", json=body)
    assert r.status_code == 201, r.text


def _fly(client: TestClient) -> dict[str, int]:
    """Customers ← planes (planes.owner, a VIN key) and customers → memberships
    (customers.membership, an FFP key), like the general aviation demo's aircraft."""
    assert client.post("/api/v1/apps", json={"key": "fly", "name": "通航"}).status_code == 201
    make_table(
        client,
        "fly",
        "customers",
        "客户",
        [
            {"key": "name", "name": "姓名", "type": "text"},
            {"key": "vin", "name": "车架号", "type": "vin", "options": {"identity_key": "vin"}},
        ],
    )
    make_table(
        client,
        "fly",
        "planes",
        "飞机",
        [
            {"key": "registration", "name": "注册号", "type": "text"},
            {"key": "serial", "name": "序列号", "type": "vin", "options": {"identity_key": "vin"}},
        ],
    )
    make_table(
        client,
        "fly",
        "memberships",
        "会员卡",
        [
            {"key": "card", "name": "卡号", "type": "text", "options": {"identity_key": "ffp"}},
        ],
    )
    _relation(client, "planes", "owner", "customers", "planes")
    _relation(client, "customers", "membership", "memberships", "holders")
    view = {"table": "customers", "metrics": [], "sections": [{"relation": "planes"}]}
    assert client.put(f"{A}/customer-view", json=view).status_code == 200
    card = created(client, M, {"card": "CA123456789"})["id"]
    wang = created(client, C, {"name": "王芳", "membership": card})["id"]
    li = created(client, C, {"name": "李雷", "vin": VIN2})["id"]
    created(client, P, {"registration": "B-7021", "serial": VIN, "owner": wang})
    created(client, P, {"registration": "B-7022", "serial": VIN, "owner": wang})  # the same VIN
    created(client, P, {"registration": "B-7023", "serial": VIN2, "owner": li})
    return {"wang": wang, "li": li, "card": card}


def _found(client: TestClient, **params: str) -> list[tuple[int, Any]]:
    r = client.get(L, params=params)
    assert r.status_code == 200, r.text
    return [(m["id"], m.get("via") and m["via"]["title"]) for m in r.json()["matches"]]


def test_a_vin_on_the_customers_aircraft_finds_the_customer(client: TestClient) -> None:
    ids = _fly(client)
    # found through the plane, once although two planes carry it
    (m,) = client.get(L, params={"vin": VIN.lower()}).json()["matches"]
    assert m["id"] == ids["wang"] and m["table"] == "customers" and m["title"] == "王芳"
    assert m["via"]["table"] == "planes" and m["via"]["name"] == "飞机"
    assert m["via"]["title"] == "B-7021"
    assert [s["relation"] for s in m["sections"]] == ["planes"]
    # the customer's own key and their plane's: listed once, as found by their own key
    assert _found(client, key="vin", value=VIN2) == [(ids["li"], None)]
    # an FFP number on the membership the customer points at
    assert _found(client, ffp="CA123456789") == [(ids["wang"], "CA123456789")]
    assert _found(client, ffp="CA000000000") == []
    # a deleted customer is found through nothing
    assert client.delete(f"{C}/{ids['wang']}").status_code in (200, 204)
    assert _found(client, vin=VIN) == []


def test_only_what_the_caller_may_read_leads_to_a_customer(
    client: TestClient, services: Services
) -> None:
    ids = _fly(client)
    _, token = make_user(services, "agent")
    role = {
        "key": "agents",
        "members": ["agent"],
        "tables": [{"app": "fly", "table": "customers", "actions": ["read"]}],
    }
    assert client.post("/api/v1/roles", json=role).status_code == 201
    with _client(services, token) as c:  # the planes unreadable: not searched
        assert _found(c, vin=VIN) == []
    planes = {"app": "fly", "table": "planes", "actions": ["read"]}
    r = client.patch("/api/v1/roles/agents", json={"tables": [*role["tables"], planes]})
    assert r.status_code == 200, r.text
    with _client(services, token) as c:
        assert _found(c, vin=VIN) == [(ids["wang"], "B-7021")]
    hidden = {**planes, "fields": {"serial": "hidden"}}
    r = client.patch("/api/v1/roles/agents", json={"tables": [*role["tables"], hidden]})
    assert r.status_code == 200, r.text
    with _client(services, token) as c:  # the key hidden: not searched
        assert _found(c, vin=VIN) == []


def test_the_matches_stay_bounded(client: TestClient, monkeypatch: Any) -> None:
    _fly(client)
    for i in range(3):
        owner = created(client, C, {"name": f"客户{i}"})["id"]
        created(client, P, {"registration": f"B-80{i}0", "serial": VIN, "owner": owner})
    assert len(_found(client, vin=VIN)) == 4
    monkeypatch.setattr(customers, "MAX_MATCHES", 2)
    assert len(_found(client, vin=VIN)) == 2
