"""Sub-form rows imported with their parent (issue 19), on SQLite and PostgreSQL: CSV with
the rows as JSON text and XLSX with a sheet per sub-form, both as the export writes them
(export → import gives back the rows); a bad sub-form row refuses its parent row with the
sub-form, row and column named; an update replaces the record's rows."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_crm, make_services
from support.imports import records, run, upload


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    """Orders with a unique number and a sub-form ``lines`` (item required, qty, price, a
    formula amount, a product by relation)."""
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    make_crm(s)
    schema = s.schema
    schema.create_table("crm", {"key": "products", "fields": [{"key": "sku", "type": "text"}]})
    schema.create_field(
        "crm", "orders", {"key": "no", "name": "单号", "type": "text", "unique": True}
    )
    schema.create_field("crm", "orders", {"key": "lines", "name": "明细", "type": "subform"})
    for spec in (
        {"key": "item", "name": "品名", "type": "text", "required": True},
        {"key": "qty", "name": "数量", "type": "number", "options": {"min": 0}},
        {"key": "price", "name": "单价", "type": "currency"},
        {
            "key": "amount",
            "name": "小计",
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
        schema.create_field("crm", "orders_lines", spec)
    yield s
    s.close()


def lines_of(s: Services) -> dict[str, list[tuple[Any, ...]]]:
    return {
        r["no"]: [(ln["item"], ln["qty"], ln["price"], ln["product"]) for ln in r["lines"]]
        for r in s.records.query("crm", "orders", sort=[{"field": "id"}], expand=["lines"])["items"]
    }


def two_orders(s: Services) -> dict[str, list[tuple[Any, ...]]]:
    bolt = s.records.create("crm", "products", {"sku": "BOLT-8"})
    s.records.create(
        "crm",
        "orders",
        {
            "no": "Q-1",
            "title": "一",
            "lines": [
                {"item": "螺栓", "qty": 3, "price": 2.5, "product": [bolt["id"]]},
                {"item": "工时", "qty": 1, "price": 100},
            ],
        },
    )
    s.records.create("crm", "orders", {"no": "Q-2", "title": "二", "lines": []})
    return lines_of(s)


def scramble(s: Services) -> None:
    """Every order's rows changed, so an import that gives them back is seen."""
    for r in records(s, "orders"):
        s.records.update(
            "crm", "orders", r["id"], {"version": r["version"], "lines": [{"item": "改过"}]}
        )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_rows_back(services: Services, fmt: str) -> None:
    before = two_orders(services)
    data = services.records.export("crm", "orders", fmt, fields=["no", "title", "lines"])
    scramble(services)
    up = services.imports.upload("crm", "orders", f"o.{fmt}", io.BytesIO(data), cli())
    assert "lines" in up["suggested"]
    assert up["subform_sheets"] == ([{"sheet": "明细", "field": "lines"}] if fmt == "xlsx" else [])
    job = run(services, up["id"], table="orders", mode="upsert", key="no")
    assert (job["status"], job["counts"]) == (
        "done",
        {"created": 0, "updated": 2, "skipped": 0, "refused": 0},
    )
    assert lines_of(services) == before
    # the same file as new records (the ids in the file only join the sheets)
    services.records.delete("crm", "orders", records(services, "orders")[0]["id"])
    job = run(
        services,
        upload(services, io.BytesIO(data), f"o.{fmt}", "orders"),
        table="orders",
        mode="upsert",
        key="no",
    )
    assert job["counts"]["created"] == 1
    assert lines_of(services) == before


def test_a_bad_row_refuses_its_parent_naming_subform_row_and_column(services: Services) -> None:
    services.records.create("crm", "products", {"sku": "BOLT-8"})
    rows = [
        {"品名": "好", "数量": "1,200", "产品": "bolt-8"},  # names and friendly numbers
        {"item": "坏", "qty": "很多"},
    ]
    missing = [{"qty": 1}]  # item is required: refused by the write's own check
    text = (
        "单号,明细\r\n"
        + "\r\n".join(
            f'{no},"{json.dumps(v, ensure_ascii=False).replace(chr(34), chr(34) * 2)}"'
            for no, v in (("Q-1", rows), ("Q-2", missing), ("Q-3", [rows[0]]))
        )
        + "\r\nQ-4,not json\r\n"
    )
    job = run(
        services,
        upload(services, io.BytesIO(text.encode()), table="orders"),
        table="orders",
        language="zh-CN",
    )
    assert job["counts"] == {"created": 1, "updated": 0, "skipped": 0, "refused": 3}
    reasons = {e["row"]: e["reason"] for e in job["errors"]}
    assert "明细 第 2 行" in reasons[2] and "数量" in reasons[2]
    assert "明细 第 1 行" in reasons[3] and "品名" in reasons[3]
    assert "JSON" in reasons[5]
    (order,) = services.records.query("crm", "orders", expand=["lines"])["items"]
    assert (order["no"], [(ln["item"], ln["qty"]) for ln in order["lines"]]) == (
        "Q-3",
        [("好", 1200)],
    )
    assert order["lines"][0]["product"]


def test_a_skipped_column_keeps_the_rows_and_an_empty_cell_clears_them(services: Services) -> None:
    two_orders(services)
    text = "单号,标题\r\nQ-1,新一\r\n"
    run(
        services,
        upload(services, io.BytesIO(text.encode()), table="orders"),
        table="orders",
        mode="update",
        key="no",
    )
    assert [ln[0] for ln in lines_of(services)["Q-1"]] == ["螺栓", "工时"]
    text = '单号,标题,明细\r\nQ-1,新一,\r\nQ-2,新二,"[{""item"": ""新""}]"\r\n'
    run(
        services,
        upload(services, io.BytesIO(text.encode()), table="orders"),
        table="orders",
        mode="update",
        key="no",
    )
    got = lines_of(services)
    assert got == {"Q-1": [], "Q-2": [("新", None, None, None)]}
