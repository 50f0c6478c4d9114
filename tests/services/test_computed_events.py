"""Formula, lookup and rollup values are never stored, yet a write that changes them emits
their before and after: in the written record's own update event, and as update events of
the linked records in other tables (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cairn.core import FrozenClock
from cairn.services import Services
from cairn.store import system
from factories import make_crm, make_services


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    make_crm(s)
    schema = s.schema
    schema.create_field(
        "crm",
        "customers",
        {"key": "credit_x2", "type": "formula", "options": {"formula": "{credit} * 2"}},
    )
    schema.create_field(
        "crm",
        "customers",
        {
            "key": "order_total",
            "name": "订单总额",
            "type": "rollup",
            "options": {"relation": "orders", "field": "amount", "function": "sum"},
        },
    )
    schema.create_field(
        "crm",
        "orders",
        {
            "key": "customer_tier",
            "type": "lookup",
            "options": {"relation": "customer", "field": "tier"},
        },
    )
    yield s
    s.close()


def events_since(s: Services, after_id: int) -> list[dict[str, Any]]:
    o = system.outbox
    with s.engine.connect() as c:
        rows = c.execute(sa.select(o).where(o.c.id > after_id).order_by(o.c.id)).all()
    return [r._mapping for r in rows]


def last_id(s: Services) -> int:
    with s.engine.connect() as c:
        return c.execute(sa.select(sa.func.coalesce(sa.func.max(system.outbox.c.id), 0))).scalar()


def table_id(s: Services, key: str) -> int:
    with s.engine.connect() as c:
        return s.catalogs.get(c).table("crm", key).id


def updates_of(events: list[Any], table: int) -> dict[int, dict[str, Any]]:
    return {
        e["record_id"]: e["payload"]
        for e in events
        if e["type"] == "record.updated" and e["table_id"] == table
    }


def test_own_formula_changes_join_the_update_event(services: Services) -> None:
    c = services.records.create("crm", "customers", {"name": "A", "credit": 100})
    mark = last_id(services)
    services.records.update("crm", "customers", c["id"], {"credit": 150, "version": 1})
    payload = updates_of(events_since(services, mark), table_id(services, "customers"))[c["id"]]
    assert payload["changes"]["credit"] == [100, 150]
    assert payload["changes"]["credit_x2"] == [200, 300]


def test_orders_change_their_customers_rollup(services: Services) -> None:
    customers = table_id(services, "customers")
    a = services.records.create("crm", "customers", {"name": "A", "tier": "VIP"})["id"]
    b = services.records.create("crm", "customers", {"name": "B", "tier": "Gold"})["id"]

    mark = last_id(services)
    o = services.records.create("crm", "orders", {"title": "o1", "amount": 100, "customer": a})
    got = updates_of(events_since(services, mark), customers)
    assert list(got) == [a]
    assert got[a]["changes"]["order_total"][1] == 100
    assert got[a]["computed"] is True and got[a]["cause"]["record_ids"] == [o["id"]]

    mark = last_id(services)
    services.records.update("crm", "orders", o["id"], {"amount": 150, "version": o["version"]})
    assert updates_of(events_since(services, mark), customers)[a]["changes"] == {
        "order_total": [100, 150]
    }

    # Moving the order to B changes both customers' totals.
    mark = last_id(services)
    services.records.update("crm", "orders", o["id"], {"customer": b, "version": 2})
    got = updates_of(events_since(services, mark), customers)
    assert got[a]["changes"]["order_total"][0] == 150 and got[a]["changes"]["order_total"][1] in (
        None,
        0,
    )
    assert got[b]["changes"]["order_total"][1] == 150

    mark = last_id(services)
    services.records.delete("crm", "orders", o["id"])
    got = updates_of(events_since(services, mark), customers)
    assert got[b]["changes"]["order_total"][0] == 150

    # Restored, the order counts in B's total again (rules on the total see it).
    mark = last_id(services)
    services.records.restore("crm", "orders", o["id"])
    got = updates_of(events_since(services, mark), customers)
    assert got[b]["changes"]["order_total"][1] == 150
    assert got[b]["computed"] is True and got[b]["cause"]["record_ids"] == [o["id"]]


def test_a_customer_change_reaches_the_orders_that_look_it_up(services: Services) -> None:
    orders = table_id(services, "orders")
    a = services.records.create("crm", "customers", {"name": "A", "tier": "Gold"})["id"]
    o1 = services.records.create("crm", "orders", {"title": "1", "customer": a})["id"]
    o2 = services.records.create("crm", "orders", {"title": "2", "customer": a})["id"]
    services.records.create("crm", "orders", {"title": "other"})
    mark = last_id(services)
    services.records.update("crm", "customers", a, {"tier": "VIP", "version": 1})
    got = updates_of(events_since(services, mark), orders)
    assert sorted(got) == [o1, o2]
    assert got[o1]["changes"] == {"customer_tier": ["Gold", "VIP"]}


def test_writes_that_change_no_computed_value_emit_nothing_extra(services: Services) -> None:
    a = services.records.create("crm", "customers", {"name": "A", "tier": "Gold"})["id"]
    services.records.create("crm", "orders", {"title": "1", "amount": 5, "customer": a})
    mark = last_id(services)
    services.records.update("crm", "customers", a, {"name": "A2", "version": 1})
    events = events_since(services, mark)
    assert [(e["type"], e["record_id"]) for e in events] == [("record.updated", a)]
    assert events[0]["payload"]["changes"] == {"name": ["A", "A2"]}


def test_an_order_re_pointed_through_the_reverse_relation_has_one_event(
    services: Services,
) -> None:
    """Writing a customer's orders updates each order gaining or losing the link: its update
    event carries the relation's change and its lookups' changes together."""
    orders = table_id(services, "orders")
    a = services.records.create("crm", "customers", {"name": "A", "tier": "Gold"})["id"]
    o = services.records.create("crm", "orders", {"title": "1"})
    mark = last_id(services)
    services.records.update("crm", "customers", a, {"orders": [o["id"]], "version": 1})
    events = [e for e in events_since(services, mark) if e["table_id"] == orders]
    assert [(e["type"], e["record_id"]) for e in events] == [("record.updated", o["id"])]
    payload = events[0]["payload"]
    assert payload["version"] == o["version"] + 1 and "computed" not in payload
    assert payload["changes"] == {"customer": [[], [a]], "customer_tier": [None, "Gold"]}
