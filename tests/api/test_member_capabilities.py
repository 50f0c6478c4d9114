"""What the signed-in member may do, as the API tells the UI (issue 14): ``permissions`` on
``/auth/me`` (global), on each app and on each table of the listings, computed by the same
permission layer that refuses the requests; tables the member may not read are not listed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_crm, make_user

APPS = "/api/v1/apps"
T = f"{APPS}/crm/tables"
NONE = dict.fromkeys(("create", "read", "update", "delete", "export", "manage"), False)
ALL = dict.fromkeys(NONE, True)


def _as(services: Services, token: str) -> TestClient:
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    return TestClient(create_app(services), headers=headers)


@pytest.fixture
def members(services: Services, client: TestClient) -> Iterator[dict[str, TestClient]]:
    """crm (customers, orders) and a second app ``hr``; ``reader`` reads customers, ``editor``
    reads and updates them, ``designer`` manages the crm app, ``nobody`` has no role."""
    make_crm(services)
    make_crm(services, "hr")
    out: dict[str, TestClient] = {}
    for name in ("reader", "editor", "designer", "nobody"):
        out[name] = _as(services, make_user(services, name)[1])
    roles: list[dict[str, Any]] = [
        {"key": "r", "tables": [{"app": "crm", "table": "customers", "actions": ["read"]}]},
        {
            "key": "ru",
            "tables": [{"app": "crm", "table": "customers", "actions": ["read", "update"]}],
        },
        {"key": "design", "manages_apps": ["crm"], "tables": []},
    ]
    for body, member in zip(roles, ("reader", "editor", "designer"), strict=True):
        r = client.post("/api/v1/roles", json={**body, "members": [member]})
        assert r.status_code == 201, r.text
    yield out
    for c in out.values():
        c.close()


def _tables(c: TestClient, app: str = "crm") -> dict[str, dict[str, bool]]:
    r = c.get(f"{APPS}/{app}/tables")
    assert r.status_code == 200, r.text
    return {t["key"]: t["permissions"] for t in r.json()["items"]}


def test_an_administrator_may_do_everything(client: TestClient, members: Any) -> None:
    me = client.get("/api/v1/auth/me").json()
    assert me["permissions"] == {"admin": True, "create_apps": True}
    apps = client.get(APPS).json()["items"]
    assert [(a["key"], a["permissions"]) for a in apps] == [
        ("crm", {"manage": True}),
        ("hr", {"manage": True}),
    ]
    assert _tables(client) == {"customers": ALL, "orders": ALL}
    app = client.get(f"{APPS}/crm").json()
    assert app["permissions"] == {"manage": True}
    assert {t["key"]: t["permissions"] for t in app["tables"]} == _tables(client)
    assert client.get(f"{T}/orders").json()["permissions"] == ALL


def test_a_reader_sees_only_the_table_they_read_and_may_only_read(members: Any) -> None:
    reader = members["reader"]
    assert reader.get("/api/v1/auth/me").json()["permissions"] == {
        "admin": False,
        "create_apps": False,
    }
    # Only the app with a table of theirs, and in it only that table.
    apps = reader.get(APPS).json()["items"]
    assert [(a["key"], a["permissions"]) for a in apps] == [("crm", {"manage": False})]
    assert _tables(reader) == {"customers": {**NONE, "read": True}}
    app = reader.get(f"{APPS}/crm").json()
    assert [t["key"] for t in app["tables"]] == ["customers"]
    assert app["permissions"] == {"manage": False}
    assert reader.get(f"{APPS}/hr/tables").json()["items"] == []
    # A table they may not read: neither its definition, fields nor layout.
    for path in (f"{T}/orders", f"{T}/orders/fields", f"{T}/orders/layout"):
        r = reader.get(path)
        assert r.status_code == 403, path
        assert "amount" not in r.text
    assert reader.get(f"{T}/customers").json()["permissions"]["read"] is True
    # What they were told they may not do, the server refuses.
    assert reader.post(APPS, json={"key": "x1", "name": "x"}).status_code == 403
    assert reader.post(T, json={"key": "x1", "name": "x"}).status_code == 403
    assert reader.post(f"{T}/customers/records", json={"name": "x"}).status_code == 403
    assert reader.delete(f"{T}/customers").status_code == 403


def test_read_and_update(members: Any, client: TestClient) -> None:
    editor = members["editor"]
    assert _tables(editor) == {"customers": {**NONE, "read": True, "update": True}}
    rec = client.post(f"{T}/customers/records", json={"name": "华东通航"}).json()
    r = editor.patch(
        f"{T}/customers/records/{rec['id']}", json={"name": "改", "version": rec["version"]}
    )
    assert r.status_code == 200, r.text
    assert editor.delete(f"{T}/customers/records/{rec['id']}").status_code == 403


def test_an_app_manager_designs_every_table_of_their_app_only(members: Any) -> None:
    designer = members["designer"]
    apps = designer.get(APPS).json()["items"]
    assert [(a["key"], a["permissions"]) for a in apps] == [("crm", {"manage": True})]
    # They design the tables (listed) without reading their records.
    assert _tables(designer) == {
        "customers": {**NONE, "manage": True},
        "orders": {**NONE, "manage": True},
    }
    assert designer.post(T, json={"key": "leads", "name": "线索"}).status_code == 201
    assert "leads" in _tables(designer)
    assert designer.get(f"{T}/customers/records").status_code == 403


def test_no_role_no_apps(members: Any) -> None:
    nobody = members["nobody"]
    assert nobody.get(APPS).json()["items"] == []
    assert nobody.get(f"{APPS}/crm").json()["tables"] == []
    assert nobody.get(f"{T}/customers").status_code == 403


def test_a_read_only_token_may_only_read(services: Services, client: TestClient) -> None:
    make_crm(services)
    token = client.post("/api/v1/tokens", json={"name": "ro", "read_only": True}).json()["token"]
    with _as(services, token) as ro:
        assert ro.get("/api/v1/auth/me").json()["permissions"]["create_apps"] is False
        assert ro.get(APPS).json()["items"][0]["permissions"] == {"manage": False}
        assert _tables(ro)["customers"] == {**NONE, "read": True, "export": True}
