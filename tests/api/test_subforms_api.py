"""Sub-forms through HTTP: the rows in a record's reply, 422s keyed by row and column, the
history reply as its model says, and permissions: the rows are read and written through
the parent (its actions and row scope; the sub-form field's rule over every column)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.api.models.records import RecordHistory
from cairn.api.models.schema import Table
from cairn.services import Services
from factories import make_user

T = "/api/v1/apps/crm/tables"
ORD = f"{T}/orders/records"
ROWS = f"{T}/orders_lines/records"


@pytest.fixture
def world(services: Services, crm: TestClient) -> Iterator[dict[str, TestClient]]:
    r = crm.post(f"{T}/orders/fields", json={"key": "lines", "name": "明细", "type": "subform"})
    assert r.status_code == 201, r.text
    assert r.json()["options"]["table"] == "orders_lines"
    for body in (
        {"key": "item", "name": "品名", "type": "text", "required": True},
        {"key": "qty", "name": "数量", "type": "number"},
    ):
        assert crm.post(f"{T}/orders_lines/fields", json=body).status_code == 201
    app = create_app(services)
    clients = {"admin": crm}
    roles = {
        "sales": ({"actions": ["create", "read", "update"], "row_scope": "own"}, {}),
        "viewer": ({"actions": ["read"], "row_scope": "all"}, {"lines": "masked"}),
        "blind": ({"actions": ["read", "update"], "row_scope": "all"}, {"lines": "hidden"}),
    }
    for name, (grant, fields) in roles.items():
        _, token = make_user(services, name)
        clients[name] = TestClient(
            app, headers={"authorization": f"Bearer {token}", "accept-language": "en"}
        )
        body = {
            "key": name,
            "name": name,
            "members": [name],
            "tables": [{"app": "crm", "table": "orders", "fields": fields, **grant}],
        }
        assert crm.post("/api/v1/roles", json=body).status_code == 201
    yield clients
    for name, c in clients.items():
        if name != "admin":
            c.close()


def test_rows_in_the_reply_and_errors_by_row_and_column(world: dict[str, TestClient]) -> None:
    admin = world["admin"]
    r = admin.post(ORD, json={"title": "Q", "lines": [{"item": "A", "qty": 1}, {"item": "B"}]})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert [(x["item"], x["qty"]) for x in rec["lines"]] == [("A", 1), ("B", None)]
    assert admin.get(f"{ORD}/{rec['id']}").json()["lines"] == rec["lines"]
    assert admin.get(ORD).json()["items"][0]["lines"] == 2
    assert admin.get(ORD, params={"expand": "lines"}).json()["items"][0]["lines"] == rec["lines"]
    a = rec["lines"][0]["id"]
    bad = admin.patch(
        f"{ORD}/{rec['id']}",
        json={"version": rec["version"], "lines": [{"id": a, "qty": "x"}, {"qty": 2}]},
    )
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.json()["errors"]) == [
        "lines.0.qty",
        "lines.1.item",
    ]
    ok = admin.patch(
        f"{ORD}/{rec['id']}", json={"version": rec["version"], "lines": [{"id": a, "qty": 3}]}
    )
    assert ok.status_code == 200, ok.text
    history = admin.get(f"{ORD}/{rec['id']}/history").json()
    RecordHistory.model_validate(history)
    rows = history["items"][0]["changes"][0]["rows"]
    assert [x["op"] for x in rows] == ["changed", "removed"]
    # The table of the rows: not among the app's tables, read by its key.
    assert "orders_lines" not in [t["key"] for t in admin.get(f"{T}").json()["items"]]
    child = admin.get(f"{T}/orders_lines").json()
    Table.model_validate(child)
    assert child["parent"] == {"table": "orders", "field": "lines"}
    direct = admin.post(ROWS, json={"item": "C"})
    assert direct.status_code == 422
    assert direct.json()["errors"][0]["field"] == "table"


def test_rows_go_with_the_parents_permissions(world: dict[str, TestClient]) -> None:
    admin, sales, viewer, blind = (world[k] for k in ("admin", "sales", "viewer", "blind"))
    theirs = admin.post(ORD, json={"title": "admin's", "lines": [{"item": "X"}]}).json()
    r = sales.post(ORD, json={"title": "mine", "lines": [{"item": "A"}, {"item": "B"}]})
    assert r.status_code == 201, r.text
    mine = r.json()
    # Sales edits the rows of the order it may update; reads only those rows.
    a = mine["lines"][0]["id"]
    r = sales.patch(
        f"{ORD}/{mine['id']}", json={"version": mine["version"], "lines": [{"id": a, "qty": 4}]}
    )
    assert r.status_code == 200, r.text
    assert [x["item"] for x in sales.get(ROWS).json()["items"]] == ["A"]
    assert sorted(x["item"] for x in admin.get(ROWS).json()["items"]) == ["A", "X"]
    assert sales.get(f"{ROWS}/{theirs['lines'][0]['id']}").status_code == 404
    # The viewer reads every row, its cells masked like the field; may not write them.
    seen = viewer.get(f"{ORD}/{mine['id']}").json()["lines"]
    assert [x["id"] for x in seen] == [a] and seen[0]["item"] != "A"
    assert seen[0]["qty"] == "****"
    rows = {x["id"]: x for x in viewer.get(ROWS).json()["items"]}
    assert rows[a]["qty"] == "****" and rows[a]["item"] != "A"
    r = viewer.patch(f"{ORD}/{mine['id']}", json={"version": 2, "lines": []})
    assert r.status_code == 403
    # Hidden: no rows in the record, none through the rows' table, no writing them.
    assert "lines" not in blind.get(f"{ORD}/{mine['id']}").json()
    assert blind.get(ROWS).status_code == 403
    r = blind.patch(f"{ORD}/{mine['id']}", json={"version": 2, "lines": []})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines"


def test_a_role_does_not_grant_the_rows_table_itself(world: dict[str, TestClient]) -> None:
    body = {
        "key": "rows_only",
        "name": "rows only",
        "tables": [{"app": "crm", "table": "orders_lines", "actions": ["read"]}],
    }
    r = world["admin"].post("/api/v1/roles", json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "tables.0.table"
