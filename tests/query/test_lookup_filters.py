"""Lookups filtered by their looked-up value (``status = open`` seen from the customer): a
correlated EXISTS over the junction and the target table, deleted targets never counting."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.query import build_select

from .helpers import where


@pytest.fixture
def fleet(crm_world):
    w = crm_world
    flights, customers = w.schema("flights"), w.schema("customers")
    rel = customers.by_key["flights"].id
    for key, target in (("hours_seen", "hours"), ("flown_seen", "flown_on")):
        target_id = flights.by_key[target].id
        w.field("customers", key, "lookup", relation_field_id=rel, target_field_id=target_id)
    w.field(
        "flights",
        "customer_tier",
        "lookup",
        relation_field_id=w.schema("flights").by_key["customer"].id,
        target_field_id=customers.by_key["tier"].id,
    )
    w.field(  # a lookup of a rollup: computed, so blank tests only
        "flights",
        "customer_flights",
        "lookup",
        relation_field_id=w.schema("flights").by_key["customer"].id,
        target_field_id=customers.by_key["flight_count"].id,
    )
    c = {
        "ann": w.insert("customers", name="Ann", tier="VIP"),
        "bob": w.insert("customers", name="Bob", tier="Gold"),
        "cat": w.insert("customers", name="Cat"),
    }
    f = {
        "f1": w.insert("flights", code="F1", hours=2.5, flown_on="2026-01-02", customer=c["ann"]),
        "f2": w.insert("flights", code="F2", hours=1, flown_on="2026-01-03", customer=c["ann"]),
        "f3": w.insert("flights", code="F3", hours=4, customer=c["bob"]),
        "gone": w.insert("flights", code="F4", hours=100, flown_on="2027-01-01", customer=c["bob"]),
        "lone": w.insert("flights", code="F5"),
    }
    w.delete("flights", f["gone"])
    w.c, w.f = c, f
    return w


def test_equality_and_membership_through_a_lookup(fleet):
    c = fleet.c
    assert where(fleet, "customers", "codes", "eq", "F1") == {c["ann"]}
    assert where(fleet, "customers", "codes", "eq", "F4") == set()  # its flight is deleted
    assert where(fleet, "customers", "codes", "in", ["F2", "F3"]) == {c["ann"], c["bob"]}
    assert where(fleet, "customers", "codes", "starts_with", "F") == {c["ann"], c["bob"]}
    assert where(fleet, "customers", "codes", "contains", "3") == {c["bob"]}


def test_negations_select_records_with_no_such_linked_value(fleet):
    c = fleet.c
    # Bob's deleted flight F4 does not count; Cat has no flight at all (a blank).
    assert where(fleet, "customers", "codes", "ne", "F1") == {c["bob"], c["cat"]}
    assert where(fleet, "customers", "codes", "ne", "F4") == set(c.values())
    assert where(fleet, "customers", "codes", "not_in", ["F3", "F2"]) == {c["cat"]}


def test_ranges_and_dates_through_a_lookup(fleet):
    c = fleet.c
    assert where(fleet, "customers", "hours_seen", "gt", 3) == {c["bob"]}
    assert where(fleet, "customers", "hours_seen", "lte", "2.5") == {c["ann"]}
    assert where(fleet, "customers", "hours_seen", "between", [3, 200]) == {c["bob"]}
    assert where(fleet, "customers", "flown_seen", "eq", "2026-01-03") == {c["ann"]}
    assert where(fleet, "customers", "flown_seen", "gt", "2026-06-01") == set()
    assert where(fleet, "customers", "flown_seen", "is_empty") == {c["bob"], c["cat"]}


def test_a_single_relation_lookup_of_a_choice(fleet):
    f = fleet.f
    assert where(fleet, "flights", "customer_tier", "eq", "VIP") == {f["f1"], f["f2"]}
    assert where(fleet, "flights", "customer_tier", "ne", "VIP") == {f["f3"], f["lone"]}
    assert where(fleet, "flights", "customer_tier", "in", ["Gold"]) == {f["f3"]}


def test_lookup_operators_and_values_are_checked(fleet):
    with pytest.raises(Invalid) as e:
        where(fleet, "customers", "codes", "gt", 1)  # text has no order operators
    assert e.value.field_errors["filter.op"][0].key == "filter.operator"
    with pytest.raises(Invalid) as e:
        where(fleet, "flights", "customer_flights", "eq", 1)  # shows a computed field
    assert e.value.field_errors["filter.op"][0].key == "filter.operator"
    with pytest.raises(Invalid) as e:
        where(fleet, "customers", "hours_seen", "eq", "many")
    assert "filter.value" in e.value.field_errors
    with pytest.raises(Invalid) as e:
        where(fleet, "customers", "hours_seen", "in", 3)
    assert e.value.field_errors["filter.value"][0].key == "filter.value"


def test_a_lookup_filter_is_a_semi_join_that_teaches_the_target_index(fleet):
    w = fleet
    flights = w.schema("flights")
    hours = flights.by_key["hours"]
    node = {"field": "hours_seen", "op": "gt", "value": 3}
    plan = build_select(w.catalog, w.schema("customers"), filter=node, clock=w.clock)
    sql = str(plan.select.compile(w.engine))
    assert "EXISTS" in sql and "IN (SELECT" not in sql
    assert plan.related_used == {flights.id: {hours.id: hours.column_name}}
    assert plan.reusable
    search = {"field": "codes", "op": "contains", "value": "F"}
    plan = build_select(w.catalog, w.schema("customers"), filter=search, clock=w.clock)
    assert plan.related_used == {}  # a search no B-tree serves
