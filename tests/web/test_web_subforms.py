"""Sub-forms in the browser (issue 19): the designer adds a 子表单 field and its columns; a quote
gets line items in the form's inline grid (three rows added, one copied, one removed, two
swapped), the footer sums them and the quote's total (a formula over the rows) shows after
saving; a row with a bad cell is marked at that cell and nothing is saved; at phone width the
rows are cards; the grid shows a row count. Screenshots at desk and phone width, zh and en."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from ui import choose, field, switch_language, wait_until
from webserver import Server

APP = "subform_ui"
T = f"/api/v1/apps/{APP}/tables"


def rows(page: Any) -> Any:
    return page.locator("[data-test=subform-grid] .el-table__body tr.subform-row")


def cell(page: Any, i: int, key: str) -> Any:
    return rows(page).nth(i).locator(f"[data-test=subform-cell-{key}]")


def type_cell(page: Any, i: int, key: str, text: str) -> None:
    box = cell(page, i, key).locator("input").first
    box.fill(text)
    box.press("Tab")  # a number input takes the value when it loses focus


def row_action(page: Any, i: int, action: str) -> None:
    rows(page).nth(i).locator(f"[data-test=subform-{action}]").click()


def items_shown(page: Any) -> list[str]:
    n = rows(page).count()
    return [cell(page, i, "item").locator("input").input_value() for i in range(n)]


def test_a_quote_with_line_items(signed_in: Any, server: Server, shoot: Any) -> None:
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "报价"})
    server.api(
        "POST",
        T,
        {
            "key": "quotes",
            "name": "报价单",
            "fields": [{"key": "title", "name": "标题", "type": "text"}],
        },
    )
    page = signed_in

    # -- the designer: a sub-form field, then its columns ------------------------------------
    page.goto(f"{server.url}/apps/{APP}/tables/quotes/design")
    page.locator("[data-test=palette-subform]").click()
    page.locator("[data-test=field-name]").fill("明细")
    page.locator("[data-test=field-key]").fill("lines")
    page.locator("[data-test=save-field]").click()
    page.locator(".el-message--success").wait_for()
    page.locator("[data-test=subform-edit-columns]").click()
    dialog = page.locator("[data-test=subform-columns]")
    for type_name, name, key, required in (
        ("文本", "品名", "item", True),
        ("数字", "数量", "qty", False),
        ("金额", "单价", "price", False),
    ):
        choose(page, dialog.locator("[data-test=subform-add-column]"), type_name)
        dialog.locator("[data-test=column-name]").fill(name)
        dialog.locator("[data-test=column-key]").fill(key)
        if required:
            dialog.locator("[data-test=column-required]").click()
        dialog.locator("[data-test=column-save]").click()
        dialog.locator(f"[data-test=subform-column][data-key={key}]").wait_for()
    # The field settings are the designer's: a relation column without its table is refused at
    # that input and nothing is saved; a formula column cannot be made required.
    choose(page, dialog.locator("[data-test=subform-add-column]"), "关联")
    dialog.locator("[data-test=column-save]").click()
    target = dialog.locator(".el-form-item", has=page.locator("[data-test=opt-target]"))
    expect(target.locator(".el-form-item__error")).not_to_be_empty()
    choose(page, dialog.locator("[data-test=subform-add-column]"), "公式")
    expect(dialog.locator("[data-test=column-required] input")).to_be_disabled()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog.locator("[data-test=subform-column]")).to_have_count(3)
    assert len(server.api("GET", f"{T}/quotes_lines")["fields"]) == 3
    # Reorder: 单价 before 数量, then back.
    dialog.locator(
        "[data-test=subform-column][data-key=price] [data-test=subform-column-up]"
    ).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-test=subform-column]')].map(e => e.dataset.key).join() === 'item,price,qty'"
    )
    shoot(page, "subform-columns")
    dialog.locator(
        "[data-test=subform-column][data-key=price] [data-test=subform-column-down]"
    ).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-test=subform-column]')].map(e => e.dataset.key).join() === 'item,qty,price'"
    )
    dialog.locator("[data-test=subform-columns-done]").click()
    child = server.api("GET", f"{T}/quotes_lines")
    assert [(f["key"], f["name"], f["required"]) for f in child["fields"]] == [
        ("item", "品名", True),
        ("qty", "数量", False),
        ("price", "单价", False),
    ]
    assert child["parent"] == {"table": "quotes", "field": "lines"}
    # A line's amount and the quote's total are formulas (their settings are the designer's own).
    server.api(
        "POST",
        f"{T}/quotes_lines/fields",
        {
            "key": "amount",
            "name": "金额",
            "type": "formula",
            "options": {"formula": "{qty}*{price}"},
        },
    )
    server.api(
        "POST",
        f"{T}/quotes/fields",
        {
            "key": "quote_total",
            "name": "总额",
            "type": "formula",
            "options": {"formula": "SUM({明细.金额})"},
        },
    )

    # -- a new quote: add, copy, remove, reorder ---------------------------------------------
    page.goto(f"{server.url}/apps/{APP}/tables/quotes/records/new")
    field(page, "title").locator("input").fill("海航备件报价")
    add = page.locator("[data-test=subform-add]")
    for i, (item, qty, price) in enumerate(
        (("滑油", "2", "30"), ("滤芯", "1", "50"), ("轮胎", "4", "1200"))
    ):
        add.click()
        type_cell(page, i, "item", item)
        type_cell(page, i, "qty", qty)
        type_cell(page, i, "price", price)
    row_action(page, 0, "copy")  # 滑油, 滑油, 滤芯, 轮胎
    assert items_shown(page) == ["滑油", "滑油", "滤芯", "轮胎"]
    type_cell(page, 1, "qty", "3")
    row_action(page, 2, "remove")  # 滑油 ×2, 滑油 ×3, 轮胎
    row_action(page, 2, "up")  # 滑油 ×2, 轮胎, 滑油 ×3
    assert items_shown(page) == ["滑油", "轮胎", "滑油"]
    footer = page.locator("[data-test=subform-grid] .el-table__footer")
    # The amounts' total, computed as the rows are typed (60 + 4800 + 90); by default a plain
    # number column (数量) has none.
    expect(footer).to_contain_text("4,950")
    assert "9" not in footer.inner_text().replace("4,950", "")
    shoot(page, "subform-editor")
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r"/records/\d+$"))
    rid = int(page.url.rsplit("/", 1)[1])
    rec = server.api("GET", f"{T}/quotes/records/{rid}")
    assert [(r["item"], r["qty"], r["price"]) for r in rec["lines"]] == [
        ("滑油", 2, 30),
        ("轮胎", 4, 1200),
        ("滑油", 3, 30),
    ]
    assert rec["quote_total"] == 2 * 30 + 4 * 1200 + 3 * 30
    # The total shows on the record page (computed over the saved rows), and each line's amount.
    total = field(page, "quote_total")
    page.wait_for_function(
        "() => document.querySelector('.field-item[data-field=quote_total]')?.textContent.includes('4950')"
    )
    assert "4950" in total.inner_text()
    assert cell(page, 1, "amount").inner_text().strip() == "4800"

    # -- a bad cell: marked there, nothing saved -----------------------------------------------
    type_cell(page, 0, "qty", "5")
    cell(page, 2, "item").locator("input").fill("")
    page.locator("[data-test=save-record]").click()
    error = cell(page, 2, "item").locator("[data-test=subform-cell-error]")
    error.wait_for()
    assert page.locator("[data-test=subform-cell-error]").count() == 1
    assert page.locator("[data-test=form-error]").is_visible()
    shoot(page, "subform-bad-cell")
    again = server.api("GET", f"{T}/quotes/records/{rid}")
    assert again["version"] == rec["version"]
    assert [r["qty"] for r in again["lines"]] == [2, 4, 3]
    # Fixed: the mark goes as the cell changes, and the save goes through (one row changed,
    # one row's item restored: the other rows stay as they were).
    type_cell(page, 2, "item", "机油")
    assert page.locator("[data-test=subform-cell-error]").count() == 0
    page.locator("[data-test=save-record]").click()
    saved = wait_until(
        lambda: (
            (r := server.api("GET", f"{T}/quotes/records/{rid}"))["version"] > rec["version"] and r
        ),
        "the fixed quote saved",
    )
    assert [(r["item"], r["qty"]) for r in saved["lines"]] == [
        ("滑油", 5),
        ("轮胎", 4),
        ("机油", 3),
    ]
    assert [r["id"] for r in saved["lines"]] == [r["id"] for r in rec["lines"]]
    # The history says row by row what the save changed.
    page.locator("#tab-history").click()
    history = page.locator("[data-test=subform-history]").first
    history.wait_for()
    assert "修改行" in history.inner_text() and "数量" in history.inner_text()
    shoot(page, "subform-history")
    page.locator("#tab-form").click()

    # -- en at desk width; the grid's row count ----------------------------------------------
    switch_language(page, "en")
    shoot(page, "subform-editor")
    page.goto(f"{server.url}/apps/{APP}/tables/quotes")
    chip = page.locator("[data-test=subform-count]").first
    chip.wait_for()
    assert chip.inner_text().strip() == "3 rows"
    switch_language(page, "zh-CN")
    assert page.locator("[data-test=subform-count]").first.inner_text().strip() == "3 行"


def test_rows_are_cards_at_phone_width(signed_in: Any, server: Server, shoot: Any) -> None:
    page = signed_in
    quotes = server.api("POST", f"{T}/quotes/records/query", {"limit": 1})["items"]
    rid = quotes[0]["id"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/apps/{APP}/tables/quotes/records/{rid}")
    cards = page.locator("[data-test=subform-row]")
    cards.first.wait_for()
    assert cards.count() == 3
    assert page.locator("[data-test=subform-grid]").count() == 0
    # Copy the second card, change its quantity, move it first; save.
    cards.nth(1).locator("[data-test=subform-copy]").click()
    assert cards.count() == 4
    qty = cards.nth(2).locator("[data-test=subform-cell-qty] input")
    qty.fill("7")
    qty.press("Tab")
    cards.nth(2).locator("[data-test=subform-up]").click()
    cards.nth(1).locator("[data-test=subform-up]").click()
    sums = page.locator("[data-test=subform-sums]").inner_text()
    assert "金额: 13,440" in sums  # 5×30 + 7×1200 + 4×1200 + 3×30, computed as typed
    assert "数量" not in sums  # by default a plain number column has no total
    shoot(page, "subform-cards")
    before = server.api("GET", f"{T}/quotes/records/{rid}")["version"]
    page.locator("[data-test=save-record]").click()
    rec = wait_until(
        lambda: (r := server.api("GET", f"{T}/quotes/records/{rid}"))["version"] > before and r,
        "the quote saved from the phone",
    )
    assert [(r["item"], r["qty"]) for r in rec["lines"]] == [
        ("轮胎", 7),
        ("滑油", 5),
        ("轮胎", 4),
        ("机油", 3),
    ]
    switch_language(page, "en")
    cards.first.wait_for()
    shoot(page, "subform-cards")


def test_read_only_rows_show_as_a_table(browser: Any, server: Server, shoot: Any) -> None:
    """A member who may read quotes but not update them sees the rows as a table (no editors)."""
    member = ("subform_viewer", "Viewer2024check")
    server.api("POST", "/api/v1/users", {"username": member[0], "password": member[1]})
    role = {
        "key": "subform_viewers",
        "name": "报价查看",
        "tables": [{"app": APP, "table": "quotes", "actions": ["read"], "row_scope": "all"}],
        "members": [member[0]],
    }
    server.api("POST", "/api/v1/roles", role)
    rid = server.api("POST", f"{T}/quotes/records/query", {"limit": 1})["items"][0]["id"]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(server.url + "/sign-in")
        page.locator("input[name=username]").fill(member[0])
        page.locator("input[name=password]").fill(member[1])
        page.locator("[data-test=sign-in]").click()
        page.locator(f"[data-test=app-{APP}]").wait_for()
        page.goto(f"{server.url}/apps/{APP}/tables/quotes/records/{rid}")
        table = page.locator("[data-test=subform-view] [data-test=subform-table]")
        table.wait_for()
        assert page.locator("[data-test=subform-editor]").count() == 0
        expect(table).to_contain_text("轮胎")  # once the record is read
        assert "合计" in table.inner_text()
        shoot(page, "subform-readonly")
    finally:
        context.close()


def test_a_rows_cascading_choice_follows_the_row(
    signed_in: Any, server: Server, shoot: Any
) -> None:
    """A row's model offers the models of the row's brand (not of the record's own brand
    field), and is cleared when the row's brand changes (data linkage scoped to the row)."""
    models = {"波音": ["737", "787"], "空客": ["A320"]}
    brand = {"type": "single_select", "options": {"choices": [{"value": b} for b in models]}}
    server.api(
        "POST",
        T,
        {"key": "fleet", "name": "机队", "fields": [{"key": "brand", "name": "品牌", **brand}]},
    )
    server.api("POST", f"{T}/fleet/fields", {"key": "planes", "name": "飞机", "type": "subform"})
    server.api("POST", f"{T}/fleet_planes/fields", {"key": "brand", "name": "厂商", **brand})
    server.api(
        "POST",
        f"{T}/fleet_planes/fields",
        {
            "key": "model",
            "name": "机型",
            "type": "single_select",
            "options": {
                "choices": [{"value": m} for ms in models.values() for m in ms],
                "parent": "brand",
                "cascade": models,
            },
        },
    )
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/tables/fleet/records/new")
    choose(page, field(page, "brand"), "空客")
    page.locator("[data-test=subform-add]").click()
    shut = page.locator(".el-select-dropdown:visible")
    expect(shut).to_have_count(0)  # the record's brand list has closed
    choose(page, cell(page, 0, "brand"), "波音")
    expect(shut).to_have_count(0)
    model = cell(page, 0, "model")
    model.locator(".el-select__wrapper").click()
    items = page.locator(".el-select-dropdown:visible .el-select-dropdown__item")
    items.first.wait_for()
    assert [x.strip() for x in items.all_inner_texts()] == models["波音"]
    items.filter(has_text="787").click()
    page.wait_for_function(
        "() => document.querySelector('[data-test=subform-cell-model] .el-select__placeholder')?.textContent.includes('787')"
    )
    # Another brand in the row: its model no longer fits and is cleared.
    expect(shut).to_have_count(0)
    choose(page, cell(page, 0, "brand"), "空客")
    page.wait_for_function(
        "() => !document.querySelector('[data-test=subform-cell-model] .el-select__placeholder')?.textContent.includes('787')"
    )
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r"/records/\d+$"))
    rid = int(page.url.rsplit("/", 1)[1])
    rec = server.api("GET", f"{T}/fleet/records/{rid}")
    assert rec["brand"] == "空客"
    assert [(r["brand"], r["model"]) for r in rec["planes"]] == [("空客", None)]
