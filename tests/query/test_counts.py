"""Page counts (``query.counts``) on both databases: a bounded count is exact up to its
bound and "at least" past it; over the threshold PostgreSQL gives its planner's estimate of
the very statement (IN lists bound as for the count), SQLite the bounded count; and the count
cache's key (``query.count_cache.count_key``): one filter written several ways is one key,
another row scope is another."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from cairn.query import build_select
from cairn.query.count_cache import count_key
from cairn.query.counts import Count, about, bounded_count, count_rows


def _count_select(w: Any, filter: Any = None) -> sa.Select[Any]:
    return build_select(w.catalog, w.schema("customers"), filter=filter, clock=w.clock).count_select


@pytest.fixture
def twelve(crm_world: Any) -> Any:
    """12 customers: 8 VIP, 4 Gold."""
    w = crm_world
    for i in range(12):
        w.insert(
            "customers",
            name=f"c{i}",
            tier=w.choice_id("customers", "tier", "VIP" if i < 8 else "Gold"),
        )
    if w.engine.dialect.name == "postgresql":
        with w.engine.begin() as conn:
            conn.execute(sa.text(f"ANALYZE t_{w.table_ids['customers']}"))
    return w


def test_a_bounded_count_is_exact_up_to_its_bound(twelve: Any) -> None:
    vip = {"field": "tier", "op": "eq", "value": twelve.choice_id("customers", "tier", "VIP")}
    with twelve.engine.connect() as conn:
        assert bounded_count(conn, _count_select(twelve), 20) == Count(12, "exact")
        assert bounded_count(conn, _count_select(twelve), 12) == Count(12, "exact")
        assert bounded_count(conn, _count_select(twelve), 11) == Count(11, "at_least")
        assert bounded_count(conn, _count_select(twelve, vip), 5) == Count(5, "at_least")
        assert bounded_count(conn, _count_select(twelve, vip), 8) == Count(8, "exact")


def test_over_the_threshold_a_count_is_estimated_or_bounded(twelve: Any) -> None:
    w = twelve
    tiers = [w.choice_id("customers", "tier", t) for t in ("VIP", "Gold")]
    both = _count_select(w, {"field": "tier", "op": "in", "value": tiers})
    tid = w.table_ids["customers"]
    with w.engine.connect() as conn:
        assert count_rows(conn, tid, both, exact_rows=100) == Count(12, "exact")
        assert count_rows(conn, tid, both, exact_rows=3, exact=True) == Count(12, "exact")
        got = count_rows(conn, tid, both, exact_rows=3)
        if conn.dialect.name == "postgresql":
            # The planner's guess for the IN list (its parameters bound): above the threshold.
            assert got.kind == "estimate" and 3 < got.value <= 12
        else:
            assert got == Count(3, "at_least")
        gold = _count_select(w, {"field": "tier", "op": "in", "value": tiers[1:]})
        assert count_rows(conn, tid, gold, exact_rows=5) == Count(4, "exact")


def test_an_estimate_claims_two_significant_digits() -> None:
    assert [about(n) for n in (0, 7, 99, 150, 12_345, 1_049, 987_654)] == [
        0,
        7,
        99,
        150,
        12_000,
        1_000,
        990_000,
    ]


def test_one_filter_written_several_ways_is_one_count() -> None:
    a = {"field": "tier", "op": "eq", "value": "VIP"}
    b = {"field": "flight_hours", "op": "gt", "value": 100}
    key = count_key(3, 7, {"and": [a, b]}, "")
    assert key == count_key(3, 7, {"and": [b, a]}, "")
    assert key == count_key(3, 7, {"and": [{"and": [b]}, a]}, "")
    assert count_key(3, 7, {"and": [a]}, "") == count_key(3, 7, a, "")
    assert count_key(3, 7, None, "") == count_key(3, 7, {}, "")
    # Another table, schema version, row scope or filter: another count.
    others = {
        count_key(3, 8, {"and": [a, b]}, ""),
        count_key(4, 7, {"and": [a, b]}, ""),
        count_key(3, 7, {"and": [a, b]}, "u5:read"),
        count_key(3, 7, {"or": [a, b]}, ""),
        count_key(3, 7, a, ""),
    }
    assert key not in others and len(others) == 5
    # A value that is not JSON (a Python caller's date): not kept.
    assert (
        count_key(3, 7, {"field": "signed_on", "op": "eq", "value": date(2026, 1, 5)}, "") is None
    )
