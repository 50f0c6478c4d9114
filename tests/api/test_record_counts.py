"""Counts of record pages through HTTP, on both databases: exact on small tables and small
results; over the threshold (``CAIRN_COUNT_EXACT_ROWS``, set low here) "10,000+" or the
planner's "about", never called exact; ``count=exact`` always exact; and the count cache:
answered from memory while the tables it read are unchanged, counted again after a write,
and kept apart per row scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth import cli
from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services
from factories import make_admin, make_crm, make_user

R = "/api/v1/apps/crm/tables/customers/records"
ORDERS = "/api/v1/apps/crm/tables/orders/records"
TIERS = ["VIP"] * 12 + ["Gold"] * 5 + ["Standard"] * 3  # 20 customers
#: The threshold of the "large table" instance: 20 customers are more than it.
LOW = 5


def _instance(db_url: str, data_dir: Path, clock: FrozenClock, **kw: Any) -> Services:
    s = build_services(Settings(data_dir=data_dir, database_url=db_url, **kw), clock=clock)
    make_crm(s)
    return s


def _client(services: Services, token: str) -> TestClient:
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    return TestClient(create_app(services), headers=headers)


def _fill(c: TestClient, tiers: list[str] = TIERS) -> None:
    records = [{"name": f"c{i}", "tier": t} for i, t in enumerate(tiers)]
    r = c.post(f"{R}/bulk", json={"records": records})
    assert r.status_code == 201, r.text


def _count(c: TestClient, url: str = R, **params: Any) -> tuple[int, str]:
    """(total, total_kind) of a one-record page (so the page alone never tells the count)."""
    r = c.get(url, params={"limit": 1, "count": "true", **params})
    assert r.status_code == 200, r.text
    page = r.json()
    return page["total"], page["total_kind"]


def _query(c: TestClient, body: dict[str, Any], url: str = R) -> tuple[int, str]:
    r = c.post(f"{url}/query", json={"limit": 1, "count": True, **body})
    assert r.status_code == 200, r.text
    page = r.json()
    return page["total"], page["total_kind"]


@pytest.fixture
def small(services: Services, client: TestClient) -> Iterator[TestClient]:
    """The default threshold: 20 customers make a small table."""
    make_crm(services)
    _fill(client)
    yield client


@pytest.fixture
def large(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[TestClient]:
    """20 customers over a threshold of 5, with fresh planner statistics on PostgreSQL."""
    s = _instance(db_url, tmp_path / "data", frozen_clock, count_exact_rows=LOW)
    with _client(s, make_admin(s)) as c:
        _fill(c)
        if s.engine.dialect.name == "postgresql":
            table = s.catalogs.latest.table("crm", "customers").sa_table.name  # type: ignore[union-attr]
            with s.engine.begin() as conn:
                conn.execute(sa.text(f"ANALYZE {table}"))
        yield c
    s.close()


def test_a_small_table_is_counted_exactly(small: TestClient) -> None:
    assert _count(small) == (20, "exact")
    assert _count(small, tier="VIP") == (12, "exact")
    assert _query(
        small, {"filter": {"field": "tier", "op": "in", "value": ["Gold", "Standard"]}}
    ) == (8, "exact")
    # The first page that is also the last: its rows are the count.
    page = small.get(R, params={"count": "true", "tier": "Gold"}).json()
    assert (len(page["items"]), page["total"], page["total_kind"]) == (5, 5, "exact")
    # No count asked: none given, and no kind either.
    page = small.get(R, params={"limit": 1}).json()
    assert page["total"] is None and page["total_kind"] is None


def test_over_the_threshold_a_count_says_it_is_not_exact(large: TestClient, db_url: str) -> None:
    total, kind = _count(large)
    if db_url.startswith("postgresql"):
        # The planner's estimate of the same statement (fresh statistics: close to the truth).
        assert (total, kind) == (20, "estimate")
        total, kind = _count(large, tier="VIP")
        assert kind == "estimate" and LOW < total <= 20
    else:
        # SQLite counts up to the threshold and says "5+".
        assert (total, kind) == (LOW, "at_least")
        assert _count(large, tier="VIP") == (LOW, "at_least")
    # A result within the threshold is exact on both (bounded count; planner below it).
    assert _count(large, tier="Standard") == (3, "exact")
    # A full first page is exact without counting.
    page = large.get(R, params={"count": "true"}).json()
    assert (page["total"], page["total_kind"]) == (20, "exact")


def test_count_exact_counts_every_row(large: TestClient) -> None:
    assert _count(large, count="exact") == (20, "exact")
    assert _count(large, count="exact", tier="VIP") == (12, "exact")
    body = {"filter": {"field": "tier", "op": "eq", "value": "VIP"}, "count": "exact"}
    assert _query(large, body) == (12, "exact")
    # Once counted exactly, the same filter's count stays exact while nothing changed.
    assert _count(large, tier="VIP") == (12, "exact")


def test_a_count_that_is_neither_a_flag_nor_exact_is_refused(small: TestClient) -> None:
    r = small.get(R, params={"count": "about"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("count")
    r = small.post(f"{R}/query", json={"count": "estimate"})
    assert r.status_code == 422


def test_an_unchanged_filter_is_counted_from_memory_until_a_write(
    small: TestClient, services: Services
) -> None:
    cache = services.counts.cache
    assert cache is not None
    vip = {"field": "tier", "op": "eq", "value": "VIP"}
    assert _query(small, {"filter": vip}) == (12, "exact")
    before = cache.stats()
    # The same filter again: another sort, page size and way of writing it.
    assert _query(small, {"filter": {"and": [vip]}, "sort": [{"field": "name"}]}) == (12, "exact")
    assert _count(small, tier="VIP", limit=2) == (12, "exact")
    after = cache.stats()
    assert (after["hits"], after["misses"]) == (before["hits"] + 2, before["misses"])

    # A write to another table leaves the count in memory ...
    assert small.post(ORDERS, json={"title": "o1", "amount": 5}).status_code == 201
    assert _query(small, {"filter": vip}) == (12, "exact")
    assert cache.stats()["hits"] == after["hits"] + 1
    # ... a write to its own table counts again, and the new record is in it.
    assert small.post(R, json={"name": "new", "tier": "VIP"}).status_code == 201
    assert _query(small, {"filter": vip}) == (13, "exact")
    assert cache.stats()["misses"] == after["misses"] + 1
    rid = small.get(R, params={"name": "new"}).json()["items"][0]["id"]
    assert small.delete(f"{R}/{rid}").status_code == 204
    assert _query(small, {"filter": vip}) == (12, "exact")


def test_a_count_through_a_relation_follows_writes_to_the_related_table(
    small: TestClient,
) -> None:
    """Customers with orders (a rollup over the relation): an order written for another
    customer changes the count, though no customer record was written."""
    rollup = {"key": "order_count", "type": "rollup", "options": {"relation": "orders"}}
    assert small.post(f"{R[:-8]}/fields", json=rollup).status_code == 201
    ids = [r["id"] for r in small.get(R, params={"limit": 4}).json()["items"]]
    for i in ids[:3]:
        assert small.post(ORDERS, json={"title": f"o{i}", "customer": i}).status_code == 201
    with_orders = {"filter": {"field": "order_count", "op": "gte", "value": 1}}
    assert _query(small, with_orders) == (3, "exact")
    assert _query(small, with_orders) == (3, "exact")  # from memory
    assert small.post(ORDERS, json={"title": "o", "customer": ids[3]}).status_code == 201
    assert _query(small, with_orders) == (4, "exact")


def test_each_row_scope_keeps_its_own_count(small: TestClient, services: Services) -> None:
    """Two users limited to their own rows, and one to their department's, ask the same
    query: each gets their own count, again from memory, and a change in the department
    tree counts the department's rows again."""
    d = services.directory
    ann, ann_token = make_user(services, "ann")
    _bob, bob_token = make_user(services, "bob")
    dee, dee_token = make_user(services, "dee")
    role = {
        "key": "own",
        "name": "own",
        "tables": [
            {"app": "crm", "table": "customers", "actions": ["read", "create"], "row_scope": "own"}
        ],
        "members": ["ann", "bob"],
    }
    assert small.post("/api/v1/roles", json=role).status_code == 201
    dept = {**role, "key": "dept", "name": "dept", "members": ["dee"]}
    dept["tables"] = [{**role["tables"][0], "row_scope": "department"}]
    assert small.post("/api/v1/roles", json=dept).status_code == 201
    team = d.create_department(cli(), {"name": "Team"})["id"]
    for uid in (ann, dee):
        assert small.patch(f"/api/v1/users/{uid}", json={"department_id": team}).status_code == 200
    for name, token, n in (("ann", ann_token, 2), ("bob", bob_token, 4), ("dee", dee_token, 2)):
        with _client(services, token) as c:
            for i in range(n):
                assert c.post(R, json={"name": f"{name}{i}", "tier": "VIP"}).status_code == 201

    as_ann, as_bob, as_dee = (_client(services, t) for t in (ann_token, bob_token, dee_token))
    cache = services.counts.cache
    assert cache is not None
    with as_ann, as_bob, as_dee:
        for hits in (0, 4):  # the second round from memory, each their own
            before = cache.stats()
            assert _count(as_ann, tier="VIP") == (2, "exact")
            assert _count(as_bob, tier="VIP") == (4, "exact")
            assert _count(as_dee, tier="VIP") == (4, "exact")  # dee's and ann's
            assert _count(small, tier="VIP") == (20, "exact")
            assert cache.stats()["hits"] - before["hits"] == hits
        # Ann writes: her count and the admin's move, Bob's stays.
        assert as_ann.post(R, json={"name": "ann9", "tier": "VIP"}).status_code == 201
        assert _count(as_ann, tier="VIP") == (3, "exact")
        assert _count(as_bob, tier="VIP") == (4, "exact")
        assert _count(small, tier="VIP") == (21, "exact")
        # Ann leaves dee's department: no customer record changed, dee's count does.
        other = d.create_department(cli(), {"name": "Other"})["id"]
        r = small.patch(f"/api/v1/users/{ann}", json={"department_id": other})
        assert r.status_code == 200
        assert _count(as_dee, tier="VIP") == (2, "exact")
