"""Sub-forms (issue 19): a field whose value is rows of a child table of its own, read and
written through the parent record, versioned in the parent's history, deleted and restored
with it, and carried by app packages (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from cairn.core import Conflict, FrozenClock, Invalid
from cairn.meta.fieldtypes.subform import MAX_COLUMNS
from cairn.services import Services
from cairn.store import fastread, system
from factories import make_crm, make_services

LINES = "orders_lines"


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    """The crm app; orders have a sub-form ``lines`` (item, qty, price, a formula amount,
    a relation to a product)."""
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    make_crm(s)
    schema = s.schema
    schema.create_table("crm", {"key": "products", "fields": [{"key": "sku", "type": "text"}]})
    schema.create_field("crm", "orders", {"key": "lines", "name": "明细", "type": "subform"})
    for spec in (
        {"key": "item", "name": "品名", "type": "text", "required": True},
        {"key": "qty", "name": "数量", "type": "number", "options": {"min": 0}},
        {"key": "price", "name": "单价", "type": "currency"},
        {
            "key": "amount",
            "name": "金额",
            "type": "formula",
            "options": {"formula": "{qty}*{price}"},
        },
        {
            "key": "product",
            "name": "产品",
            "type": "relation",
            "options": {"target_table": "products", "multiple": False},
        },
    ):
        schema.create_field("crm", LINES, spec)
    yield s
    s.close()


def order(s: Services, *lines: dict[str, Any], **values: Any) -> dict[str, Any]:
    return s.records.create("crm", "orders", {"title": "Q", **values, "lines": list(lines)})


def update(s: Services, rec: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    return s.records.update("crm", "orders", rec["id"], {"version": rec["version"], "lines": lines})


def items(rec: dict[str, Any]) -> list[str]:
    return [r["item"] for r in rec["lines"]]


@contextmanager
def statements(s: Services) -> Iterator[list[str]]:
    """The SQL statements run meanwhile: through Core, and prepared ones run by the driver
    (``store.fastread``, which Core's events do not see)."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    fetch = fastread.Prepared.fetch

    def fetching(self: fastread.Prepared, *args: Any, **kw: Any) -> Any:
        seen.append(self.sql)
        return fetch(self, *args, **kw)

    event.listen(s.engine, "before_cursor_execute", note)
    fastread.Prepared.fetch = fetching  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        fastread.Prepared.fetch = fetch  # type: ignore[method-assign]
        event.remove(s.engine, "before_cursor_execute", note)


def child_table(s: Services) -> str:
    with s.engine.connect() as c:
        t = system.tables
        return f"t_{c.execute(sa.select(t.c.id).where(t.c.key == LINES)).scalar_one()}"


def child_rows(s: Services) -> list[Any]:
    with s.engine.connect() as c:
        q = f"SELECT id, parent_id, position, version, deleted_at FROM {child_table(s)} ORDER BY id"
        return list(c.exec_driver_sql(q))


# -- definitions ------------------------------------------------------------------------------


def test_the_field_makes_a_child_table_not_listed_but_reachable(services: Services) -> None:
    s = services
    lines = next(f for f in s.schema.list_fields("crm", "orders") if f["key"] == "lines")
    assert lines["type"] == "subform"
    assert lines["options"] == {"max_rows": 500, "table": LINES}
    assert [t["key"] for t in s.schema.list_tables("crm")] == ["customers", "orders", "products"]
    child = s.schema.get_table("crm", LINES)
    assert child["parent"] == {"table": "orders", "field": "lines"}
    assert [f["key"] for f in child["fields"]] == ["item", "qty", "price", "amount", "product"]
    assert "parent" not in s.schema.get_table("crm", "orders")


def test_a_subform_inside_a_subform_is_refused(services: Services) -> None:
    with pytest.raises(Invalid) as e:
        services.schema.create_field("crm", LINES, {"key": "sub", "type": "subform"})
    assert list(e.value.field_errors) == ["type"]
    assert e.value.field_errors["type"][0].key == "subform.nested"


def test_a_subform_has_at_most_so_many_columns(services: Services) -> None:
    s = services
    s.schema.create_field("crm", "customers", {"key": "notes", "type": "subform"})
    for i in range(MAX_COLUMNS):
        s.schema.create_field("crm", "customers_notes", {"key": f"c{i}", "type": "text"})
    with pytest.raises(Invalid) as e:
        s.schema.create_field("crm", "customers_notes", {"key": "one_more", "type": "text"})
    assert e.value.field_errors["type"][0].key == "subform.too_many_columns"


def test_a_relation_cannot_point_at_rows_and_the_table_is_not_deleted_alone(
    services: Services,
) -> None:
    s = services
    with pytest.raises(Invalid) as e:
        s.schema.create_field(
            "crm", "customers", {"key": "l", "type": "relation", "options": {"target_table": LINES}}
        )
    assert e.value.field_errors["options.target_table"][0].key == "subform.relation_target"
    with pytest.raises(Invalid) as e:
        s.schema.delete_table("crm", LINES)
    assert e.value.field_errors["table"][0].key == "subform.table_delete"


def test_deleting_the_field_takes_its_table_along_and_restoring_brings_it_back(
    services: Services,
) -> None:
    s = services
    rec = order(s, {"item": "A"})
    # The rows' relation has a reverse side on products: it would lose its target.
    with pytest.raises(Invalid) as e:
        s.schema.delete_field("crm", "orders", "lines")
    assert e.value.field_errors["lines"][0].key == "field.in_use"
    s.schema.delete_field("crm", LINES, "product")
    s.schema.delete_field("crm", "orders", "lines")
    assert "lines" not in s.records.get("crm", "orders", rec["id"])
    with pytest.raises(Exception, match="table"):
        s.schema.get_table("crm", LINES)
    deleted = s.schema.recycle_bin("crm")["fields"]
    fid = next(f["id"] for f in deleted if f["key"] == "lines")
    s.schema.restore_field("crm", "orders", fid)
    assert items(s.records.get("crm", "orders", rec["id"])) == ["A"]


# -- reads and writes -------------------------------------------------------------------------


def test_create_read_and_page(services: Services) -> None:
    s = services
    p = s.records.create("crm", "products", {"sku": "P-1"})
    rec = order(s, {"item": "A", "qty": 2, "price": 10, "product": p["id"]}, {"item": "B"})
    assert [
        {k: r[k] for k in ("item", "qty", "price", "amount", "product")} for r in rec["lines"]
    ] == [
        {"item": "A", "qty": 2, "price": 10, "amount": 20, "product": p["id"]},
        {"item": "B", "qty": None, "price": None, "amount": 0, "product": None},
    ]
    assert all(set(r) == {"id", "item", "qty", "price", "amount", "product"} for r in rec["lines"])
    assert s.records.get("crm", "orders", rec["id"])["lines"] == rec["lines"]
    # A page shows how many rows (one grouped query); expanded, the rows.
    page = s.records.query("crm", "orders")["items"]
    assert [x["lines"] for x in page] == [2]
    page = s.records.query("crm", "orders", expand=["lines"])["items"]
    assert page[0]["lines"] == rec["lines"]
    # The rows are records of their table, with parent_id and position to filter on.
    found = s.records.query(
        "crm",
        LINES,
        filter={"field": "parent_id", "op": "eq", "value": rec["id"]},
        sort=["position"],
    )["items"]
    assert [x["item"] for x in found] == ["A", "B"]


def test_update_inserts_changes_moves_and_removes(services: Services) -> None:
    s = services
    rec = order(s, {"item": "A"}, {"item": "B"}, {"item": "C"})
    a, b, c = (r["id"] for r in rec["lines"])
    after = update(s, rec, [{"id": c}, {"item": "N"}, {"id": a, "qty": 5}])
    assert items(after) == ["C", "N", "A"]
    assert [r["id"] for r in after["lines"]][::2] == [c, a]
    assert after["lines"][2]["qty"] == 5
    assert after["version"] == rec["version"] + 1
    rows = {r.id: r for r in child_rows(s)}
    assert rows[b].deleted_at is not None and rows[b].position is None
    # Rows listed as they are: no change, no new version.
    same = update(s, after, [{"id": r["id"]} for r in after["lines"]])
    assert same["version"] == after["version"]
    # An empty list removes every row.
    assert update(s, same, [])["lines"] == []


def test_errors_are_keyed_by_field_row_and_column_and_nothing_is_saved(services: Services) -> None:
    s = services
    rec = order(s, {"item": "A"})
    other = order(s, {"item": "X"})
    with pytest.raises(Invalid) as e:
        update(
            s,
            rec,
            [
                {"id": rec["lines"][0]["id"], "qty": -1},
                {"qty": "many"},
                {"id": other["lines"][0]["id"]},
                "not a row",
                {"item": "B", "colour": "red"},
                {"item": "C", "product": 999_999},
            ],
        )
    errors = {k: [m.key for m in v] for k, v in e.value.field_errors.items()}
    assert errors == {
        "lines.0.qty": ["value.min"],
        "lines.1.qty": ["value.number"],
        "lines.1.item": ["field.required"],
        "lines.3": ["subform.row_shape"],
        "lines.4.colour": ["field.unknown"],
    }
    # The rows' ids and what they name are checked once the cells are good.
    with pytest.raises(Invalid) as e:
        update(s, rec, [{"id": other["lines"][0]["id"]}, {"item": "C", "product": 999_999}])
    errors = {k: [m.key for m in v] for k, v in e.value.field_errors.items()}
    assert errors == {"lines.0.id": ["subform.row_unknown"]}
    with pytest.raises(Invalid) as e:
        update(s, rec, [{"item": "C", "product": 999_999}])
    assert list(e.value.field_errors) == ["lines.0.product"]
    # In a bulk write, under the record's index.
    with pytest.raises(Invalid) as e:
        s.records.bulk("crm", "orders", [{"title": "ok"}, {"lines": [{"qty": 1}]}])
    assert list(e.value.field_errors) == ["records.1.lines.0.item"]
    assert items(s.records.get("crm", "orders", rec["id"])) == ["A"]
    assert s.records.get("crm", "orders", rec["id"])["version"] == rec["version"]


def test_limits(services: Services) -> None:
    s = services
    s.schema.update_field("crm", "orders", "lines", {"options": {"max_rows": 2}})
    with pytest.raises(Invalid) as e:
        order(s, {"item": "A"}, {"item": "B"}, {"item": "C"})
    assert e.value.field_errors["lines"][0].key == "subform.too_many_rows"
    with pytest.raises(Invalid):
        s.schema.update_field("crm", "orders", "lines", {"options": {"max_rows": 501}})
    with pytest.raises(Invalid) as e:
        order(s, {"id": 5})
    assert list(e.value.field_errors) == ["lines.0.id"]


def test_rows_are_written_through_their_parent_only(services: Services) -> None:
    s = services
    rec = order(s, {"item": "A"})
    row = rec["lines"][0]["id"]
    for call in (
        lambda: s.records.create("crm", LINES, {"item": "B"}),
        lambda: s.records.update("crm", LINES, row, {"version": 1, "item": "B"}),
        lambda: s.records.delete("crm", LINES, row),
    ):
        with pytest.raises(Invalid) as e:
            call()
        assert e.value.field_errors["table"][0].key == "subform.through_parent"
    # Nor through the reverse side of a row's relation.
    rel = next(f for f in s.schema.list_fields("crm", "products") if f["type"] == "relation")
    with pytest.raises(Invalid) as e:
        s.records.create("crm", "products", {"sku": "x", rel["key"]: [row]})
    assert e.value.field_errors[rel["key"]][0].key == "subform.row_links"


def test_saving_one_changed_row_writes_one_row(services: Services) -> None:
    s = services
    rec = order(s, *({"item": f"I{i}", "qty": i} for i in range(200)))
    lines = [{"id": r["id"]} for r in rec["lines"]]
    lines[117] = {"id": lines[117]["id"], "qty": 1000}
    child = child_table(s)
    with statements(s) as seen:
        after = update(s, rec, lines)
    assert after["lines"][117]["qty"] == 1000
    writes = [x for x in seen if child in x and not x.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE"), writes
    assert [r.version for r in child_rows(s)].count(2) == 1
    # Moving one row rewrites that row only.
    lines = [{"id": r["id"]} for r in after["lines"]]
    lines.insert(3, lines.pop(150))
    with statements(s) as seen:
        moved = update(s, after, lines)
    assert [r["id"] for r in moved["lines"]] == [x["id"] for x in lines]
    writes = [x for x in seen if child in x and not x.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1, writes


def test_reads_load_rows_once_per_page_not_per_record(services: Services) -> None:
    s = services
    ids = [order(s, {"item": f"{n}-a"}, {"item": f"{n}-b"})["id"] for n in range(30)]
    child = child_table(s)
    with statements(s) as seen:
        page = s.records.query("crm", "orders", limit=50, expand=["lines"])["items"]
    assert sorted(x["id"] for x in page) == sorted(ids)
    assert all(len(x["lines"]) == 2 for x in page)
    assert len([x for x in seen if child in x]) == 1
    with statements(s) as seen:
        s.records.query("crm", "orders", limit=50)
    assert len([x for x in seen if child in x]) == 1
    with statements(s) as seen:
        s.records.get("crm", "orders", ids[0])
    assert len([x for x in seen if child in x]) == 1


def test_history_says_which_rows_were_added_changed_moved_and_removed(services: Services) -> None:
    s = services
    rec = order(s, {"item": "A", "qty": 1}, {"item": "B"}, {"item": "C"})
    a, b, c = (r["id"] for r in rec["lines"])
    after = update(s, rec, [{"id": a, "qty": 2}, {"id": c}, {"id": b}, {"item": "D", "qty": 4}])
    update(s, after, [{"id": a}, {"id": c}, {"id": b}])
    entries = s.records.history("crm", "orders", rec["id"])["items"]
    assert [e["action"] for e in entries] == ["update", "update", "create"]
    removed, first = entries[0]["changes"][0], entries[1]["changes"][0]
    assert first["field"] == "lines" and first["name"] == "明细"
    ops = {r["op"]: r for r in first["rows"]}
    assert set(ops) == {"changed", "moved", "added"}
    assert ops["changed"]["id"] == a
    assert ops["changed"]["changes"] == [{"field": "qty", "name": "数量", "before": 1, "after": 2}]
    assert ops["moved"]["position"] in ([1, 2], [2, 1])
    d = ops["added"]["id"]
    assert ops["added"] == {
        "op": "added",
        "id": d,
        "position": 3,
        "values": {"item": "D", "qty": 4},
    }
    assert removed["rows"] == [{"op": "removed", "id": d, "values": {"item": "D", "qty": 4}}]
    assert removed["before"] == [{"id": d, "item": "D", "qty": 4}] and removed["after"] == []


def test_the_update_event_and_audit_carry_the_row_changes(services: Services) -> None:
    s = services
    rec = order(s, {"item": "A"})
    o = system.outbox
    with s.engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(o.c.id))).scalar() or 0
    update(s, rec, [{"id": rec["lines"][0]["id"], "item": "A2"}, {"item": "B"}])
    with s.engine.connect() as conn:
        events = conn.execute(sa.select(o).where(o.c.id > last)).all()
    assert [e.type for e in events] == ["record.updated"]
    before, after = events[0].payload["changes"]["lines"]
    row = rec["lines"][0]["id"]
    assert before == [{"id": row, "item": "A"}]
    assert after[0] == {"id": row, "item": "A2"}
    assert after[1]["item"] == "B" and after[1]["position"] == 1


def test_rows_follow_their_parent_into_the_recycle_bin_and_back(services: Services) -> None:
    s = services
    rec = order(s, {"item": "A"}, {"item": "B"})
    after = update(s, rec, [{"id": rec["lines"][1]["id"]}])  # A removed before the delete
    s.records.delete("crm", "orders", rec["id"])
    assert s.records.query("crm", LINES)["items"] == []
    restored = s.records.restore("crm", "orders", rec["id"])
    assert items(restored) == ["B"]
    assert [x["item"] for x in s.records.query("crm", LINES)["items"]] == ["B"]
    assert restored["lines"] == after["lines"]
    # Purged for good: the rows go first.
    s.records.delete("crm", "orders", rec["id"])
    s.recycle_bin.purge("crm", "orders", rec["id"])
    assert child_rows(s) == []


def test_a_required_subform_and_default_rows(services: Services) -> None:
    s = services
    s.schema.update_field(
        "crm", "orders", "lines", {"required": True, "default": [{"item": "默认", "qty": 1}]}
    )
    first = s.records.create("crm", "orders", {"title": "x"})
    second = s.records.create("crm", "orders", {"title": "y"})
    assert items(first) == items(second) == ["默认"]
    assert first["lines"][0]["id"] != second["lines"][0]["id"]
    with pytest.raises(Invalid) as e:
        update(s, first, [])
    assert e.value.field_errors["lines"][0].key == "field.required"


def test_rows_validation_rules_and_unique_columns(services: Services) -> None:
    s = services
    s.schema.update_table(
        "crm",
        LINES,
        {"validation_rules": [{"formula": "{qty} < 100", "message": "太多", "field": "qty"}]},
    )
    s.schema.create_field("crm", LINES, {"key": "code", "type": "text", "unique": True})
    rec = order(s, {"item": "A", "code": "X1"})
    with pytest.raises(Invalid) as e:
        update(s, rec, [{"id": rec["lines"][0]["id"]}, {"item": "B", "qty": 500}])
    assert [m.key for m in e.value.field_errors["lines.1.qty"]] == ["record.rule_failed"]
    with pytest.raises(Invalid) as e:
        update(s, rec, [{"id": rec["lines"][0]["id"]}, {"item": "B", "code": "X1"}])
    assert [m.key for m in e.value.field_errors["lines.1.code"]] == ["field.unique"]
    # A row removed in the same write gives its unique value up.
    moved = update(s, rec, [{"item": "B", "code": "X1"}])
    assert [r["code"] for r in moved["lines"]] == ["X1"]


def test_the_app_package_round_trips_a_subform(services: Services) -> None:
    s = services
    s.schema.update_table("crm", LINES, {"display_field": "item"})
    text = s.packages.export_yaml("crm")
    s.packages.import_yaml(text, key="crm2")
    first, second = s.packages.export("crm"), s.packages.export("crm2")
    first.pop("app"), second.pop("app")
    assert first == second
    child = s.schema.get_table("crm2", LINES)
    assert child["parent"] == {"table": "orders", "field": "lines"}
    rec = s.records.create("crm2", "orders", {"lines": [{"item": "A", "qty": 2, "price": 3}]})
    assert rec["lines"][0]["amount"] == 6


def test_rows_are_reportable_by_parent(services: Services) -> None:
    s = services
    first = order(s, {"item": "A", "qty": 2}, {"item": "B", "qty": 3})
    second = order(s, {"item": "C", "qty": 7})
    out = s.reports.dataset(
        "crm",
        {
            "table": LINES,
            "dimensions": [{"field": "parent_id"}],
            "measures": [{"agg": "sum", "field": "qty"}, {"agg": "count"}],
        },
    )
    got = sorted((r["keys"][0], r["values"]) for r in out["rows"])
    assert got == [(first["id"], [5, 2]), (second["id"], [7, 1])]


def test_the_parents_version_guards_its_rows(services: Services) -> None:
    s = services
    rec = order(s, {"item": "A"})
    after = update(s, rec, [{"id": rec["lines"][0]["id"], "item": "A2"}])
    assert after["version"] == rec["version"] + 1
    with pytest.raises(Conflict):
        update(s, rec, [{"item": "stale"}])  # based on the version before
    assert items(s.records.get("crm", "orders", rec["id"])) == ["A2"]


def test_a_bulk_write_of_several_parents(services: Services) -> None:
    s = services
    one, two = order(s, {"item": "A"}), order(s, {"item": "B"})
    out = s.records.bulk(
        "crm",
        "orders",
        [
            {"id": one["id"], "version": one["version"], "lines": [{"item": "A+"}]},
            {
                "id": two["id"],
                "version": two["version"],
                "lines": [{"id": two["lines"][0]["id"]}, {"item": "C"}],
            },
            {"title": "new", "lines": [{"item": "D"}, {"item": "E"}]},
        ],
    )["items"]
    assert [items(x) for x in out] == [["A+"], ["B", "C"], ["D", "E"]]
    with pytest.raises(Invalid) as e:
        s.records.bulk(
            "crm",
            "orders",
            [
                {
                    "id": one["id"],
                    "version": out[0]["version"],
                    "lines": [{"id": two["lines"][0]["id"]}],
                }
            ],
        )
    assert list(e.value.field_errors) == ["records.0.lines.0.id"]


def test_a_rows_formula_on_today_follows_the_clock(
    services: Services, frozen_clock: FrozenClock
) -> None:
    s = services
    s.schema.create_field("crm", LINES, {"key": "due", "type": "date"})
    s.schema.create_field(
        "crm",
        LINES,
        {"key": "days_left", "type": "formula", "options": {"formula": "DAYS({due}, TODAY())"}},
    )
    rec = order(s, {"item": "A", "due": "2026-01-15"})  # the clock stands at 2026-01-05
    assert rec["lines"][0]["days_left"] == 10
    frozen_clock.advance(timedelta(days=1))
    assert s.records.get("crm", "orders", rec["id"])["lines"][0]["days_left"] == 9
