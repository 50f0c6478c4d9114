"""Filtering through a lookup by the looked-up value, through HTTP: customers whose orders are
open (``eq``), none of whose orders is open (``ne``), with an order over an amount (``gt``);
the index advisor learns the orders' filtered field, as it does for the table's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services
from cairn.store.indexes import index_names, plain_index_name
from factories import make_admin, make_crm

T = "/api/v1/apps/crm/tables"
R = f"{T}/customers/records"


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        test_clock=True,
        auto_index_after_uses=3,
        auto_index_min_rows=20,
    )
    s = build_services(settings, clock=frozen_clock)
    make_crm(s)
    choices = {"choices": [{"value": v} for v in ("open", "closed")]}
    s.schema.create_field(
        "crm", "orders", {"key": "status", "type": "single_select", "options": choices}
    )
    for key, field in (("order_status", "status"), ("order_amount", "amount")):
        s.schema.create_field(
            "crm",
            "customers",
            {"key": key, "type": "lookup", "options": {"relation": "orders", "field": field}},
        )
    yield s
    s.close()


@pytest.fixture
def admin(services: Services) -> Iterator[TestClient]:
    headers = {"accept-language": "en", "authorization": f"Bearer {make_admin(services)}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


def names(client: TestClient, filter: Any) -> list[str]:
    r = client.post(
        f"{R}/query", json={"filter": filter, "sort": [{"field": "name"}], "limit": 100}
    )
    assert r.status_code == 200, r.text
    return [x["name"] for x in r.json()["items"]]


def test_customers_filtered_by_their_orders(admin: TestClient, services: Services) -> None:
    made = {}
    for name in ("Acme", "Bolt", "Cato"):
        made[name] = admin.post(R, json={"name": name}).json()["id"]
    orders = [
        {"title": "a1", "amount": 10, "status": "open", "customer": made["Acme"]},
        {"title": "a2", "amount": 500, "status": "closed", "customer": made["Acme"]},
        {"title": "b1", "amount": 20, "status": "closed", "customer": made["Bolt"]},
    ]
    orders += [{"title": f"x{i}", "amount": 1, "status": "closed"} for i in range(20)]
    r = admin.post(f"{T}/orders/records/bulk", json={"records": orders})
    assert r.status_code in (200, 201), r.text

    open_ = {"field": "order_status", "op": "eq", "value": "open"}
    assert names(admin, open_) == ["Acme"]
    assert names(admin, {"field": "order_status", "op": "ne", "value": "open"}) == [
        "Bolt",
        "Cato",
    ]
    assert names(admin, {"field": "order_amount", "op": "gt", "value": 100}) == ["Acme"]
    assert names(admin, {"field": "order_status", "op": "in", "value": ["closed"]}) == [
        "Acme",
        "Bolt",
    ]
    # An unknown choice selects nothing; a value of the wrong kind is refused.
    assert names(admin, {"field": "order_status", "op": "eq", "value": "nope"}) == []
    bad = {"field": "order_amount", "op": "eq", "value": "lots"}
    r = admin.post(f"{R}/query", json={"filter": bad})
    assert r.status_code == 422, r.text

    # Closing Acme's order takes it out of the open filter (no stale page).
    a1 = admin.post(
        f"{T}/orders/records/query", json={"filter": {"field": "title", "op": "eq", "value": "a1"}}
    ).json()["items"][0]
    r = admin.patch(
        f"{T}/orders/records/{a1['id']}", json={"status": "closed", "version": a1["version"]}
    )
    assert r.status_code == 200, r.text
    assert names(admin, open_) == []

    # The third page filtered on the orders' status builds the orders' index on it.
    with services.engine.connect() as conn:
        cat = services.catalogs.get(conn)
        orders_schema = cat.table("crm", "orders")
    status_ix = plain_index_name(orders_schema.id, orders_schema.by_key["status"].id)
    services.indexes.drain()
    with services.engine.connect() as conn:
        assert status_ix in index_names(conn, orders_schema.id)
