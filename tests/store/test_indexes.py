"""The platform indexes a field by itself once queries use it on a large enough table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services
from cairn.store.indexes import index_names
from factories import make_crm

VIP = {"field": "tier", "op": "eq", "value": "VIP"}


def hours_over(n: int) -> dict:
    return {"field": "flight_hours", "op": "gt", "value": n}


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        auto_index_after_uses=2,
        auto_index_min_rows=20,
        # Repeated reports here must read the table each time (what the advisor learns from):
        # the result cache would answer the second from memory and tell the advisor nothing.
        report_cache=False,
    )
    s = build_services(settings, clock=frozen_clock)
    make_crm(s)
    yield s
    s.close()


def customers_id(s: Services) -> int:
    with s.engine.connect() as conn:
        return s.catalogs.get(conn).table("crm", "customers").id


def field_id(s: Services, key: str) -> int:
    with s.engine.connect() as conn:
        return s.catalogs.get(conn).table("crm", "customers").by_key[key].id


def indexes(s: Services) -> set[str]:
    s.indexes.drain()  # indexes are built in the background, never in the query
    with s.engine.connect() as conn:
        return index_names(conn, customers_id(s))


def add_customers(s: Services, n: int) -> None:
    tiers = ("VIP", "Gold", "Standard")
    s.records.bulk(
        "crm",
        "customers",
        [{"name": f"c{i}", "tier": tiers[i % 3], "flight_hours": i} for i in range(n)],
        return_items=False,
    )


def test_a_new_table_has_only_the_indexes_it_cannot_do_without(services: Services) -> None:
    t = customers_id(services)
    names = indexes(services)
    # phone is unique: a partial unique index; flight_hours, email, dates: none yet.
    assert f"ux_t{t}_f{field_id(services, 'phone')}" in names
    assert not {n for n in names if n.startswith(f"ix_t{t}_f")}


def test_filtering_and_sorting_a_large_table_creates_indexes(services: Services) -> None:
    add_customers(services, 30)
    t, hours = customers_id(services), field_id(services, "flight_hours")
    signed = field_id(services, "signed_on")
    for i in range(2):
        page = services.records.query(
            "crm",
            "customers",
            filter={"and": [VIP, hours_over(i)]},
            sort=[{"field": "signed_on", "direction": "desc"}],
        )
        got = sorted(int(r["flight_hours"]) for r in page["items"])
        assert got == [h for h in range(30) if h % 3 == 0 and h > i]
    names = indexes(services)
    assert f"ix_t{t}_f{hours}" in names  # a range filter
    assert f"ix_t{t}_f{signed}" in names  # a sort key
    tier = field_id(services, "tier")
    assert f"ix_t{t}_f{tier}" not in names  # three values: never worth an index


def test_the_index_serves_the_query(services: Services) -> None:
    add_customers(services, 30)
    for i in range(2):
        services.records.query("crm", "customers", filter=hours_over(25 + i))
    t, hours = customers_id(services), field_id(services, "flight_hours")
    services.indexes.drain()
    query = f"SELECT id FROM t_{t} WHERE f_{hours} > 25 AND deleted_at IS NULL"
    with services.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # 30 rows: it would scan
            plan = conn.exec_driver_sql(f"EXPLAIN {query}").all()
        else:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}").all()
    assert any(f"ix_t{t}_f{hours}" in str(row) for row in plan)


def test_small_tables_and_single_uses_get_no_index(services: Services) -> None:
    add_customers(services, 10)  # below the 20-row threshold
    for i in range(5):
        services.records.query("crm", "customers", filter=hours_over(i))
    t, hours = customers_id(services), field_id(services, "flight_hours")
    assert f"ix_t{t}_f{hours}" not in indexes(services)


def test_a_type_change_drops_the_index_and_use_rebuilds_it(services: Services) -> None:
    add_customers(services, 30)
    for i in range(2):
        services.records.query("crm", "customers", filter=hours_over(i))
    t, hours = customers_id(services), field_id(services, "flight_hours")
    assert f"ix_t{t}_f{hours}" in indexes(services)
    services.schema.update_field("crm", "customers", "flight_hours", {"type": "text"})
    assert f"ix_t{t}_f{hours}" not in indexes(services)
    for _ in range(2):
        services.records.query(
            "crm", "customers", filter={"field": "flight_hours", "op": "eq", "value": "7"}
        )
    assert f"ix_t{t}_f{hours}" in indexes(services)


def test_dropping_a_unique_constraint_keeps_lookups_indexed(services: Services) -> None:
    add_customers(services, 30)
    t, phone = customers_id(services), field_id(services, "phone")
    services.schema.update_field("crm", "customers", "phone", {"unique": False})
    assert f"ux_t{t}_f{phone}" not in indexes(services)
    for _ in range(2):
        services.records.query(
            "crm", "customers", filter={"field": "phone", "op": "eq", "value": "13800138000"}
        )
    assert f"ix_t{t}_f{phone}" in indexes(services)


def test_a_unique_field_needs_no_second_index(services: Services) -> None:
    add_customers(services, 30)
    t, phone = customers_id(services), field_id(services, "phone")
    for _ in range(4):
        services.records.query(
            "crm", "customers", filter={"field": "phone", "op": "eq", "value": "13800138000"}
        )
    assert f"ix_t{t}_f{phone}" not in indexes(services)
    assert f"ux_t{t}_f{phone}" in indexes(services)


def test_index_names_sees_only_the_named_table(services: Services) -> None:
    with services.engine.connect() as conn:
        assert index_names(conn, 999_999) == set()
        assert isinstance(conn.execute(sa.select(1)).scalar(), int)


def test_reports_grouping_by_a_field_get_a_covering_group_index(services: Services) -> None:
    add_customers(services, 30)
    spec = {"table": "customers", "dimensions": [{"field": "tier"}]}
    for _ in range(2):
        out = services.reports.dataset("crm", spec)
        assert {r["labels"][0]: r["values"][0] for r in out["rows"]} == {
            "VIP": 10,
            "Gold": 10,
            "Standard": 10,
        }
    t, tier = customers_id(services), field_id(services, "tier")
    name = f"ix_t{t}_g{tier}"
    assert name in indexes(services)
    assert f"ix_t{t}_f{tier}" not in indexes(services)  # no plain index for three values
    query = f"SELECT f_{tier}, count(*) FROM t_{t} WHERE deleted_at IS NULL GROUP BY f_{tier}"
    with services.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = conn.exec_driver_sql(f"EXPLAIN {query}").all()
        else:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}").all()
    assert any(name in str(row) for row in plan)
    if services.engine.dialect.name == "sqlite":
        assert any("COVERING INDEX" in str(row) for row in plan)
    # A field's indexes go with it when its type changes.
    r = services.schema.update_field("crm", "customers", "tier", {"type": "text"})
    assert r and name not in indexes(services)


def test_pages_read_by_department_members_get_the_owner_in_the_sort_index(
    services: Services,
) -> None:
    """SQLite tests the owner from the sort's index entry: (field, owner_id). PostgreSQL
    reads such a page per owner: (owner_id, field)."""
    from cairn.auth import Principal, cli

    d = services.directory
    dept = d.create_department(cli(), {"name": "销售一部"})["id"]
    member = d.create_user(cli(), {"username": "li", "department_id": dept})
    d.create_role(
        cli(),
        {
            "key": "dept_reader",
            "name": "dept_reader",
            "tables": [
                {"app": "crm", "table": "customers", "actions": ["read"], "row_scope": "department"}
            ],
            "members": ["li"],
        },
    )
    add_customers(services, 30)  # owned by no one: the member sees none of them
    services.records.bulk(
        "crm",
        "customers",
        [{"name": f"li{i}", "flight_hours": i} for i in range(5)],
        actor_id=member["id"],
        return_items=False,
    )
    t, hours = customers_id(services), field_id(services, "flight_hours")
    pg = services.engine.dialect.name == "postgresql"
    name, other = (f"ix_t{t}_w{hours}", f"ix_t{t}_o{hours}")[:: 1 if pg else -1]
    sort = [{"field": "flight_hours", "direction": "desc"}]
    services.records.query("crm", "customers", sort=sort)
    services.records.query("crm", "customers", sort=sort)
    assert name not in indexes(services)  # administrators see every row
    li = Principal(member["id"], "li", False, "token")
    for _ in range(2):
        page = services.records.query("crm", "customers", sort=sort, principal=li)
        assert [r["name"] for r in page["items"]] == [f"li{i}" for i in (4, 3, 2, 1, 0)]
    assert name in indexes(services) and other not in indexes(services)
    with services.engine.connect() as conn:
        if pg:
            columns = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %(n)s", {"n": name}
            ).scalar_one()
            assert f"(owner_id, f_{hours})" in columns
        else:
            columns = [r[2] for r in conn.exec_driver_sql(f"PRAGMA index_info('{name}')")]
            assert columns == [f"f_{hours}", "owner_id"]
