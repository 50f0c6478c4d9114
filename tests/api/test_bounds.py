"""Out-of-range integers in the address, the query or the body: a 4xx, never a 500.

SQLite binds at most 64-bit integers and PostgreSQL INTEGER columns hold 32 bits: every id
and integer field the API takes is declared with its range (``cairn.api.schemas``), so the
OpenAPI document states it and validation refuses what lies beyond (404 for an id in the
address, 422 elsewhere)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

HUGE = 2**64
TOO_BIG = 2**63  # one past the largest BIGINT


# One app per test (the loops below share it): setting one up takes a while.
ADDRESSES: list[tuple[str, str, Any]] = [
    ("post", "/api/v1/notifications/{id}/read", None),
    ("get", "/api/v1/process-instances/{id}", None),
    ("post", "/api/v1/process-instances/{id}/withdraw", {}),
    ("post", "/api/v1/process-instances/{id}/retry", None),
    ("post", "/api/v1/process-instances/{id}/cancel", {"reason": "x"}),
    ("get", "/api/v1/tasks/{id}", None),
    ("post", "/api/v1/tasks/{id}/claim", {}),
    ("patch", "/api/v1/departments/{id}", {"name": "x"}),
    ("delete", "/api/v1/departments/{id}", None),
    ("get", "/api/v1/apps/crm/tables/customers/records/{id}", None),
    ("get", "/api/v1/apps/crm/rules/{id}", None),
    ("get", "/api/v1/apps/crm/alerts/{id}", None),
    ("get", "/api/v1/apps/crm/dashboards/{id}", None),
    ("get", "/api/v1/apps/crm/tables/customers/records/{id}/comments", None),
    ("delete", "/api/v1/tokens/{id}", None),
    ("get", "/api/v1/users/{id}", None),
]


def test_an_id_out_of_range_in_the_address_is_404(crm: TestClient) -> None:
    for method, path, body in ADDRESSES:
        for value in (HUGE, TOO_BIG, 0, -1):
            r = crm.request(method.upper(), path.format(id=value), json=body)
            assert r.status_code == 404, (method, path, value, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")


def test_department_integers_out_of_range_are_422_and_change_nothing(crm: TestClient) -> None:
    dept = crm.post("/api/v1/departments", json={"name": "华东"}).json()
    bad = [(k, v) for k in ("parent_id", "manager_id") for v in (HUGE, TOO_BIG, 0, -1, True)]
    bad += [("position", v) for v in (HUGE, TOO_BIG, 2**31, -1, True)]
    for key, value in bad:
        r = crm.post("/api/v1/departments", json={"name": "销售部", key: value})
        assert r.status_code == 422, (key, value, r.text)
        assert r.json()["errors"][0]["field"] == key
        r = crm.patch(f"/api/v1/departments/{dept['id']}", json={key: value})
        assert r.status_code == 422, (key, value, r.text)
        assert r.json()["errors"][0]["field"] == key
    assert crm.get("/api/v1/departments").json()["items"] == [dept]


def test_a_department_position_of_null_is_422(crm: TestClient) -> None:
    """It was written as NULL into a NOT NULL column: a 500 (found by schemathesis)."""
    r = crm.post("/api/v1/departments", json={"name": "销售部", "position": None})
    assert r.status_code == 422, r.text
    dept = crm.post("/api/v1/departments", json={"name": "华东"}).json()
    r = crm.patch(f"/api/v1/departments/{dept['id']}", json={"position": None})
    assert r.status_code == 422, r.text
    assert crm.get("/api/v1/departments").json()["items"] == [dept]


def test_integers_out_of_range_in_the_query_are_422(crm: TestClient) -> None:
    for query in (
        f"/api/v1/tasks?instance_id={HUGE}",
        f"/api/v1/tasks?offset={HUGE}",
        "/api/v1/tasks?offset=-1",
        "/api/v1/tasks?limit=0",
        f"/api/v1/audit?actor={HUGE}",
        f"/api/v1/permissions/explain?app=crm&table=customers&record={HUGE}",
        f"/api/v1/apps/crm/processes/x?version={HUGE}",
        f"/api/v1/apps/crm/alerts/1/checks?before={HUGE}",
        f"/api/v1/apps/crm/rules/1/runs?before={HUGE}",
    ):
        r = crm.get(query)
        assert r.status_code == 422, (query, r.text)


def test_positions_out_of_range_are_422(crm: TestClient) -> None:
    for path in (
        "/api/v1/apps/crm",
        "/api/v1/apps/crm/tables/customers",
        "/api/v1/apps/crm/tables/customers/fields/name",
    ):
        for value in (HUGE, 2**31, -1, True):
            r = crm.patch(path, json={"position": value})
            assert r.status_code == 422, (path, value, r.text)


def test_a_token_for_a_user_id_out_of_range_is_refused(crm: TestClient) -> None:
    assert crm.post("/api/v1/tokens", json={"user": HUGE}).status_code == 422
    # JSON false is not 0 days (found by tests/api/test_schemathesis.py)
    assert crm.post("/api/v1/tokens", json={"days": False}).status_code == 422
    assert crm.post("/api/v1/tokens", json={"user": str(HUGE)}).status_code == 404
    assert crm.get("/api/v1/users/²").status_code == 404


def test_a_calendar_year_out_of_range_is_422(crm: TestClient) -> None:
    for year in (10000, -1, 0, HUGE):
        r = crm.get("/api/v1/calendar", params={"year": year})
        assert r.status_code == 422, (year, r.text)
        assert r.json()["errors"][0]["field"] == "year"
    for year in (1, 2026, 9999):
        assert crm.get("/api/v1/calendar", params={"year": year}).status_code == 200


def test_the_openapi_document_declares_the_bounds(crm: TestClient) -> None:
    doc = crm.get("/openapi.json").json()

    def param(path: str, method: str, name: str) -> dict[str, Any]:
        [p] = [p for p in doc["paths"][path][method]["parameters"] if p["name"] == name]
        schema = p["schema"]
        return next((s for s in schema.get("anyOf", []) if s["type"] == "integer"), schema)

    ids = [
        ("/api/v1/notifications/{notification_id}/read", "post", "notification_id"),
        ("/api/v1/process-instances/{instance_id}", "get", "instance_id"),
        ("/api/v1/process-instances/{instance_id}/withdraw", "post", "instance_id"),
        ("/api/v1/process-instances/{instance_id}/retry", "post", "instance_id"),
        ("/api/v1/tasks/{task_id}", "get", "task_id"),
        ("/api/v1/departments/{department_id}", "patch", "department_id"),
        ("/api/v1/apps/{app}/tables/{table}/records/{record_id}", "get", "record_id"),
        ("/api/v1/tasks", "get", "instance_id"),
    ]
    for path, method, name in ids:
        s = param(path, method, name)
        assert (s["minimum"], s["exclusiveMaximum"]) == (1, 2**63), (path, name)
    year = param("/api/v1/calendar", "get", "year")
    assert (year["minimum"], year["maximum"]) == (1, 9999)
    assert param("/api/v1/tasks", "get", "offset")["exclusiveMaximum"] == 2**63

    dept = doc["components"]["schemas"]["DepartmentIn"]["properties"]
    for key in ("parent_id", "manager_id"):
        [s] = [s for s in dept[key]["anyOf"] if s["type"] == "integer"]
        assert (s["minimum"], s["exclusiveMaximum"]) == (1, 2**63), key
    pos = dept["position"]
    assert (pos["minimum"], pos["maximum"]) == (0, 2**31 - 1)


def test_keyset_cursors_out_of_range_are_422(crm: TestClient) -> None:
    for path in ("/api/v1/audit", "/api/v1/notifications", "/api/v1/deliveries"):
        for cursor in ("9" * 25, str(TOO_BIG), "0", "²"):
            r = crm.get(path, params={"cursor": cursor})
            assert r.status_code == 422, (path, cursor, r.text)
            assert r.json()["errors"][0]["field"] == "cursor"


def test_a_user_in_a_department_out_of_range_is_refused(crm: TestClient) -> None:
    for body in ({"department_id": HUGE}, {"department_ids": [TOO_BIG]}):
        r = crm.post("/api/v1/users", json={"username": "lei", **body})
        assert r.status_code == 404, (body, r.text)
    assert crm.get("/api/v1/users/lei").status_code == 404
