"""The records' recycle bin in the browser: delete a record in the grid, open the table's
recycle bin from the grid, restore it and see it back in the grid; purge another (desktop and
phone, zh-CN and en)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ui import open_as
from webserver import Server

Q = "/api/v1/apps/{app}/tables/people/records"


@pytest.fixture
def people(server: Server, request: pytest.FixtureRequest) -> str:
    app = "bin_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[-30:]
    server.api("POST", "/api/v1/apps", {"key": app, "name": "回收站测试"})
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {
            "key": "people",
            "name": "联系人",
            "display_field": "name",
            "fields": [{"key": "name", "name": "姓名", "type": "text", "required": True}],
        },
    )
    server.api(
        "POST",
        Q.format(app=app) + "/bulk",
        {"records": [{"name": n} for n in ("甲", "乙", "丙")]},
    )
    return app


def names(server: Server, app: str) -> list[str]:
    items = server.api("POST", Q.format(app=app) + "/query", {"sort": [{"field": "id"}]})["items"]
    return [r["name"] for r in items]


ROW = ".el-table-v2__row [data-field=name]"
CARD = "[data-test=record-card]"


def delete_in_grid(page: Any, phone: bool, left: int) -> None:
    """Delete the first record the grid shows: selected and deleted on a desktop; on a phone
    (cards) opened from its card and deleted on its page."""
    if phone:
        page.locator(CARD).first.click()
        page.locator("[data-test=delete-record]").click()
        page.locator(".el-message-box .el-button--primary").click()
        page.wait_for_url(re.compile(r"/tables/people$"))
    else:
        page.locator(".el-table-v2__row .select-cell .el-checkbox").first.click()
        page.locator("[data-test=bulk-delete]").click()
        page.locator(".el-message-box .el-button--primary").click()
    shown = CARD if phone else ROW
    page.wait_for_function(f"document.querySelectorAll('{shown}').length === {left}")


def fits(page: Any, width: int) -> bool:
    """Nothing wider than the screen: neither the page nor a table's cells (clipped buttons)."""
    return bool(
        page.evaluate(
            """w => document.documentElement.scrollWidth <= w + 1 &&
            [...document.querySelectorAll('.el-table .cell')].every(
                c => c.scrollWidth <= c.clientWidth + 1)""",
            width,
        )
    )


@pytest.mark.parametrize(
    ("size", "lang"), [((1440, 900), "zh-CN"), ((390, 844), "en")], ids=["desktop-zh", "phone-en"]
)
def test_restore_and_purge_from_the_recycle_bin_page(
    signed_in: Any,
    server: Server,
    people: str,
    size: tuple[int, int],
    lang: str,
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    phone = size[0] < 768
    open_as(page, f"{server.url}/apps/{people}/tables/people", size, lang)
    page.locator(CARD if phone else ROW).first.wait_for()
    delete_in_grid(page, phone, 2)  # 甲
    delete_in_grid(page, phone, 1)  # 乙
    assert names(server, people) == ["丙"]

    assert fits(page, size[0])
    page.locator("[data-test=open-record-bin]").click()
    page.wait_for_url(re.compile(r"/tables/people/recycle-bin$"))
    bin_ = page.locator("[data-test=bin-records]")
    bin_.get_by_text("甲").wait_for()
    bin_.get_by_text("乙").wait_for()
    assert fits(page, size[0])
    label = "回收站" if lang == "zh-CN" else "Recycle bin"
    assert label in page.locator("h1").inner_text()
    shoot(page, f"record-bin-{lang}-{size[0]}")

    rows = server.api("GET", Q.format(app=people) + "/recycle-bin")["items"]
    ids = {r["title"]: r["id"] for r in rows}
    page.locator(f"[data-test=bin-restore-{ids['甲']}]").click()
    page.locator(f"[data-test=bin-title-{ids['甲']}]").wait_for(state="detached")
    page.locator(f"[data-test=bin-purge-{ids['乙']}]").click()
    page.locator(".el-message-box .el-button--primary").click()
    page.locator(f"[data-test=bin-title-{ids['乙']}]").wait_for(state="detached")
    assert server.api("GET", Q.format(app=people) + "/recycle-bin")["items"] == []

    page.locator("[data-test=back-to-grid]").click()
    page.locator(CARD if phone else ROW, has_text="甲").wait_for()
    assert sorted(names(server, people)) == ["丙", "甲"]
