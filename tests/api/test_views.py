"""Saved grid views through HTTP on both databases: a member's own and shared ones, who may
share and change them, and views that name what the reader may not filter on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth import cli
from cairn.services import Services
from factories import make_user

V = "/api/v1/apps/crm/tables/customers/views"
VIP = {"field": "tier", "op": "eq", "value": "VIP"}
CONFIG = {
    "filter": {"and": [VIP, {"field": "flight_hours", "op": "gt", "value": 100}]},
    "sort": [{"field": "flight_hours", "direction": "desc"}],
    "columns": [{"key": "name", "visible": True}, {"key": "email", "visible": False}],
    "widths": {"name": 180},
}


@pytest.fixture
def member(services: Services, crm: TestClient) -> Iterator[TestClient]:
    """Li reads customers with the credit field hidden; Zhao manages the table."""
    _, li = make_user(services, "li")
    _, zhao = make_user(services, "zhao")
    d = services.directory
    d.create_role(
        cli(),
        {
            "key": "readers",
            "name": "Readers",
            "tables": [
                {
                    "app": "crm",
                    "table": "customers",
                    "actions": ["read"],
                    "fields": {"credit": "hidden"},
                }
            ],
            "members": ["li"],
        },
    )
    d.create_role(
        cli(),
        {
            "key": "keepers",
            "name": "Keepers",
            "tables": [{"app": "crm", "table": "customers", "actions": ["read", "manage"]}],
            "members": ["zhao"],
        },
    )
    headers = {"accept-language": "en"}
    with (
        TestClient(create_app(services), headers={**headers, "authorization": f"Bearer {li}"}) as a,
        TestClient(
            create_app(services), headers={**headers, "authorization": f"Bearer {zhao}"}
        ) as b,
    ):
        a.zhao = b  # type: ignore[attr-defined]
        yield a


def names(client: TestClient) -> list[str]:
    r = client.get(V)
    assert r.status_code == 200, r.text
    return [v["name"] for v in r.json()["items"]]


def test_own_and_shared_views(crm: TestClient, member: TestClient) -> None:
    mine = crm.post(V, json={"name": "我的 VIP", "config": CONFIG})
    assert mine.status_code == 201, mine.text
    assert mine.json()["config"] == CONFIG and mine.json()["mine"] and mine.json()["editable"]
    shared = crm.post(V, json={"name": "全员 VIP", "shared": True, "config": CONFIG}).json()
    assert names(crm) == ["我的 VIP", "全员 VIP"]  # own first, then shared
    # A reader sees the shared view, not the administrator's own; uses it, cannot change it.
    assert names(member) == ["全员 VIP"]
    (seen,) = member.get(V).json()["items"]
    assert not seen["mine"] and not seen["editable"]
    r = member.patch(f"{V}/{shared['id']}", json={"version": 1, "name": "x"})
    assert r.status_code == 403
    assert member.delete(f"{V}/{shared['id']}").status_code == 403
    assert member.delete(f"{V}/{mine.json()['id']}").status_code == 404
    r = member.post(V, json={"name": "share?", "shared": True, "config": CONFIG})
    assert r.status_code == 403
    # Their own view is theirs alone.
    r = member.post(V, json={"name": "李的视图", "config": {"filter": VIP}})
    assert r.status_code == 201, r.text
    assert names(member) == ["李的视图", "全员 VIP"]
    assert "李的视图" not in names(crm)
    # Who manages the table shares and changes shared views.
    zhao = member.zhao  # type: ignore[attr-defined]
    r = zhao.patch(f"{V}/{shared['id']}", json={"version": 1, "name": "VIP 客户"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["editable"]
    assert zhao.post(V, json={"name": "运营", "shared": True}).status_code == 201
    assert names(member) == ["李的视图", "VIP 客户", "运营"]


def test_a_stale_version_is_refused_and_a_deleted_view_is_gone(crm: TestClient) -> None:
    v = crm.post(V, json={"name": "A", "config": CONFIG}).json()
    assert crm.patch(f"{V}/{v['id']}", json={"version": 1, "name": "B"}).status_code == 200
    r = crm.patch(f"{V}/{v['id']}", json={"version": 1, "name": "C"})
    assert r.status_code == 409
    assert names(crm) == ["B"]
    assert crm.delete(f"{V}/{v['id']}").status_code == 204
    assert names(crm) == []
    assert crm.delete(f"{V}/{v['id']}").status_code == 404


@pytest.mark.parametrize(
    ("config", "location"),
    [
        ({"filter": {"field": "nope", "op": "eq", "value": 1}}, "config.filter"),
        ({"filter": {"field": "tier", "op": "gt", "value": "VIP"}}, "config.filter"),
        ({"filter": {"field": "flight_hours", "op": "gt", "value": "many"}}, "config.filter"),
        ({"sort": [{"field": "nope"}]}, "config.sort"),
        ({"columns": [{"key": "nope"}]}, "config.columns.0.key"),
        ({"widths": {"name": 5}}, "config.widths.name"),
        ({"widths": {"name": 9000}}, "config.widths.name"),
        ({"colour": "red"}, "config.colour"),
    ],
)
def test_a_bad_view_is_refused_and_changes_nothing(
    crm: TestClient, config: dict[str, Any], location: str
) -> None:
    r = crm.post(V, json={"name": "bad", "config": config})
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f.startswith(location) for f in fields), fields
    assert names(crm) == []


def test_a_view_cannot_name_a_field_hidden_from_its_reader(
    crm: TestClient, member: TestClient
) -> None:
    hidden = {"filter": {"field": "credit", "op": "gt", "value": 1}}
    r = member.post(V, json={"name": "授信", "config": hidden})
    assert r.status_code == 422
    r = member.post(V, json={"name": "列", "config": {"columns": [{"key": "credit"}]}})
    assert r.status_code == 422
    assert names(member) == []
    assert crm.post(V, json={"name": "授信", "config": hidden}).status_code == 201
    assert member.get("/api/v1/apps/crm/tables/nope/views").status_code == 404
    for bad in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "x", "shared": "yes"}):
        assert member.post(V, json=bad).status_code == 422, bad
