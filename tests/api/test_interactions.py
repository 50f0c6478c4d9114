"""Interactions with customers over HTTP, on SQLite and PostgreSQL: logging one (who may, bad
input named by field, the outbox event), the keyset list, deletion by the author or an
administrator, and the inbound post by identity key with its idempotency key."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from cairn.store import system
from factories import make_user
from support.http import created, make_table

A = "/api/v1/apps/shop"
R = f"{A}/tables/customers/records"


def _client(services: Services, token: str) -> TestClient:
    return TestClient(
        create_app(services), headers={"accept-language": "en", "authorization": f"Bearer {token}"}
    )


def _events(services: Services, kind: str) -> list[dict]:
    o = system.outbox
    with services.engine.connect() as c:
        rows = c.execute(sa.select(o).where(o.c.type == kind).order_by(o.c.id)).all()
    return [dict(r._mapping) for r in rows]


def make_shop(client: TestClient) -> None:
    assert client.post("/api/v1/apps", json={"key": "shop", "name": "门店"}).status_code == 201
    make_table(
        client,
        "shop",
        "customers",
        "客户",
        [
            {"key": "name", "name": "姓名", "type": "text"},
            {
                "key": "mobile",
                "name": "手机",
                "type": "phone",
                "options": {"identity_key": "mobile"},
            },
            {"key": "vin", "name": "车架号", "type": "vin", "options": {"identity_key": "vin"}},
        ],
    )


def _reader(services: Services, client: TestClient, name: str) -> str:
    _, token = make_user(services, name)
    role = {
        "key": f"r_{name}",
        "tables": [{"app": "shop", "table": "customers", "actions": ["read"]}],
        "members": [name],
    }
    assert client.post("/api/v1/roles", json=role).status_code == 201
    return token


def test_log_list_delete_and_the_event(client: TestClient, services: Services) -> None:
    make_shop(client)
    rec = created(client, R, {"name": "王芳", "mobile": "13800138000"})["id"]
    one = created(
        client,
        f"{R}/{rec}/interactions",
        {
            "kind": "call",
            "direction": "in",
            "subject": " 询问保养 ",
            "occurred_at": "2020-05-01T09:30:00+08:00",
            "duration_seconds": 125,
        },
    )
    assert one["kind"] == "call" and one["subject"] == "询问保养"
    assert one["occurred_at"] == "2020-05-01T01:30:00Z" and one["source"] == "manual"
    assert one["actor"]["username"] == "admin"
    events = _events(services, "interaction.logged")
    assert len(events) == 1 and events[0]["record_id"] == rec
    assert events[0]["payload"]["interaction_id"] == one["id"]
    assert events[0]["payload"]["kind"] == "call"
    # a default time (now) and more, paged newest first
    for i in range(4):
        created(client, f"{R}/{rec}/interactions", {"kind": "visit", "subject": f"v{i}"})
    page = client.get(f"{R}/{rec}/interactions", params={"limit": 3}).json()
    assert [x["subject"] for x in page["items"]] == ["v3", "v2", "v1"]
    rest = client.get(
        f"{R}/{rec}/interactions", params={"limit": 3, "cursor": page["next_cursor"]}
    ).json()
    assert [x["subject"] for x in rest["items"]] == ["v0", "询问保养"]
    assert rest["next_cursor"] is None
    calls = client.get(f"{R}/{rec}/interactions", params={"kind": "call"}).json()["items"]
    assert [x["id"] for x in calls] == [one["id"]]
    assert client.get(f"{R}/{rec}/interactions", params={"cursor": "zz"}).status_code == 422
    # deleted softly: gone from the list, audited
    assert client.delete(f"{R}/{rec}/interactions/{one['id']}").status_code == 204
    assert client.delete(f"{R}/{rec}/interactions/{one['id']}").status_code == 404
    assert len(client.get(f"{R}/{rec}/interactions").json()["items"]) == 4
    audit = client.get("/api/v1/audit", params={"action": "interaction.*"}).json()["items"]
    assert [e["action"] for e in audit] == ["interaction.delete"]


def test_bad_input_is_named_and_stores_nothing(client: TestClient, services: Services) -> None:
    make_shop(client)
    rec = created(client, R, {"name": "王芳"})["id"]
    r = client.post(
        f"{R}/{rec}/interactions",
        json={
            "kind": "fax",
            "direction": "sideways",
            "occurred_at": "yesterday",
            "duration_seconds": -1,
            "subject": "x" * 501,
            "colour": "red",
        },
    )
    assert r.status_code == 422, r.text
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields >= {"kind", "direction", "occurred_at", "duration_seconds", "subject", "colour"}
    assert "call, visit" in r.text
    assert client.post(f"{R}/{rec}/interactions", json={}).status_code == 422
    assert client.post(f"{R}/999/interactions", json={"kind": "call"}).status_code == 404
    assert client.get(f"{R}/{rec}/interactions").json()["items"] == []
    assert _events(services, "interaction.logged") == []


def test_who_may_log_and_delete(client: TestClient, services: Services) -> None:
    make_shop(client)
    rec = created(client, R, {"name": "王芳"})["id"]
    mine = created(client, f"{R}/{rec}/interactions", {"kind": "call"})
    _, stranger = make_user(services, "stranger")
    with _client(services, stranger) as c:  # may not read the record: may not log
        assert c.get(f"{R}/{rec}/interactions").status_code == 403
        assert c.post(f"{R}/{rec}/interactions", json={"kind": "call"}).status_code == 403
    token = _reader(services, client, "li")
    with _client(services, token) as c:  # a reader logs, and deletes only their own
        theirs = created(c, f"{R}/{rec}/interactions", {"kind": "visit"})
        assert theirs["actor"]["username"] == "li"
        r = c.delete(f"{R}/{rec}/interactions/{mine['id']}")
        assert r.status_code == 403 and "author" in r.text
        assert c.delete(f"{R}/{rec}/interactions/{theirs['id']}").status_code == 204
    # the administrator deletes anybody's
    assert client.delete(f"{R}/{rec}/interactions/{mine['id']}").status_code == 204


def test_inbound_by_key_with_idempotency(client: TestClient, services: Services) -> None:
    make_shop(client)
    a = created(client, R, {"name": "王芳", "mobile": "13800138000", "vin": "1M8GDM9AXKP042788"})
    created(client, R, {"name": "李雷", "mobile": "13900139000"})
    created(client, R, {"name": "李雷2", "mobile": "13700137000"})
    post = {
        "table": "customers",
        "key": "phone",
        "value": "+86 138-0013-8000",
        "kind": "call",
        "direction": "in",
        "source": "call_centre",
        "subject": "来电",
    }
    r = client.post(f"{A}/interactions", json=post, headers={"Idempotency-Key": "cc-1"})
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["record_id"] == a["id"] and first["source"] == "call_centre"
    assert first["idempotency_key"] == "cc-1"
    again = client.post(f"{A}/interactions", json=post, headers={"Idempotency-Key": "cc-1"})
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    # the key in the body works the same
    body = {**post, "idempotency_key": "cc-2"}
    assert client.post(f"{A}/interactions", json=body).status_code == 201
    assert client.post(f"{A}/interactions", json=body).status_code == 200
    assert len(_events(services, "interaction.logged")) == 2
    # by VIN, by record id
    by_vin = {**post, "key": "vin", "value": "1m8gdm9axkp042788"}
    assert client.post(f"{A}/interactions", json=by_vin).json()["record_id"] == a["id"]
    by_id = {"table": "customers", "record_id": a["id"], "kind": "order"}
    assert client.post(f"{A}/interactions", json=by_id).status_code == 201
    # nobody with that number: 404 naming the key; an unknown key: 422
    r = client.post(f"{A}/interactions", json={**post, "value": "13600136000"})
    assert r.status_code == 404 and "phone" in r.json()["detail"]
    r = client.post(f"{A}/interactions", json={**post, "key": "shoe_size"})
    assert r.status_code == 422 and "shoe_size" in r.text
    r = client.post(f"{A}/interactions", json={"kind": "call", "table": "customers"})
    assert r.status_code == 422
    # two customers with one number: 409 listing them
    twin = created(client, R, {"name": "王芳（重复）", "mobile": "138 0013 8000"})
    r = client.post(f"{A}/interactions", json=post)
    assert r.status_code == 409, r.text
    assert f"{a['id']}, {twin['id']}" in r.json()["detail"]
    # a token whose user may not read the customers is refused
    _, stranger = make_user(services, "stranger")
    with _client(services, stranger) as c:
        r = c.post(f"{A}/interactions", json=by_id)
        assert r.status_code == 403


def test_a_merge_moves_the_losers_interactions_and_unmerge_moves_them_back(
    client: TestClient,
) -> None:
    make_shop(client)
    a = created(client, R, {"name": "王芳"})["id"]
    b = created(client, R, {"name": "王芳 (2)"})["id"]
    mine = created(client, f"{R}/{b}/interactions", {"kind": "visit"})
    r = client.post(f"{A}/tables/customers/merges", json={"survivor_id": a, "loser_id": b})
    assert r.status_code in (200, 201), r.text
    items = client.get(f"{R}/{a}/interactions").json()["items"]
    assert [i["id"] for i in items] == [mine["id"]]
    u = client.post(f"{A}/tables/customers/merges/{r.json()['id']}/unmerge")
    assert u.status_code in (200, 201), u.text
    assert client.get(f"{R}/{a}/interactions").json()["items"] == []
    assert [i["id"] for i in client.get(f"{R}/{b}/interactions").json()["items"]] == [mine["id"]]
