"""Indexes that fit the queries, through HTTP: a page filtered on equality and a range and sorted
gets one composite index (equality fields first, then the sort field) after a few uses, built
in the background; a table holds at most its cap of automatic indexes; one no query used for
N days is dropped (a test clock, no waiting); a deleted field's indexes go; administrators
see every index of a table with why it exists, its size and last use, and the recent query
shapes with the index that serves each or why none does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock, Settings, SystemClock
from cairn.query import build_select
from cairn.services import Services, build_services
from cairn.store.indexes import automatic, index_names
from factories import make_admin, make_crm, make_user

R = "/api/v1/apps/crm/tables/customers/records"
INDEXES = "/api/v1/apps/crm/tables/customers/indexes"
VIP = {"field": "tier", "op": "eq", "value": "VIP"}
BY_HOURS = [{"field": "flight_hours", "direction": "desc"}]


def hours_over(n: int) -> dict[str, Any]:
    return {"field": "flight_hours", "op": "gt", "value": n}


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        test_clock=True,
        auto_index_after_uses=3,
        auto_index_min_rows=20,
        auto_index_max_per_table=3,
        auto_index_unused_days=10,
    )
    s = build_services(settings, clock=frozen_clock)
    make_crm(s)
    tiers = ("VIP", "Gold", "Standard")
    rows = [{"name": f"c{i}", "tier": tiers[i % 3], "flight_hours": i} for i in range(60)]
    s.records.bulk("crm", "customers", rows, return_items=False)
    yield s
    s.close()


@pytest.fixture
def admin(services: Services) -> Iterator[TestClient]:
    headers = {"accept-language": "en", "authorization": f"Bearer {make_admin(services)}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


def ids(services: Services) -> tuple[int, dict[str, int]]:
    with services.engine.connect() as conn:
        s = services.catalogs.get(conn).table("crm", "customers")
    return s.id, {f.key: f.id for f in s.fields}


def existing(services: Services) -> set[str]:
    services.indexes.drain()  # built in the background, after the request
    with services.engine.connect() as conn:
        return index_names(conn, ids(services)[0])


def page(client: TestClient, filter: Any = None, sort: Any = None) -> list[dict[str, Any]]:
    r = client.post(f"{R}/query", json={"filter": filter, "sort": sort, "limit": 5})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def listing(client: TestClient) -> dict[str, Any]:
    r = client.get(INDEXES)
    assert r.status_code == 200, r.text
    return r.json()


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in doc["indexes"]}


def test_a_filter_and_sort_shape_gets_its_composite_index(
    admin: TestClient, services: Services
) -> None:
    t, f = ids(services)
    composite = f"ix_t{t}_c{f['tier']}_{f['flight_hours']}"
    query = {"and": [VIP, hours_over(40)]}
    for i in range(2):
        items = page(admin, query, BY_HOURS)
        assert [r["flight_hours"] for r in items] == [57, 54, 51, 48, 45]
        assert composite not in existing(services)  # learning: not yet
    page(admin, query, BY_HOURS)  # the third use
    assert composite in existing(services)
    # equality first, then the sort field
    doc = listing(admin)
    ix = by_name(doc)[composite]
    assert [c["field"] for c in ix["columns"]] == ["tier", "flight_hours"]
    assert ix["origin"] == "automatic" and ix["kind"] == "composite"
    assert ix["shape"]["eq"] == ["等级"] and ix["shape"]["sort"] == "飞行小时"
    assert ix["shape"]["range"] == ["飞行小时"]
    assert ix["uses"] == 3 and ix["created_at"] == "2026-01-05T09:00:00Z"
    # The database plans the page with it.
    sql = (
        f"SELECT id FROM t_{t} WHERE f_{f['tier']} = 'VIP' AND f_{f['flight_hours']} > 40"
        f" AND deleted_at IS NULL ORDER BY f_{f['flight_hours']} DESC LIMIT 5"
    )
    with services.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = conn.exec_driver_sql(f"EXPLAIN {sql}").all()
        else:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    assert any(composite in str(row) for row in plan), plan
    # The same shape without the sort wants the same index: it is served.
    page(admin, query)
    served = [q for q in listing(admin)["queries"] if q["shape"]["sort"] is None]
    assert served and served[0]["index"] == composite and served[0]["complete"] is True


def sql_of(services: Services, select: Any) -> str:
    """``select`` as SQL text with its values written in (for EXPLAIN)."""
    return str(select.compile(services.engine, compile_kwargs={"literal_binds": True}))


def plan_of(services: Services, sql: str) -> list[Any]:
    """The database's plan of ``sql``: EXPLAIN on PostgreSQL (scans its planner might prefer
    on a table this small turned off), SQLite's bytecode (``EXPLAIN``) elsewhere."""
    with services.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            return [r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}").all()]
        return list(conn.exec_driver_sql(f"EXPLAIN {sql}").all())


def reads_rows(services: Services, table: str, bytecode: list[Any]) -> bool:
    """Whether SQLite's program reads a column of ``table``'s rows (not only an index's)."""
    with services.engine.connect() as conn:
        root = conn.exec_driver_sql(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).scalar_one()
    cursors = {op[2] for op in bytecode if op[1] == "OpenRead" and op[3] == root}
    return any(op[1] in ("Column", "Rowid") and op[2] in cursors for op in bytecode)


def test_a_composite_index_answers_the_pages_count_from_the_index_alone(
    admin: TestClient, services: Services
) -> None:
    t, f = ids(services)
    composite = f"ix_t{t}_c{f['tier']}_{f['flight_hours']}"
    query = {"and": [VIP, hours_over(10)]}
    for _ in range(3):
        page(admin, query, BY_HOURS)
    assert composite in existing(services)
    # Over live records only, as pages and their counts read: a count needs no row.
    where = f"deleted_at IS NULL AND f_{f['tier']} = 'VIP' AND f_{f['flight_hours']} > 10"
    count = f"SELECT count(*) FROM (SELECT 1 FROM t_{t} WHERE {where} LIMIT 10001) AS c"
    plan = plan_of(services, count)
    if services.engine.dialect.name == "postgresql":
        assert any(f"Index Only Scan using {composite}" in row for row in plan), plan
    else:
        with services.engine.connect() as conn:
            steps = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {count}").all()
        assert any(composite in str(s) for s in steps), steps
        assert not reads_rows(services, f"t_{t}", plan), plan
        # The page walks the index in the sort's order: no sort step, ties on the id too.
        with services.engine.connect() as conn:
            cat = services.catalogs.get(conn)
            select = build_select(
                cat, cat.table("crm", "customers"), filter=query, sort=BY_HOURS, clock=SystemClock()
            ).select
            steps = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql_of(services, select)).all()
        assert not any("TEMP B-TREE" in str(s) for s in steps), steps
    # Deleted records are not in it, and not counted.
    vips = [r["id"] for r in page(admin, query, BY_HOURS)]
    r = admin.post(f"{R}/query", json={"filter": query, "limit": 5, "count": True})
    assert r.json()["total"] == 16 and r.json()["total_kind"] == "exact"
    assert admin.delete(f"{R}/{vips[0]}").status_code == 204
    for count_mode in (True, "exact"):
        r = admin.post(f"{R}/query", json={"filter": query, "limit": 5, "count": count_mode})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 15 and r.json()["total_kind"] == "exact"
    assert vips[0] not in [r["id"] for r in page(admin, query, BY_HOURS)]


def test_the_listing_explains_queries_no_index_serves(
    admin: TestClient, services: Services
) -> None:
    search = {"field": "name", "op": "contains", "value": "c1"}
    page(admin, {"and": [VIP, search]})
    page(admin, {"or": [VIP, hours_over(3)]})
    page(admin, {"field": "tier", "op": "eq", "value": "Gold"})
    doc = listing(admin)
    assert doc["policy"] == {
        "after_uses": 3,
        "min_rows": 20,
        "max_per_table": 3,
        "unused_days": 10,
    }
    queries = {tuple(q["shape"]["unserved"]) or tuple(q["shape"]["eq"]): q for q in doc["queries"]}
    assert "contains" in queries[("contains",)]["reasons"]
    assert queries[("contains",)]["complete"] is False
    assert "or" in queries[("or",)]["reasons"]
    gold = queries[("等级",)]
    assert gold["index"] is None and gold["reasons"] == ["few_values"]
    # Declared indexes are listed with the automatic ones, with their size where known.
    t, f = ids(services)
    declared = by_name(doc)
    assert declared[f"ux_t{t}_f{f['phone']}"]["kind"] == "unique"
    assert declared[f"ix_t{t}_owner"]["origin"] == "declared"
    assert all(i["size_bytes"] is None or i["size_bytes"] > 0 for i in doc["indexes"])
    if services.engine.dialect.name == "postgresql":
        assert all(isinstance(i["scans"], int) for i in doc["indexes"])


def test_a_table_holds_at_most_its_cap_of_automatic_indexes(
    admin: TestClient, services: Services
) -> None:
    t, _ = ids(services)
    shapes = [
        ({"and": [VIP, hours_over(1)]}, [{"field": "flight_hours"}]),  # plain hours + (tier, hours)
        ({"and": [VIP, {"field": "active", "op": "eq", "value": True}]}, [{"field": "signed_on"}]),
        (None, [{"field": "email"}]),
    ]
    for filter, sort in shapes:
        for _ in range(3):
            page(admin, filter, sort)
    auto = {n for n in existing(services) if automatic(t, n)}
    assert len(auto) == 3, auto
    doc = listing(admin)
    assert doc["automatic_count"] == 3
    capped = [q for q in doc["queries"] if "cap" in q["reasons"]]
    assert capped, doc["queries"]


def test_an_index_unused_for_n_days_is_dropped(admin: TestClient, services: Services) -> None:
    t, f = ids(services)
    composite = f"ix_t{t}_c{f['tier']}_{f['flight_hours']}"
    plain_date = f"ix_t{t}_f{f['signed_on']}"
    for _ in range(3):
        page(admin, {"and": [VIP, hours_over(5)]}, BY_HOURS)
        page(admin, None, [{"field": "signed_on"}])
    assert {composite, plain_date} <= existing(services)
    advance = admin.post("/api/v1/test-clock/advance", json={"by": "6d"})
    assert advance.status_code == 200, advance.text
    page(admin, {"and": [VIP, hours_over(5)]}, BY_HOURS)  # the composite is still in use
    assert {composite, plain_date} <= existing(services)
    assert by_name(listing(admin))[composite]["last_used_at"] == "2026-01-11T09:00:00Z"
    advance = admin.post("/api/v1/test-clock/advance", json={"by": "5d"})
    assert advance.status_code == 200, advance.text
    page(admin, {"and": [VIP, hours_over(5)]}, BY_HOURS)  # the hourly sweep comes with a read
    names = existing(services)
    assert composite in names  # used 5 days ago
    assert plain_date not in names  # unused for 11 days
    assert plain_date not in by_name(listing(admin))
    # Needed again: learnt again.
    for _ in range(3):
        page(admin, None, [{"field": "signed_on"}])
    assert plain_date in existing(services)


def test_a_deleted_fields_indexes_go_with_it(admin: TestClient, services: Services) -> None:
    t, f = ids(services)
    composite = f"ix_t{t}_c{f['tier']}_{f['flight_hours']}"
    plain = f"ix_t{t}_f{f['flight_hours']}"
    for _ in range(3):
        page(admin, {"and": [VIP, hours_over(5)]}, BY_HOURS)
    assert {composite, plain} <= existing(services)
    r = admin.delete("/api/v1/apps/crm/tables/customers/fields/flight_hours")
    assert r.status_code == 204, r.text
    names = existing(services)
    assert composite not in names and plain not in names
    assert not {composite, plain} & set(by_name(listing(admin)))


def test_only_administrators_see_a_tables_indexes(services: Services) -> None:
    _, token = make_user(services, "alice", password="Secret123456")
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as member:
        r = member.get(INDEXES)
        assert r.status_code == 403, r.text
