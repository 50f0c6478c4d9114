"""A formula condition in the grid's filter builder: typed in the formula editor, checked by the
server as it is typed (its error under the row), applied, saved in a view and loaded again."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from ui import open_as, type_into
from webserver import Server

T = "/api/v1/apps/{app}/tables"
SPENT = "SUMIF({订单.金额}, {订单.日期} >= TODAY() - 365) > 10000"


@pytest.fixture
def shop(server: Server, request: pytest.FixtureRequest) -> str:
    """Customers and their orders (amount, date), made through the API."""
    app = re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:40]
    t = T.format(app=app)
    server.api("POST", "/api/v1/apps", {"key": app, "name": "公式筛选"})
    server.api(
        "POST",
        t,
        {
            "key": "customers",
            "name": "客户",
            "display_field": "name",
            "fields": [{"key": "name", "name": "名称", "type": "text", "required": True}],
        },
    )
    server.api(
        "POST",
        t,
        {
            "key": "orders",
            "name": "订单",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {"key": "amount", "name": "金额", "type": "number"},
                {"key": "day", "name": "日期", "type": "date"},
            ],
        },
    )
    server.api(
        "POST",
        f"{t}/orders/fields",
        {
            "key": "customer",
            "name": "客户",
            "type": "relation",
            "options": {
                "target_table": "customers",
                "multiple": False,
                "reverse": {"key": "orders", "name": "订单", "multiple": True},
            },
        },
    )
    ids = {}
    for name in ("甲公司", "乙公司", "丙公司"):
        ids[name] = server.api("POST", f"{t}/customers/records", {"name": name})["id"]
    today = date.today()
    orders = [
        ("甲公司", 8000, 30),  # ¥12,000 in the last year
        ("甲公司", 4000, 100),
        ("乙公司", 20000, 500),  # big, but long ago
        ("丙公司", 50, 10),
    ]
    server.api(
        "POST",
        f"{t}/orders/records/bulk",
        {
            "records": [
                {
                    "title": f"{c}-{i}",
                    "amount": a,
                    "day": (today - timedelta(days=d)).isoformat(),
                    "customer": ids[c],
                }
                for i, (c, a, d) in enumerate(orders)
            ]
        },
    )
    return app


def names_shown(page: Any) -> list[str]:
    return page.locator(".el-table-v2__row [data-field=name]").all_inner_texts()


def wait_for_names(page: Any, names: list[str]) -> None:
    page.wait_for_function(
        "want => JSON.stringify([...document.querySelectorAll("
        "'.el-table-v2__row [data-field=name]')].map(e => e.innerText)) === want",
        arg=str(names).replace("'", '"').replace(", ", ","),
    )


def test_a_formula_condition_in_the_grid_filter(
    signed_in: Any, server: Server, shop: str, shoot: Any
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{shop}/tables/customers")
    wait_for_names(page, ["甲公司", "乙公司", "丙公司"])
    page.locator("[data-test=filter-button]").click()
    page.locator("[data-test=add-formula-condition]").click()
    row = page.locator("[data-test=filter-formula-row]")
    # A condition over another relation's field: the server's check, under the row.
    type_into(row.locator("[data-test=filter-formula]"), "COUNTIF({订单}, {nope}) > 1")
    error = row.locator("[data-test=formula-error]")
    error.wait_for()
    assert error.inner_text() == "第 15 列：没有字段 {nope}。"
    shoot(page, "formula-filter-error")
    # The function list has the conditional aggregates.
    row.locator("[data-test=function-help]").click()
    type_into(page.locator("[data-test=function-list]"), "条件")
    page.locator("[data-test=fn-SUMIF]").wait_for()
    assert "条件求和" in page.locator("[data-test=fn-SUMIF]").inner_text()
    for name in ("COUNTIF", "AVERAGEIF", "MINIF", "MAXIF"):
        assert page.locator(f"[data-test=fn-{name}]").is_visible()
    shoot(page, "formula-filter-functions")
    row.locator("[data-test=function-help]").click()
    type_into(row.locator("[data-test=filter-formula]"), SPENT)
    error.wait_for(state="detached")
    shoot(page, "formula-filter-row")
    page.locator("[data-test=apply-filter]").click()
    wait_for_names(page, ["甲公司"])
    assert "(1)" in page.locator("[data-test=filter-button]").inner_text()
    # Saved in a view, which loads again with the formula row.
    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-save]").click()
    type_into(page.locator("[data-test=view-name]"), "高消费客户")
    page.locator("[data-test=view-save-confirm]").click()
    page.locator("[data-test=views-button]", has_text="高消费客户").wait_for()
    (view,) = server.api("GET", f"{T.format(app=shop)}/customers/views")["items"]
    assert view["config"]["filter"] == {"formula": SPENT}
    page.locator("[data-test=filter-button]").click()
    page.locator("[data-test=clear-filter]").click()
    wait_for_names(page, ["甲公司", "乙公司", "丙公司"])
    page.locator("[data-test=views-button]").click()
    page.locator("[data-test=view-item]:visible", has_text="高消费客户").first.click()
    wait_for_names(page, ["甲公司"])
    page.locator("[data-test=filter-button]").click()
    box = page.locator("[data-test=filter-formula-row] textarea")
    assert box.input_value() == SPENT
    page.wait_for_timeout(400)  # the popover's fade-in
    shoot(page, "formula-filter-view")
    # On a phone, in English.
    open_as(page, f"{server.url}/apps/{shop}/tables/customers", (390, 844), "en")
    page.locator("[data-test=filter-button]").click()
    page.locator("[data-test=add-formula-condition]").wait_for()
    page.wait_for_timeout(400)  # the popover's fade-in
    shoot(page, "formula-filter-phone")
