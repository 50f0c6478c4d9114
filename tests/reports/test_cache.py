"""The widget result cache (``cairn.reports.cache``) through the dashboard service, on the
fixed after-sales data set, on both databases: what a widget reads through rollups and row
scopes invalidates it, a refused write does not, a hit reads no record, and the cache stays
within its bounds; a formula over a sub-form follows the rows' table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from cairn.auth import Principal, cli
from cairn.core import Invalid
from cairn.reports import DatasetSpec
from cairn.reports.cache import CachedResult, ResultCache
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store.data_reads import tables_read

COUNT = [{"agg": "count"}]


def board(svc: Services, *widgets: dict[str, Any]) -> int:
    return svc.dashboards.create("svc", {"key": "b", "name": "B", "widgets": list(widgets)})["id"]


def values(reply: dict[str, Any]) -> dict[str, Any]:
    return {k: w["data"]["value"] for k, w in reply["widgets"].items()}


def test_a_rollup_over_another_table_follows_that_table(svc: Services) -> None:
    """Customers' rollup of their tickets' amounts: a ticket's new amount recomputes the
    widget over customers, though no customer was written."""
    svc.schema.create_field(
        "svc",
        "customers",
        {
            "key": "spent",
            "name": "Spent",
            "type": "rollup",
            "options": {"relation": "tickets", "field": "amount", "function": "sum"},
        },
    )
    did = board(
        svc,
        {"id": "spent", "type": "number", "dataset": {"table": "customers", "measures": [{"agg": "sum", "field": "spent"}]}},
        {"id": "vip", "type": "number", "dataset": {"table": "customers", "filter": {"field": "tier", "op": "eq", "value": "vip"}, "measures": COUNT}},
    )  # fmt: skip
    first = svc.dashboards.data("svc", did)
    assert values(first) == {"spent": 1060, "vip": 2}
    assert svc.dashboards.data("svc", did)["cache"] == {"hits": 2, "misses": 0}
    [t1] = svc.records.query("svc", "tickets", filter={"field": "title", "op": "eq", "value": "t1"})["items"]  # fmt: skip
    svc.records.update("svc", "tickets", t1["id"], {"amount": 1100, "version": t1["version"]})
    after = svc.dashboards.data("svc", did)
    assert values(after) == {"spent": 2060, "vip": 2}
    assert after["cache"] == {"hits": 0, "misses": 2}  # both read tickets (the rollup's join)


def test_a_refused_write_keeps_every_widget(svc: Services) -> None:
    did = board(
        svc,
        {"id": "n", "type": "number", "dataset": {"table": "tickets", "measures": COUNT}},
    )
    svc.dashboards.data("svc", did)
    with pytest.raises(Invalid):  # one bad record: the whole bulk write is refused
        svc.records.bulk("svc", "tickets", [{"title": "ok"}, {"title": "bad", "nps": "many"}])
    again = svc.dashboards.data("svc", did)
    assert (again["cache"], values(again)) == ({"hits": 1, "misses": 0}, {"n": 10})
    svc.records.bulk("svc", "tickets", [{"title": f"x{i}"} for i in range(30)])
    again = svc.dashboards.data("svc", did)
    assert (again["cache"], values(again)) == ({"hits": 0, "misses": 1}, {"n": 40})


def test_a_hit_reads_the_versions_at_most_once_and_no_record(svc: Services) -> None:
    did = board(
        svc,
        {"id": "a", "type": "number", "dataset": {"table": "tickets", "measures": COUNT}},
        {"id": "b", "type": "number", "dataset": {"table": "customers", "measures": COUNT}},
        {"id": "c", "type": "number", "kpi": {"key": "nps", "params": {"table": "tickets", "score_field": "nps"}}},
    )  # fmt: skip
    svc.dashboards.data("svc", did)
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(svc.engine, "before_cursor_execute", note)
    try:
        assert svc.dashboards.data("svc", did)["cache"] == {"hits": 3, "misses": 0}
    finally:
        sa.event.remove(svc.engine, "before_cursor_execute", note)
    # SQLite reads the versions once; PostgreSQL's connection checkout already returns their
    # sum, and an unchanged sum answers from the engine's copy without a statement.
    reads = 0 if svc.engine.dialect.name == "postgresql" else 1
    assert sum("table_versions" in q for q in seen) == reads
    assert not [q for q in seen if " t_" in q or '"t_' in q]


@pytest.fixture
def dora(svc: Services) -> Iterator[tuple[Principal, dict[str, int]]]:
    """Dora reads the tickets owned by her department's people; ann is in it, bob not."""
    d = svc.directory
    sales = d.create_department(cli(), {"name": "Sales"})["id"]
    ops = d.create_department(cli(), {"name": "Ops"})["id"]
    users = {}
    for name, dept in (("dora", sales), ("ann", sales), ("bob", ops)):
        users[name] = d.create_user(cli(), {"username": name, "department_id": dept})["id"]
    d.create_role(
        cli(),
        {
            "key": "dept_tickets",
            "name": "Department tickets",
            "members": ["dora"],
            "tables": [
                {"app": "svc", "table": "tickets", "actions": ["read"], "row_scope": "department"}
            ],
        },
    )
    for owner, n in (("ann", 2), ("bob", 3)):
        rows = [{"title": f"{owner}{i}"} for i in range(n)]
        svc.records.bulk("svc", "tickets", rows, actor_id=users[owner])
    yield Principal(users["dora"], "dora", False, "token"), {**users, "sales": sales}


def test_a_department_scope_follows_who_is_in_the_department(
    svc: Services, dora: tuple[Principal, dict[str, int]]
) -> None:
    principal, ids = dora
    did = board(
        svc,
        {"id": "n", "type": "number", "dataset": {"table": "tickets", "measures": COUNT}},
    )
    assert values(svc.dashboards.data("svc", did)) == {"n": 15}
    mine = svc.dashboards.data("svc", did, principal=principal)
    assert (mine["cache"], values(mine)) == ({"hits": 0, "misses": 1}, {"n": 2})
    assert svc.dashboards.data("svc", did, principal=principal)["cache"]["hits"] == 1
    # Bob joins Sales: his three tickets are now in Dora's scope.
    svc.directory.update_user(cli(), ids["bob"], {"department_id": ids["sales"]})
    mine = svc.dashboards.data("svc", did, principal=principal)
    assert (mine["cache"], values(mine)) == ({"hits": 0, "misses": 1}, {"n": 5})
    # The administrator's number did not depend on departments: still kept.
    assert svc.dashboards.data("svc", did)["cache"] == {"hits": 1, "misses": 0}


def test_the_cache_keeps_to_its_bounds() -> None:
    cache = ResultCache(max_entries=3, max_bytes=100)
    for key in "abc":
        cache.put(key, CachedResult({"k": key}, ((1, 1),), 10))
    assert cache.get("a", {1: 1}, "2026-01-05") is not None  # a is now the most recent
    cache.put("d", CachedResult({}, ((1, 1),), 10))
    assert [k for k in "abcd" if cache.get(k, {1: 1}, "2026-01-05")] == ["a", "c", "d"]
    # Four entries, 115 bytes: the least recently used go until both bounds hold.
    cache.put("big", CachedResult({}, ((1, 1),), 85))
    assert [k for k in ("a", "c", "d", "big") if cache.get(k, {1: 1}, "x")] == ["d", "big"]
    cache.put("huge", CachedResult({}, ((1, 1),), 101))  # larger than the whole cache: not kept
    assert cache.get("huge", {1: 1}, "x") is None
    assert (cache.stats()["entries"], cache.stats()["bytes"]) == (2, 95)
    # An entry is good for its versions, and a dated one for its day only.
    cache.put("day", CachedResult({}, ((1, 1), (2, 4)), 1, day="2026-01-05"))
    assert cache.get("day", {1: 1, 2: 4}, "2026-01-05") is not None
    assert cache.get("day", {1: 1, 2: 5}, "2026-01-05") is None
    assert cache.get("day", {1: 1, 2: 4}, "2026-01-06") is None


def test_a_formula_over_a_sub_form_reads_the_rows_table(svc: Services) -> None:
    """Tickets' formula summing the quantities of their parts (a sub-form): the widget's SQL
    reads the parts' table, so its data versions include it, and a part's new quantity
    recomputes the widget."""
    svc.schema.create_field("svc", "tickets", {"key": "parts", "name": "Parts", "type": "subform"})
    svc.schema.create_field("svc", "tickets_parts", {"key": "qty", "name": "Qty", "type": "number"})
    formula = {"formula": "SUM({parts.qty})"}
    svc.schema.create_field(
        "svc", "tickets", {"key": "parts_qty", "type": "formula", "options": formula}
    )
    ticket = svc.records.query("svc", "tickets", filter={"field": "title", "op": "eq", "value": "t1"})["items"][0]  # fmt: skip
    changes = {"version": ticket["version"], "parts": [{"qty": 2}, {"qty": 3}]}
    ticket = svc.records.update("svc", "tickets", ticket["id"], changes)
    spec = {"table": "tickets", "measures": [{"agg": "sum", "field": "parts_qty"}]}
    with unit_of_work(svc, write=False) as uow:
        builder = svc.reports.builder(uow, "svc", "tickets")
        assert builder.run(uow.conn, DatasetSpec.model_validate(spec)).rows[0][2] == (5,)
        rows_table = uow.catalog.table("svc", "tickets_parts").id
        read = tables_read(uow.catalog, builder.statements)
    assert read is not None and rows_table in read

    did = board(svc, {"id": "qty", "type": "number", "dataset": spec})
    assert values(svc.dashboards.data("svc", did)) == {"qty": 5}
    assert svc.dashboards.data("svc", did)["cache"] == {"hits": 1, "misses": 0}
    [part, other] = ticket["parts"]
    changes = {"version": ticket["version"], "parts": [{"id": part["id"], "qty": 10}, other]}
    svc.records.update("svc", "tickets", ticket["id"], changes)
    after = svc.dashboards.data("svc", did)
    assert after["cache"] == {"hits": 0, "misses": 1}
    assert values(after) == {"qty": 13}
