"""A table's indexes in the browser (administrators): after a filter-and-sort shape has been
used a few times the page lists its composite index (equality field first, then the sort
field) with why it exists, its size and last use, and shows recent queries with the index
that serves each, or why none does (a contains search). Desktop and phone, zh-CN and en."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ui import open_as
from webserver import Server, launch

APP = "idx_demo"
T = f"/api/v1/apps/{APP}/tables/shoppers"
PAGE = {
    "filter": {
        "and": [
            {"field": "city", "op": "eq", "value": "上海"},
            {"field": "spend", "op": "gt", "value": 100},
        ]
    },
    "sort": [{"field": "spend", "direction": "desc"}],
    "limit": 20,
}
SEARCH = {"filter": {"field": "name", "op": "contains", "value": "客户1"}, "limit": 20}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own server: indexes learnt after 2 uses on tables of 20 records."""
    env = {"CAIRN_AUTO_INDEX_AFTER_USES": "2", "CAIRN_AUTO_INDEX_MIN_ROWS": "20"}
    with launch(tmp_path_factory.mktemp("cairn-indexes"), env) as s:
        yield s


@pytest.fixture(scope="module")
def shoppers(server: Server) -> dict[str, Any]:
    """A table of 90 shoppers, read with a filter-and-sort page (twice) and a contains search;
    the listing once the composite index is built (in the background, after the requests)."""
    server.api("POST", "/api/v1/apps", {"key": APP, "name": "索引演示"})
    fields = [
        {"key": "name", "name": "姓名", "type": "text", "required": True},
        {
            "key": "city",
            "name": "城市",
            "type": "single_select",
            "options": {"choices": [{"value": "上海"}, {"value": "北京"}, {"value": "广州"}]},
        },
        {"key": "spend", "name": "消费", "type": "number"},
    ]
    server.api(
        "POST", f"/api/v1/apps/{APP}/tables", {"key": "shoppers", "name": "顾客", "fields": fields}
    )
    cities = ("上海", "北京", "广州")
    rows = [{"name": f"客户{i}", "city": cities[i % 3], "spend": i * 7 % 500} for i in range(90)]
    server.api("POST", f"{T}/records/bulk", {"records": rows})
    for _ in range(2):
        server.api("POST", f"{T}/records/query", PAGE)
    server.api("POST", f"{T}/records/query", SEARCH)
    # The build runs on the server's index thread: wait for it to show with the shape it was
    # built for (registered in its own transaction after the build; a register that failed,
    # e.g. on a busy SQLite file, is retried at the next use: so the page is asked again now
    # and then).
    for n in range(200):
        doc = server.api("GET", f"{T}/indexes")
        if any(i["kind"] == "composite" and i.get("shape") for i in doc["indexes"]):
            return doc
        if n % 20 == 19:
            server.api("POST", f"{T}/records/query", PAGE)
        time.sleep(0.1)
    raise AssertionError(f"no composite index: {doc}")


def fits(page: Any, width: int) -> bool:
    return bool(page.evaluate("w => document.documentElement.scrollWidth <= w + 1", width))


@pytest.mark.parametrize(
    ("size", "lang"),
    [((1440, 900), "zh-CN"), ((1440, 900), "en"), ((390, 844), "zh-CN"), ((390, 844), "en")],
    ids=["desktop-zh", "desktop-en", "phone-zh", "phone-en"],
)
def test_the_indexes_page_shows_why_each_index_exists(
    signed_in: Any,
    server: Server,
    shoppers: dict[str, Any],
    size: tuple[int, int],
    lang: str,
    shoot: Callable[[Any, str], Path],
) -> None:
    [composite] = [i for i in shoppers["indexes"] if i["kind"] == "composite"]
    assert [c["field"] for c in composite["columns"]] == ["city", "spend"]
    page = signed_in
    phone = size[0] < 768
    open_as(page, f"{server.url}/apps/{APP}/tables/shoppers", size, lang)
    page.locator("[data-test=open-indexes]").click()
    page.wait_for_url(re.compile(r"/tables/shoppers/indexes$"))
    row = page.locator(f"[data-test='index-{composite['name']}']")
    row.wait_for()
    assert "城市 + 消费" in row.inner_text()
    why = page.locator(f"[data-test='index-why-{composite['name']}']").inner_text()
    if lang == "zh-CN":
        assert "城市 等于" in why and "按 消费 排序" in why
        assert "索引：顾客" in page.locator("h1").inner_text()
    else:
        assert "城市 equals" in why and "sorted by 消费" in why
        assert "Indexes: 顾客" in page.locator("h1").inner_text()
    policy = page.locator("[data-test=indexes-policy]").inner_text()
    assert ("上限 10 个" if lang == "zh-CN" else "at most 10") in policy
    # Recent queries: the page is served by the composite; the search is explained.
    queries = page.locator("[data-test=query-list]")
    queries.locator("[data-test=query-served]").first.wait_for()
    search = queries.locator("[data-test=reason-contains]")
    assert ("包含" if lang == "zh-CN" else "contains") in search.inner_text()
    shapes = queries.locator("[data-test=query-shape]").all_inner_texts()
    assert ("文本搜索" if lang == "zh-CN" else "text search") in shapes
    assert fits(page, size[0])
    shoot(page, f"table-indexes-{size[0]}")
    if not phone:
        assert page.locator(f"[data-test='index-used-{composite['name']}']").inner_text() != "—"
