"""A new user builds a small customer app by clicking and dragging, then uses it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from ui import choose, drag, drag_into, field, grid_column, type_into
from webserver import Server


def add_field_by_drag(page: Any, type_key: str, name: str, key: str) -> None:
    """Drag a field type from the palette onto the end of the form, then name it."""
    page.wait_for_load_state("networkidle")
    source = page.locator(f"[data-test=palette-{type_key}]")
    # Let go only once the placeholder shows in the form (SortableJS has taken the canvas as the
    # drop list): released earlier, on a loaded machine, the drag can stay stuck on the page.
    drag_into(page, source, page.locator(".canvas-list"))
    draft = page.locator(".canvas-field.draft")
    try:
        draft.wait_for(timeout=5000)
    except PlaywrightTimeout:
        # The canvas was drawn anew under the drag (a reply landing mid-way): SortableJS lost
        # its lists and the drag is stuck on the page. A person would reload and drag again.
        page.reload()
        page.locator("[data-test=canvas-field][data-key=name]").wait_for()
        drag_into(page, source, page.locator(".canvas-list"))
        draft.wait_for()
    settings = page.locator("[data-test=settings]")
    settings.locator("[data-test=field-name]").wait_for()
    type_into(settings.locator("[data-test=field-name]"), name)
    type_into(settings.locator("[data-test=field-key]"), key)


def save_field(page: Any, key: str) -> None:
    """Save the selected field and wait for the "saved" message: the canvas is drawn again from
    the server's reply, and a drag begun before that would lose its drop list mid-way."""
    page.locator("[data-test=save-field]").click()
    page.locator(".el-message--success").first.wait_for()
    page.locator(f"[data-test=canvas-field][data-key={key}]:not(.draft)").wait_for()


def create_table(page: Any, name: str, key: str) -> None:
    """Create a table and wait for its form designer, drawn with the first field (a drag begun
    on the page before would be lost when the designer opens)."""
    page.locator("[data-test=new-table]").click()
    type_into(page.locator("[data-test=table-name]"), name)
    type_into(page.locator("[data-test=table-key]"), key)
    page.locator("[data-test=create-table]").click()
    page.wait_for_url(f"**/tables/{key}/design")
    page.locator("[data-test=canvas-field][data-key=name]").wait_for()
    page.wait_for_url(f"**/tables/{key}/design")
    page.locator("[data-test=canvas-field][data-key=name]").wait_for()


def new_record(page: Any, server: Server, table: str) -> None:
    page.goto(f"{server.url}/apps/shop/tables/{table}/records/new")
    field(page, "name").wait_for()


def test_build_a_customer_app_and_use_it(signed_in: Any, server: Server, shoot: Any) -> None:
    page = signed_in
    # -- an app, and a table the customers will link to ---------------------------------------
    page.locator("[data-test=new-app]").click()
    type_into(page.locator("[data-test=app-name]"), "花店客户")
    type_into(page.locator("[data-test=app-key]"), "shop")
    page.locator("[data-test=create-app]").click()
    page.wait_for_url("**/apps/shop")
    page.locator("[data-test=first-table]").click()
    type_into(page.locator("[data-test=table-name]"), "拜访记录")
    type_into(page.locator("[data-test=table-key]"), "visits")
    page.locator("[data-test=create-table]").click()
    page.wait_for_url("**/tables/visits/design")
    page.locator("[data-test=canvas-field][data-key=name]").wait_for()

    # -- the customer table, built by drag and drop ------------------------------------------
    create_table(page, "客户", "customers")
    add_field_by_drag(page, "phone", "手机号", "phone")
    save_field(page, "phone")
    add_field_by_drag(page, "single_select", "等级", "tier")
    page.locator("[data-test=add-choice]").click()
    page.locator("[data-test=add-choice]").click()
    rows = page.locator("[data-test=choice-row]")
    type_into(rows.nth(0), "VIP")
    type_into(rows.nth(1), "普通")
    save_field(page, "tier")
    add_field_by_drag(page, "date", "签约日期", "signed_on")
    save_field(page, "signed_on")
    add_field_by_drag(page, "relation", "拜访", "visits")
    # A relation needs its target: the settings say so next to the option before anything is saved.
    page.locator("[data-test=save-field]").click()
    page.locator("[data-test=settings] .el-form-item.is-error").first.wait_for()
    choose(page, page.locator("[data-test=opt-target]"), "拜访记录")
    save_field(page, "visits")
    shoot(page, "designer")

    # Drag to reorder: the phone field moves to the top.
    drag(
        page,
        page.locator("[data-test=canvas-field][data-key=phone]"),
        page.locator("[data-test=canvas-field][data-key=name]"),
        at="top",
    )
    page.wait_for_function(
        "document.querySelector('[data-test=canvas-field]').dataset.key === 'phone'"
    )
    keys = lambda: [  # noqa: E731
        f["key"] for f in server.api("GET", "/api/v1/apps/shop/tables/customers")["fields"]
    ]
    # The layout and then the new order are saved after the drop: wait until they are.
    page.wait_for_load_state("networkidle")
    for _ in range(50):
        if keys() == ["phone", "name", "tier", "signed_on", "visits"]:
            break
        page.wait_for_timeout(100)
    assert keys() == ["phone", "name", "tier", "signed_on", "visits"]

    # -- records: a visit, then customers linked to it ------------------------------------------
    new_record(page, server, "visits")
    type_into(field(page, "name"), "春节回访")
    page.locator("[data-test=save-record]").click()
    page.wait_for_url(re.compile(r".*/tables/visits/records/\d+$"))

    for name, phone, tier, date in (
        ("王芳", "13800138000", "VIP", "2025-03-01"),
        ("李雷", "13900139000", "普通", "2025-06-15"),
        ("张伟", "13700137000", "VIP", "2024-11-20"),
    ):
        new_record(page, server, "customers")
        type_into(field(page, "name"), name)
        type_into(field(page, "phone"), phone)
        choose(page, field(page, "tier"), tier)
        type_into(field(page, "signed_on"), date)
        page.keyboard.press("Enter")
        if name == "王芳":
            choose(page, field(page, "visits"), "春节回访")
            page.keyboard.press("Escape")
            shoot(page, "record-new")
        page.locator("[data-test=save-record]").click()
        page.wait_for_url(re.compile(r".*/tables/customers/records/\d+$"))

    # An invalid phone: the message shows next to the phone field, nothing is saved.
    new_record(page, server, "customers")
    type_into(field(page, "name"), "坏号码")
    type_into(field(page, "phone"), "12345")
    page.locator("[data-test=save-record]").click()
    error = field(page, "phone").locator(".el-form-item__error")
    error.wait_for()
    assert "12345" in error.inner_text() or "电话" in error.inner_text()
    assert page.url.endswith("/records/new")
    total = server.api("POST", "/api/v1/apps/shop/tables/customers/records/query", {"count": True})
    assert total["total"] == 3

    # -- the grid: filter (tier is VIP) and sort (signed on, newest first) -----------------------
    page.goto(f"{server.url}/apps/shop/tables/customers")
    assert sorted(grid_column(page, "name")) == sorted(["王芳", "李雷", "张伟"])
    page.locator("[data-test=filter-button]").click()
    page.locator("[data-test=add-condition]").click()
    row = page.locator("[data-test=filter-row]").first
    choose(page, row.locator("[data-test=filter-field]"), "等级")
    choose(page, row.locator("[data-test=filter-value]"), "VIP")
    page.locator("[data-test=apply-filter]").click()
    page.wait_for_function(
        "document.querySelectorAll('.el-table-v2__row [data-field=name]').length === 2"
    )
    page.locator("[data-test=sort-button]").click()
    page.locator("[data-test=add-sort]").click()
    choose(page, page.locator("[data-test=sort-row]").first, "签约日期")
    page.locator("[data-test=sort-row] [data-test=sort-desc]").first.click()
    page.locator("[data-test=apply-sort]").click()
    page.wait_for_function(
        "document.querySelector('.el-table-v2__row [data-field=name]')?.innerText === '王芳'"
    )
    assert grid_column(page, "name") == ["王芳", "张伟"]
    page.locator("[data-test=sort-button]").click()
    page.locator("[data-test=sort-row] [data-test=sort-asc]").first.click()
    page.locator("[data-test=apply-sort]").click()
    page.wait_for_function(
        "document.querySelector('.el-table-v2__row [data-field=name]')?.innerText === '张伟'"
    )
    assert grid_column(page, "name") == ["张伟", "王芳"]
    assert page.locator("[data-test=record-count]").inner_text() == "共 2 条"
    shoot(page, "grid-filtered")

    # -- edit a record, then see the change in its history ------------------------------------
    page.locator(".el-table-v2__row [data-test=open-record]").last.click()
    page.wait_for_url(re.compile(r".*/records/\d+$"))
    type_into(field(page, "name"), "王芳芳")
    page.locator("[data-test=save-record]").click()
    page.locator("[data-test=record-title]", has_text="王芳芳").wait_for()
    page.get_by_role("tab", name="修改历史").click()
    entry = page.locator("[data-test=history-entry]").first
    entry.wait_for()
    assert "王芳" in entry.inner_text() and "王芳芳" in entry.inner_text()
    shoot(page, "record-history")
    record_url = page.url

    # -- the 360° view: customers is the customer table, visits appear --------------------------
    page.goto(f"{server.url}/apps/shop/customer-view")
    choose(page, page.locator("[data-test=cv-table]"), "客户")
    page.locator("[data-test=cv-section-visits]").wait_for()
    page.locator("[data-test=cv-save]").click()
    page.locator(".el-message--success").wait_for()
    assert server.api("GET", "/api/v1/apps/shop/customer-view")["sections"] == [
        {"relation": "visits"}
    ]
    page.goto(record_url)
    page.locator("[data-test=open-360]").click()
    page.wait_for_url("**/360")
    view = page.locator("[data-test=customer-360]")
    view.locator("[data-test=profile]", has_text="王芳芳").wait_for()
    # The related tables are the 360° page's second tab (the timeline is the first).
    view.locator(".c360-main .el-tabs__item", has_text="相关记录").click()
    view.locator("[data-test=related-visits]", has_text="春节回访").wait_for()
    shoot(page, "customer-360")
