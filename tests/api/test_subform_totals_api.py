"""Totals over a sub-form through HTTP (issue 19): a member whose reading of orders is limited
to their own still sees their order's formula and rollup over its rows (the rows are as
readable as the record); where the sub-form is masked to them, a count still shows and a sum
(or a formula over the rows) does not; where it is hidden, none of them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_user

T = "/api/v1/apps/crm/tables"
ORD = f"{T}/orders/records"


def test_totals_over_the_rows_follow_the_subform_rule(services: Services, crm: TestClient) -> None:
    r = crm.post(f"{T}/orders/fields", json={"key": "lines", "name": "明细", "type": "subform"})
    assert r.status_code == 201, r.text
    for body in (
        {"key": "item", "name": "品名", "type": "text"},
        {"key": "qty", "name": "数量", "type": "number"},
    ):
        assert crm.post(f"{T}/orders_lines/fields", json=body).status_code == 201
    for body in (
        {"key": "qty_total", "type": "formula", "options": {"formula": "SUM({明细.数量})"}},
        {
            "key": "qty_sum",
            "type": "rollup",
            "options": {"relation": "lines", "field": "qty", "function": "sum"},
        },
        {
            "key": "line_count",
            "type": "rollup",
            "options": {"relation": "lines", "function": "count"},
        },
    ):
        r = crm.post(f"{T}/orders/fields", json=body)
        assert r.status_code == 201, r.text
    app = create_app(services)
    clients: dict[str, TestClient] = {}
    ids: dict[str, int] = {}
    for name, fields in (
        ("own", {}),
        ("masked", {"lines": "masked"}),
        ("hidden", {"lines": "hidden"}),
    ):
        _, token = make_user(services, name)
        role = {
            "key": name,
            "name": name,
            "members": [name],
            "tables": [
                {
                    "app": "crm",
                    "table": "orders",
                    "actions": ["create", "read", "update"],
                    "row_scope": "own",
                    "fields": fields,
                }
            ],
        }
        assert crm.post("/api/v1/roles", json=role).status_code == 201
        clients[name] = TestClient(app, headers={"authorization": f"Bearer {token}"})
        # Their own order (they may not write its rows when masked or hidden: done for them).
        mine = clients[name].post(ORD, json={"title": name})
        assert mine.status_code == 201, mine.text
        lines = [{"item": "A", "qty": 2}, {"item": "B", "qty": 3}]
        body = {"version": mine.json()["version"], "lines": lines}
        r = crm.patch(f"{ORD}/{mine.json()['id']}", json=body)
        assert r.status_code == 200, r.text
        ids[name] = r.json()["id"]
    try:
        seen = {}
        for name, c in clients.items():
            r = c.get(f"{ORD}/{ids[name]}")
            assert r.status_code == 200, r.text
            seen[name] = r.json()
        own = seen["own"]
        assert (own["qty_total"], own["qty_sum"], own["line_count"]) == (5, 5, 2)
        masked = seen["masked"]
        assert masked["line_count"] == 2
        assert "qty_sum" not in masked and "qty_total" not in masked
        hidden = seen["hidden"]
        assert not {"lines", "qty_total", "qty_sum", "line_count"} & set(hidden)
    finally:
        for c in clients.values():
            c.close()
