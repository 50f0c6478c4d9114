"""What a member may not do is not offered (issue 14): a member who may only read and update the
demo's customers sees no new app, new table, design, delete, 360° settings, export or new
record, only the customers table in the navigation, and a clear "no permission" on the pages
they reach by address; and the @-mention list offers only users who may read the record."""

from __future__ import annotations

from typing import Any

import pytest
from webserver import Server

APP = "/apps/general_aviation"
MEMBER = ("perm_member", "Member2024check")
DENIED = {"zh-CN": "无权访问", "en": "No permission"}


def _ensure_member(server: Server) -> None:
    """The member and a role reading and updating customers only (once per server)."""
    users = server.api("GET", "/api/v1/users?search=perm_member")["items"]
    if users:
        return
    server.api("POST", "/api/v1/users", {"username": MEMBER[0], "password": MEMBER[1]})
    role = {
        "key": "perm_customers_ru",
        "name": "客户维护",
        "tables": [
            {"app": "general_aviation", "table": "customers", "actions": ["read", "update"]}
        ],
        "members": [MEMBER[0]],
    }
    server.api("POST", "/api/v1/roles", role)


def _sign_in(page: Any, server: Server) -> None:
    page.goto(server.url + "/sign-in")
    page.locator("input[name=username]").fill(MEMBER[0])
    page.locator("input[name=password]").fill(MEMBER[1])
    page.locator("[data-test=sign-in]").click()
    page.locator("[data-test=app-general_aviation]").wait_for()


def _absent(page: Any, *tests: str) -> None:
    for name in tests:
        assert page.locator(f"[data-test={name}]").count() == 0, name


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_a_member_is_offered_only_what_they_may_do(
    browser: Any, server: Server, shoot: Any, lang: str, size: tuple[int, int]
) -> None:
    _ensure_member(server)
    phone = size[0] < 500
    context = browser.new_context(locale=lang, viewport={"width": size[0], "height": size[1]})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(15_000)
        _sign_in(page, server)
        assert page.evaluate("document.documentElement.lang") == lang
        # The app list: their one app, no "new app".
        _absent(page, "new-app")
        shoot(page, "member-apps")

        # The app opens on the table they read; the navigation lists it alone, and neither
        # "new table", the 360° settings nor the recycle bin.
        page.locator("[data-test=app-general_aviation]").click()
        page.wait_for_url("**/tables/customers")
        page.locator(".el-table-v2__row, [data-test=record-card]").first.wait_for()
        if phone:
            page.get_by_role("button", name="菜单" if lang == "zh-CN" else "Menu").click()
            drawer = page.locator(".el-drawer .el-menu-item")
            drawer.first.wait_for()
            # Their table, the dashboards and the customer segments (every user of the app may
            # open them; a dashboard's roles and a segment's table decide which they see),
            # nothing a manager sets up.
            assert drawer.count() == 3
            assert page.locator(".el-drawer [data-test=drawer-dashboards]").count() == 1
            assert page.locator(".el-drawer .side-actions").count() == 0
            shoot(page, "member-menu")
            page.keyboard.press("Escape")
            page.locator(".el-drawer").wait_for(state="hidden")
        else:
            menu = page.locator("[data-test=side-menu] .el-menu-item")
            assert menu.count() == 1 and page.locator("[data-test=menu-customers]").count() == 1
            # Selected rows may be edited together (they may update), not deleted.
            page.locator(".el-table-v2__row .el-checkbox").first.click()
            page.locator("[data-test=bulk-edit]").wait_for()
            _absent(page, "bulk-delete")
        _absent(
            page,
            "new-table",
            "menu-customer-view",
            "menu-recycle-bin",
            "design-table",
            "new-record",
            "export-button",
        )
        shoot(page, "member-grid")

        # A record: editable (they may update), no delete, no "add" to tables they may not.
        page.goto(server.url + f"{APP}/tables/customers/records/1")
        page.locator("[data-test=record-title]").wait_for()
        save = page.locator("[data-test=save-record]")
        save.wait_for()
        page.wait_for_function("!document.querySelector('[data-test=save-record]').disabled")
        assert page.locator(".record-form input:not([disabled])").count() > 0
        _absent(page, "delete-record", "related-add")
        shoot(page, "member-record")

        # Pages reached by their address: a clear "no permission", not a broken page.
        for path in (
            f"{APP}/customer-view",
            f"{APP}/recycle-bin",
            f"{APP}/tables/customers/design",
            f"{APP}/tables/customers/records/new",
            f"{APP}/tables/aircraft",
            f"{APP}/tables/aircraft/records/1",
        ):
            page.goto(server.url + path)
            denied = page.locator("[data-test=no-permission]")
            denied.wait_for()
            assert DENIED[lang] in denied.inner_text(), path
            _absent(page, "cv-table", "canvas-field", "bin-tables", "save-record", "grid")
            assert page.locator(".record-form, .el-table-v2").count() == 0, path
        shoot(page, "member-no-permission")
        assert errors == []
    finally:
        context.close()


def test_the_mention_list_offers_only_readers(signed_in: Any, server: Server, shoot: Any) -> None:
    _ensure_member(server)
    server.api("POST", "/api/v1/users", {"username": "mm_reader", "display_name": "读者"})
    server.api("POST", "/api/v1/users", {"username": "mm_outsider", "display_name": "局外人"})
    role = server.api("GET", "/api/v1/roles/perm_customers_ru")
    server.api(
        "PATCH",
        "/api/v1/roles/perm_customers_ru",
        {"members": [*[m for m in role["members"]], "mm_reader"]},
    )
    page = signed_in
    page.goto(server.url + f"{APP}/tables/customers/records/3")
    page.locator("[data-test=record-title]").wait_for()
    page.get_by_role("tab", name="修改历史").click()
    box = page.locator("[data-test=comment-input]")
    box.click()
    lookups: list[str] = []
    page.on("request", lambda r: lookups.append(r.url) if "/api/v1/users?" in r.url else None)
    box.press_sequentially("@mm_")
    options = page.locator("[data-test=mention-option]:visible")
    options.filter(has_text="mm_reader").wait_for()
    page.wait_for_load_state("networkidle")
    assert options.all_inner_texts() == ["读者 @mm_reader"]
    # The list asks for the users who may read this record.
    assert any("app=general_aviation&table=customers&record=3" in u for u in lookups)
    shoot(page, "mention-readers")
    # Typed by hand, a mention of someone who may not read the record is saved, and the author
    # is told it notified nobody.
    box.fill("@mm_outsider @mm_reader 请跟进")
    page.locator("[data-test=send-comment]").click()
    warning = page.locator("[data-test=not-notified]")
    warning.wait_for()
    assert "@mm_outsider" in warning.inner_text() and "mm_reader" not in warning.inner_text()
    shoot(page, "mention-not-notified")
