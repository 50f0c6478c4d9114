"""The demo quote's line grid in a real browser, before the quote is saved: a line's 金额 (a
formula column) shows as money the moment 数量 and 单价 are typed, and the footer totals only
the column the designer chose (金额), live, never 数量 or 单价. Saved, the quote's 明细合计 and
报价总额 show as money too. Desk (a grid with a footer row) and phone (cards and their sums),
zh-CN and en."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from ui import field, switch_language
from webserver import Server

APP = "general_aviation"
T = f"/api/v1/apps/{APP}/tables"


def grid_cell(page: Any, key: str, i: int = 0) -> Any:
    rows = page.locator("[data-test=subform-grid] .el-table__body tr.subform-row")
    return rows.nth(i).locator(f"[data-test=subform-cell-{key}]")


def footer(page: Any) -> dict[str, str]:
    """The grid's footer row: column title → the total shown under it."""
    grid = page.locator("[data-test=subform-grid]")
    heads = grid.locator(".el-table__header-wrapper th").all_inner_texts()
    foot = grid.locator(".el-table__footer-wrapper td").all_inner_texts()
    return {h.strip(): f.strip() for h, f in zip(heads, foot, strict=False)}


def type_line(scope: Any, key: str, text: str) -> None:
    box = scope.locator(f"[data-test=subform-cell-{key}] input").first
    box.fill(text)
    box.press("Tab")  # a number input takes the value when it loses focus


def test_line_amounts_and_their_total_show_as_the_user_types(
    signed_in: Any, server: Server, shoot: Any
) -> None:
    page = signed_in
    for lang in ("zh-CN", "en"):
        if lang == "en":
            switch_language(page, "en")
        # Desk: the grid and its footer row.
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(f"{server.url}/apps/{APP}/tables/quotes/records/new")
        page.locator("[data-test=subform-add]").click()
        row = page.locator("[data-test=subform-grid] .el-table__body tr.subform-row").first
        type_line(row, "item", "100小时定检工时")
        type_line(row, "quantity", "3")
        expect(grid_cell(page, "amount")).to_have_text("¥0.00")  # 3 × a blank price
        type_line(row, "unit_price", "100")
        expect(grid_cell(page, "amount")).to_have_text("¥300.00")
        page.locator("[data-test=subform-add]").click()
        second = page.locator("[data-test=subform-grid] .el-table__body tr.subform-row").nth(1)
        type_line(second, "item", "滑油滤芯")
        type_line(second, "quantity", "2.5")
        type_line(second, "unit_price", "420")
        expect(grid_cell(page, "amount", 1)).to_have_text("¥1,050.00")
        expect(page.locator("[data-test=subform-grid] .el-table__footer-wrapper")).to_contain_text(
            "¥1,350.00"
        )
        sums = footer(page)
        assert sums["金额"] == "¥1,350.00", sums
        assert sums["数量"] == "" and sums["单价"] == "", sums
        assert sums["#"] in ("合计", "Total"), sums
        # Nothing was saved: the amounts are the browser's.
        assert page.url.endswith("/records/new")
        shoot(page, "subform-live-lines")

        # Phone: a card per line, the amount in it, and the sums under the cards.
        page.set_viewport_size({"width": 390, "height": 844})
        cards = page.locator("[data-test=subform-editor] [data-test=subform-row]")
        expect(cards).to_have_count(2)
        type_line(cards.nth(0), "quantity", "4")
        expect(cards.nth(0).locator("[data-test=subform-cell-amount]")).to_contain_text("¥400.00")
        sums_box = page.locator("[data-test=subform-sums]")
        expect(sums_box).to_have_text(re.compile(r"^\s*金额: ¥1,450.00\s*$"))
        sums_box.scroll_into_view_if_needed()
        shoot(page, "subform-live-lines")

        # Saved: what the server computes is what the browser showed, shown as money.
        page.set_viewport_size({"width": 1440, "height": 900})
        field(page, "title").locator("input").fill("B-7021 live amounts")
        name = server.api("GET", f"{T}/customers/records?limit=1")["items"][0]["name"]
        field(page, "customer").locator(".el-select__wrapper").first.click()
        page.keyboard.type(name)
        page.locator(".el-select-dropdown__item:visible", has_text=name).first.click()
        expect(field(page, "contact_phone").locator("input")).not_to_have_value("")
        page.locator("[data-test=save-record]").click()
        page.wait_for_url(re.compile(r"/records/\d+$"))
        rid = int(page.url.rsplit("/", 1)[1])
        saved = server.api("GET", f"{T}/quotes/records/{rid}")
        assert [line["amount"] for line in saved["lines"]] == [400, 1050]
        assert saved["subtotal"] == 1450
        expect(field(page, "subtotal")).to_contain_text("¥1,450.00")
        expect(field(page, "quote_total")).to_contain_text("¥1,450.00")
        field(page, "quote_total").scroll_into_view_if_needed()
        shoot(page, "subform-live-saved")
    switch_language(page, "zh-CN")
