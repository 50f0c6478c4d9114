"""The form designer gives an auto-number field a numbering pattern (流水号): the settings
show the next number live as the pattern is typed, and refuse a pattern naming the fault."""

from __future__ import annotations

from typing import Any

from ui import choose
from webserver import Server


def test_a_pattern_with_a_live_preview(signed_in: Any, server: Server, shoot: Any) -> None:
    app = "numbering_ui"
    server.api("POST", "/api/v1/apps", {"key": app, "name": "编号测试"})
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {
            "key": "quotes",
            "name": "报价单",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {
                    "key": "no",
                    "name": "报价单号",
                    "type": "auto_number",
                    "options": {"prefix": "Q-"},
                },
            ],
        },
    )
    records = f"/api/v1/apps/{app}/tables/quotes/records"
    server.api("POST", records, {"title": "旧"})
    page = signed_in
    page.goto(f"{server.url}/apps/{app}/tables/quotes/design")
    page.locator("[data-test=canvas-field][data-key=no]").click()
    preview = page.locator("[data-test=number-preview]")
    preview.wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-test=number-preview]')?.textContent === 'Q-000002'"
    )
    page.locator("[data-test=number-mode-pattern]").click()
    box = page.locator("[data-test=number-pattern]")  # el-input puts it on the <input>
    box.fill("BJ-{YYYY}")
    settings = page.locator("[data-test=settings]")
    settings.get_by_text("格式中须有且只有一个流水号").wait_for()
    box.fill("BJ-{YYYY}{MM}-{####}")
    choose(page, page.locator("[data-test=number-reset]"), "每月")
    day = server.api(
        "POST",
        f"/api/v1/apps/{app}/tables/quotes/fields/number-preview",
        {"options": {}, "field": "no"},
    )["day"]  # today on the server's clock, in its timezone
    expected = f"BJ-{day[:4]}{day[5:7]}-0001"
    page.wait_for_function(
        "t => document.querySelector('[data-test=number-preview]')?.textContent === t", arg=expected
    )
    shoot(page, "numbering-settings")
    page.locator("[data-test=save-field]").click()
    page.locator(".el-message--success").wait_for()
    created = server.api("POST", records, {"title": "新"})
    assert created["no"] == expected
