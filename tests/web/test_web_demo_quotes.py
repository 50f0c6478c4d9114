"""The demo's quote form in a real browser: a new quote picks a customer (phone and e-mail filled
in), gets three lines and, saved, its number BJ-<year><month>-… and a total that is the sum of
the lines; set to 已驳回 the section 驳回 appears with the reason required, a save without it is
refused at that field and one with it goes through. Desk and phone width, zh-CN and en."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from ui import choose, field, switch_language, wait_until
from webserver import Server

APP = "general_aviation"
T = f"/api/v1/apps/{APP}/tables"
LINES = [("100小时定检工时", "工时", "20", "420"), ("滑油滤芯", "航材", "1", "680"), ("火花塞", "航材", "8", "420")]  # fmt: skip


def rows(page: Any) -> Any:
    return page.locator("[data-test=subform-grid] .el-table__body tr.subform-row")


def type_cell(page: Any, i: int, key: str, text: str) -> None:
    box = rows(page).nth(i).locator(f"[data-test=subform-cell-{key}] input").first
    box.fill(text)
    box.press("Tab")  # a number input takes the value when it loses focus


def new_quote(page: Any, server: Server, customer: dict[str, Any]) -> int:
    """A quote made on the form page: the customer picked by name, three lines; saved."""
    page.goto(f"{server.url}/apps/{APP}/tables/quotes/records/new")
    page.locator("[data-test=subform-add]").wait_for()
    picker = field(page, "customer")
    picker.locator(".el-select__wrapper").first.click()
    page.keyboard.type(customer["name"])
    page.locator(".el-select-dropdown__item:visible", has_text=customer["name"]).first.click()
    expect(field(page, "contact_phone").locator("input")).to_have_value(customer["phone"])
    expect(field(page, "contact_email").locator("input")).to_have_value(customer["email"])
    field(page, "title").locator("input").fill("B-7021 100小时定检")
    for i, (item, kind, qty, price) in enumerate(LINES):
        page.locator("[data-test=subform-add]").click()
        type_cell(page, i, "item", item)
        type_cell(page, i, "quantity", qty)
        type_cell(page, i, "unit_price", price)
        if kind != "工时":  # the column's default
            choose(page, rows(page).nth(i).locator("[data-test=subform-cell-kind]"), kind)
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r"/records/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_a_quote_with_lines_and_a_rejection_that_needs_its_reason(
    signed_in: Any, server: Server, shoot: Any
) -> None:
    page = signed_in
    customers = server.api("GET", f"{T}/customers/records?limit=5")["items"]
    for lang, customer in (("zh-CN", customers[0]), ("en", customers[1])):
        page.set_viewport_size({"width": 1440, "height": 900})
        if lang == "en":
            switch_language(page, "en")
        rid = new_quote(page, server, customer)
        saved = server.api("GET", f"{T}/quotes/records/{rid}")
        assert re.fullmatch(r"BJ-\d{6}-\d{4}", saved["quote_no"]), saved["quote_no"]
        assert [line["amount"] for line in saved["lines"]] == [8400, 680, 3360]
        assert [line["kind"] for line in saved["lines"]] == ["工时", "航材", "航材"]
        assert saved["quote_total"] == 12440
        expect(field(page, "quote_no")).to_contain_text(saved["quote_no"])
        expect(field(page, "quote_total")).to_contain_text("¥12,440.00")
        field(page, "quote_total").scroll_into_view_if_needed()
        shoot(page, "demo-quote-lines")

        # 已驳回: the reason shows, required; a save without it is refused there.
        reason = field(page, "rejection_reason")
        expect(reason).to_be_hidden()
        choose(page, field(page, "status"), "已驳回")
        expect(reason).to_be_visible()
        page.locator("[data-test=save-record]").click()
        expect(reason).to_contain_text("驳回须填原因")
        shoot(page, "demo-quote-rejected")
        assert server.api("GET", f"{T}/quotes/records/{rid}")["status"] == "草稿"
        reason.locator("textarea").fill("客户认为工时报价偏高")
        page.locator("[data-test=save-record]").click()
        expect(reason.locator("textarea")).to_have_value("客户认为工时报价偏高")
        after = wait_until(
            lambda: (
                (q := server.api("GET", f"{T}/quotes/records/{rid}"))["version"] > saved["version"]
                and q
            ),
            "the rejected quote saved",
        )
        assert (after["status"], after["rejection_reason"]) == ("已驳回", "客户认为工时报价偏高")

        # At phone width the lines are cards and the reason stays in view of the status.
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(field(page, "rejection_reason")).to_be_visible()
        page.wait_for_load_state("networkidle")  # the form is shown greyed until it has loaded
        shoot(page, "demo-quote-rejected")
        field(page, "lines").scroll_into_view_if_needed()
        shoot(page, "demo-quote-lines")
    switch_language(page, "zh-CN")
    page.set_viewport_size({"width": 1440, "height": 900})
