"""Relations, lookups and rollups: filtered, sorted and read as SQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cairn.core import Invalid
from cairn.query import build_select, expand_records, load_links

from .helpers import ids, where


@pytest.fixture
def fleet(crm_world):
    w = crm_world
    c = {
        "ann": w.insert("customers", name="Ann"),
        "bob": w.insert("customers", name="Bob"),
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


def _values(w, table, key):
    f = w.schema(table).by_key[key]
    plan = build_select(w.catalog, w.schema(table), fields=[key], clock=w.clock)
    return {r.id: r._mapping[f.column_name] for r in w.rows(plan.select)}


def test_rollup_values(fleet):
    c = fleet.c
    assert _values(fleet, "customers", "flight_count") == {c["ann"]: 2, c["bob"]: 1, c["cat"]: 0}
    total = _values(fleet, "customers", "total_hours")
    assert {k: Decimal(str(v)) for k, v in total.items()} == {
        c["ann"]: Decimal("3.5"),
        c["bob"]: Decimal("4"),
        c["cat"]: Decimal("0"),
    }
    avg = _values(fleet, "customers", "avg_hours")
    assert float(avg[c["ann"]]) == 1.75 and avg[c["cat"]] is None
    last = _values(fleet, "customers", "last_flight")
    assert str(last[c["ann"]]) == "2026-01-03" and last[c["bob"]] is None


def test_lookup_values(fleet):
    c, f = fleet.c, fleet.f
    assert _values(fleet, "customers", "codes") == {
        c["ann"]: ["F1", "F2"],
        c["bob"]: ["F3"],
        c["cat"]: [],
    }
    names = _values(fleet, "flights", "customer_name")
    assert names[f["f1"]] == "Ann" and names[f["f3"]] == "Bob" and names[f["lone"]] is None


def test_filter_and_sort_on_rollups(fleet):
    c = fleet.c
    assert where(fleet, "customers", "flight_count", "gte", 1) == {c["ann"], c["bob"]}
    assert where(fleet, "customers", "flight_count", "eq", 0) == {c["cat"]}
    assert where(fleet, "customers", "total_hours", "gt", "3.75") == {c["bob"]}
    assert where(fleet, "customers", "avg_hours", "is_empty") == {c["cat"]}
    assert where(fleet, "customers", "last_flight", "gte", "2026-01-03") == {c["ann"]}
    assert ids(fleet, "customers", sort=["-total_hours"]) == [c["bob"], c["ann"], c["cat"]]
    assert ids(fleet, "customers", sort=["avg_hours"]) == [c["ann"], c["bob"], c["cat"]]


def test_filter_on_lookups(fleet):
    c, f = fleet.c, fleet.f
    assert where(fleet, "customers", "codes", "is_empty") == {c["cat"]}
    assert where(fleet, "customers", "codes", "is_not_empty") == {c["ann"], c["bob"]}
    assert where(fleet, "flights", "customer_name", "is_empty") == {f["lone"]}


def test_filter_on_relations(fleet):
    c, f = fleet.c, fleet.f
    assert where(fleet, "flights", "customer", "contains", c["ann"]) == {f["f1"], f["f2"]}
    assert where(fleet, "flights", "customer", "in", [c["bob"], c["cat"]]) == {f["f3"]}
    assert where(fleet, "flights", "customer", "not_in", [c["ann"]]) == {f["f3"], f["lone"]}
    assert where(fleet, "flights", "customer", "is_empty") == {f["lone"]}
    # The reverse side reads the same junction; deleted targets do not count.
    assert where(fleet, "customers", "flights", "contains", f["f3"]) == {c["bob"]}
    assert where(fleet, "customers", "flights", "contains", f["gone"]) == set()
    assert where(fleet, "customers", "flights", "is_empty") == {c["cat"]}
    assert where(fleet, "customers", "flights", "is_not_empty") == {c["ann"], c["bob"]}


def test_relation_operators_are_checked(fleet):
    with pytest.raises(Invalid) as e:
        where(fleet, "flights", "customer", "eq", 1)
    assert e.value.field_errors["filter.op"][0].key == "filter.operator"
    with pytest.raises(Invalid) as e:
        where(fleet, "flights", "customer", "in", ["x"])
    assert e.value.field_errors["filter.value"][0].key == "value.relation"


def test_load_links_one_query_per_field(fleet):
    w = fleet
    c, f = w.c, w.f
    schema = w.schema("customers")
    rel = schema.by_key["flights"]
    statements = []
    from sqlalchemy import event

    with w.engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", lambda *a: statements.append(a[2]))
        links = load_links(conn, w.catalog, schema, [rel], list(c.values()))
    assert len([s for s in statements if s.startswith("SELECT")]) == 1
    assert links == {rel.id: {c["ann"]: [f["f1"], f["f2"]], c["bob"]: [f["f3"]], c["cat"]: []}}
    fs = w.schema("flights")
    with w.engine.connect() as conn:
        back = load_links(conn, w.catalog, fs, [fs.by_key["customer"]], [f["f1"], f["lone"]])
    assert back[fs.by_key["customer"].id] == {f["f1"]: [c["ann"]], f["lone"]: []}


def test_expand_records(fleet):
    w = fleet
    c, f = w.c, w.f
    schema = w.schema("customers")
    with w.engine.connect() as conn:
        rows = expand_records(
            conn, w.catalog, schema, schema.by_key["flights"], [f["f1"], f["gone"]], ["code"]
        )
        assert list(rows) == [f["f1"]]
        code = w.schema("flights").by_key["code"]
        assert rows[f["f1"]][code.column_name] == "F1"
        with pytest.raises(Invalid):
            expand_records(conn, w.catalog, schema, schema.by_key["name"], [c["ann"]])


def test_fields_selection(fleet):
    w = fleet
    plan = build_select(w.catalog, w.schema("customers"), fields=["name"], clock=w.clock)
    cols = set(w.rows(plan.select)[0]._mapping.keys())
    name = w.schema("customers").by_key["name"]
    assert {
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "owner_id",
        name.column_name,
    } <= cols
    assert not any(k.startswith("f_") and k != name.column_name for k in cols)
    with pytest.raises(Invalid) as e:
        build_select(w.catalog, w.schema("customers"), fields=["nope"], clock=w.clock)
    assert e.value.field_errors["fields.0"][0].key == "field.unknown"
