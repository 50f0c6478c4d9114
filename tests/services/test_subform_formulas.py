"""Formulas, rollups and lookups over a sub-form's rows (issue 19): ``SUM({明细.金额})`` reads
the rows' column as a list, as through a to-many relation; the SQL that computes a formula
field and the Python evaluator over the record's JSON agree; the values follow the rows when
they change, and the parent's update event carries the change (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cairn.core import FrozenClock, Invalid
from cairn.formula import ErrorValue
from cairn.query import record_of
from cairn.query.formula import compile_text, environment
from cairn.rules import evaluate_many
from cairn.services import Services
from cairn.store import system
from factories import make_crm, make_services

LINES = "orders_lines"

#: Formula fields of the parent over its rows (key: formula).
TOTALS = {
    "quote_total": "SUM({明细.金额})",
    "line_count": "COUNT({lines})",
    "qty_count": "COUNT({lines.qty})",
    "qty_avg": "AVERAGE({lines.qty})",
    "price_max": "MAX({lines.price})",
    "price_min": "MIN({明细.单价})",
    "done_count": "SUM({lines.done})",
    "band": 'IF(SUM({lines.amount}) > 100, "大单", "小单")',
    "remaining": "{amount} - SUM({lines.amount})",
}
#: Rollups of the parent over its rows (key: options).
ROLLUPS = {
    "r_count": {"function": "count"},
    "r_price": {"field": "price", "function": "sum"},
    "r_qty_avg": {"field": "qty", "function": "avg"},
    "r_qty_max": {"field": "qty", "function": "max"},
    "r_amount": {"field": "amount", "function": "sum"},
}


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    """Orders with a sub-form ``lines`` (item, qty, price, amount = qty × price, done) and
    formulas, rollups and a lookup over it."""
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    make_crm(s)
    schema = s.schema
    schema.create_field("crm", "orders", {"key": "lines", "name": "明细", "type": "subform"})
    for spec in (
        {"key": "item", "name": "品名", "type": "text"},
        {"key": "qty", "name": "数量", "type": "number", "options": {"decimals": 2}},
        {"key": "price", "name": "单价", "type": "currency"},
        {
            "key": "amount",
            "name": "金额",
            "type": "formula",
            "options": {"formula": "{qty}*{price}"},
        },
        {"key": "done", "name": "完成", "type": "boolean"},
    ):
        schema.create_field("crm", LINES, spec)
    for key, text in TOTALS.items():
        schema.create_field(
            "crm", "orders", {"key": key, "type": "formula", "options": {"formula": text}}
        )
    for key, options in ROLLUPS.items():
        schema.create_field(
            "crm",
            "orders",
            {"key": key, "type": "rollup", "options": {"relation": "lines", **options}},
        )
    schema.create_field(
        "crm",
        "orders",
        {"key": "item_names", "type": "lookup", "options": {"relation": "lines", "field": "item"}},
    )
    yield s
    s.close()


def order(s: Services, *lines: dict[str, Any], **values: Any) -> dict[str, Any]:
    return s.records.create("crm", "orders", {"title": "Q", **values, "lines": list(lines)})


def totals(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec[k] for k in [*TOTALS, *ROLLUPS, "item_names"]}


def test_formulas_rollups_and_lookups_read_the_rows(services: Services) -> None:
    s = services
    rec = order(
        s,
        {"item": "A", "qty": 2, "price": 30, "done": True},
        {"item": "B", "qty": 1, "price": 50},
        {"item": "C"},
        amount=200,
    )
    assert totals(rec) == {
        "quote_total": 110,
        "line_count": 3,
        "qty_count": 2,
        "qty_avg": 1.5,
        "price_max": 50,
        "price_min": 30,
        "done_count": 1,
        "band": "大单",
        "remaining": 90,
        "r_count": 3,
        "r_price": 80,
        "r_qty_avg": 1.5,
        "r_qty_max": 2,
        "r_amount": 110,
        "item_names": ["A", "B", "C"],
    }
    assert s.records.get("crm", "orders", rec["id"])["quote_total"] == 110
    empty = order(s)
    assert (empty["quote_total"], empty["line_count"], empty["r_count"], empty["r_price"]) == (
        0,
        0,
        0,
        0,
    )
    assert empty["qty_avg"] == "#DIV/0!" and empty["item_names"] == []
    # A page of orders computes them too (its sub-form shows a row count), and filters on them.
    page = s.records.query(
        "crm", "orders", filter={"field": "quote_total", "op": "gt", "value": 100}
    )
    assert [(x["id"], x["quote_total"], x["lines"]) for x in page["items"]] == [(rec["id"], 110, 3)]


def test_they_follow_the_rows_and_the_update_event_says_so(services: Services) -> None:
    s = services
    rec = order(s, {"item": "A", "qty": 2, "price": 30}, {"item": "B", "qty": 1, "price": 50})
    b = rec["lines"][1]["id"]
    mark = _last_event(s)
    rec = s.records.update(
        "crm",
        "orders",
        rec["id"],
        {"version": rec["version"], "lines": [{"id": b, "qty": 3}, {"item": "D", "qty": 1}]},
    )
    # A removed, B changed, D added (no price): the values are the rows' as they are now.
    assert (rec["quote_total"], rec["line_count"], rec["r_amount"], rec["item_names"]) == (
        150,
        2,
        150,
        ["B", "D"],
    )
    updated = [e for e in _events_since(s, mark) if e["type"] == "record.updated"]
    assert len(updated) == 1
    changes = updated[0]["payload"]["changes"]
    assert changes["quote_total"] == [110, 150]
    assert changes["r_amount"] == [110, 150]
    assert "line_count" not in changes  # two rows before, two after
    assert changes["item_names"] == [["A", "B"], ["B", "D"]]
    assert "lines" in changes
    # Deleting the parent's only changed row leaves the totals as the remaining rows say.
    rec = s.records.update("crm", "orders", rec["id"], {"version": rec["version"], "lines": []})
    assert (rec["quote_total"], rec["line_count"], rec["item_names"]) == (0, 0, [])


def test_sql_and_python_agree_over_the_rows(services: Services) -> None:
    """Every formula over the rows, computed by the database (as rules and formula fields do)
    and by the Python evaluator over the record's JSON (as process conditions and linkage do)."""
    s = services
    recs = [
        order(s),
        order(s, {"item": "A"}),
        order(s, {"item": "A", "qty": 0.1, "price": 0.2}, {"qty": 0.2, "price": 0.1}, amount=1),
        order(
            s,
            {"qty": 3, "price": 19.99, "done": True},
            {"qty": -1, "price": 5, "done": False},
            {"qty": 2.5},
            {"price": 7.25, "done": True},
            amount=50,
        ),
    ]
    # A removed row no longer counts (on either side).
    last = recs[-1]
    keep = [{"id": r["id"]} for r in last["lines"][1:]]
    s.records.update("crm", "orders", last["id"], {"version": last["version"], "lines": keep})
    extra = {
        "sum_qty_times_2": "SUM({lines.qty}) * 2",
        "count_of_items": "COUNT({lines.item})",
        "none_done": "SUM({lines.done}) = 0",
        "avg_or_zero": "IFERROR(AVERAGE({lines.price}), 0)",
        "mix": "ROUND(SUM({lines.amount}) / MAX(COUNT({lines}), 1), 2)",
    }
    texts = {**TOTALS, **extra}
    with s.engine.connect() as conn:
        cat = s.catalogs.get(conn)
        schema = cat.table("crm", "orders")
        formulas = {k: compile_text(cat, schema, t) for k, t in texts.items()}
        ids = [r["id"] for r in recs]
        by_sql = evaluate_many(conn, cat, schema, ids, formulas, s.clock)
        env = environment(cat, s.clock)
        for rid in ids:
            rec = s.records.get("crm", "orders", rid)
            record = record_of(cat, schema, rec)
            for key, f in formulas.items():
                py = f.evaluate(record, env)
                py = str(py) if isinstance(py, ErrorValue) else py
                assert _same(py, by_sql[rid][key]), (rid, key, py, by_sql[rid][key])


def test_rollups_over_a_subform_checked_when_saved(services: Services) -> None:
    s = services
    for options, where in (
        ({"relation": "lines", "field": "nope", "function": "sum"}, "options.field"),
        ({"relation": "lines", "field": "item", "function": "sum"}, "options.field"),
    ):
        with pytest.raises(Invalid) as e:
            s.schema.create_field(
                "crm", "orders", {"key": "x", "type": "rollup", "options": options}
            )
        assert list(e.value.field_errors) == [where]
    # The formula column a rollup sums is shown by key, as any target field.
    f = next(x for x in s.schema.list_fields("crm", "orders") if x["key"] == "r_amount")
    assert f["options"]["relation"] == "lines" and f["options"]["field"] == "amount"
    t = next(x for x in s.schema.list_fields("crm", "orders") if x["key"] == "quote_total")
    assert t["options"]["formula"] == "SUM({lines.amount})"
    # A column a formula of the parent uses cannot go while it does.
    with pytest.raises(Invalid):
        s.schema.delete_field("crm", LINES, "price")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def _events_since(s: Services, after_id: int) -> list[Any]:
    o = system.outbox
    with s.engine.connect() as c:
        rows = c.execute(sa.select(o).where(o.c.id > after_id).order_by(o.c.id)).all()
    return [r._mapping for r in rows]


def _last_event(s: Services) -> int:
    with s.engine.connect() as c:
        return c.execute(sa.select(sa.func.coalesce(sa.func.max(system.outbox.c.id), 0))).scalar()
