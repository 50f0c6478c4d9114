"""Pages read under a department row scope: the rows, their order and the continuation are
those of every row filtered to the scope's owners, on both databases. (On PostgreSQL a scope
of few owners is read per owner and merged: ``query.build_select(owners=)``.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cairn.auth import Principal, cli
from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_crm, make_services
from support.db import postgresql_only

TIERS = ("VIP", "Gold", "Standard")


@pytest.fixture
def world(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[dict[str, Any]]:
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    make_crm(s)
    d = s.directory
    sales = d.create_department(cli(), {"name": "销售部"})["id"]
    ops = d.create_department(cli(), {"name": "运营部"})["id"]
    li = d.create_user(cli(), {"username": "li", "department_id": sales})["id"]
    a = d.create_user(cli(), {"username": "a", "department_id": sales})["id"]
    b = d.create_user(cli(), {"username": "b", "department_id": sales})["id"]
    others = [
        d.create_user(cli(), {"username": f"o{i}", "department_id": ops})["id"] for i in range(12)
    ]
    d.create_role(
        cli(),
        {
            "key": "sales_reader",
            "name": "sales_reader",
            "tables": [
                {"app": "crm", "table": "customers", "actions": ["read"], "row_scope": "department"}
            ],
            "members": ["li"],
        },
    )
    owners = [a, b, li, *others]
    rows: list[dict[str, Any]] = []
    for i in range(150):
        owner = owners[(i * 7) % len(owners)]
        hours = None if i % 11 == 0 else (i * 37) % 40  # ties and blanks
        rows.append({"name": f"c{i}", "tier": TIERS[i % 3], "flight_hours": hours})
        s.records.bulk("crm", "customers", [rows[-1]], actor_id=owner, return_items=False)
    yield {"s": s, "li": Principal(li, "li", False, "token"), "sales": {a, b, li}}
    s.close()


def pages(s: Services, principal: Principal, **query: Any) -> list[list[str]]:
    out, cursor = [], None
    while True:
        page = s.records.query(
            "crm", "customers", limit=4, cursor=cursor, principal=principal, **query
        )
        out.append([r["name"] for r in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def expected(s: Services, owners: set[int], **query: Any) -> list[str]:
    """The page read by the system with the owners as a filter (no row scope)."""
    mine = {"field": "owner_id", "op": "in", "value": sorted(owners)}
    where = {"and": [query["filter"], mine]} if "filter" in query else mine
    items = s.records.query("crm", "customers", limit=1000, **{**query, "filter": where})
    return [r["name"] for r in items["items"]]


@pytest.mark.parametrize(
    "query",
    [
        {"sort": [{"field": "flight_hours", "direction": "desc"}]},
        {"sort": [{"field": "flight_hours", "direction": "asc"}]},
        {
            "sort": [{"field": "flight_hours", "direction": "desc"}],
            "filter": {"field": "tier", "op": "eq", "value": "VIP"},
        },
        {
            "sort": [
                {"field": "tier", "direction": "asc"},
                {"field": "flight_hours", "direction": "desc"},
            ]
        },
        {"filter": {"field": "flight_hours", "op": "gt", "value": 20}},
    ],
)
def test_a_department_page_is_the_owners_rows_in_order_page_after_page(
    world: dict[str, Any], query: dict[str, Any]
) -> None:
    s, li = world["s"], world["li"]
    want = expected(s, world["sales"], **query)
    assert 8 < len(want) < 150  # the scope holds some rows, not all
    for _ in range(2):  # the plan built, then the plan kept
        got = pages(s, li, **query)
        assert [name for page in got for name in page] == want
        assert all(len(page) == 4 for page in got[:-1])


def test_a_page_read_per_owner_sees_a_member_who_joined_since(world: dict[str, Any]) -> None:
    """The owners are resolved in SQL at each read: a kept plan follows membership changes."""
    s, li = world["s"], world["li"]
    sort = [{"field": "flight_hours", "direction": "desc"}]
    before = [n for page in pages(s, li, sort=sort) for n in page]
    o0 = s.directory.get_user(cli(), "o0")
    sales = s.directory.get_user(cli(), "li")["department_id"]
    s.directory.update_user(cli(), o0["id"], {"department_id": sales})
    after = [n for page in pages(s, li, sort=sort) for n in page]
    assert after == expected(s, {*world["sales"], o0["id"]}, sort=sort)
    assert len(after) > len(before)


@postgresql_only  # SQLite tests the owner from the index entry; it has no LATERAL
def test_postgresql_reads_a_few_owners_page_per_owner(world: dict[str, Any]) -> None:
    s, li = world["s"], world["li"]
    sort = [{"field": "flight_hours", "direction": "desc"}]
    s.records.query("crm", "customers", sort=sort, principal=li)
    plans = list(s.plans._plans.values())
    sql = [str(p.select.compile(dialect=s.engine.dialect)) for p in plans]
    assert any("LATERAL" in q and "owner_rows" in q for q in sql)
