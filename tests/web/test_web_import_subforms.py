"""Sub-form rows through the import wizard (issues 19 and 21): an XLSX with the orders on the
first sheet and their lines on a sheet named after the sub-form (as the export writes it);
the wizard names that sheet, maps the sub-form column, warns that an update replaces the
rows of a record, and the run writes each order with its lines; on a phone (390 px) the
steps fit the screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from webserver import Server


@pytest.fixture
def orders(server: Server, request: pytest.FixtureRequest) -> str:
    app = "isf_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[-30:]
    server.api("POST", "/api/v1/apps", {"key": app, "name": "子表单导入"})
    t = f"/api/v1/apps/{app}/tables"
    fields = [
        {"key": "no", "name": "单号", "type": "text", "unique": True},
        {"key": "title", "name": "标题", "type": "text"},
    ]
    server.api("POST", t, {"key": "orders", "name": "订单", "fields": fields})
    server.api("POST", f"{t}/orders/fields", {"key": "lines", "name": "明细", "type": "subform"})
    for spec in (
        {"key": "item", "name": "品名", "type": "text", "required": True},
        {"key": "qty", "name": "数量", "type": "number"},
    ):
        server.api("POST", f"{t}/orders_lines/fields", spec)
    server.api(
        "POST",
        f"{t}/orders/records",
        {"no": "Q-1", "title": "旧", "lines": [{"item": "旧行", "qty": 9}]},
    )
    return app


def workbook(tmp_path: Path) -> Path:
    """Two orders (Q-1 exists: its rows are replaced) and their lines, joined by ID."""
    wb = Workbook()
    ws = wb.active
    ws.title = "订单"
    ws.append(["ID", "单号", "标题", "明细"])
    ws.append([101, "Q-1", "刹车片", 2])
    ws.append([102, "Q-2", "滤芯", 1])
    lines = wb.create_sheet("明细")
    lines.append(["记录 ID", "行", "品名", "数量"])
    lines.append([101, 1, "刹车片", 4])
    lines.append([102, 1, "机油滤芯", 2])
    lines.append([101, 2, "工时", 3])
    path = tmp_path / "订单导出.xlsx"
    wb.save(path)
    return path


def test_an_xlsx_with_a_subform_sheet_imports_the_rows(
    signed_in: Any,
    server: Server,
    orders: str,
    tmp_path: Path,
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/apps/{orders}/tables/orders")
    page.locator("[data-test=import-button]").click()
    page.locator("[data-test=import-drop] input[type=file]").set_input_files(
        str(workbook(tmp_path))
    )
    page.locator("[data-test=import-mapping]").wait_for()
    sheet = page.locator("[data-test=import-subform-sheet-lines]")
    sheet.wait_for()
    assert "明细" in sheet.inner_text()
    assert page.locator("[data-test=import-field-3]").inner_text().strip() == "明细"
    assert page.locator("[data-test=import-subform-3]").is_visible()
    assert page.evaluate("w => document.documentElement.scrollWidth <= w + 1", 390)
    shoot(page, "import-subform-mapping")
    page.locator("[data-test=import-next]").click()
    page.locator("[data-test=import-mode-upsert]").click()
    warn = page.locator("[data-test=import-subform-replace]")
    warn.wait_for()
    assert "替换" in warn.inner_text()
    assert page.evaluate("w => document.documentElement.scrollWidth <= w + 1", 390)
    shoot(page, "import-subform-options")
    page.locator("[data-test=import-dry-run]").click()
    outcome = page.locator("[data-test=import-outcome-dry_run]")
    outcome.wait_for()
    assert outcome.locator("[data-test=import-count-created] .n").inner_text() == "1"
    assert outcome.locator("[data-test=import-count-updated] .n").inner_text() == "1"
    page.locator("[data-test=import-run]").click()
    page.locator("[data-test=import-done]").wait_for()
    shoot(page, "import-subform-done")
    body = {"sort": [{"field": "no"}], "expand": ["lines"]}
    got = server.api("POST", f"/api/v1/apps/{orders}/tables/orders/records/query", body)["items"]
    assert [
        (r["no"], r["title"], [(ln["item"], float(ln["qty"])) for ln in r["lines"]]) for r in got
    ] == [
        ("Q-1", "刹车片", [("刹车片", 4.0), ("工时", 3.0)]),
        ("Q-2", "滤芯", [("机油滤芯", 2.0)]),
    ]
