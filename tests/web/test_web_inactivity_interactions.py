"""The rule builder's inactivity trigger counts logged interactions (issue 22): "no call for 30
days" picked in the form (no JSON), saved as ``{"interactions": ["call"]}`` and read back."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ui import choose, type_into
from webserver import Server

APP = "general_aviation"


def test_an_inactivity_rule_on_calls(
    signed_in: Any, server: Server, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    page.goto(f"{server.url}/apps/{APP}/rules/new?table=customers")
    page.locator("[data-test=rule-builder] [data-test=trigger-form]").wait_for()
    type_into(page.locator("[data-test=rule-name]"), "30 天没有来电")
    choose(page, page.locator("[data-test=trigger-type]"), "一段时间没有动态")
    source = page.locator("[data-test=inactivity-source]").first
    choose(page, source.locator("[data-test=inactivity-relation]"), "互动记录")
    choose(page, source.locator("[data-test=inactivity-kinds]"), "电话")
    page.keyboard.press("Escape")
    summary = page.locator("[data-test=inactivity-summary]")
    assert "电话" in summary.inner_text()
    summary.scroll_into_view_if_needed()
    shoot(page, "rule-builder-inactivity-interactions")
    page.locator("[data-test=action-add]").click()
    page.locator(".el-dropdown-menu__item[data-test=add-notify]:visible").click()
    type_into(page.locator("[data-test=notify-body]").first, "客户 30 天没有来电")
    page.locator("[data-test=save-rule]").click()
    page.wait_for_url(re.compile(r"/rules/\d+"))
    rid = re.search(r"/rules/(\d+)", page.url).group(1)  # type: ignore[union-attr]
    saved = server.api("GET", f"/api/v1/apps/{APP}/rules/{rid}")
    assert saved["trigger"]["sources"] == [
        {"relation": None, "date_field": None, "interactions": ["call"]}
    ] or saved["trigger"]["sources"] == [{"interactions": ["call"]}]
    page.reload()
    source = page.locator("[data-test=inactivity-source]").first
    source.locator("[data-test=inactivity-kinds]").wait_for()
    assert "电话" in source.inner_text()
