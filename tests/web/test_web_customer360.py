"""The demo's customer 360° page: set up by the template (no administrator step), the default
page of a customer opened from the grid, with its metric cards showing whole values at desktop
and phone widths; logging a call from it; and the screen-pop page /call finding the caller by a
number however typed, or offering a new customer with the number filled in."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from ui import open_as
from webserver import Server

APP = "general_aviation"
T = f"/api/v1/apps/{APP}/tables"

#: Any metric card whose value is wider than its box (clipped or spilling out).
CLIPPED = """() => [...document.querySelectorAll('[data-test=metrics] .metric')]
  .filter((card) => {
    const value = card.querySelector('.metric-value')
    const box = card.getBoundingClientRect()
    const text = value.firstElementChild ?? value
    const r = text.getBoundingClientRect()
    return value.scrollWidth > value.clientWidth + 1 || r.right > box.right + 1
      || box.right > document.documentElement.clientWidth + 1
  })
  .map((card) => card.innerText)"""


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_demo_customer_has_a_360_page_with_whole_metrics(
    browser: Any, server: Server, signed_in: Any, shoot: Any, size: tuple[int, int]
) -> None:
    # The customer with the largest credit limit: the widest value a card has to show.
    top = server.api(
        "POST",
        f"{T}/customers/records/query",
        {
            "filter": {"field": "credit_limit", "op": "is_not_empty"},
            "sort": [{"field": "credit_limit", "direction": "desc"}],
            "limit": 1,
        },
    )["items"][0]
    state = {"cookies": signed_in.context.storage_state()["cookies"], "origins": []}
    context = browser.new_context(
        locale="zh-CN", viewport={"width": size[0], "height": size[1]}, storage_state=state
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{server.url}/apps/{APP}/tables/customers/records/{top['id']}")
        page.locator("[data-test=open-360]").click()
        page.wait_for_url("**/360")
        view = page.locator("[data-test=customer-360]")
        view.locator("[data-test=profile]", has_text=top["name"]).wait_for()
        # The header: the identity keys as One-ID holds them, and the owner.
        keys = view.locator("[data-test=identity-keys]").inner_text()
        assert "手机号" in keys and top["phone"][-4:] in keys, keys
        view.locator("[data-test=owner]").wait_for()
        metrics = view.locator("[data-test=metrics] .metric")
        texts = metrics.all_inner_texts()
        assert any(t.startswith("信用额度") for t in texts), texts
        # Money as the field says: the currency sign and the field's two decimals.
        credit = next(t for t in texts if t.startswith("信用额度")).split("\n")[-1]
        assert re.fullmatch(r"¥[\d,]+\.\d\d", credit), credit
        assert float(credit[1:].replace(",", "")) == top["credit_limit"]
        cost = next(t for t in texts if t.startswith("服务费用合计")).split("\n")[-1]
        assert re.fullmatch(r"¥[\d,]+\.\d\d", cost), cost
        # The related lists, as the template set them up: tickets first, then aircraft, quotes.
        view.locator(".c360-main .el-tabs__item", has_text="相关记录").click()
        tabs = view.locator(".c360-tabs .el-tabs__item").all_inner_texts()
        assert [t.split(" ")[0] for t in tabs] == ["服务工单", "飞机", "报价单"]
        view.locator("[data-test=related-tickets]").wait_for()
        assert page.evaluate(CLIPPED) == []
        shoot(page, "customer-360-demo")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("size", "lang"),
    [((1440, 900), "zh-CN"), ((375, 812), "en")],
    ids=["desktop-zh", "phone-en"],
)
def test_a_customer_opens_on_360_from_the_grid_and_a_call_is_logged(
    server: Server, signed_in: Any, shoot: Any, size: tuple[int, int], lang: str
) -> None:
    page = signed_in
    open_as(page, f"{server.url}/apps/{APP}/tables/customers", size, lang)
    if size[0] < 500:
        page.locator("[data-test=record-card]").first.click()
    else:
        page.locator(".el-table-v2__row [data-test=open-record]").first.click()
    page.wait_for_url(re.compile(r".*/records/(\d+)/360$"))
    rid = int(re.search(r"/records/(\d+)/360", page.url).group(1))  # type: ignore[union-attr]
    view = page.locator("[data-test=customer-360]")
    view.locator("[data-test=c360-title]").wait_for()
    count = view.locator("[data-test=interaction-count] .metric-value")
    before = int(count.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0] + 1
    shoot(page, "c360-header")
    # "Details" is the plain record page
    assert view.locator("[data-test=open-details]").is_visible()

    view.locator("[data-test=log-interaction]").click()
    dialog = page.locator("[data-test=log-dialog]")
    dialog.wait_for()
    subject = f"询问定检 {lang}"
    dialog.locator("input[data-test=log-subject], [data-test=log-subject] input").fill(subject)
    dialog.locator("textarea[data-test=log-note], [data-test=log-note] textarea").fill(
        "客户来电，约下周二"
    )
    dialog.locator("[data-test=log-duration] input").fill("3")
    if size[0] < 500:  # full-screen on a phone
        box = page.locator(".el-dialog.is-fullscreen").bounding_box()
        assert box is not None and box["width"] >= size[0] - 1
    shoot(page, "c360-log-dialog")
    dialog.locator("[data-test=log-save]").click()
    dialog.wait_for(state="hidden")
    page.wait_for_function(
        "([el, n]) => Number(el.innerText) === n", arg=[count.element_handle(), before + 1]
    )
    items = server.api("GET", f"{T}/customers/records/{rid}/interactions?limit=5")["items"]
    logged = next(i for i in items if i["subject"] == subject)
    assert logged["kind"] == "call" and logged["direction"] == "in"
    assert logged["duration_seconds"] == 180 and logged["source"] == "manual"

    view.locator("[data-test=open-details]").click()
    page.wait_for_url(re.compile(rf".*/records/{rid}$"))
    page.locator("[data-test=record-title]").wait_for()


@pytest.mark.parametrize(
    ("size", "lang"),
    [((1440, 900), "en"), ((375, 812), "zh-CN")],
    ids=["desktop-en", "phone-zh"],
)
def test_the_call_page_finds_the_caller_or_offers_a_new_customer(
    server: Server, signed_in: Any, shoot: Any, size: tuple[int, int], lang: str
) -> None:
    page = signed_in
    one = server.api(
        "POST",
        f"{T}/customers/records/query",
        {"filter": {"field": "phone", "op": "is_not_empty"}, "limit": 1},
    )["items"][0]
    digits = one["phone"].removeprefix("+86")
    typed = f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}"
    open_as(page, f"{server.url}/call?phone={quote(typed)}", size, lang)
    page.wait_for_url(f"**/customers/records/{one['id']}/360")
    page.locator("[data-test=c360-title]", has_text=one["name"]).wait_for()

    page.goto(f"{server.url}/call?number=13600000009")
    none = page.locator("[data-test=call-none]")
    none.wait_for()
    assert "13600000009" in none.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0] + 1
    shoot(page, "call-none")
    page.locator("[data-test=call-new]").click()
    page.wait_for_url("**/customers/records/new**")
    phone = page.locator(".field-item[data-field=phone] input")
    phone.wait_for()
    page.wait_for_function(
        "el => el.value.replace(/\\D/g, '').endsWith('13600000009')", arg=phone.element_handle()
    )

    # The number typed on the page: found, opened
    page.goto(f"{server.url}/call")
    page.locator("input[data-test=call-number], [data-test=call-number] input").fill(digits)
    page.locator("[data-test=call-search]").click()
    page.wait_for_url(f"**/customers/records/{one['id']}/360")
