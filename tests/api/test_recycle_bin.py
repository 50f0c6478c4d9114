"""The records' recycle bin over HTTP: deleted records listed per table (title, when, who) in
the caller's read scope and paged; restore (delete permission) and purge (table managers),
a purge audited and sent to the outbox; bad input refused; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import system
from factories import make_user

R = "/api/v1/apps/crm/tables/customers/records"
BIN = f"{R}/recycle-bin"


def _client(services: Services, token: str) -> TestClient:
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    return TestClient(create_app(services), headers=headers)


def _add(c: TestClient, name: str) -> int:
    r = c.post(R, json={"name": name})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _bin(c: TestClient, **params: Any) -> dict[str, Any]:
    r = c.get(BIN, params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_deleted_records_are_listed_restored_and_purged(
    services: Services, crm: TestClient
) -> None:
    a, b, c = _add(crm, "华东航空"), _add(crm, "西北通航"), _add(crm, "留下")
    assert _bin(crm)["items"] == []
    assert crm.delete(f"{R}/{a}").status_code == 204
    assert crm.delete(f"{R}/{b}").status_code == 204
    page = _bin(crm)
    assert page["total"] == 2 and page["permissions"] == {"restore": True, "purge": True}
    assert {i["id"] for i in page["items"]} == {a, b}
    item = next(i for i in page["items"] if i["id"] == a)
    assert item["title"] == "华东航空" and item["deleted_by"]["name"] == "admin"
    assert item["deleted_at"].endswith("Z")
    # Paged: one at a time, the cursor leads to the other.
    first = _bin(crm, limit=1)
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = _bin(crm, limit=1, cursor=first["next_cursor"])
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {a, b}
    assert second["next_cursor"] is None

    assert crm.post(f"{R}/{a}/restore").status_code == 200
    assert crm.get(f"{R}/{a}").status_code == 200
    assert [i["id"] for i in _bin(crm)["items"]] == [b]

    assert crm.post(f"{R}/{b}/purge").status_code == 204
    assert _bin(crm)["items"] == []
    assert crm.post(f"{R}/{b}/restore").status_code == 404
    assert crm.post(f"{R}/{b}/purge").status_code == 404
    with unit_of_work(services, write=False) as uow:
        o, h = system.outbox, system.history
        types = uow.conn.execute(sa.select(o.c.type).where(o.c.record_id == b)).scalars().all()
        left = uow.conn.execute(sa.select(h.c.id).where(h.c.record_id == b)).all()
    assert "record.purged" in types and left == []
    [entry] = crm.get("/api/v1/audit", params={"action": "record.purge"}).json()["items"]
    assert entry["target_id"] == str(b) and entry["details"]["title"] == "西北通航"
    # A live record is not purged; a bad cursor is refused.
    r = crm.post(f"{R}/{c}/purge")
    assert r.status_code == 422 and crm.get(f"{R}/{c}").status_code == 200
    assert crm.get(BIN, params={"cursor": "nonsense"}).status_code == 422
    assert crm.get(BIN, params={"limit": 0}).status_code == 422


def test_purging_a_linked_record_removes_its_links(services: Services, crm: TestClient) -> None:
    cust = _add(crm, "甲")
    r = crm.post("/api/v1/apps/crm/tables/orders/records", json={"title": "o", "customer": cust})
    assert r.status_code == 201, r.text
    order = r.json()["id"]
    assert crm.delete(f"{R}/{cust}").status_code == 204
    assert crm.post(f"{R}/{cust}/purge").status_code == 204
    o = crm.get(f"/api/v1/apps/crm/tables/orders/records/{order}").json()
    assert not o.get("customer")


def test_who_may_read_restore_and_purge(services: Services, crm: TestClient) -> None:
    make_user(services, "li")
    _, reader = make_user(services, "rita")
    _, nobody = make_user(services, "sam")
    _, deleter = make_user(services, "dan")
    roles = [
        ("readers", "rita", ["read"], "all"),
        ("deleters", "dan", ["read", "create", "delete"], "own"),
    ]
    for key, member, actions, scope in roles:
        body = {
            "key": key,
            "name": key,
            "members": [member],
            "tables": [
                {"app": "crm", "table": "customers", "actions": actions, "row_scope": scope}
            ],
        }
        assert crm.post("/api/v1/roles", json=body).status_code == 201
    theirs = crm.post(R, json={"name": "admin's"}).json()["id"]
    crm.delete(f"{R}/{theirs}")
    with _client(services, deleter) as dan, _client(services, reader) as rita:
        mine = dan.post(R, json={"name": "dan's"}).json()["id"]
        assert dan.delete(f"{R}/{mine}").status_code == 204
        # Dan sees only what is in his scope (his own records); he may restore, not purge.
        page = _bin(dan)
        assert [i["id"] for i in page["items"]] == [mine] and page["total"] == 1
        assert page["permissions"] == {"restore": True, "purge": False}
        assert dan.post(f"{R}/{mine}/purge").status_code == 403
        assert dan.post(f"{R}/{theirs}/restore").status_code == 404
        # Rita reads everything, may neither restore nor purge.
        page = _bin(rita)
        assert {i["id"] for i in page["items"]} == {mine, theirs}
        assert page["permissions"] == {"restore": False, "purge": False}
        assert rita.post(f"{R}/{theirs}/restore").status_code == 403
        assert rita.post(f"{R}/{theirs}/purge").status_code == 403
        assert dan.post(f"{R}/{mine}/restore").status_code == 200
    with _client(services, nobody) as sam:
        assert sam.get(BIN).status_code == 403
    assert [i["id"] for i in _bin(crm)["items"]] == [theirs]
