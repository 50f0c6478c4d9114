"""The customer 360° view settings: one per app, checked against the app's tables and fields."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_user

V = "/api/v1/apps/crm/customer-view"


def test_an_app_starts_without_a_customer_view(crm: TestClient) -> None:
    r = crm.get(V)
    assert r.status_code == 200
    assert r.json() == {"table": None, "metrics": [], "sections": []}


def test_the_view_is_saved_and_read_back_in_order(crm: TestClient) -> None:
    body = {"table": "customers", "metrics": ["name"], "sections": [{"relation": "orders"}]}
    r = crm.put(V, json=body)
    assert r.status_code == 200, r.text
    assert r.json() == body
    assert crm.get(V).json() == body
    # Saving again replaces it.
    assert crm.put(V, json={**body, "metrics": []}).json()["metrics"] == []
    assert crm.get(V).json()["metrics"] == []


def test_unknown_fields_and_non_relations_are_refused_per_item(crm: TestClient) -> None:
    before = crm.get(V).json()
    r = crm.put(
        V,
        json={
            "table": "customers",
            "metrics": ["nope"],
            "sections": [{"relation": "name"}, {"relation": "orders"}, {"relation": "orders"}],
        },
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert set(errors) == {"metrics.0", "sections.0.relation", "sections.2.relation"}
    assert "name" in errors["sections.0.relation"] and "关联字段" in errors["sections.0.relation"]
    assert crm.get(V).json() == before


def test_an_unknown_table_or_app_is_404_and_a_bad_shape_422(crm: TestClient) -> None:
    assert crm.put(V, json={"table": "nope", "metrics": [], "sections": []}).status_code == 404
    assert crm.get("/api/v1/apps/nope/customer-view").status_code == 404
    r = crm.put(V, json={"table": "customers", "colour": "red"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body"


def test_a_deleted_relation_drops_out_of_the_view(crm: TestClient) -> None:
    crm.put(V, json={"table": "customers", "metrics": [], "sections": [{"relation": "orders"}]})
    assert crm.delete("/api/v1/apps/crm/tables/customers/fields/orders").status_code == 204
    assert crm.get(V).json()["sections"] == []


def test_only_those_who_manage_the_app_change_the_view(services: Services, crm: TestClient) -> None:
    body = {"table": "customers", "metrics": ["name"], "sections": [{"relation": "orders"}]}
    assert crm.put(V, json=body).status_code == 200
    _, member = make_user(services, "member")
    _, manager = make_user(services, "manager")
    r = crm.post(
        "/api/v1/roles",
        json={
            "key": "readers",
            "name": "readers",
            "members": ["member"],
            "tables": [{"app": "crm", "table": "customers", "actions": ["read", "update"]}],
        },
    )
    assert r.status_code == 201, r.text
    r = crm.post(
        "/api/v1/roles",
        json={"key": "crm_admins", "name": "crm", "members": ["manager"], "manages_apps": ["crm"]},
    )
    assert r.status_code == 201, r.text
    app = create_app(services)
    with (
        TestClient(app, headers={"authorization": f"Bearer {member}"}) as m,
        TestClient(app, headers={"authorization": f"Bearer {manager}"}) as a,
    ):
        # A member reads the view, but neither changes nor clears it.
        assert m.get(V).json() == body
        for change in ({**body, "metrics": []}, {"table": None}):
            r = m.put(V, json=change)
            assert r.status_code == 403, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
        assert crm.get(V).json() == body
        # Those who manage the app do.
        r = a.put(V, json={**body, "metrics": []})
        assert r.status_code == 200, r.text
        assert crm.get(V).json()["metrics"] == []
