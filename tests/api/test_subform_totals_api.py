"""Totals over a sub-form through HTTP (issue 19): a member whose reading of orders is limited
to their own still sees their order's formula and rollup over its rows (the rows are as
readable as the record); where the sub-form is masked to them, a count still shows and a sum
(or a formula over the rows) does not; where it is hidden, none of them. A record's read is
built once per schema, reader and day: the next read after a schema change, by another reader
or on another day shows what it should."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_user

T = "/api/v1/apps/crm/tables"
ORD = f"{T}/orders/records"


def _own_orders_reader(
    services: Services,
    crm: TestClient,
    app: FastAPI,
    name: str,
    more: Sequence[str] = (),
    fields: dict[str, str] | None = None,
) -> TestClient:
    """A user ``name`` with a role of their own that adds and reads their own orders (and
    does ``more`` to them; ``fields``: the role's field rules), signed in."""
    _, token = make_user(services, name)
    grant: dict[str, Any] = {"app": "crm", "table": "orders", "row_scope": "own"}
    grant.update(fields=fields or {}, actions=["create", "read", *more])
    role = {"key": name, "name": name, "members": [name], "tables": [grant]}
    assert crm.post("/api/v1/roles", json=role).status_code == 201
    return TestClient(app, headers={"authorization": f"Bearer {token}"})


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
        clients[name] = _own_orders_reader(services, crm, app, name, ["update"], fields)
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


def _order_with_lines(crm: TestClient) -> dict[str, Any]:
    r = crm.post(f"{T}/orders/fields", json={"key": "lines", "name": "明细", "type": "subform"})
    assert r.status_code == 201, r.text
    r = crm.post(f"{T}/orders_lines/fields", json={"key": "qty", "name": "数量", "type": "number"})
    assert r.status_code == 201, r.text
    total = {"key": "qty_total", "type": "formula", "options": {"formula": "SUM({明细.数量})"}}
    r = crm.post(f"{T}/orders/fields", json=total)
    assert r.status_code == 201, r.text
    r = crm.post(ORD, json={"title": "Q", "lines": [{"qty": 2}, {"qty": 3}]})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_the_next_read_sees_a_schema_change(crm: TestClient) -> None:
    """A record's read is built once per schema: changing the total's formula, adding a
    column to the rows and a row formula that the total then reads all show at once."""
    order = _order_with_lines(crm)
    url = f"{ORD}/{order['id']}"
    for _ in range(2):  # read again: the same, from the kept query
        assert crm.get(url).json()["qty_total"] == 5
    r = crm.patch(
        f"{T}/orders/fields/qty_total", json={"options": {"formula": "SUM({明细.数量})*10"}}
    )
    assert r.status_code == 200, r.text
    assert crm.get(url).json()["qty_total"] == 50
    r = crm.post(
        f"{T}/orders_lines/fields", json={"key": "price", "name": "单价", "type": "number"}
    )
    assert r.status_code == 201, r.text
    seen = crm.get(url).json()
    assert [(x["qty"], x["price"]) for x in seen["lines"]] == [(2, None), (3, None)]
    lines = [{"id": x["id"], "price": p} for x, p in zip(seen["lines"], (10, 100), strict=True)]
    r = crm.patch(url, json={"version": seen["version"], "lines": lines})
    assert r.status_code == 200, r.text
    line_amount = {"key": "line_amount", "name": "金额", "type": "formula"}
    line_amount["options"] = {"formula": "{数量}*{单价}"}
    assert crm.post(f"{T}/orders_lines/fields", json=line_amount).status_code == 201
    r = crm.patch(f"{T}/orders/fields/qty_total", json={"options": {"formula": "SUM({明细.金额})"}})
    assert r.status_code == 200, r.text
    seen = crm.get(url).json()
    assert [x["line_amount"] for x in seen["lines"]] == [20, 300]
    assert seen["qty_total"] == 320


def test_a_kept_read_is_each_readers_own(
    services: Services, crm: TestClient, frozen_clock: FrozenClock
) -> None:
    """Readers limited to their own orders each get their own read of an order (one's kept
    query never shows another's record), and a formula on today's date follows the clock."""
    today = {"key": "today", "type": "formula", "options": {"formula": "TODAY()"}}
    assert crm.post(f"{T}/orders/fields", json=today).status_code == 201
    order = _order_with_lines(crm)
    app = create_app(services)
    clients: dict[str, TestClient] = {}
    mine: dict[str, int] = {}
    for name in ("ann", "bob"):
        clients[name] = _own_orders_reader(services, crm, app, name)
        r = clients[name].post(ORD, json={"title": name, "lines": [{"qty": 7}]})
        assert r.status_code == 201, r.text
        mine[name] = r.json()["id"]
    try:
        for _ in range(2):
            assert clients["ann"].get(f"{ORD}/{mine['ann']}").json()["qty_total"] == 7
            assert clients["bob"].get(f"{ORD}/{mine['ann']}").status_code == 404
            assert clients["ann"].get(f"{ORD}/{order['id']}").status_code == 404
            assert crm.get(f"{ORD}/{mine['bob']}").json()["title"] == "bob"
        assert crm.get(f"{ORD}/{order['id']}").json()["today"] == "2026-01-05"
        frozen_clock.advance(timedelta(days=1))
        assert crm.get(f"{ORD}/{order['id']}").json()["today"] == "2026-01-06"
        assert clients["bob"].get(f"{ORD}/{mine['bob']}").json()["today"] == "2026-01-06"
    finally:
        for c in clients.values():
            c.close()
