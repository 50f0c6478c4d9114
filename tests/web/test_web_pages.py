"""The shell: language switch (remembered, default from the browser), deep links, and a
screenshot of each main page at desktop and phone sizes in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from webserver import Server

APP = "/apps/general_aviation"
PAGES = {
    "sign-in": "/sign-in",
    "apps": "/",
    "grid": f"{APP}/tables/customers",
    "record": f"{APP}/tables/customers/records/1",
    "designer": f"{APP}/tables/aircraft/design",
    "recycle-bin": f"{APP}/recycle-bin",
    "customer-view-settings": f"{APP}/customer-view",
    "customer-360": f"{APP}/tables/customers/records/1/360",
    "admin-users": "/admin/users",
    "admin-departments": "/admin/departments",
    "admin-roles": "/admin/roles",
    "admin-tokens": "/admin/tokens",
    "admin-audit": "/admin/audit",
}
READY = {
    "sign-in": "[data-test=sign-in]",
    "apps": "[data-test=app-general_aviation]",
    "grid": ".el-table-v2__row, [data-test=record-card]",
    "record": "[data-test=record-title]",
    "designer": "[data-test=canvas-field]",
    "recycle-bin": "[data-test=bin-tables]",
    "customer-view-settings": "[data-test=cv-table]",
    "customer-360": "[data-test=profile]",
    "admin-users": "[data-test=admin-users]",
    "admin-departments": "[data-test=department-tree]",
    "admin-roles": "[data-test=admin-roles]",
    "admin-tokens": "[data-test=tokens-table]",
    "admin-audit": "[data-test=audit-table] .el-table__row",
}


def test_switch_to_english_and_back(signed_in: Any, server: Server) -> None:
    page = signed_in
    page.goto(server.url + f"{APP}/tables/customers")
    page.locator("[data-test=new-record]", has_text="新建记录").wait_for()
    page.locator("[data-test=lang-switch]").click()
    page.locator("[data-test=lang-en]").click()
    page.locator("[data-test=new-record]", has_text="New record").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"
    # Remembered across a reload of a deep link; the API answers in English too.
    page.reload()
    page.locator("[data-test=new-record]", has_text="New record").wait_for()
    page.goto(server.url + f"{APP}/tables/customers/records/new")
    page.locator("[data-test=save-record]").click()
    page.locator("[data-test=form-error]", has_text="Please correct").wait_for()
    page.locator("[data-test=lang-switch]").click()
    page.locator("[data-test=lang-zh-CN]").click()
    page.locator("[data-test=save-record]", has_text="保存").wait_for()
    page.reload()
    page.locator("[data-test=save-record]", has_text="保存").wait_for()


def test_the_default_language_comes_from_the_browser(
    browser: Any, server: Server, signed_in: Any
) -> None:
    context = browser.new_context(locale="en-US")  # a new visitor: not signed in
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        page.wait_for_url("**/sign-in**")
        page.locator("[data-test=sign-in]", has_text="Sign in").wait_for()
        assert page.evaluate("document.documentElement.lang") == "en"
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_screenshots_of_the_main_pages(
    browser: Any, server: Server, signed_in: Any, shoot: Any, lang: str, size: tuple[int, int]
) -> None:
    # Signed in (the session cookie), but with no remembered language: it comes from the locale.
    state = {"cookies": signed_in.context.storage_state()["cookies"], "origins": []}
    context = browser.new_context(
        locale=lang, viewport={"width": size[0], "height": size[1]}, storage_state=state
    )
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(15_000)
        for name, path in PAGES.items():
            page.goto(server.url + path)
            page.locator(READY[name]).first.wait_for()
            # Nothing wider than the screen (no sideways scrolling of the page itself).
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size[0] + 1, f"{name} overflows: {width}px"
            shoot(page, name)
        if size[0] < 500:
            assert page.locator("[data-test=record-card]").count() == 0  # 360 page: no grid
            page.goto(server.url + PAGES["grid"])
            page.locator("[data-test=record-card]").first.wait_for()
            assert page.locator(".el-table-v2").count() == 0
    finally:
        context.close()
    assert errors == []
