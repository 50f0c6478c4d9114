"""A kept page plan's prepared statement (``store.fastread``) gives the rows Core
gives: same values and types for every kind of field, lookups and rollups included."""

from __future__ import annotations

import pytest

from cairn.query import build_select
from cairn.store import fastread


@pytest.fixture
def fleet(crm_world):
    w = crm_world
    ann = w.insert(
        "customers",
        name="Ann",
        tier=w.choice_id("customers", "tier", "VIP"),
        flight_hours=12.5,
        visits=3,
        active=True,
        tags=[w.choice_id("customers", "tags", "jet")],
        joined="2025-12-31",
        last_seen="2026-01-05T23:59:59+08:00",
        email="ann@example.cn",
    )
    w.insert("customers", name="Bob", active=False)
    w.insert("customers")  # blanks everywhere
    w.insert("flights", code="F1", hours=2.5, flown_on="2026-01-02", customer=ann)
    w.insert("flights", code="F2", hours=1, customer=ann)
    return w


@pytest.mark.parametrize(
    ("table", "filter", "sort"),
    [
        ("customers", None, None),
        ("customers", {"field": "visits", "op": "gt", "value": 1}, [{"field": "joined"}]),
        ("customers", {"field": "last_seen", "op": "gte", "value": "2026-01-01"}, None),
        ("customers", None, [{"field": "total_hours", "direction": "desc"}]),
        ("flights", {"field": "hours", "op": "gt", "value": 1}, None),  # with a lookup
    ],
)
def test_prepared_rows_equal_cores(fleet, table: str, filter, sort) -> None:
    w = fleet
    plan = build_select(w.catalog, w.schema(table), filter=filter, sort=sort, clock=w.clock)
    with w.engine.connect() as conn:
        core = conn.execute(plan.select).all()
        fast = plan.fetch(conn)
        again = plan.fetch(conn)
        assert core, "the case must select rows"
        assert [tuple(r) for r in fast] == [tuple(r) for r in core]
        assert [[type(v) for v in r] for r in fast] == [[type(v) for v in r] for r in core]
        assert [r._mapping for r in fast] == [dict(r._mapping) for r in core]
        assert [r.id for r in again] == [r.id for r in core]
        _page, cursor = plan.page(fast)
        assert cursor == plan.page(core)[1]
        assert isinstance(plan._prepared, fastread.Prepared)  # the prepared path ran


def test_an_in_list_goes_through_core(fleet) -> None:
    """Core expands an IN list per execution: such a statement is not prepared."""
    w = fleet
    s = w.schema("customers")
    plan = build_select(
        w.catalog, s, filter={"field": "name", "op": "in", "value": ["Ann", "Bob"]}, clock=w.clock
    )
    name = s.by_key["name"].column_name
    with w.engine.connect() as conn:
        assert sorted(r._mapping[name] for r in plan.fetch(conn)) == ["Ann", "Bob"]
    assert plan._prepared is False


def test_plans_of_one_shape_share_the_statement_with_their_own_values(fleet) -> None:
    """A page with other values in its filter (the grid's next city, the next amount) runs the
    statement prepared for the first page of that shape, with its own values: the rows are
    the ones Core gives for it."""
    w = fleet
    s = w.schema("customers")
    prepared = []
    for tier, visits in (("VIP", 1), ("VIP", 5), ("Gold", 1)):
        filter = {
            "and": [
                {"field": "tier", "op": "eq", "value": w.choice_id("customers", "tier", tier)},
                {"field": "visits", "op": "gte", "value": visits},
            ]
        }
        plan = build_select(w.catalog, s, filter=filter, sort=[{"field": "name"}], clock=w.clock)
        with w.engine.connect() as conn:
            core = conn.execute(plan.select).all()
            fast = plan.fetch(conn)
        assert [tuple(r) for r in fast] == [tuple(r) for r in core]
        prepared.append(plan._prepared)
    assert all(isinstance(p, fastread.Prepared) for p in prepared)
    assert len({p.sql for p in prepared}) == 1  # one statement ...
    params = [
        tuple(p.params.values()) if isinstance(p.params, dict) else p.params for p in prepared
    ]
    assert len(set(params)) == 3  # ... each plan with its own values
    other = build_select(
        w.catalog, s, filter={"field": "visits", "op": "gte", "value": 1}, clock=w.clock
    )
    with w.engine.connect() as conn:
        other.fetch(conn)
    assert other._prepared.sql != prepared[0].sql  # another shape, another statement


def test_shared_statements_give_each_plan_its_rows(fleet) -> None:
    """Ann has 3 visits, Bob none: ``visits >= n`` for n = 1, 4 through one statement."""
    w = fleet
    s = w.schema("customers")
    name = s.by_key["name"].column_name
    got = []
    for n in (1, 4, 0):
        plan = build_select(
            w.catalog, s, filter={"field": "visits", "op": "gte", "value": n}, clock=w.clock
        )
        with w.engine.connect() as conn:
            got.append(sorted(r._mapping[name] for r in plan.fetch(conn)))
    assert got == [["Ann"], [], ["Ann"]]
