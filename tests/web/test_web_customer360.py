"""The demo's customer 360° page: set up by the template (no administrator step), reached from a
customer's record, with its metric cards showing whole values at desktop and phone widths."""

from __future__ import annotations

import re
from typing import Any

import pytest
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
        tabs = view.locator(".c360-tabs .el-tabs__item").all_inner_texts()
        assert [t.split(" ")[0] for t in tabs] == ["服务工单", "飞机", "报价单"]
        view.locator("[data-test=related-tickets]").wait_for()
        assert page.evaluate(CLIPPED) == []
        shoot(page, "customer-360-demo")
    finally:
        context.close()
