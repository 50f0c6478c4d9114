"""Every operator on every value family, blanks included, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest

from cairn.core import Invalid
from cairn.query import build_select, compile_filter

from .helpers import ids, where


@pytest.fixture
def people(crm_world):
    w = crm_world
    w.r = {
        "ann": w.insert(
            "customers",
            name="Ann Lee",
            tier="VIP",
            flight_hours=12.5,
            visits=3,
            active=True,
            tags=["jet", "heli"],
            joined="2025-03-01",
            last_seen="2026-01-05T08:00:00+08:00",
            email="ann@example.com",
            owner=7,
        ),
        "bob": w.insert(
            "customers",
            name="bob_100%",
            tier="Gold",
            flight_hours=3,
            visits=10,
            active=False,
            tags=["charter"],
            joined="2024-12-31",
            email="bob@example.com",
            owner=8,
        ),
        "cat": w.insert("customers", name="Cat", tier="Basic", visits=0),
        "blank": w.insert("customers"),
    }
    return w


def test_text_eq_ne(people):
    r = people.r
    assert where(people, "customers", "name", "eq", "Cat") == {r["cat"]}
    assert where(people, "customers", "name", "ne", "Cat") == {r["ann"], r["bob"], r["blank"]}


def test_text_contains_is_case_insensitive(people):
    r = people.r
    assert where(people, "customers", "name", "contains", "LEE") == {r["ann"]}
    assert where(people, "customers", "name", "starts_with", "ann") == {r["ann"]}
    assert where(people, "customers", "name", "starts_with", "Lee") == set()


def test_text_contains_escapes_wildcards(people):
    r = people.r
    assert where(people, "customers", "name", "contains", "%") == {r["bob"]}
    assert where(people, "customers", "name", "contains", "_") == {r["bob"]}
    assert where(people, "customers", "name", "contains", "b_1") == {r["bob"]}
    assert where(people, "customers", "name", "contains", "n_L") == set()
    assert where(people, "customers", "name", "starts_with", "%") == set()
    assert where(people, "customers", "name", "contains", "\\") == set()


def test_text_in_and_empty(people):
    r = people.r
    assert where(people, "customers", "name", "in", ["Cat", "nobody"]) == {r["cat"]}
    assert where(people, "customers", "name", "not_in", ["Cat"]) == {r["ann"], r["bob"], r["blank"]}
    assert where(people, "customers", "name", "is_empty") == {r["blank"]}
    assert where(people, "customers", "name", "is_not_empty") == {r["ann"], r["bob"], r["cat"]}
    assert where(people, "customers", "email", "contains", "EXAMPLE") == {r["ann"], r["bob"]}


def test_number_ops(people):
    r = people.r
    w = people
    assert where(w, "customers", "flight_hours", "eq", 12.5) == {r["ann"]}
    assert where(w, "customers", "flight_hours", "eq", "12.5") == {r["ann"]}
    assert where(w, "customers", "flight_hours", "ne", 3) == {r["ann"], r["cat"], r["blank"]}
    assert where(w, "customers", "flight_hours", "gt", 3) == {r["ann"]}
    assert where(w, "customers", "flight_hours", "gte", 3) == {r["ann"], r["bob"]}
    assert where(w, "customers", "flight_hours", "lt", 12.5) == {r["bob"]}
    assert where(w, "customers", "flight_hours", "lte", 12.5) == {r["ann"], r["bob"]}
    assert where(w, "customers", "flight_hours", "between", [3, 12]) == {r["bob"]}
    assert where(w, "customers", "flight_hours", "is_empty") == {r["cat"], r["blank"]}
    assert where(w, "customers", "visits", "in", [0, 3]) == {r["ann"], r["cat"]}
    assert where(w, "customers", "visits", "not_in", [0, 3]) == {r["bob"], r["blank"]}
    # An integer column against a fraction.
    assert where(w, "customers", "visits", "gt", 2.5) == {r["ann"], r["bob"]}
    assert where(w, "customers", "visits", "eq", 0) == {r["cat"]}


def test_single_select(people):
    r = people.r
    w = people
    assert where(w, "customers", "tier", "eq", "VIP") == {r["ann"]}
    vip = w.choice_id("customers", "tier", "VIP")
    assert where(w, "customers", "tier", "eq", vip) == {r["ann"]}
    assert where(w, "customers", "tier", "ne", "VIP") == {r["bob"], r["cat"], r["blank"]}
    assert where(w, "customers", "tier", "in", ["VIP", "Gold"]) == {r["ann"], r["bob"]}
    assert where(w, "customers", "tier", "not_in", ["VIP", "Gold"]) == {r["cat"], r["blank"]}
    assert where(w, "customers", "tier", "eq", "no such option") == set()
    assert where(w, "customers", "tier", "is_empty") == {r["blank"]}


def test_multi_select(people):
    r = people.r
    w = people
    assert where(w, "customers", "tags", "contains", "jet") == {r["ann"]}
    assert where(w, "customers", "tags", "in", ["heli", "charter"]) == {r["ann"], r["bob"]}
    assert where(w, "customers", "tags", "not_in", ["heli"]) == {r["bob"], r["cat"], r["blank"]}
    assert where(w, "customers", "tags", "in", []) == set()
    assert where(w, "customers", "tags", "not_in", []) == set(r.values())
    assert where(w, "customers", "tags", "is_empty") == {r["cat"], r["blank"]}
    assert where(w, "customers", "tags", "is_not_empty") == {r["ann"], r["bob"]}


def test_boolean_blank_is_false(people):
    r = people.r
    w = people
    assert where(w, "customers", "active", "eq", True) == {r["ann"]}
    assert where(w, "customers", "active", "eq", False) == {r["bob"], r["cat"], r["blank"]}
    assert where(w, "customers", "active", "ne", True) == {r["bob"], r["cat"], r["blank"]}
    assert where(w, "customers", "active", "ne", "false") == {r["ann"]}


def test_date_ops(people):
    r = people.r
    w = people
    assert where(w, "customers", "joined", "eq", "2025-03-01") == {r["ann"]}
    assert where(w, "customers", "joined", "lt", "2025-01-01") == {r["bob"]}
    assert where(w, "customers", "joined", "between", ["2024-12-31", "2025-03-01"]) == {
        r["ann"],
        r["bob"],
    }
    assert where(w, "customers", "joined", "ne", "2025-03-01") == {r["bob"], r["cat"], r["blank"]}
    assert where(w, "customers", "joined", "is_empty") == {r["cat"], r["blank"]}


def test_datetime_day_means_whole_local_day(people):
    r = people.r
    w = people
    # last_seen is 2026-01-05 08:00 in Shanghai (00:00 UTC).
    assert where(w, "customers", "last_seen", "eq", "2026-01-05") == {r["ann"]}
    assert where(w, "customers", "last_seen", "eq", "2026-01-04") == set()
    assert where(w, "customers", "last_seen", "lte", "2026-01-05") == {r["ann"]}
    assert where(w, "customers", "last_seen", "gt", "2026-01-05") == set()
    assert where(w, "customers", "last_seen", "gte", "2026-01-05T08:00:00+08:00") == {r["ann"]}
    assert where(w, "customers", "last_seen", "gt", "2026-01-05T08:00:00+08:00") == set()
    assert where(w, "customers", "last_seen", "ne", "2026-01-05") == {
        r["bob"],
        r["cat"],
        r["blank"],
    }


def test_user_and_system_fields(people):
    r = people.r
    w = people
    assert where(w, "customers", "owner", "eq", 7) == {r["ann"]}
    assert where(w, "customers", "owner", "not_in", [7]) == {r["bob"], r["cat"], r["blank"]}
    assert where(w, "customers", "id", "in", [r["ann"], r["cat"]]) == {r["ann"], r["cat"]}
    assert where(w, "customers", "id", "gt", r["cat"]) == {r["blank"]}
    assert where(w, "customers", "version", "eq", 1) == set(r.values())
    assert where(w, "customers", "created_at", "eq", "2026-01-01") == set(r.values())


def test_groups(people):
    r = people.r
    tree = {
        "or": [
            {
                "and": [
                    {"field": "tier", "op": "eq", "value": "VIP"},
                    {"field": "visits", "op": "gt", "value": 1},
                ]
            },
            {"not": {"field": "name", "op": "is_not_empty"}},
        ]
    }
    assert set(ids(people, "customers", tree)) == {r["ann"], r["blank"]}
    assert set(ids(people, "customers", {"and": []})) == set(r.values())
    assert set(ids(people, "customers", {"or": []})) == set()


def test_deleted_rows_never_show(people):
    people.delete("customers", people.r["cat"])
    assert people.r["cat"] not in ids(people, "customers")


def _err(e):
    ((loc, msgs),) = e.value.field_errors.items()
    return loc, msgs[0].key, msgs[0].params


@pytest.mark.parametrize(
    ("node", "loc", "key"),
    [
        ({"field": "active", "op": "contains", "value": "x"}, "filter.op", "filter.operator"),
        ({"field": "tags", "op": "eq", "value": "jet"}, "filter.op", "filter.operator"),
        ({"field": "name", "op": "gt", "value": "a"}, "filter.op", "filter.operator"),
        ({"field": "name", "op": "bogus", "value": "a"}, "filter.op", "filter.operator"),
        ({"field": "nope", "op": "eq", "value": "a"}, "filter.field", "field.unknown"),
        ({"field": "visits", "op": "eq", "value": "many"}, "filter.value", "value.number"),
        ({"field": "visits", "op": "eq"}, "filter.value", "filter.value"),
        ({"field": "visits", "op": "eq", "value": ""}, "filter.value", "value.number"),
        ({"field": "name", "op": "eq", "value": None}, "filter.value", "filter.value"),
        ({"field": "visits", "op": "in", "value": 3}, "filter.value", "filter.value"),
        ({"field": "visits", "op": "between", "value": [1]}, "filter.value", "filter.value"),
        ({"field": "joined", "op": "last_n_days", "value": 0}, "filter.value", "filter.value"),
        ({"field": "joined", "op": "eq", "value": "soon"}, "filter.value", "value.date"),
        ({"field": "name", "op": "is_empty", "value": "x"}, "filter.value", "filter.value"),
    ],
)
def test_bad_conditions(crm_world, node, loc, key):
    w = crm_world
    with pytest.raises(Invalid) as e:
        compile_filter(w.catalog, w.schema("customers"), node, w.clock)
    assert _err(e)[:2] == (loc, key)


def test_operator_error_names_type_and_field(crm_world):
    w = crm_world
    with pytest.raises(Invalid) as e:
        compile_filter(
            w.catalog,
            w.schema("customers"),
            {"and": [{"field": "active", "op": "gt", "value": 1}]},
            w.clock,
        )
    assert _err(e) == (
        "filter.and.0.op",
        "filter.operator",
        {"op": "gt", "type": "boolean", "field": "active"},
    )


def test_values_are_bound_never_inlined(crm_world):
    w = crm_world
    plan = build_select(
        w.catalog,
        w.schema("customers"),
        filter={"field": "name", "op": "eq", "value": "x'; DROP TABLE t_1; --"},
        clock=w.clock,
    )
    assert "DROP" not in str(plan.select.compile(w.engine))
    assert w.rows(plan.select) == []


def test_count_select(people):
    w = people
    plan = build_select(
        w.catalog,
        w.schema("customers"),
        filter={"field": "visits", "op": "gte", "value": 0},
        clock=w.clock,
        limit=1,
    )
    with w.engine.connect() as conn:
        assert conn.execute(plan.count_select).scalar_one() == 3


def test_datetime_stored_naive_utc(people):
    # The datetime column holds naive UTC.
    w = people
    plan = build_select(w.catalog, w.schema("customers"), fields=["last_seen"], clock=w.clock)
    seen = {r.id: r.f_8 for r in w.rows(plan.select)}
    assert seen[w.r["ann"]] == datetime(2026, 1, 5, 0, 0)
